#include "ingest/snmp/ber.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>

namespace ticketd::ingest::snmp {

Status BerReader::error_at(size_t at, const std::string& what) const {
  return Status::invalid_argument("snmp: " + what + " at byte " + std::to_string(at) + where_);
}

Status BerReader::next(const char* what, Tlv* out) {
  const size_t start = offset();
  if (rest_.empty()) return error_at(start, std::string("missing ") + what);
  const auto t = static_cast<uint8_t>(rest_[0]);
  if ((t & 0x1F) == 0x1F) return error_at(start, std::string("multi-octet tag in ") + what);
  if (rest_.size() < 2) return error_at(start, std::string("truncated ") + what);
  size_t length = static_cast<uint8_t>(rest_[1]);
  size_t header = 2;
  if (length == 0x80) return error_at(start, std::string("indefinite length in ") + what);
  if (length > 0x80) {
    const size_t n = length & 0x7F;
    if (n > kMaxLengthOctets) {
      return error_at(start, std::string("length of ") + std::to_string(n) + " octets in " + what);
    }
    if (rest_.size() < 2 + n) return error_at(start, std::string("truncated length of ") + what);
    length = 0;
    for (size_t i = 0; i < n; ++i) length = (length << 8) | static_cast<uint8_t>(rest_[2 + i]);
    header += n;
  }
  if (length > rest_.size() - header) {
    return error_at(start, std::string("truncated ") + what + " (length " + std::to_string(length) +
                               ", " + std::to_string(rest_.size() - header) + " bytes left)");
  }
  out->tag = t;
  out->offset = start;
  out->content_offset = start + header;
  out->content = rest_.substr(header, length);
  rest_.remove_prefix(header + length);
  return Status::ok();
}

Status BerReader::expect(uint8_t expected, const char* what, Tlv* out) {
  const size_t start = offset();
  if (!rest_.empty() && static_cast<uint8_t>(rest_[0]) != expected) {
    char buf[64];
    snprintf(buf, sizeof buf, " (tag 0x%02X, expected 0x%02X)", static_cast<uint8_t>(rest_[0]),
             expected);
    return error_at(start, std::string("unexpected ") + what + buf);
  }
  return next(what, out);
}

Status BerReader::enter(uint8_t expected, const char* what, BerReader* inner) {
  Tlv tlv;
  if (Status s = expect(expected, what, &tlv); !s) return s;
  return enter(tlv, what, inner);
}

Status BerReader::enter(const Tlv& tlv, const char* what, BerReader* inner) const {
  if (depth_ + 1 > kMaxDepth) {
    return error_at(tlv.offset, std::string("nesting deeper than ") + std::to_string(kMaxDepth) +
                                    " at " + what);
  }
  *inner = BerReader(tlv.content, base_, where_, depth_ + 1);
  return Status::ok();
}

Status BerReader::read_integer(const char* what, int64_t* value) {
  Tlv tlv;
  if (Status s = expect(tag::kInteger, what, &tlv); !s) return s;
  const char* why = nullptr;
  if (!decode_signed(tlv.content, value, &why))
    return error_at(tlv.offset, std::string(why) + " in " + what);
  return Status::ok();
}

Status BerReader::read_integer_in(const char* what, int64_t lo, int64_t hi, int64_t* value) {
  const size_t start = offset();
  if (Status s = read_integer(what, value); !s) return s;
  if (*value < lo || *value > hi) {
    return error_at(start, std::string(what) + " " + std::to_string(*value) + " out of range " +
                               std::to_string(lo) + ".." + std::to_string(hi));
  }
  return Status::ok();
}

Status BerReader::read_octets(const char* what, std::string_view* value) {
  Tlv tlv;
  if (Status s = expect(tag::kOctetString, what, &tlv); !s) return s;
  *value = tlv.content;
  return Status::ok();
}

Status BerReader::read_null(const char* what) {
  Tlv tlv;
  if (Status s = expect(tag::kNull, what, &tlv); !s) return s;
  if (!tlv.content.empty()) return error_at(tlv.offset, std::string("non-empty NULL in ") + what);
  return Status::ok();
}

Status BerReader::read_oid(const char* what, SnmpOid* value) {
  Tlv tlv;
  if (Status s = expect(tag::kOid, what, &tlv); !s) return s;
  const char* why = nullptr;
  if (!decode_oid(tlv.content, value, &why))
    return error_at(tlv.offset, std::string(why) + " " + what);
  return Status::ok();
}

Status BerReader::expect_end(const char* what) const {
  if (rest_.empty()) return Status::ok();
  return error_at(offset(), std::to_string(rest_.size()) + " trailing bytes after " + what);
}

bool decode_signed(std::string_view content, int64_t* value, const char** error) {
  if (content.empty()) {
    *error = "empty INTEGER";
    return false;
  }
  if (content.size() > 8) {
    *error = "INTEGER of more than 64 bits";
    return false;
  }
  uint64_t v = static_cast<uint8_t>(content[0]) & 0x80 ? ~uint64_t{0} : 0;
  for (char c : content) v = (v << 8) | static_cast<uint8_t>(c);
  *value = static_cast<int64_t>(v);
  return true;
}

bool decode_unsigned(std::string_view content, int bits, uint64_t* value, const char** error) {
  if (content.empty()) {
    *error = "empty unsigned integer";
    return false;
  }
  if (static_cast<uint8_t>(content[0]) & 0x80) {
    *error = "negative unsigned integer";
    return false;
  }
  // Strip the sign octet(s); what remains must fit in `bits`.
  while (content.size() > 1 && content[0] == 0) content.remove_prefix(1);
  if (content.size() > static_cast<size_t>(bits / 8)) {
    *error = bits == 32 ? "unsigned integer of more than 32 bits"
                        : "unsigned integer of more than 64 bits";
    return false;
  }
  uint64_t v = 0;
  for (char c : content) v = (v << 8) | static_cast<uint8_t>(c);
  *value = v;
  return true;
}

bool decode_oid(std::string_view content, SnmpOid* value, const char** error) {
  value->clear();
  if (content.empty()) {
    *error = "empty";
    return false;
  }
  // Each sub-identifier takes at least one octet, so the vector never grows
  // past the content size (itself bounded by the datagram).
  value->reserve(std::min(content.size() + 1, kMaxOidArcs));
  uint64_t arc = 0;
  size_t octets = 0;
  bool first = true;
  for (size_t i = 0; i < content.size(); ++i) {
    const auto c = static_cast<uint8_t>(content[i]);
    if (octets == 0 && c == 0x80) {
      *error = "overlong sub-identifier in";
      return false;
    }
    arc = (arc << 7) | (c & 0x7F);
    ++octets;
    if (arc > std::numeric_limits<uint32_t>::max()) {
      *error = "sub-identifier of more than 32 bits in";
      return false;
    }
    if (c & 0x80) continue;
    if (first) {
      // The first sub-identifier holds two arcs: 40 * X + Y.
      const uint32_t x = arc < 40 ? 0 : arc < 80 ? 1 : 2;
      value->push_back(x);
      value->push_back(static_cast<uint32_t>(arc - 40 * x));
      first = false;
    } else {
      if (value->size() >= kMaxOidArcs) {
        *error = "more than 128 sub-identifiers in";
        return false;
      }
      value->push_back(static_cast<uint32_t>(arc));
    }
    arc = 0;
    octets = 0;
  }
  if (octets != 0) {
    *error = "truncated";
    return false;
  }
  return true;
}

std::string ber_length(size_t length) {
  std::string out;
  if (length < 0x80) {
    out += static_cast<char>(length);
    return out;
  }
  char buf[8];
  size_t n = 0;
  for (size_t l = length; l != 0; l >>= 8) buf[n++] = static_cast<char>(l & 0xFF);
  out += static_cast<char>(0x80 | n);
  while (n > 0) out += buf[--n];
  return out;
}

std::string ber_tlv(uint8_t tag_octet, std::string_view content) {
  std::string out;
  out.reserve(content.size() + 6);
  out += static_cast<char>(tag_octet);
  out += ber_length(content.size());
  out.append(content);
  return out;
}

std::string ber_integer(int64_t value, uint8_t tag_octet) {
  // Minimal two's complement: drop leading octets that only repeat the sign.
  char buf[8];
  for (int i = 0; i < 8; ++i)
    buf[i] = static_cast<char>((static_cast<uint64_t>(value) >> (8 * (7 - i))) & 0xFF);
  int start = 0;
  while (start < 7 && ((buf[start] == 0 && !(buf[start + 1] & 0x80)) ||
                       (buf[start] == static_cast<char>(0xFF) && (buf[start + 1] & 0x80)))) {
    ++start;
  }
  return ber_tlv(tag_octet, std::string_view(buf + start, 8 - start));
}

std::string ber_unsigned(uint64_t value, uint8_t tag_octet) {
  char buf[9];
  buf[0] = 0;
  for (int i = 0; i < 8; ++i) buf[1 + i] = static_cast<char>((value >> (8 * (7 - i))) & 0xFF);
  int start = 0;
  while (start < 8 && buf[start] == 0 && !(buf[start + 1] & 0x80)) ++start;
  return ber_tlv(tag_octet, std::string_view(buf + start, 9 - start));
}

std::string ber_octets(std::string_view value, uint8_t tag_octet) {
  return ber_tlv(tag_octet, value);
}

std::string ber_null(uint8_t tag_octet) { return ber_tlv(tag_octet, {}); }

namespace {
void append_arc(std::string& out, uint64_t arc) {
  char buf[10];
  int n = 0;
  do {
    buf[n++] = static_cast<char>(arc & 0x7F);
    arc >>= 7;
  } while (arc != 0);
  while (n > 0) {
    char c = buf[--n];
    if (n > 0) c = static_cast<char>(c | 0x80);
    out += c;
  }
}
}  // namespace

std::string ber_oid(const SnmpOid& oid) {
  std::string content;
  if (oid.size() >= 2) {
    append_arc(content, uint64_t{oid[0]} * 40 + oid[1]);
    for (size_t i = 2; i < oid.size(); ++i) append_arc(content, oid[i]);
  } else {
    append_arc(content, oid.empty() ? 0 : uint64_t{oid[0]} * 40);
  }
  return ber_tlv(tag::kOid, content);
}

std::string ber_value(const SnmpValue& v) {
  using T = SnmpValue::Type;
  switch (v.type) {
    case T::kInteger:
      return ber_integer(v.integer, v.tag);
    case T::kCounter32:
    case T::kGauge32:
    case T::kTimeTicks:
    case T::kCounter64:
      return ber_unsigned(v.number, v.tag);
    case T::kOid:
      return ber_oid(v.oid);
    case T::kNull:
    case T::kNoSuchObject:
    case T::kNoSuchInstance:
    case T::kEndOfMibView:
      return ber_null(v.tag);
    case T::kOctetString:
    case T::kIpAddress:
    case T::kOpaque:
    case T::kOther:
      return ber_octets(v.bytes, v.tag);
  }
  return ber_null();
}

}  // namespace ticketd::ingest::snmp
