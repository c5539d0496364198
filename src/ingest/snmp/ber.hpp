// BER for SNMP: a strict reader of untrusted datagrams and a small writer for
// the messages ticketd sends back (inform Responses, v3 Reports).
//
// Internal to ticketd_ingest (tests include it through src/). The reader
// never allocates more than the bytes it is given: every length is checked
// against what remains, lengths use at most 4 octets, indefinite lengths and
// multi-octet tags are refused, constructed values nest at most kMaxDepth
// deep, INTEGERs hold at most 64 bits and OID sub-identifiers at most 32
// bits (kMaxOidArcs of them). Errors are Status values (invalid_argument)
// that name what is wrong and where: "snmp: truncated OID at byte 37".
// Stateless apart from the reader's cursor; not synchronized.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ticketd/core/status.hpp"
#include "ticketd/ingest/snmp_types.hpp"

namespace ticketd::ingest::snmp {

constexpr int kMaxDepth = 16;           // constructed values inside each other
constexpr size_t kMaxOidArcs = 128;     // sub-identifiers in one OID
constexpr size_t kMaxLengthOctets = 4;  // octets of a long-form length

// BER tags used by SNMP (RFC 3416, RFC 1157, RFC 3412).
namespace tag {
constexpr uint8_t kInteger = 0x02;
constexpr uint8_t kOctetString = 0x04;
constexpr uint8_t kNull = 0x05;
constexpr uint8_t kOid = 0x06;
constexpr uint8_t kSequence = 0x30;
constexpr uint8_t kIpAddress = 0x40;
constexpr uint8_t kCounter32 = 0x41;
constexpr uint8_t kGauge32 = 0x42;
constexpr uint8_t kTimeTicks = 0x43;
constexpr uint8_t kOpaque = 0x44;
constexpr uint8_t kCounter64 = 0x46;
constexpr uint8_t kNoSuchObject = 0x80;
constexpr uint8_t kNoSuchInstance = 0x81;
constexpr uint8_t kEndOfMibView = 0x82;
}  // namespace tag

// One element: its tag, its content, and where both start.
struct Tlv {
  uint8_t tag = 0;
  std::string_view content;
  size_t offset = 0;          // of the tag octet, counted from the reader's base
  size_t content_offset = 0;  // of the first content octet
};

class BerReader {
 public:
  // Reads `data`, which lies inside `base` (the datagram, or the decrypted
  // scopedPDU); positions in errors count from the start of `base`, and
  // `where` ("" or " of the decrypted scopedPDU") follows them.
  BerReader() = default;
  BerReader(std::string_view data, std::string_view base, const char* where = "", int depth = 0)
      : rest_(data), base_(base), where_(where), depth_(depth) {}

  bool at_end() const { return rest_.empty(); }
  size_t offset() const { return static_cast<size_t>(rest_.data() - base_.data()); }
  int depth() const { return depth_; }

  // The next element, whatever its tag. `what` names it in errors.
  Status next(const char* what, Tlv* out);
  // The next element, which must carry `expected`.
  Status expect(uint8_t expected, const char* what, Tlv* out);
  // A reader over the content of the next element (tag `expected`), one
  // level deeper.
  Status enter(uint8_t expected, const char* what, BerReader* inner);
  // A reader over an element already read (e.g. a PDU whose tag was
  // switched on), one level deeper.
  Status enter(const Tlv& tlv, const char* what, BerReader* inner) const;

  Status read_integer(const char* what, int64_t* value);
  // An INTEGER that must lie in [lo, hi].
  Status read_integer_in(const char* what, int64_t lo, int64_t hi, int64_t* value);
  Status read_octets(const char* what, std::string_view* value);
  Status read_null(const char* what);
  Status read_oid(const char* what, SnmpOid* value);

  // Fails when bytes remain: "trailing bytes after the PDU at byte 80".
  Status expect_end(const char* what) const;

  // An error at `at` (an offset from base): "snmp: <what> at byte <at><where>".
  Status error_at(size_t at, const std::string& what) const;

 private:
  std::string_view rest_;
  std::string_view base_;
  const char* where_ = "";
  int depth_ = 0;
};

// Content decoders, for values whose tag was already read. `error` receives
// the reason ("more than 64 bits") without position.
bool decode_signed(std::string_view content, int64_t* value, const char** error);
// Unsigned integers of at most `bits` bits (32 or 64); a leading 0x00 octet
// is allowed (BER two's complement of a value with its top bit set).
bool decode_unsigned(std::string_view content, int bits, uint64_t* value, const char** error);
bool decode_oid(std::string_view content, SnmpOid* value, const char** error);

// Writer: each function returns one complete TLV.
std::string ber_length(size_t length);
std::string ber_tlv(uint8_t tag, std::string_view content);
std::string ber_integer(int64_t value, uint8_t tag_octet = tag::kInteger);
std::string ber_unsigned(uint64_t value, uint8_t tag_octet);
std::string ber_octets(std::string_view value, uint8_t tag_octet = tag::kOctetString);
std::string ber_null(uint8_t tag_octet = tag::kNull);
// Precondition: at least two arcs, the first 0..2, the second < 40 unless the
// first is 2 (as every OID decode_oid returns).
std::string ber_oid(const SnmpOid& oid);
std::string ber_value(const SnmpValue& value);

}  // namespace ticketd::ingest::snmp
