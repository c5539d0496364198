#include "ticketd/core/text.hpp"

#include <algorithm>
#include <vector>

namespace ticketd {

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(2, word.size() / 3) + 1;
  for (const std::string& c : candidates) {
    std::vector<size_t> prev(c.size() + 1), cur(c.size() + 1);
    for (size_t j = 0; j <= c.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= word.size(); ++i) {
      cur[0] = i;
      for (size_t j = 1; j <= c.size(); ++j) {
        size_t cost = word[i - 1] == c[j - 1] ? 0 : 1;
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      }
      std::swap(prev, cur);
    }
    if (prev[c.size()] < best_d && prev[c.size()] < word.size()) {
      best_d = prev[c.size()];
      best = c;
    }
  }
  return best;
}

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
