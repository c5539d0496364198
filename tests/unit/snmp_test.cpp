// SNMP trap codec: the strict BER reader, v1/v2c/v3 decoding from datagrams
// captured from net-snmp's tools, USM keys (RFC 3414 A.3), inform Responses
// and v3 Reports read back, hostile input, symbolic names, normalization.
//
// The captured datagrams were made with net-snmp 5.9.3 (Debian 12 `snmp`)
// sending to a python3 UDP socket on 127.0.0.1 that wrote each datagram as
// hex; the command is above each one. The v3 informs were answered by
// SnmpTrapDecoder itself (engine 0x80001f88047469636b657464, boots 7),
// which is how net-snmp's snmpinform got past engine-ID discovery.
#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "ingest/snmp/ber.hpp"
#include "ingest/snmp/builtin_names.hpp"
#include "ingest/snmp/snmp_message.hpp"
#include "ingest/snmp/usm_crypto.hpp"
#include "ticketd/ingest/snmp_event.hpp"
#include "ticketd/ingest/snmp_names.hpp"
#include "ticketd/ingest/snmp_trap_decoder.hpp"

namespace ticketd::ingest {
namespace {

using snmp::Message;
using snmp::Pdu;

std::string unhex(std::string_view h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
  }
  return out;
}

std::string hex(std::string_view s) { return format_snmp_engine_id(s); }

SnmpOid oid(std::string_view text) { return *parse_oid(text); }

// --- captured datagrams ------------------------------------------------------

// snmptrap -v 1 -c public 127.0.0.1:19162 1.3.6.1.4.1.8072.3.2.10 192.0.2.7 2 0 12345
//   1.3.6.1.2.1.2.2.1.1.3 i 3 1.3.6.1.2.1.2.2.1.2.3 s "Gi0/3"
const std::string kV1LinkDown = unhex(
    "305102010004067075626c6963a444060a2b06010401bf0803020a4004c0000207020102020100430230393026300f"
    "060a2b"
    "0601020102020101030201033013060a2b06010201020201020304054769302f33");

// snmptrap -v 1 -c public 127.0.0.1:19162 1.3.6.1.4.1.8072.2.3 192.0.2.8 6 17 54321
//   1.3.6.1.4.1.8072.2.3.2.1 s "hello world"
const std::string kV1EnterpriseSpecific = unhex(
    "304702010004067075626c6963a43a06092b06010401bf0802034004c0000208020106020111430300d431301c301a"
    "060b2b"
    "06010401bf0802030201040b68656c6c6f20776f726c64");

// snmptrap -v 2c -c public 127.0.0.1:19162 12345 1.3.6.1.6.3.1.1.5.3 1.3.6.1.2.1.2.2.1.1.3 i 3
//   1.3.6.1.2.1.2.2.1.7.3 i 1 1.3.6.1.2.1.2.2.1.8.3 i 2 1.3.6.1.2.1.2.2.1.2.3 s "Gi0/3"
const std::string kV2cLinkDown = unhex(
    "30818c02010104067075626c6963a77f0204473d4bee0201000201003071300e06082b060102010103004302303930"
    "17060a"
    "2b06010603010104010006092b0601060301010503300f060a2b060102010202010103020103300f060a2b06010201"
    "020201"
    "0703020101300f060a2b0601020102020108030201023013060a2b06010201020201020304054769302f33");

// snmpinform -v 2c -c public -r 0 -t 1 127.0.0.1:19162 12345 1.3.6.1.6.3.1.1.5.4
//   1.3.6.1.2.1.2.2.1.1.3 i 3 1.3.6.1.2.1.2.2.1.8.3 i 1
const std::string kV2cInform = unhex(
    "306602010104067075626c6963a65902041381f7de020100020100304b300e06082b06010201010300430230393017"
    "060a2b"
    "06010603010104010006092b0601060301010504300f060a2b060102010202010103020103300f060a2b0601020102"
    "020108"
    "03020101");

// snmptrap -v 2c -c public 127.0.0.1:19162 360000 1.3.6.1.2.1.33.2.1 1.3.6.1.2.1.33.1.2.3.0 i 42
//   1.3.6.1.2.1.33.1.2.2.0 i 65 1.3.6.1.2.1.33.1.9.7.0 i 2 1.3.6.1.2.1.1.5.0 s "ups1.example.net"
const std::string kV2cUpsOnBattery = unhex(
    "30819602010104067075626c6963a78188020430b61dbf020100020100307a300f06082b060102010103004303057e"
    "403016"
    "060a2b06010603010104010006082b06010201210201300f060a2b06010201210102030002012a300f060a2b060102"
    "012101"
    "020200020141300f060a2b060102012101090700020102301c06082b060102010105000410757073312e6578616d70"
    "6c652e"
    "6e6574");

// v3 traps: snmptrap -v 3 -e 0x80001f888001020304 -u USER -l LEVEL -a AUTH -A USER-auth-pass
//   [-x PRIV -X USER-priv-pass] 127.0.0.1:19162 12345 TRAP-OID [varbinds]
const std::string kV3EngineId = unhex("80001f888001020304");

// -u alice -l authPriv -a SHA -x AES ... 1.3.6.1.6.3.1.1.5.3 1.3.6.1.2.1.2.2.1.1.3 i 3
//   1.3.6.1.2.1.2.2.1.2.3 s "Gi0/3" 1.3.6.1.2.1.2.2.1.8.3 i 2
const std::string kV3ShaAes = unhex(
    "3081d70201033011020452b6cd3e020300ffe304010302010304343032040980001f88800102030402010102031e54"
    "8e0405"
    "616c696365040c53b2d7bf44a649863ee55d9c0408c2c77869b3e86bc8048188a1b5ef71d32bbe8defef4e4a7890ce"
    "379d8b"
    "b828e7282a15b4d8750dbbe0a449a05b5fe2e1df176ec8d8470c0294cee463609500f1f9cd143612bb3c9874cd70ff"
    "d33a7d"
    "6cbd01a963f478912eab18d865d6e61a370e54361385793b59f3c90f4e7695101278917ad94e8d22bdf1733aad17ea"
    "b3e0e0"
    "f0b81c2a9ec3d471d813c26599e259c51e0a");
// -u bob -l authPriv -a SHA-256 -x AES ... 1.3.6.1.6.3.1.1.5.1 (coldStart)
const std::string kV3Sha256Aes = unhex(
    "3081a8020103301102040b4d801c020300ffe3040103020103043e303c040980001f88800102030402010102031e55"
    "f10403"
    "626f620418c778d6057ddf567fe8835eb4f5996bccf8e48ebdde5793d30408fa6a5a6203e2921b04505a52ba62de37"
    "bb5b49"
    "ab5d63f4e4b2228a6a498190c6ffc0cd009d0dab94b99a120e689c22aa49bffb060d87e235115644bbb955034af821"
    "571611"
    "23d9aefad3670a8648f775ad614bde2ca6d0db1ac0");
// -u carol -l authPriv -a SHA-512 -x AES-256 ... 1.3.6.1.6.3.1.1.5.2 (warmStart)
const std::string kV3Sha512Aes256 = unhex(
    "3081c2020103301102041610dc6f020300ffe304010302010304583056040980001f88800102030402010102031e57"
    "530405"
    "6361726f6c0430cf6c93ae9bf4d8f5d7dbe148fe1cb0521899c2e647d70cc85a563856de4bcdfa09f52d5254dc8f16"
    "f13546"
    "c1a651e4eb0408fc64696b9a20ba0f0450dc0748d7f3363735c80aeb7dfce8575cb08c8d01e034b78ec03fbd5f9d6f"
    "63ce4b"
    "8c79be9c3cc221f02760b4495c527edfa769738c3c6bf4ceb60c01dd24b3b2126b14d88c8528e96808196a0e7f3fa"
    "0");
// -u dave -l authPriv -a SHA -x AES-192 ... 1.3.6.1.6.3.1.1.5.2
const std::string kV3ShaAes192 = unhex(
    "30819d020103301102040c48b0a2020300ffe304010302010304333031040980001f88800102030402010102031e58"
    "b70404"
    "64617665040c90b2197dbd1f16df2656ceb8040826cc3f285941509d04508509d53b012433b5a7965ad61afc8574e3"
    "a27d86"
    "6763c2f0b8f046fb0205a24e35be99bd51784c7436a8a6522cabeda5fdb56a2f8a8227a9a17bd6f3ef8179fa4ed325"
    "30d602"
    "ebaa61ae9b500aeba69a");
// -u erin -l authPriv -a MD5 -x AES-256 ... 1.3.6.1.6.3.1.1.5.2
const std::string kV3Md5Aes256 = unhex(
    "30819d0201033011020452f35e8e020300ffe304010302010304333031040980001f88800102030402010102031e5a"
    "1a0404"
    "6572696e040c073f55203d05894df267f37b0408d05ce38ba68b316c04507504e7c461095536e5beccd06ee19e336b"
    "26cf0e"
    "69f0d63573ce85da216a0c813953ee05deec06fd6d3cd9ac18d1442041663ba7e232ef566d6cf550971948c3ffff9f"
    "3092fc"
    "b23712524518b3f4da0c");
// -u frank -l authNoPriv -a SHA-224 ... 1.3.6.1.6.3.1.1.5.5 (authenticationFailure)
const std::string kV3Sha224AuthNoPriv = unhex(
    "30819802010330110204294769b3020300ffe30401010201030430302e040980001f88800102030402010102031e5b"
    "7c0405"
    "6672616e6b0410ad4510c712f6a610e8ff3ae4038d4df80400304e041180001f8880b22d2f1cef5a0e6b0000000004"
    "00a737"
    "0204055f7c610201000201003029300e06082b06010201010300430230393017060a2b06010603010104010006092b"
    "060106"
    "0301010505");
// -u grace -l authPriv -a SHA-384 -x AES ... 1.3.6.1.6.3.1.1.5.2
const std::string kV3Sha384Aes = unhex(
    "3081b2020103301102041c772d4a020300ffe304010302010304483046040980001f88800102030402010102031e5c"
    "df0405"
    "67726163650420cde0dbf21e195ac19f3b49b5ac2ba1ab8844044c0c414f07572b200dde81ebc60408bae50f68b469"
    "6f3f04"
    "5051ff1424c95564f5ada506a4ad5db8b9a2ddd5f2af49c4ff1f594ec96f879672564cec92d27dec3113687b63fe99"
    "af7d59"
    "c6098957bf6b9b9210d6f56480d2a86d816ca029580128e5bf0c5e37bc6dd9");
// -u heidi -l authNoPriv -a MD5 ... 1.3.6.1.6.3.1.1.5.2
const std::string kV3Md5AuthNoPriv = unhex(
    "3081940201033011020478885c24020300ffe3040101020103042c302a040980001f88800102030402010102031e5e"
    "400405"
    "6865696469040c84d475a55c0c0e238f7d01380400304e041180001f8880b22d2f1cef5a0e6b000000000400a73702"
    "0419a9"
    "afee0201000201003029300e06082b06010201010300430230393017060a2b06010603010104010006092b06010603"
    "010105"
    "02");
// -u ivan -l noAuthNoPriv ... 1.3.6.1.6.3.1.1.5.2
const std::string kV3NoAuth = unhex(
    "308187020103301102042a16e531020300ffe3040100020103041f301d040980001f88800102030402010102031e5f"
    "a10404"
    "6976616e04000400304e041180001f8880b22d2f1cef5a0e6b000000000400a73702047f1dab6d0201000201003029"
    "300e06"
    "082b06010201010300430230393017060a2b06010603010104010006092b0601060301010502");

// snmpinform -v 3 -u alice -l authPriv -a SHA -A alice-auth-pass -x AES -X alice-priv-pass
//   -r 0 -t 1 127.0.0.1:19162 12345 1.3.6.1.6.3.1.1.5.3: the engine-ID discovery probe it
//   sends first (noAuthNoPriv, reportable, empty engine ID and user, empty GetRequest).
const std::string kV3InformProbe = unhex(
    "304f02010330110204557a6d55020300ffe30401040201030410300e04000201000201000400040004003025041180"
    "001f88"
    "80b22d2f1cef5a0e6b000000000400a00e0204315a386a0201000201003000");

// Our engine in the inform exchanges below.
const std::string kLocalEngineId = unhex("80001f88047469636b657464");
const TimePoint kBootTime = from_unix_ms(int64_t{1796098207} * 1000);

// snmpinform -v 3 -u alice -l authPriv -a SHA -A alice-auth-pass -x AES -X alice-priv-pass
//   -r 0 -t 2 127.0.0.1:19164 12345 1.3.6.1.6.3.1.1.5.3 1.3.6.1.2.1.2.2.1.1.3 i 3
//   1.3.6.1.2.1.2.2.1.2.3 s "Gi0/3"
// after discovery: boots 7, time 5000, received at kAliceInformAt.
const std::string kV3InformAlice = unhex(
    "3081c6020103301102041cb729cb020300ffe304010702010304363034040c80001f88047469636b65746402010702"
    "021388"
    "0405616c696365040c705b524cc3baf67402256f720408b39c7367976cb45d0476357e0aeabd7f3a174a0bcf05b4bf"
    "824860"
    "59dca2b0be88339fc25557c52d70bfdaf6fdfdd23940dd75f319d50fa3e409d1e27269aaf6ce1d8e6d1ba952278b14"
    "a55c0d"
    "456af01bfd1d8ef017a1cb52117d20013f51f82c6b757e2c9e540a817720e446a72026dc07f3f02909369c8455c81b"
    "4dff94"
    "e3");
const TimePoint kAliceInformAt = from_unix_ms(1796103207986);

// snmpinform -v 3 -u heidi -l authNoPriv -a MD5 -A heidi-auth-pass -r 0 -t 2 127.0.0.1:19164
//   12345 1.3.6.1.6.3.1.1.5.4 1.3.6.1.2.1.2.2.1.1.3 i 3
const std::string kV3InformHeidi = unhex(
    "3081a70201033011020400e1f898020300ffe3040105020103042e302c040c80001f88047469636b65746402010702"
    "021388"
    "04056865696469040cb10bba9275547b0ea6e7aebb0400305f041180001f8880b22d2f1cef5a0e6b000000000400a6"
    "480204"
    "11347179020100020100303a300e06082b06010201010300430230393017060a2b06010603010104010006092b0601"
    "060301"
    "010504300f060a2b060102010202010103020103");
const TimePoint kHeidiInformAt = from_unix_ms(1796103207998);

const TimePoint kNow = *parse_rfc3339("2026-11-28T14:05:00Z");

SnmpUser user(const char* name, SnmpAuthProtocol auth, SnmpPrivProtocol priv) {
  SnmpUser u;
  u.name = name;
  u.auth = auth;
  u.priv = priv;
  if (auth != SnmpAuthProtocol::kNone) u.auth_passphrase = std::string(name) + "-auth-pass";
  if (priv != SnmpPrivProtocol::kNone) u.priv_passphrase = std::string(name) + "-priv-pass";
  return u;
}

SnmpTrapDecoderConfig full_config() {
  SnmpTrapDecoderConfig c;
  c.users = {user("alice", SnmpAuthProtocol::kSha1, SnmpPrivProtocol::kAes128),
             user("bob", SnmpAuthProtocol::kSha256, SnmpPrivProtocol::kAes128),
             user("carol", SnmpAuthProtocol::kSha512, SnmpPrivProtocol::kAes256),
             user("dave", SnmpAuthProtocol::kSha1, SnmpPrivProtocol::kAes192),
             user("erin", SnmpAuthProtocol::kMd5, SnmpPrivProtocol::kAes256),
             user("frank", SnmpAuthProtocol::kSha224, SnmpPrivProtocol::kNone),
             user("grace", SnmpAuthProtocol::kSha384, SnmpPrivProtocol::kAes128),
             user("heidi", SnmpAuthProtocol::kMd5, SnmpPrivProtocol::kNone),
             user("ivan", SnmpAuthProtocol::kNone, SnmpPrivProtocol::kNone)};
  c.local_engine.engine_id = kLocalEngineId;
  c.local_engine.boots = 7;
  c.local_engine.boot_time = kBootTime;
  return c;
}

std::unique_ptr<SnmpTrapDecoder> make(SnmpTrapDecoderConfig c) {
  auto d = SnmpTrapDecoder::create(std::move(c));
  EXPECT_TRUE(d.has_value()) << (d ? "" : d.error().message());
  return std::move(*d);
}

const SnmpTrapDecoder& shared_decoder() {
  static const std::unique_ptr<SnmpTrapDecoder> d = make(full_config());
  return *d;
}

// A decoder that has seen nothing yet: v3 traps from one engine are refused
// when more than 150 s older than the newest seen (RFC 3414 3.2 7b), and
// the captured vectors share an engine ID but were made minutes apart.
std::unique_ptr<SnmpTrapDecoder> fresh_decoder() { return make(full_config()); }

const std::vector<std::pair<const char*, const std::string*>>& all_vectors() {
  static const std::vector<std::pair<const char*, const std::string*>> v = {
      {"v1_linkdown", &kV1LinkDown},        {"v1_enterprise", &kV1EnterpriseSpecific},
      {"v2c_linkdown", &kV2cLinkDown},      {"v2c_inform", &kV2cInform},
      {"v2c_ups", &kV2cUpsOnBattery},       {"v3_sha_aes", &kV3ShaAes},
      {"v3_sha256_aes", &kV3Sha256Aes},     {"v3_sha512_aes256", &kV3Sha512Aes256},
      {"v3_sha_aes192", &kV3ShaAes192},     {"v3_md5_aes256", &kV3Md5Aes256},
      {"v3_sha224", &kV3Sha224AuthNoPriv},  {"v3_sha384_aes", &kV3Sha384Aes},
      {"v3_md5", &kV3Md5AuthNoPriv},        {"v3_noauth", &kV3NoAuth},
      {"v3_probe", &kV3InformProbe},        {"v3_inform_alice", &kV3InformAlice},
      {"v3_inform_heidi", &kV3InformHeidi},
  };
  return v;
}

const SnmpVarbind* varbind(const SnmpNotification& n, std::string_view o) {
  const SnmpOid want = oid(o);
  for (const SnmpVarbind& v : n.varbinds) {
    if (v.oid == want) return &v;
  }
  return nullptr;
}

std::string label(const Event& e, const std::string& key) {
  auto it = e.labels.find(key);
  return it == e.labels.end() ? "<none>" : it->second;
}

// --- BER ---------------------------------------------------------------------

TEST(SnmpBer, LengthForms) {
  snmp::BerReader r;
  snmp::Tlv t;
  std::string two = unhex("048202000000");  // long form, 2 length octets, content too short
  r = snmp::BerReader(two, two);
  EXPECT_EQ(r.next("value", &t).message(),
            "snmp: truncated value (length 512, 2 bytes left) at byte 0");
  std::string indefinite = unhex("30800000");
  r = snmp::BerReader(indefinite, indefinite);
  EXPECT_EQ(r.next("message", &t).message(), "snmp: indefinite length in message at byte 0");
  std::string five = unhex("3085000000000100");
  r = snmp::BerReader(five, five);
  EXPECT_EQ(r.next("message", &t).message(), "snmp: length of 5 octets in message at byte 0");
  std::string huge = unhex("3084ffffffff00");
  r = snmp::BerReader(huge, huge);
  EXPECT_EQ(r.next("message", &t).message(),
            "snmp: truncated message (length 4294967295, 1 bytes left) at byte 0");
  std::string tag = unhex("1f0100");
  r = snmp::BerReader(tag, tag);
  EXPECT_EQ(r.next("message", &t).message(), "snmp: multi-octet tag in message at byte 0");
  std::string ok = unhex("0482000568656c6c6f");  // non-minimal long form is BER, accepted
  r = snmp::BerReader(ok, ok);
  ASSERT_TRUE(r.next("value", &t).is_ok());
  EXPECT_EQ(t.content, "hello");
  EXPECT_EQ(snmp::ber_length(5), unhex("05"));
  EXPECT_EQ(snmp::ber_length(200), unhex("81c8"));
  EXPECT_EQ(snmp::ber_length(70000), unhex("83011170"));
}

TEST(SnmpBer, Integers) {
  for (int64_t v :
       {int64_t{0}, int64_t{1}, int64_t{127}, int64_t{128}, int64_t{-1}, int64_t{-128},
        int64_t{-129}, int64_t{2147483647}, int64_t{-2147483648LL}, INT64_MAX, INT64_MIN}) {
    const std::string enc = snmp::ber_integer(v);
    snmp::BerReader r(enc, enc);
    int64_t back = 0;
    ASSERT_TRUE(r.read_integer("INTEGER", &back).is_ok()) << v;
    EXPECT_EQ(back, v);
  }
  EXPECT_EQ(snmp::ber_integer(128), unhex("02020080"));
  EXPECT_EQ(snmp::ber_integer(-129), unhex("0202ff7f"));
  for (uint64_t v : {uint64_t{0}, uint64_t{255}, uint64_t{4294967295u}, UINT64_MAX}) {
    const std::string enc = snmp::ber_unsigned(v, snmp::tag::kCounter64);
    uint64_t back = 0;
    const char* why = nullptr;
    ASSERT_TRUE(snmp::decode_unsigned(enc.substr(2), 64, &back, &why)) << v;
    EXPECT_EQ(back, v);
  }
  EXPECT_EQ(snmp::ber_unsigned(4294967295u, snmp::tag::kCounter32), unhex("410500ffffffff"));
  std::string nine = unhex("0209010000000000000000");
  snmp::BerReader r(nine, nine);
  int64_t v = 0;
  EXPECT_EQ(r.read_integer("request-id", &v).message(),
            "snmp: INTEGER of more than 64 bits in request-id at byte 0");
  std::string empty = unhex("0200");
  r = snmp::BerReader(empty, empty);
  EXPECT_EQ(r.read_integer("msgID", &v).message(), "snmp: empty INTEGER in msgID at byte 0");
  uint64_t u = 0;
  const char* why = nullptr;
  EXPECT_FALSE(snmp::decode_unsigned(unhex("0100000000"), 32, &u, &why));
  EXPECT_STREQ(why, "unsigned integer of more than 32 bits");
  EXPECT_FALSE(snmp::decode_unsigned(unhex("80"), 32, &u, &why));
  EXPECT_STREQ(why, "negative unsigned integer");
}

TEST(SnmpBer, Oids) {
  const SnmpOid link_down = oid("1.3.6.1.6.3.1.1.5.3");
  EXPECT_EQ(snmp::ber_oid(link_down), unhex("06092b0601060301010503"));
  SnmpOid back;
  const char* why = nullptr;
  ASSERT_TRUE(snmp::decode_oid(unhex("2b0601060301010503"), &back, &why));
  EXPECT_EQ(back, link_down);
  const SnmpOid big = oid("2.999.4294967295");
  ASSERT_TRUE(snmp::decode_oid(snmp::ber_oid(big).substr(2), &back, &why));
  EXPECT_EQ(back, big);
  // A sub-identifier of 2^32.
  EXPECT_FALSE(snmp::decode_oid(unhex("2b9080808000"), &back, &why));
  EXPECT_STREQ(why, "sub-identifier of more than 32 bits in");
  // A leading 0x80 octet (non-minimal).
  EXPECT_FALSE(snmp::decode_oid(unhex("2b8001"), &back, &why));
  EXPECT_STREQ(why, "overlong sub-identifier in");
  // The last octet continues.
  EXPECT_FALSE(snmp::decode_oid(unhex("2b0681"), &back, &why));
  EXPECT_STREQ(why, "truncated");
  EXPECT_FALSE(snmp::decode_oid("", &back, &why));
  std::string arcs128 = "2b" + std::string(126 * 2, '0');
  for (size_t i = 2; i < arcs128.size(); i += 2) arcs128[i + 1] = '1';
  ASSERT_TRUE(snmp::decode_oid(unhex(arcs128), &back, &why));
  EXPECT_EQ(back.size(), 128u);
  EXPECT_FALSE(snmp::decode_oid(unhex(arcs128 + "01"), &back, &why));
  EXPECT_STREQ(why, "more than 128 sub-identifiers in");
  // Inside a message the error names the byte.
  std::string msg = unhex("3007060581010203ff");
  msg[1] = 0x05;
  msg.resize(7);
  msg = unhex("30050603") + unhex("2b0681");
  snmp::BerReader r(msg, msg);
  snmp::BerReader inner;
  ASSERT_TRUE(r.enter(snmp::tag::kSequence, "varbind", &inner).is_ok());
  EXPECT_EQ(inner.read_oid("OID", &back).message(), "snmp: truncated OID at byte 2");
}

TEST(SnmpBer, NestingDepthIsLimited) {
  std::string deep;
  for (int i = 0; i < 40; ++i) deep = snmp::ber_tlv(snmp::tag::kSequence, deep);
  snmp::BerReader r(deep, deep);
  int levels = 0;
  Status s;
  while (true) {
    snmp::BerReader inner;
    s = r.enter(snmp::tag::kSequence, "SEQUENCE", &inner);
    if (!s) break;
    r = inner;
    ++levels;
  }
  EXPECT_EQ(levels, snmp::kMaxDepth);
  EXPECT_NE(s.message().find("nesting deeper than 16"), std::string::npos) << s.message();
  // A deeply nested datagram is malformed, not a crash.
  SnmpReceived got = shared_decoder().decode(deep, kNow);
  EXPECT_EQ(got.outcome, SnmpOutcome::kMalformed);
}

// --- v1 and v2c --------------------------------------------------------------

TEST(SnmpDecode, V1GenericTrapMapsToSnmpTraps) {
  SnmpReceived got = shared_decoder().decode(kV1LinkDown, kNow);
  ASSERT_EQ(got.outcome, SnmpOutcome::kNotification) << got.error;
  const SnmpNotification& n = *got.notification;
  EXPECT_EQ(n.version, SnmpVersion::kV1);
  EXPECT_EQ(n.pdu_type, SnmpPduType::kTrapV1);
  EXPECT_EQ(n.community, "public");
  EXPECT_EQ(format_oid(n.trap_oid), "1.3.6.1.6.3.1.1.5.3");  // generic 2 = linkDown
  EXPECT_EQ(n.uptime, 12345u);
  EXPECT_EQ(n.generic_trap, 2);
  EXPECT_EQ(format_oid(n.enterprise), "1.3.6.1.4.1.8072.3.2.10");
  EXPECT_EQ(hex(n.agent_address), "c0000207");
  ASSERT_EQ(n.varbinds.size(), 6u);
  EXPECT_EQ(format_oid(n.varbinds[0].oid), "1.3.6.1.2.1.1.3.0");
  EXPECT_EQ(n.varbinds[0].value.number, 12345u);
  EXPECT_EQ(format_oid(n.varbinds[1].oid), "1.3.6.1.6.3.1.1.4.1.0");
  EXPECT_EQ(n.varbinds[1].value.oid, n.trap_oid);
  EXPECT_EQ(format_oid(n.varbinds[2].oid), "1.3.6.1.2.1.2.2.1.1.3");
  EXPECT_EQ(n.varbinds[2].value.integer, 3);
  EXPECT_EQ(n.varbinds[3].value.bytes, "Gi0/3");
  // RFC 3584 3.1 (4): snmpTrapAddress.0 and snmpTrapEnterprise.0 appended.
  EXPECT_EQ(format_oid(n.varbinds[4].oid), "1.3.6.1.6.3.18.1.3.0");
  EXPECT_EQ(hex(n.varbinds[4].value.bytes), "c0000207");
  EXPECT_EQ(format_oid(n.varbinds[5].oid), "1.3.6.1.6.3.1.1.4.3.0");
  EXPECT_EQ(format_oid(n.varbinds[5].value.oid), "1.3.6.1.4.1.8072.3.2.10");
  EXPECT_TRUE(got.reply.empty());
}

TEST(SnmpDecode, V1EnterpriseSpecificIsEnterpriseZeroSpecific) {
  SnmpReceived got = shared_decoder().decode(kV1EnterpriseSpecific, kNow);
  ASSERT_EQ(got.outcome, SnmpOutcome::kNotification) << got.error;
  EXPECT_EQ(format_oid(got.notification->trap_oid), "1.3.6.1.4.1.8072.2.3.0.17");
  EXPECT_EQ(got.notification->specific_trap, 17);
  EXPECT_EQ(got.notification->uptime, 54321u);
}

TEST(SnmpDecode, V1EveryGenericTrap) {
  for (int generic = 0; generic <= 5; ++generic) {
    Pdu pdu;
    pdu.type = SnmpPduType::kTrapV1;
    pdu.enterprise = oid("1.3.6.1.4.1.8072.3.2.10");
    pdu.agent_address = unhex("0a000001");
    pdu.generic_trap = generic;
    pdu.time_stamp = 1;
    SnmpReceived got = shared_decoder().decode(
        snmp::encode_community_message(SnmpVersion::kV1, "public", pdu), kNow);
    ASSERT_EQ(got.outcome, SnmpOutcome::kNotification) << got.error;
    EXPECT_EQ(format_oid(got.notification->trap_oid),
              "1.3.6.1.6.3.1.1.5." + std::to_string(generic + 1));
  }
}

TEST(SnmpDecode, V2cTrap) {
  SnmpReceived got = shared_decoder().decode(kV2cLinkDown, kNow);
  ASSERT_EQ(got.outcome, SnmpOutcome::kNotification) << got.error;
  const SnmpNotification& n = *got.notification;
  EXPECT_EQ(n.version, SnmpVersion::kV2c);
  EXPECT_EQ(n.pdu_type, SnmpPduType::kTrapV2);
  EXPECT_EQ(format_oid(n.trap_oid), "1.3.6.1.6.3.1.1.5.3");
  EXPECT_EQ(n.uptime, 12345u);
  ASSERT_EQ(n.varbinds.size(), 6u);
  EXPECT_EQ(varbind(n, "1.3.6.1.2.1.2.2.1.8.3")->value.integer, 2);
  EXPECT_TRUE(got.reply.empty());
}

TEST(SnmpDecode, V2cInformGetsResponse) {
  SnmpReceived got = shared_decoder().decode(kV2cInform, kNow);
  ASSERT_EQ(got.outcome, SnmpOutcome::kNotification) << got.error;
  EXPECT_EQ(got.notification->pdu_type, SnmpPduType::kInformRequest);
  // The Response repeats community, request-id and varbinds: the same bytes
  // with the PDU tag 0xA6 turned into 0xA2 (net-snmp encodes minimally).
  std::string expected = kV2cInform;
  const size_t at = expected.find('\xa6');
  ASSERT_NE(at, std::string::npos);
  expected[at] = '\xa2';
  EXPECT_EQ(hex(got.reply), hex(expected));
  Message m;
  ASSERT_TRUE(snmp::decode_message(got.reply, &m).is_ok());
  EXPECT_EQ(m.version, 1);
  EXPECT_EQ(m.community, "public");
  EXPECT_EQ(m.pdu.type, SnmpPduType::kResponse);
  EXPECT_EQ(m.pdu.request_id, got.notification->request_id);
  EXPECT_EQ(m.pdu.error_status, 0);
  ASSERT_EQ(m.pdu.varbinds.size(), got.notification->varbinds.size());
  for (size_t i = 0; i < m.pdu.varbinds.size(); ++i) {
    EXPECT_EQ(m.pdu.varbinds[i].oid, got.notification->varbinds[i].oid);
    EXPECT_EQ(snmp::ber_value(m.pdu.varbinds[i].value),
              snmp::ber_value(got.notification->varbinds[i].value));
  }
}

TEST(SnmpDecode, WrongCommunityIsAuthFailureWithoutTheCommunity) {
  SnmpTrapDecoderConfig c;
  c.communities = {"s3cret-community"};
  auto d = make(c);
  for (const std::string* v : {&kV1LinkDown, &kV2cLinkDown, &kV2cInform}) {
    SnmpReceived got = d->decode(*v, kNow);
    EXPECT_EQ(got.outcome, SnmpOutcome::kAuthFailure);
    EXPECT_EQ(got.error.find("public"), std::string::npos) << got.error;
    EXPECT_EQ(got.error.find("s3cret"), std::string::npos) << got.error;
    EXPECT_TRUE(got.reply.empty());
  }
  EXPECT_EQ(d->decode(kV2cLinkDown, kNow).error,
            "snmp: unknown community in a SNMPv2c SNMPv2-Trap-PDU");
  c.communities = {};
  EXPECT_EQ(make(c)->decode(kV1LinkDown, kNow).outcome, SnmpOutcome::kAuthFailure);
}

TEST(SnmpDecode, RequestsAreUnsupportedAndWrongVersionPdusMalformed) {
  Pdu get;
  get.type = SnmpPduType::kGetRequest;
  get.request_id = 5;
  get.varbinds.push_back({oid("1.3.6.1.2.1.1.1.0"), {}});
  SnmpReceived got = shared_decoder().decode(
      snmp::encode_community_message(SnmpVersion::kV2c, "public", get), kNow);
  EXPECT_EQ(got.outcome, SnmpOutcome::kUnsupported);
  EXPECT_EQ(got.error, "snmp: SNMPv2c GetRequest-PDU ignored (not a notification)");
  Pdu trap2;
  trap2.type = SnmpPduType::kTrapV2;
  got = shared_decoder().decode(snmp::encode_community_message(SnmpVersion::kV1, "public", trap2),
                                kNow);
  EXPECT_EQ(got.outcome, SnmpOutcome::kMalformed);
  EXPECT_EQ(got.error, "snmp: SNMPv1 message carries a SNMPv2-Trap-PDU");
  // A v2 trap must start with sysUpTime.0 and snmpTrapOID.0.
  trap2.varbinds.push_back({oid("1.3.6.1.2.1.1.5.0"), {}});
  got = shared_decoder().decode(snmp::encode_community_message(SnmpVersion::kV2c, "public", trap2),
                                kNow);
  EXPECT_EQ(got.outcome, SnmpOutcome::kMalformed);
  EXPECT_EQ(got.error,
            "snmp: notification with 1 varbinds, expected sysUpTime.0 and snmpTrapOID.0 first");
  std::string v2 = kV2cLinkDown;
  v2[5] = 2;  // version 2 (SNMPv2u)
  EXPECT_EQ(shared_decoder().decode(v2, kNow).outcome, SnmpOutcome::kUnsupported);
  v2[5] = 9;
  EXPECT_EQ(shared_decoder().decode(v2, kNow).error, "snmp: unknown SNMP version 9 at byte 3");
}

TEST(SnmpDecode, TooManyVarbinds) {
  Pdu pdu;
  pdu.type = SnmpPduType::kTrapV2;
  SnmpValue ticks;
  ticks.type = SnmpValue::Type::kTimeTicks;
  ticks.tag = snmp::tag::kTimeTicks;
  pdu.varbinds.push_back({oid("1.3.6.1.2.1.1.3.0"), ticks});
  SnmpValue trap;
  trap.type = SnmpValue::Type::kOid;
  trap.tag = snmp::tag::kOid;
  trap.oid = oid("1.3.6.1.6.3.1.1.5.1");
  pdu.varbinds.push_back({oid("1.3.6.1.6.3.1.1.4.1.0"), trap});
  while (pdu.varbinds.size() < 1000) pdu.varbinds.push_back({oid("1.3.6.1.2.1.1.5.0"), {}});
  const std::string ok = snmp::encode_community_message(SnmpVersion::kV2c, "public", pdu);
  EXPECT_EQ(shared_decoder().decode(ok, kNow).outcome, SnmpOutcome::kNotification);
  pdu.varbinds.push_back({oid("1.3.6.1.2.1.1.5.0"), {}});
  SnmpReceived got = shared_decoder().decode(
      snmp::encode_community_message(SnmpVersion::kV2c, "public", pdu), kNow);
  EXPECT_EQ(got.outcome, SnmpOutcome::kMalformed);
  EXPECT_NE(got.error.find("more than 1000 varbinds at byte"), std::string::npos) << got.error;
}

// --- v3 ------------------------------------------------------------------------

struct V3Case {
  const std::string* datagram;
  const char* user;
  SnmpSecurityLevel level;
  const char* trap_oid;
};

TEST(SnmpDecode, V3TrapsOfEveryProtocol) {
  const V3Case cases[] = {
      {&kV3ShaAes, "alice", SnmpSecurityLevel::kAuthPriv, "1.3.6.1.6.3.1.1.5.3"},
      {&kV3Sha256Aes, "bob", SnmpSecurityLevel::kAuthPriv, "1.3.6.1.6.3.1.1.5.1"},
      {&kV3Sha512Aes256, "carol", SnmpSecurityLevel::kAuthPriv, "1.3.6.1.6.3.1.1.5.2"},
      {&kV3ShaAes192, "dave", SnmpSecurityLevel::kAuthPriv, "1.3.6.1.6.3.1.1.5.2"},
      {&kV3Md5Aes256, "erin", SnmpSecurityLevel::kAuthPriv, "1.3.6.1.6.3.1.1.5.2"},
      {&kV3Sha224AuthNoPriv, "frank", SnmpSecurityLevel::kAuthNoPriv, "1.3.6.1.6.3.1.1.5.5"},
      {&kV3Sha384Aes, "grace", SnmpSecurityLevel::kAuthPriv, "1.3.6.1.6.3.1.1.5.2"},
      {&kV3Md5AuthNoPriv, "heidi", SnmpSecurityLevel::kAuthNoPriv, "1.3.6.1.6.3.1.1.5.2"},
      {&kV3NoAuth, "ivan", SnmpSecurityLevel::kNoAuthNoPriv, "1.3.6.1.6.3.1.1.5.2"},
  };
  for (const V3Case& c : cases) {
    SnmpReceived got = fresh_decoder()->decode(*c.datagram, kNow);
    ASSERT_EQ(got.outcome, SnmpOutcome::kNotification) << c.user << ": " << got.error;
    const SnmpNotification& n = *got.notification;
    EXPECT_EQ(n.version, SnmpVersion::kV3);
    EXPECT_EQ(n.user, c.user);
    EXPECT_EQ(n.security_level, c.level) << c.user;
    EXPECT_EQ(n.engine_id, kV3EngineId);
    EXPECT_FALSE(n.context_engine_id.empty());  // net-snmp's own engine ID, not -e's
    EXPECT_EQ(format_oid(n.trap_oid), c.trap_oid) << c.user;
    EXPECT_EQ(n.uptime, 12345u);
    EXPECT_TRUE(got.reply.empty());
  }
  // These captures share one engine ID but were made minutes apart: alice's,
  // the oldest, is now more than 150 s behind that engine's clock (a replay).
  auto d = fresh_decoder();
  for (const V3Case& c : cases) (void)d->decode(*c.datagram, kNow);
  SnmpReceived replayed = d->decode(kV3ShaAes, kNow);
  EXPECT_EQ(replayed.outcome, SnmpOutcome::kAuthFailure);
  EXPECT_NE(replayed.error.find("a replay?"), std::string::npos) << replayed.error;
  SnmpReceived alice = fresh_decoder()->decode(kV3ShaAes, kNow);
  ASSERT_EQ(alice.outcome, SnmpOutcome::kNotification) << alice.error;
  EXPECT_EQ(varbind(*alice.notification, "1.3.6.1.2.1.2.2.1.2.3")->value.bytes, "Gi0/3");
}

TEST(SnmpDecode, V3UnknownUser) {
  SnmpTrapDecoderConfig c = full_config();
  c.users.erase(c.users.begin());  // no alice
  auto d = make(c);
  SnmpReceived got = d->decode(kV3ShaAes, kNow);
  EXPECT_EQ(got.outcome, SnmpOutcome::kAuthFailure);
  EXPECT_EQ(got.error, "snmp: unknown user \"alice\" for engine 80001f888001020304");
  EXPECT_EQ(d->stats().unknown_user_names, 1u);
}

TEST(SnmpDecode, V3UserBoundToAnEngine) {
  SnmpTrapDecoderConfig c;
  c.users = {user("alice", SnmpAuthProtocol::kSha1, SnmpPrivProtocol::kAes128)};
  c.users[0].engine_id = kV3EngineId;
  EXPECT_EQ(make(c)->decode(kV3ShaAes, kNow).outcome, SnmpOutcome::kNotification);
  c.users[0].engine_id = unhex("80001f8880aaaaaaaa");
  EXPECT_EQ(make(c)->decode(kV3ShaAes, kNow).outcome, SnmpOutcome::kAuthFailure);
}

TEST(SnmpDecode, V3WrongAuthKeyIsAuthFailureWithoutSecrets) {
  SnmpTrapDecoderConfig c = full_config();
  c.users[0].auth_passphrase = "not-alices-password";
  auto d = make(c);
  SnmpReceived got = d->decode(kV3ShaAes, kNow);
  EXPECT_EQ(got.outcome, SnmpOutcome::kAuthFailure);
  EXPECT_EQ(got.error,
            "snmp: wrong digest from user \"alice\" (SHA, 12-byte msgAuthenticationParameters)");
  EXPECT_EQ(d->stats().wrong_digests, 1u);
  // A flipped bit anywhere in an authenticated message breaks the digest.
  std::string flipped = kV3Md5AuthNoPriv;
  flipped[flipped.size() - 1] ^= 1;
  EXPECT_EQ(shared_decoder().decode(flipped, kNow).outcome, SnmpOutcome::kAuthFailure);
}

TEST(SnmpDecode, V3WrongPrivKeyIsAuthFailureWithoutSecrets) {
  for (size_t i :
       {size_t{0}, size_t{2}, size_t{3}}) {  // alice AES-128, carol AES-256, dave AES-192
    SnmpTrapDecoderConfig c = full_config();
    c.users[i].priv_passphrase = "wrong-priv-passphrase";
    auto d = make(c);
    const std::string* v = i == 0 ? &kV3ShaAes : i == 2 ? &kV3Sha512Aes256 : &kV3ShaAes192;
    SnmpReceived got = d->decode(*v, kNow);
    EXPECT_EQ(got.outcome, SnmpOutcome::kAuthFailure) << i;
    EXPECT_EQ(got.error.rfind("snmp: cannot decrypt the scopedPDU from user", 0), 0u) << got.error;
    for (const SnmpUser& u : c.users) {
      if (!u.auth_passphrase.empty()) {
        EXPECT_EQ(got.error.find(u.auth_passphrase), std::string::npos);
      }
      if (!u.priv_passphrase.empty()) {
        EXPECT_EQ(got.error.find(u.priv_passphrase), std::string::npos);
      }
    }
    EXPECT_EQ(got.error.find("wrong-priv"), std::string::npos);
    EXPECT_EQ(d->stats().decryption_errors, 1u);
  }
}

TEST(SnmpDecode, V3SecurityLevelMustMatchTheUser) {
  SnmpTrapDecoderConfig c = full_config();
  c.users[7].priv = SnmpPrivProtocol::kAes128;  // heidi now authPriv; her trap is authNoPriv
  c.users[7].priv_passphrase = "heidi-priv-pass";
  auto d = make(c);
  SnmpReceived got = d->decode(kV3Md5AuthNoPriv, kNow);
  EXPECT_EQ(got.outcome, SnmpOutcome::kAuthFailure);
  EXPECT_EQ(got.error, "snmp: user \"heidi\" sent authNoPriv, configured for authPriv");
}

TEST(SnmpDecode, V3EngineIdDiscoveryReport) {
  auto d = make(full_config());
  SnmpReceived got = d->decode(kV3InformProbe, kAliceInformAt);
  ASSERT_EQ(got.outcome, SnmpOutcome::kReport) << got.error;
  Message probe;
  ASSERT_TRUE(snmp::decode_message(kV3InformProbe, &probe).is_ok());
  EXPECT_EQ(probe.flags, snmp::kFlagReportable);
  EXPECT_TRUE(probe.engine_id.empty());

  Message m;
  ASSERT_TRUE(snmp::decode_message(got.reply, &m).is_ok());
  EXPECT_EQ(m.version, 3);
  EXPECT_EQ(m.msg_id, probe.msg_id);
  EXPECT_EQ(m.flags, 0);  // noAuthNoPriv, not reportable
  EXPECT_EQ(m.security_model, 3);
  EXPECT_EQ(m.engine_id, kLocalEngineId);
  EXPECT_EQ(m.boots, 7u);
  EXPECT_EQ(m.time, 5000u);
  EXPECT_EQ(m.user, "");
  snmp::ScopedPdu sp;
  std::string plain;
  Status why;
  ASSERT_EQ(snmp::open_scoped_pdu(got.reply, m, "", &plain, &sp, &why), snmp::OpenError::kNone)
      << why.message();
  EXPECT_EQ(sp.context_engine_id, kLocalEngineId);
  EXPECT_EQ(sp.context_name, "");
  EXPECT_EQ(sp.pdu.type, SnmpPduType::kReport);
  snmp::ScopedPdu probe_pdu;
  ASSERT_TRUE(
      snmp::decode_scoped_pdu(probe.scoped_pdu, kV3InformProbe, "", false, &probe_pdu).is_ok());
  EXPECT_EQ(sp.pdu.request_id, probe_pdu.pdu.request_id);
  ASSERT_EQ(sp.pdu.varbinds.size(), 1u);
  EXPECT_EQ(format_oid(sp.pdu.varbinds[0].oid),
            "1.3.6.1.6.3.15.1.1.4.0");  // usmStatsUnknownEngineIDs.0
  EXPECT_EQ(sp.pdu.varbinds[0].value.type, SnmpValue::Type::kCounter32);
  EXPECT_EQ(sp.pdu.varbinds[0].value.number, 1u);
  EXPECT_EQ(d->stats().unknown_engine_ids, 1u);
  // No local engine: no discovery.
  SnmpTrapDecoderConfig c = full_config();
  c.local_engine.engine_id.clear();
  EXPECT_EQ(make(c)->decode(kV3InformProbe, kNow).outcome, SnmpOutcome::kUnsupported);
}

// Reads a v3 reply as the sender (user `u`) would: digest, decryption.
snmp::ScopedPdu open_reply(const std::string& reply, const SnmpUser& u, Message* m) {
  snmp::ScopedPdu sp;
  EXPECT_TRUE(snmp::decode_message(reply, m).is_ok());
  const std::string auth_key =
      snmp::localize_key(u.auth, snmp::password_to_key(u.auth, u.auth_passphrase), kLocalEngineId);
  EXPECT_TRUE(snmp::verify_digest(reply, *m, u.auth, auth_key));
  std::string priv_key;
  if (u.priv != SnmpPrivProtocol::kNone) {
    priv_key = snmp::priv_key_for(
        u.auth, u.priv,
        snmp::localize_key(u.auth, snmp::password_to_key(u.auth, u.priv_passphrase),
                           kLocalEngineId));
  }
  static std::string plain;
  Status why;
  EXPECT_EQ(snmp::open_scoped_pdu(reply, *m, priv_key, &plain, &sp, &why), snmp::OpenError::kNone)
      << why.message();
  return sp;
}

TEST(SnmpDecode, V3InformResponseAuthPriv) {
  SnmpReceived got = shared_decoder().decode(kV3InformAlice, kAliceInformAt);
  ASSERT_EQ(got.outcome, SnmpOutcome::kNotification) << got.error;
  const SnmpNotification& n = *got.notification;
  EXPECT_EQ(n.pdu_type, SnmpPduType::kInformRequest);
  EXPECT_EQ(n.user, "alice");
  EXPECT_EQ(n.engine_id, kLocalEngineId);
  EXPECT_EQ(format_oid(n.trap_oid), "1.3.6.1.6.3.1.1.5.3");
  ASSERT_FALSE(got.reply.empty());
  Message in;
  ASSERT_TRUE(snmp::decode_message(kV3InformAlice, &in).is_ok());
  Message m;
  snmp::ScopedPdu sp = open_reply(got.reply, full_config().users[0], &m);
  EXPECT_EQ(m.msg_id, in.msg_id);
  EXPECT_EQ(m.flags, snmp::kFlagAuth | snmp::kFlagPriv);
  EXPECT_EQ(m.engine_id, kLocalEngineId);
  EXPECT_EQ(m.user, "alice");
  EXPECT_EQ(m.boots, 7u);
  EXPECT_EQ(m.time, 5000u);
  EXPECT_EQ(sp.context_engine_id, n.context_engine_id);
  EXPECT_EQ(sp.context_name, n.context_name);
  EXPECT_EQ(sp.pdu.type, SnmpPduType::kResponse);
  EXPECT_EQ(sp.pdu.request_id, n.request_id);
  ASSERT_EQ(sp.pdu.varbinds.size(), n.varbinds.size());
  for (size_t i = 0; i < n.varbinds.size(); ++i) {
    EXPECT_EQ(snmp::ber_value(sp.pdu.varbinds[i].value), snmp::ber_value(n.varbinds[i].value));
  }
  // Each encrypted reply gets a new salt.
  SnmpReceived again = shared_decoder().decode(kV3InformAlice, kAliceInformAt);
  Message m2;
  ASSERT_TRUE(snmp::decode_message(again.reply, &m2).is_ok());
  EXPECT_NE(hex(m2.priv_params), hex(m.priv_params));
}

TEST(SnmpDecode, V3InformResponseAuthNoPriv) {
  SnmpReceived got = shared_decoder().decode(kV3InformHeidi, kHeidiInformAt);
  ASSERT_EQ(got.outcome, SnmpOutcome::kNotification) << got.error;
  Message m;
  snmp::ScopedPdu sp = open_reply(got.reply, full_config().users[7], &m);
  EXPECT_EQ(m.flags, snmp::kFlagAuth);
  EXPECT_EQ(sp.pdu.type, SnmpPduType::kResponse);
  EXPECT_EQ(sp.pdu.request_id, got.notification->request_id);
}

TEST(SnmpDecode, V3InformOutsideTheTimeWindowGetsReport) {
  auto d = make(full_config());
  // 150 s off is still in the window; 151 s is not.
  EXPECT_EQ(d->decode(kV3InformAlice, kAliceInformAt + std::chrono::seconds(150)).outcome,
            SnmpOutcome::kNotification);
  SnmpReceived got = d->decode(kV3InformAlice, kAliceInformAt + std::chrono::seconds(151));
  ASSERT_EQ(got.outcome, SnmpOutcome::kReport) << got.error;
  Message m;
  snmp::ScopedPdu sp = open_reply(got.reply, full_config().users[0], &m);
  EXPECT_EQ(m.flags, snmp::kFlagAuth);  // authNoPriv, as RFC 3414 and net-snmp do
  EXPECT_EQ(m.time, 5151u);
  EXPECT_EQ(sp.pdu.type, SnmpPduType::kReport);
  ASSERT_EQ(sp.pdu.varbinds.size(), 1u);
  EXPECT_EQ(format_oid(sp.pdu.varbinds[0].oid),
            "1.3.6.1.6.3.15.1.1.2.0");  // usmStatsNotInTimeWindows.0
  EXPECT_EQ(sp.pdu.varbinds[0].value.number, 1u);
  // Another boot count is outside the window too.
  SnmpTrapDecoderConfig c = full_config();
  c.local_engine.boots = 8;
  EXPECT_EQ(make(c)->decode(kV3InformAlice, kAliceInformAt).outcome, SnmpOutcome::kReport);
}

TEST(SnmpDecode, V3InformWrongKeysNoReport) {
  SnmpTrapDecoderConfig c = full_config();
  c.users[0].auth_passphrase = "another-auth-pass";
  SnmpReceived got = make(c)->decode(kV3InformAlice, kAliceInformAt);
  EXPECT_EQ(got.outcome, SnmpOutcome::kAuthFailure);
  EXPECT_TRUE(got.reply.empty());
}

// --- hostile input -------------------------------------------------------------

TEST(SnmpDecode, EveryTruncationIsMalformed) {
  for (const auto& [name, v] : all_vectors()) {
    for (size_t n = 0; n < v->size(); ++n) {
      SnmpReceived got = shared_decoder().decode(std::string_view(*v).substr(0, n), kNow);
      EXPECT_EQ(got.outcome, SnmpOutcome::kMalformed)
          << name << " cut at " << n << ": " << got.error;
      EXPECT_FALSE(got.notification.has_value());
      EXPECT_TRUE(got.reply.empty());
      EXPECT_NE(got.error.find(" at byte "), std::string::npos) << got.error;
    }
  }
}

TEST(SnmpDecode, EveryByteFlippedNeverCrashes) {
  size_t notifications = 0;
  for (const auto& [name, v] : all_vectors()) {
    for (size_t i = 0; i < v->size(); ++i) {
      for (unsigned char x : {0x01, 0x80, 0xff}) {
        std::string d = *v;
        d[i] = static_cast<char>(d[i] ^ x);
        SnmpReceived got = shared_decoder().decode(d, kAliceInformAt);
        if (got.outcome == SnmpOutcome::kNotification) {
          ++notifications;
          EXPECT_TRUE(got.notification.has_value());
          (void)snmp_to_event(*got.notification, *SnmpNames::builtin(), "192.0.2.1", kNow);
        } else {
          EXPECT_FALSE(got.error.empty()) << name << " byte " << i;
        }
      }
    }
  }
  EXPECT_GT(notifications, 0u);  // flips in unauthenticated values still decode
}

TEST(SnmpDecode, HostileLengthsAndTrailingBytes) {
  const SnmpTrapDecoder& d = shared_decoder();
  EXPECT_EQ(d.decode(unhex("3084ffffffff"), kNow).error,
            "snmp: truncated message (length 4294967295, 0 bytes left) at byte 0");
  EXPECT_EQ(d.decode(unhex("3080020100"), kNow).error,
            "snmp: indefinite length in message at byte 0");
  EXPECT_EQ(d.decode("", kNow).error, "snmp: missing message at byte 0");
  std::string trailing = kV2cLinkDown + "x";
  EXPECT_EQ(d.decode(trailing, kNow).error, "snmp: 1 trailing bytes after the message at byte 143");
  // The community claims more than the message holds.
  std::string lie = kV1EnterpriseSpecific;
  lie[6] = 0x7f;
  SnmpReceived got = d.decode(lie, kNow);
  EXPECT_EQ(got.outcome, SnmpOutcome::kMalformed);
  EXPECT_EQ(got.error, "snmp: truncated community (length 127, 66 bytes left) at byte 5");
  EXPECT_EQ(d.decode(std::string(70000, '0'), kNow).error,
            "snmp: datagram of 70000 bytes (at most 65535)");
}

TEST(SnmpDecode, OverlongIntegersAndOids) {
  const SnmpTrapDecoder& d = shared_decoder();
  // A v2c trap whose request-id has 9 octets.
  SnmpReceived got = d.decode(unhex("3020020101040670756"
                                    "26c6963a7130209010000000000000000020100020100"
                                    "3000"),
                              kNow);
  EXPECT_EQ(got.outcome, SnmpOutcome::kMalformed);
  EXPECT_EQ(got.error, "snmp: INTEGER of more than 64 bits in request-id at byte 15");
  // A varbind OID with a sub-identifier of 2^32.
  got = d.decode(unhex("3024020101040670756"
                       "26c6963a717020101020100020100300c300a06062b90808080000500"),
                 kNow);
  EXPECT_EQ(got.outcome, SnmpOutcome::kMalformed);
  EXPECT_EQ(got.error, "snmp: sub-identifier of more than 32 bits in OID at byte 28");
}

// --- keys ----------------------------------------------------------------------

TEST(SnmpUsm, Rfc3414PasswordToKeyVectors) {
  const std::string engine = unhex("000000000000000000000002");
  const std::string md5 = snmp::password_to_key(SnmpAuthProtocol::kMd5, "maplesyrup");
  EXPECT_EQ(hex(md5), "9faf3283884e92834ebc9847d8edd963");
  EXPECT_EQ(hex(snmp::localize_key(SnmpAuthProtocol::kMd5, md5, engine)),
            "526f5eed9fcce26f8964c2930787d82b");
  const std::string sha = snmp::password_to_key(SnmpAuthProtocol::kSha1, "maplesyrup");
  EXPECT_EQ(hex(sha), "9fb5cc0381497b3793528939ff788d5d79145211");
  EXPECT_EQ(hex(snmp::localize_key(SnmpAuthProtocol::kSha1, sha, engine)),
            "6695febc9288e36282235fc7151f128497b38f3f");
}

TEST(SnmpUsm, KeyAndDigestLengths) {
  EXPECT_EQ(snmp::auth_digest_length(SnmpAuthProtocol::kMd5), 12u);
  EXPECT_EQ(snmp::auth_digest_length(SnmpAuthProtocol::kSha1), 12u);
  EXPECT_EQ(snmp::auth_digest_length(SnmpAuthProtocol::kSha224), 16u);
  EXPECT_EQ(snmp::auth_digest_length(SnmpAuthProtocol::kSha256), 24u);
  EXPECT_EQ(snmp::auth_digest_length(SnmpAuthProtocol::kSha384), 32u);
  EXPECT_EQ(snmp::auth_digest_length(SnmpAuthProtocol::kSha512), 48u);
  // AES-256 from an MD5 key: 16 octets, extended by H(Kul).
  const std::string kul(16, 'k');
  const std::string k = snmp::priv_key_for(SnmpAuthProtocol::kMd5, SnmpPrivProtocol::kAes256, kul);
  ASSERT_EQ(k.size(), 32u);
  EXPECT_EQ(k.substr(0, 16), kul);
  EXPECT_EQ(
      snmp::priv_key_for(SnmpAuthProtocol::kSha512, SnmpPrivProtocol::kAes128, std::string(64, 'x'))
          .size(),
      16u);
}

TEST(SnmpConfig, ValidationMessages) {
  auto err = [](SnmpTrapDecoderConfig c) {
    auto d = SnmpTrapDecoder::create(std::move(c));
    return d ? std::string("ok") : d.error().message();
  };
  SnmpTrapDecoderConfig c;
  c.users = {user("alice", SnmpAuthProtocol::kSha1, SnmpPrivProtocol::kAes128)};
  c.users[0].auth_passphrase = "short";
  EXPECT_EQ(err(c), "snmp: users[0] \"alice\": the auth passphrase must be 8 to 1024 characters");
  c.users = {user("bob", SnmpAuthProtocol::kNone, SnmpPrivProtocol::kNone)};
  c.users[0].priv = SnmpPrivProtocol::kAes128;
  c.users[0].priv_passphrase = "bob-priv-pass";
  EXPECT_EQ(err(c), "snmp: users[0] \"bob\": privacy needs an auth protocol");
  c.users = {user("carol", SnmpAuthProtocol::kMd5, SnmpPrivProtocol::kNone),
             user("carol", SnmpAuthProtocol::kSha1, SnmpPrivProtocol::kNone)};
  EXPECT_EQ(err(c), "snmp: users[1] \"carol\": defined twice for the same engine ID");
  c.users = {user("dave", SnmpAuthProtocol::kMd5, SnmpPrivProtocol::kNone)};
  c.users[0].engine_id = "abc";
  EXPECT_EQ(err(c), "snmp: users[0] \"dave\": the engine ID must be 5 to 32 bytes");
  c.users = {};
  c.communities = {"public", ""};
  EXPECT_EQ(err(c), "snmp: communities[1] is empty");
  c.communities = {};
  c.local_engine.engine_id = "1234";
  EXPECT_EQ(err(c), "snmp: the local engine ID must be 5 to 32 bytes, not 4");
  EXPECT_EQ(SnmpTrapDecoderConfig().communities, std::vector<std::string>{"public"});
}

TEST(SnmpConfig, ParseNames) {
  EXPECT_EQ(*parse_snmp_auth_protocol("SHA"), SnmpAuthProtocol::kSha1);
  EXPECT_EQ(*parse_snmp_auth_protocol("sha-512"), SnmpAuthProtocol::kSha512);
  EXPECT_EQ(*parse_snmp_priv_protocol("AES256"), SnmpPrivProtocol::kAes256);
  EXPECT_EQ(*parse_snmp_priv_protocol("AES-192"), SnmpPrivProtocol::kAes192);
  EXPECT_EQ(parse_snmp_priv_protocol("DES").error().message(),
            "snmp: priv protocol \"DES\" is not supported (use AES)");
  EXPECT_EQ(hex(*parse_snmp_engine_id("0x80001F8880aabbccdd")), "80001f8880aabbccdd");
  EXPECT_EQ(hex(*parse_snmp_engine_id("80:00:1f:88:04")), "80001f8804");
  EXPECT_EQ(parse_snmp_engine_id("0x8000").error().message(),
            "snmp: invalid engine ID \"0x8000\": must be 5 to 32 bytes");
  EXPECT_EQ(parse_snmp_engine_id("zz").error().message(),
            "snmp: invalid engine ID \"zz\": not hex");
  EXPECT_EQ(parse_oid("1..3").error().message(), "snmp: invalid OID \"1..3\"");
  EXPECT_EQ(format_oid(oid(".1.3.6")), "1.3.6");
}

// --- names ---------------------------------------------------------------------

TEST(SnmpNamesTest, BuiltinTableIsConsistent) {
  std::set<std::string> oids;
  for (const snmp::BuiltinName& row : snmp::builtin_names()) {
    Result<SnmpOid> o = parse_oid(row.oid);
    ASSERT_TRUE(o.has_value()) << row.name;
    EXPECT_TRUE(oids.insert(row.oid).second) << "duplicate OID " << row.oid;
  }
  EXPECT_EQ(SnmpNames::builtin()->size(), snmp::builtin_names().size());
}

TEST(SnmpNamesTest, LongestPrefixAndRendering) {
  const SnmpNames& names = *SnmpNames::builtin();
  auto m = names.lookup(oid("1.3.6.1.2.1.2.2.1.1.3"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->entry->name, "ifIndex");
  EXPECT_EQ(m->entry->module, "IF-MIB");
  EXPECT_EQ(m->length, 10u);
  EXPECT_EQ(names.render_oid(oid("1.3.6.1.2.1.2.2.1.1.3")), "IF-MIB::ifIndex.3");
  EXPECT_EQ(names.render_oid(oid("1.3.6.1.6.3.1.1.5.3")), "IF-MIB::linkDown");
  EXPECT_EQ(names.render_oid(oid("1.3.6.1.2.1.33.1.6.3.2")), "UPS-MIB::upsAlarmOnBattery");
  EXPECT_EQ(names.render_oid(oid("1.3.6.1.4.1.99999.1")), "1.3.6.1.4.1.99999.1");
  // Below a notification or an identity is not an instance.
  EXPECT_EQ(names.render_oid(oid("1.3.6.1.6.3.1.1.5.3.7")), "1.3.6.1.6.3.1.1.5.3.7");
  const SnmpNames::Entry* oper = names.find(oid("1.3.6.1.2.1.2.2.1.8"));
  ASSERT_NE(oper, nullptr);
  EXPECT_EQ(*oper->enum_name(2), "down");
  EXPECT_EQ(*oper->enum_name(7), "lowerLayerDown");
  EXPECT_EQ(oper->enum_name(99), nullptr);
  const std::pair<const char*, const char*> spot_checks[] = {
      {"1.3.6.1.6.3.1.1.5.1", "SNMPv2-MIB::coldStart"},
      {"1.3.6.1.6.3.1.1.5.5", "SNMPv2-MIB::authenticationFailure"},
      {"1.3.6.1.6.3.1.1.4.3", "SNMPv2-MIB::snmpTrapEnterprise"},
      {"1.3.6.1.6.3.18.1.3", "SNMP-COMMUNITY-MIB::snmpTrapAddress"},
      {"1.3.6.1.2.1.31.1.1.1.18", "IF-MIB::ifAlias"},
      {"1.3.6.1.2.1.33.2.1", "UPS-MIB::upsTrapOnBattery"},
      {"1.3.6.1.2.1.33.1.2.3", "UPS-MIB::upsEstimatedMinutesRemaining"},
      {"1.3.6.1.2.1.47.2.0.1", "ENTITY-MIB::entConfigChange"},
      {"1.3.6.1.2.1.15.7.2", "BGP4-MIB::bgpBackwardTransition"},
      {"1.3.6.1.2.1.15.3.1.7", "BGP4-MIB::bgpPeerRemoteAddr"},
      {"1.3.6.1.2.1.14.16.2.2", "OSPF-TRAP-MIB::ospfNbrStateChange"},
      {"1.3.6.1.2.1.88.2.0.1", "DISMAN-EVENT-MIB::mteTriggerFired"},
      {"1.3.6.1.6.3.10.2.1.1", "SNMP-FRAMEWORK-MIB::snmpEngineID"},
      {"1.3.6.1.6.3.15.1.1.4", "SNMP-USER-BASED-SM-MIB::usmStatsUnknownEngineIDs"},
  };
  for (const auto& [o, name] : spot_checks) EXPECT_EQ(names.render_oid(oid(o)), name);
}

TEST(SnmpNamesTest, MibDirectoriesAddNamesBuiltinsWin) {
  std::vector<std::string> warnings;
  auto loaded = SnmpNames::load({TICKETD_SOURCE_DIR "/tests/testdata/mibs"}, &warnings);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  const SnmpNames& names = **loaded;
  EXPECT_EQ(names.render_oid(oid("1.3.6.1.4.1.99999.0.1")), "ACME-TRAP-MIB::acmeFanFailure");
  EXPECT_EQ(names.render_oid(oid("1.3.6.1.4.1.99999.1.2.0")), "ACME-TRAP-MIB::acmeFanState.0");
  const SnmpNames::Entry* state = names.find(oid("1.3.6.1.4.1.99999.1.2"));
  ASSERT_NE(state, nullptr);
  EXPECT_EQ(state->kind, SnmpNames::Kind::kObject);
  EXPECT_EQ(*state->enum_name(3), "failed");
  // The test MIB also names ifIndex's OID: the built-in name stays.
  EXPECT_EQ(names.render_oid(oid("1.3.6.1.2.1.2.2.1.1.4")), "IF-MIB::ifIndex.4");
  EXPECT_GT(names.size(), SnmpNames::builtin()->size());
  // Loading again (a reload) gives the same table.
  auto again = SnmpNames::load({TICKETD_SOURCE_DIR "/tests/testdata/mibs"}, nullptr);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ((*again)->size(), names.size());
  EXPECT_EQ(SnmpNames::load({"/nonexistent-mib-dir"}, nullptr).error().message(),
            "snmp: MIB directory \"/nonexistent-mib-dir\": No such file or directory");
}

// --- normalization -------------------------------------------------------------

TEST(SnmpEvent, V2cLinkDown) {
  SnmpReceived got = shared_decoder().decode(kV2cLinkDown, kNow);
  ASSERT_TRUE(got.notification.has_value());
  Event e = snmp_to_event(*got.notification, *SnmpNames::builtin(), "192.0.2.55", kNow);
  EXPECT_EQ(e.source, "snmp");
  EXPECT_EQ(e.host, "192.0.2.55");
  EXPECT_EQ(e.time, kNow);
  EXPECT_EQ(e.trap_oid, "IF-MIB::linkDown");
  EXPECT_EQ(e.severity, Severity::kWarning);
  EXPECT_EQ(e.message,
            "IF-MIB::linkDown ifIndex=3 ifAdminStatus=up ifOperStatus=down ifDescr=Gi0/3");
  EXPECT_EQ(label(e, "ifIndex"), "3");
  EXPECT_EQ(label(e, "ifDescr"), "Gi0/3");
  EXPECT_EQ(label(e, "ifAdminStatus"), "up");
  EXPECT_EQ(label(e, "ifOperStatus"), "down");
  EXPECT_EQ(label(e, "1.3.6.1.2.1.2.2.1.8.3"), "2");
  EXPECT_EQ(label(e, "1.3.6.1.2.1.2.2.1.2.3"), "Gi0/3");
  EXPECT_EQ(label(e, "sysUpTime"), "12345");
  EXPECT_EQ(label(e, "uptime"), "0:02:03.45");
  EXPECT_EQ(label(e, "trap_oid_numeric"), "1.3.6.1.6.3.1.1.5.3");
  EXPECT_EQ(label(e, "snmp_version"), "2c");
  EXPECT_EQ(label(e, "snmp_pdu"), "trap");
  EXPECT_EQ(label(e, "peer"), "192.0.2.55");
  EXPECT_EQ(label(e, "snmpTrapOID"), "<none>");
  for (const auto& [k, v] : e.labels) {
    EXPECT_NE(v, "public") << k;  // the community is never a label
    EXPECT_EQ(k.find("ommunity"), std::string::npos) << k;
  }
  // Rules address the fields as DESIGN.md shows.
  EXPECT_EQ(e.field("labels.ifAdminStatus"), "up");
  EXPECT_EQ(e.field("trap_oid"), "IF-MIB::linkDown");
}

TEST(SnmpEvent, V1UsesAgentAddressAndMapsGenericTrap) {
  SnmpReceived got = shared_decoder().decode(kV1LinkDown, kNow);
  Event e = snmp_to_event(*got.notification, *SnmpNames::builtin(), "198.51.100.1", kNow);
  EXPECT_EQ(e.host, "192.0.2.7");
  EXPECT_EQ(e.trap_oid, "IF-MIB::linkDown");
  EXPECT_EQ(label(e, "snmpTrapAddress"), "192.0.2.7");
  EXPECT_EQ(label(e, "snmpTrapEnterprise"), "1.3.6.1.4.1.8072.3.2.10");
  EXPECT_EQ(label(e, "snmp_version"), "1");
  EXPECT_EQ(label(e, "snmp_generic_trap"), "2");
  EXPECT_EQ(e.message, "IF-MIB::linkDown ifIndex=3 ifDescr=Gi0/3");
  got = shared_decoder().decode(kV1EnterpriseSpecific, kNow);
  e = snmp_to_event(*got.notification, *SnmpNames::builtin(), "198.51.100.1", kNow);
  EXPECT_EQ(e.trap_oid, "1.3.6.1.4.1.8072.2.3.0.17");
  EXPECT_EQ(e.severity, Severity::kInfo);
  EXPECT_EQ(e.message, "1.3.6.1.4.1.8072.2.3.0.17 1.3.6.1.4.1.8072.2.3.2.1=\"hello world\"");
  EXPECT_EQ(label(e, "1.3.6.1.4.1.8072.2.3.2.1"), "hello world");
}

TEST(SnmpEvent, UpsTrapHostFromSysName) {
  SnmpReceived got = shared_decoder().decode(kV2cUpsOnBattery, kNow);
  Event e = snmp_to_event(*got.notification, *SnmpNames::builtin(), "192.0.2.9", kNow);
  EXPECT_EQ(e.host, "ups1.example.net");
  EXPECT_EQ(e.trap_oid, "UPS-MIB::upsTrapOnBattery");
  EXPECT_EQ(e.severity, Severity::kCritical);
  EXPECT_EQ(label(e, "upsEstimatedMinutesRemaining"), "42");
  EXPECT_EQ(label(e, "upsSecondsOnBattery"), "65");
  EXPECT_EQ(label(e, "upsConfigLowBattTime"), "2");
  EXPECT_EQ(label(e, "uptime"), "1:00:00.00");
}

TEST(SnmpEvent, V3Labels) {
  SnmpReceived got = shared_decoder().decode(kV3ShaAes, kNow);
  Event e = snmp_to_event(*got.notification, *SnmpNames::builtin(), "192.0.2.10", kNow);
  EXPECT_EQ(label(e, "user"), "alice");
  EXPECT_EQ(label(e, "snmp_version"), "3");
  EXPECT_EQ(label(e, "snmp_security_level"), "authPriv");
  EXPECT_EQ(label(e, "snmp_engine_id"), "80001f888001020304");
  EXPECT_EQ(e.trap_oid, "IF-MIB::linkDown");
  got = shared_decoder().decode(kV3Sha224AuthNoPriv, kNow);
  e = snmp_to_event(*got.notification, *SnmpNames::builtin(), "192.0.2.10", kNow);
  EXPECT_EQ(e.trap_oid, "SNMPv2-MIB::authenticationFailure");
  EXPECT_EQ(e.severity, Severity::kNotice);
}

TEST(SnmpEvent, ValueRendering) {
  const SnmpNames& names = *SnmpNames::builtin();
  SnmpValue v;
  v.type = SnmpValue::Type::kOctetString;
  v.bytes = unhex("0a1bff");
  EXPECT_EQ(snmp_value_text(v, nullptr, &names), "0a:1b:ff");
  v.bytes = "caf\xc3\xa9";
  EXPECT_EQ(snmp_value_text(v, nullptr, &names), "caf\xc3\xa9");
  v.bytes = std::string("text\0\0", 6);
  EXPECT_EQ(snmp_value_text(v, nullptr, &names), "text");
  v.bytes = "\xc0\xaf";  // overlong UTF-8
  EXPECT_EQ(snmp_value_text(v, nullptr, &names), "c0:af");
  v.type = SnmpValue::Type::kIpAddress;
  v.bytes = unhex("c0000201");
  EXPECT_EQ(snmp_value_text(v, nullptr, &names), "192.0.2.1");
  v.type = SnmpValue::Type::kOid;
  v.oid = oid("1.3.6.1.2.1.33.1.6.3.3");
  EXPECT_EQ(snmp_value_text(v, nullptr, &names), "UPS-MIB::upsAlarmLowBattery");
  EXPECT_EQ(snmp_value_text(v, nullptr, nullptr), "1.3.6.1.2.1.33.1.6.3.3");
  v.type = SnmpValue::Type::kCounter64;
  v.number = UINT64_MAX;
  EXPECT_EQ(snmp_value_text(v, nullptr, &names), "18446744073709551615");
  v.type = SnmpValue::Type::kInteger;
  v.integer = -5;
  EXPECT_EQ(snmp_value_text(v, nullptr, &names), "-5");
  v.type = SnmpValue::Type::kNoSuchInstance;
  EXPECT_EQ(snmp_value_text(v, nullptr, &names), "");
  v.type = SnmpValue::Type::kOctetString;
  v.bytes = std::string(5000, 'a');
  EXPECT_EQ(snmp_value_text(v, nullptr, &names).size(), 1024u);
}

TEST(SnmpEvent, DefaultSeverities) {
  EXPECT_EQ(snmp_default_severity(oid("1.3.6.1.6.3.1.1.5.1")), Severity::kNotice);  // coldStart
  EXPECT_EQ(snmp_default_severity(oid("1.3.6.1.6.3.1.1.5.4")), Severity::kInfo);    // linkUp
  EXPECT_EQ(snmp_default_severity(oid("1.3.6.1.2.1.15.0.2")), Severity::kError);    // BGP down
  EXPECT_EQ(snmp_default_severity(oid("1.3.6.1.4.1.99999.0.1")), Severity::kInfo);  // unknown
}

}  // namespace
}  // namespace ticketd::ingest
