#include "ticketd/core/text.hpp"

namespace ticketd {

std::string_view utf8_prefix(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t end = max_bytes;
  // Back up over continuation bytes (10xxxxxx) to the start of a character.
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

std::string cap_text(std::string s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  const size_t room = max_bytes > kTruncatedMarker.size() ? max_bytes - kTruncatedMarker.size() : 0;
  s.resize(utf8_prefix(s, room).size());
  s += kTruncatedMarker;
  return s;
}

}  // namespace ticketd
