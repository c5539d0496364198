#include "ingest/snmp/snmp_message.hpp"

#include <openssl/crypto.h>

#include <cstdio>

#include "ingest/snmp/usm_crypto.hpp"

namespace ticketd::ingest::snmp {
namespace {

constexpr int64_t kMinInt32 = -2147483648LL;

Status read_int32(BerReader& r, const char* what, int32_t* v) {
  int64_t x = 0;
  if (Status s = r.read_integer_in(what, kMinInt32, kMaxInt32, &x); !s) return s;
  *v = static_cast<int32_t>(x);
  return Status::ok();
}

Status decode_value(BerReader& r, SnmpValue* v) {
  Tlv t;
  if (Status s = r.next("varbind value", &t); !s) return s;
  using T = SnmpValue::Type;
  v->tag = t.tag;
  const char* why = nullptr;
  auto fail = [&](const std::string& what) { return r.error_at(t.offset, what); };
  auto empty_content = [&](T type, const char* name) {
    v->type = type;
    if (!t.content.empty()) return fail(std::string("non-empty ") + name);
    return Status::ok();
  };
  switch (t.tag) {
    case tag::kInteger:
      v->type = T::kInteger;
      if (!decode_signed(t.content, &v->integer, &why)) return fail(why);
      return Status::ok();
    case tag::kOctetString:
      v->type = T::kOctetString;
      v->bytes.assign(t.content);
      return Status::ok();
    case tag::kNull:
      return empty_content(T::kNull, "NULL");
    case tag::kOid:
      v->type = T::kOid;
      if (!decode_oid(t.content, &v->oid, &why)) return fail(std::string(why) + " OID value");
      return Status::ok();
    case tag::kIpAddress:
      v->type = T::kIpAddress;
      if (t.content.size() != 4)
        return fail("IpAddress of " + std::to_string(t.content.size()) + " bytes");
      v->bytes.assign(t.content);
      return Status::ok();
    case tag::kCounter32:
    case tag::kGauge32:
    case tag::kTimeTicks:
      v->type = t.tag == tag::kCounter32 ? T::kCounter32
                : t.tag == tag::kGauge32 ? T::kGauge32
                                         : T::kTimeTicks;
      if (!decode_unsigned(t.content, 32, &v->number, &why)) return fail(why);
      return Status::ok();
    case tag::kCounter64:
      v->type = T::kCounter64;
      if (!decode_unsigned(t.content, 64, &v->number, &why)) return fail(why);
      return Status::ok();
    case tag::kOpaque:
      v->type = T::kOpaque;
      v->bytes.assign(t.content);
      return Status::ok();
    case tag::kNoSuchObject:
      return empty_content(T::kNoSuchObject, "noSuchObject");
    case tag::kNoSuchInstance:
      return empty_content(T::kNoSuchInstance, "noSuchInstance");
    case tag::kEndOfMibView:
      return empty_content(T::kEndOfMibView, "endOfMibView");
    default:
      break;
  }
  if (t.tag & 0x20) {
    char buf[48];
    snprintf(buf, sizeof buf, "constructed varbind value (tag 0x%02X)", t.tag);
    return fail(buf);
  }
  v->type = T::kOther;
  v->bytes.assign(t.content);
  return Status::ok();
}

Status decode_varbinds(BerReader& r, std::vector<SnmpVarbind>* out) {
  BerReader list;
  if (Status s = r.enter(tag::kSequence, "varbind list", &list); !s) return s;
  while (!list.at_end()) {
    if (out->size() >= kMaxVarbinds) return list.error_at(list.offset(), "more than 1000 varbinds");
    BerReader vb;
    if (Status s = list.enter(tag::kSequence, "varbind", &vb); !s) return s;
    SnmpVarbind v;
    if (Status s = vb.read_oid("OID", &v.oid); !s) return s;
    if (Status s = decode_value(vb, &v.value); !s) return s;
    if (Status s = vb.expect_end("varbind value"); !s) return s;
    out->push_back(std::move(v));
  }
  return Status::ok();
}

std::string encode_varbinds(const std::vector<SnmpVarbind>& vbs) {
  std::string list;
  for (const SnmpVarbind& v : vbs)
    list += ber_tlv(tag::kSequence, ber_oid(v.oid) + ber_value(v.value));
  return ber_tlv(tag::kSequence, list);
}

}  // namespace

Status decode_pdu(BerReader& r, Pdu* out) {
  Tlv t;
  if (Status s = r.next("PDU", &t); !s) return s;
  if (t.tag < 0xA0 || t.tag > 0xA8) {
    char buf[40];
    snprintf(buf, sizeof buf, "unknown PDU type (tag 0x%02X)", t.tag);
    return r.error_at(t.offset, buf);
  }
  out->type = static_cast<SnmpPduType>(t.tag);
  BerReader p;
  if (Status s = r.enter(t, "PDU", &p); !s) return s;
  if (out->type == SnmpPduType::kTrapV1) {
    if (Status s = p.read_oid("enterprise OID", &out->enterprise); !s) return s;
    Tlv addr;
    if (Status s = p.expect(tag::kIpAddress, "agent-addr", &addr); !s) return s;
    if (addr.content.size() != 4) {
      return p.error_at(addr.offset,
                        "agent-addr of " + std::to_string(addr.content.size()) + " bytes");
    }
    out->agent_address.assign(addr.content);
    int64_t generic = 0;
    if (Status s = p.read_integer_in("generic-trap", 0, 6, &generic); !s) return s;
    out->generic_trap = static_cast<int32_t>(generic);
    if (Status s = read_int32(p, "specific-trap", &out->specific_trap); !s) return s;
    Tlv ts;
    if (Status s = p.expect(tag::kTimeTicks, "time-stamp", &ts); !s) return s;
    uint64_t ticks = 0;
    const char* why = nullptr;
    if (!decode_unsigned(ts.content, 32, &ticks, &why))
      return p.error_at(ts.offset, std::string(why) + " in time-stamp");
    out->time_stamp = static_cast<uint32_t>(ticks);
  } else {
    if (Status s = read_int32(p, "request-id", &out->request_id); !s) return s;
    if (Status s = read_int32(p, "error-status", &out->error_status); !s) return s;
    if (Status s = read_int32(p, "error-index", &out->error_index); !s) return s;
  }
  if (Status s = decode_varbinds(p, &out->varbinds); !s) return s;
  return p.expect_end("the varbind list");
}

std::string encode_pdu(const Pdu& pdu) {
  std::string body;
  if (pdu.type == SnmpPduType::kTrapV1) {
    body = ber_oid(pdu.enterprise) + ber_octets(pdu.agent_address, tag::kIpAddress) +
           ber_integer(pdu.generic_trap) + ber_integer(pdu.specific_trap) +
           ber_unsigned(pdu.time_stamp, tag::kTimeTicks);
  } else {
    body =
        ber_integer(pdu.request_id) + ber_integer(pdu.error_status) + ber_integer(pdu.error_index);
  }
  body += encode_varbinds(pdu.varbinds);
  return ber_tlv(static_cast<uint8_t>(pdu.type), body);
}

Status decode_message(std::string_view datagram, Message* out) {
  BerReader top(datagram, datagram);
  BerReader msg;
  if (Status s = top.enter(tag::kSequence, "message", &msg); !s) return s;
  if (Status s = top.expect_end("the message"); !s) return s;
  out->version_offset = msg.offset();
  if (Status s = msg.read_integer("version", &out->version); !s) return s;
  if (out->version == 0 || out->version == 1) {
    if (Status s = msg.read_octets("community", &out->community); !s) return s;
    if (Status s = decode_pdu(msg, &out->pdu); !s) return s;
    return msg.expect_end("the PDU");
  }
  if (out->version != 3) return Status::ok();

  BerReader hd;
  if (Status s = msg.enter(tag::kSequence, "msgGlobalData", &hd); !s) return s;
  int64_t v = 0;
  if (Status s = hd.read_integer_in("msgID", 0, kMaxInt32, &v); !s) return s;
  out->msg_id = static_cast<int32_t>(v);
  if (Status s = hd.read_integer_in("msgMaxSize", 484, kMaxInt32, &v); !s) return s;
  out->max_size = static_cast<int32_t>(v);
  std::string_view flags;
  const size_t flags_at = hd.offset();
  if (Status s = hd.read_octets("msgFlags", &flags); !s) return s;
  if (flags.size() != 1)
    return hd.error_at(flags_at, "msgFlags of " + std::to_string(flags.size()) + " bytes");
  out->flags = static_cast<uint8_t>(flags[0]);
  if (Status s = hd.read_integer_in("msgSecurityModel", 1, kMaxInt32, &v); !s) return s;
  out->security_model = static_cast<int32_t>(v);
  if (Status s = hd.expect_end("msgGlobalData"); !s) return s;

  BerReader sp;
  if (Status s = msg.enter(tag::kOctetString, "msgSecurityParameters", &sp); !s) return s;
  if (out->security_model == 3) {
    BerReader usm;
    if (Status s = sp.enter(tag::kSequence, "USM security parameters", &usm); !s) return s;
    if (Status s = sp.expect_end("the USM security parameters"); !s) return s;
    size_t at = usm.offset();
    if (Status s = usm.read_octets("msgAuthoritativeEngineID", &out->engine_id); !s) return s;
    if (out->engine_id.size() > 32) {
      return usm.error_at(
          at, "msgAuthoritativeEngineID of " + std::to_string(out->engine_id.size()) + " bytes");
    }
    if (Status s = usm.read_integer_in("msgAuthoritativeEngineBoots", 0, kMaxInt32, &v); !s)
      return s;
    out->boots = static_cast<uint32_t>(v);
    if (Status s = usm.read_integer_in("msgAuthoritativeEngineTime", 0, kMaxInt32, &v); !s)
      return s;
    out->time = static_cast<uint32_t>(v);
    at = usm.offset();
    if (Status s = usm.read_octets("msgUserName", &out->user); !s) return s;
    if (out->user.size() > 32)
      return usm.error_at(at, "msgUserName of " + std::to_string(out->user.size()) + " bytes");
    Tlv auth;
    if (Status s = usm.expect(tag::kOctetString, "msgAuthenticationParameters", &auth); !s)
      return s;
    out->auth_params = auth.content;
    out->auth_params_offset = auth.content_offset;
    if (Status s = usm.read_octets("msgPrivacyParameters", &out->priv_params); !s) return s;
    if (Status s = usm.expect_end("the USM security parameters"); !s) return s;
  }

  Tlv data;
  if (Status s = msg.next("msgData", &data); !s) return s;
  if (data.tag == tag::kSequence) {
    out->encrypted = false;
    out->scoped_pdu =
        datagram.substr(data.offset, data.content_offset - data.offset + data.content.size());
  } else if (data.tag == tag::kOctetString) {
    out->encrypted = true;
    out->scoped_pdu = data.content;
  } else {
    char buf[48];
    snprintf(buf, sizeof buf, "unexpected msgData (tag 0x%02X)", data.tag);
    return msg.error_at(data.offset, buf);
  }
  return msg.expect_end("msgData");
}

Status decode_scoped_pdu(std::string_view data, std::string_view base, const char* where,
                         bool allow_trailing, ScopedPdu* out) {
  BerReader r(data, base, where, 1);
  BerReader s;
  if (Status st = r.enter(tag::kSequence, "scopedPDU", &s); !st) return st;
  size_t at = s.offset();
  if (Status st = s.read_octets("contextEngineID", &out->context_engine_id); !st) return st;
  if (out->context_engine_id.size() > 32) {
    return s.error_at(
        at, "contextEngineID of " + std::to_string(out->context_engine_id.size()) + " bytes");
  }
  at = s.offset();
  if (Status st = s.read_octets("contextName", &out->context_name); !st) return st;
  if (out->context_name.size() > 32) {
    return s.error_at(at, "contextName of " + std::to_string(out->context_name.size()) + " bytes");
  }
  if (Status st = decode_pdu(s, &out->pdu); !st) return st;
  if (Status st = s.expect_end("the PDU"); !st) return st;
  if (!allow_trailing) return r.expect_end("the scopedPDU");
  return Status::ok();
}

std::string encode_community_message(SnmpVersion version, std::string_view community,
                                     const Pdu& pdu) {
  return ber_tlv(tag::kSequence, ber_integer(version == SnmpVersion::kV1 ? 0 : 1) +
                                     ber_octets(community) + encode_pdu(pdu));
}

std::string encode_v3_message(const V3Out& m) {
  const bool auth = m.level != SnmpSecurityLevel::kNoAuthNoPriv;
  const bool priv = m.level == SnmpSecurityLevel::kAuthPriv;
  const uint8_t flags = static_cast<uint8_t>((auth ? kFlagAuth : 0) | (priv ? kFlagPriv : 0) |
                                             (m.reportable ? kFlagReportable : 0));
  const std::string header = ber_tlv(
      tag::kSequence, ber_integer(m.msg_id) + ber_integer(m.max_size) +
                          ber_octets(std::string(1, static_cast<char>(flags))) + ber_integer(3));
  const std::string scoped =
      ber_tlv(tag::kSequence,
              ber_octets(m.context_engine_id) + ber_octets(m.context_name) + encode_pdu(m.pdu));
  std::string data = scoped;
  std::string priv_params;
  if (priv) {
    std::string cipher;
    aes_cfb(true, m.priv_key, m.boots, m.time, m.salt, scoped, &cipher);
    data = ber_octets(cipher);
    priv_params = m.salt;
  }
  const size_t digest_len = auth ? auth_digest_length(m.auth) : 0;
  const std::string priv_tlv = ber_octets(priv_params);
  const std::string usm =
      ber_tlv(tag::kSequence, ber_octets(m.engine_id) + ber_integer(m.boots) + ber_integer(m.time) +
                                  ber_octets(m.user) + ber_octets(std::string(digest_len, '\0')) +
                                  priv_tlv);
  std::string whole = ber_tlv(tag::kSequence, ber_integer(3) + header + ber_octets(usm) + data);
  if (auth) {
    // The digest's content ends where the privacy parameters begin, and those
    // and msgData end the message.
    const size_t at = whole.size() - data.size() - priv_tlv.size() - digest_len;
    const std::string digest = auth_digest(m.auth, m.auth_key, whole);
    whole.replace(at, digest_len, digest);
  }
  return whole;
}

bool verify_digest(std::string_view datagram, const Message& m, SnmpAuthProtocol auth,
                   std::string_view auth_key) {
  const size_t n = auth_digest_length(auth);
  if (n == 0 || m.auth_params.size() != n) return false;
  std::string copy(datagram);
  copy.replace(m.auth_params_offset, n, std::string(n, '\0'));
  const std::string digest = auth_digest(auth, auth_key, copy);
  return CRYPTO_memcmp(digest.data(), m.auth_params.data(), n) == 0;
}

OpenError open_scoped_pdu(std::string_view datagram, const Message& m, std::string_view priv_key,
                          std::string* plaintext, ScopedPdu* out, Status* why) {
  if (m.encrypted) {
    if (m.priv_params.size() != 8) {
      *why = Status::invalid_argument("snmp: msgPrivacyParameters of " +
                                      std::to_string(m.priv_params.size()) + " bytes, expected 8");
      return OpenError::kDecryption;
    }
    if (!aes_cfb(false, priv_key, m.boots, m.time, m.priv_params, m.scoped_pdu, plaintext)) {
      *why = Status::invalid_argument("snmp: AES decryption failed");
      return OpenError::kDecryption;
    }
    // CFB needs no padding, but tolerate what a sender may append.
    if (Status s =
            decode_scoped_pdu(*plaintext, *plaintext, " of the decrypted scopedPDU", true, out);
        !s) {
      *why = std::move(s);
      return OpenError::kDecryption;
    }
    return OpenError::kNone;
  }
  if (Status s = decode_scoped_pdu(m.scoped_pdu, datagram, "", false, out); !s) {
    *why = std::move(s);
    return OpenError::kMalformed;
  }
  return OpenError::kNone;
}

}  // namespace ticketd::ingest::snmp
