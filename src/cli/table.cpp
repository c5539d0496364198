#include "table.hpp"

#include <algorithm>

namespace ticketd::cli {
namespace {

// Display width, counting UTF-8 continuation bytes as zero.
size_t width(const std::string& s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string cut(const std::string& s, size_t max) {
  if (width(s) <= max) return s;
  std::string out;
  size_t w = 0;
  for (char c : s) {
    if ((c & 0xC0) != 0x80) {
      if (w + 1 >= max) break;
      ++w;
    }
    out += c;
  }
  return out + "…";
}

}  // namespace

bool Table::print(std::ostream& out, size_t max_width) const {
  bool was_cut = false;
  std::vector<size_t> widths(headers_.size());
  for (size_t i = 0; i < headers_.size(); ++i) widths[i] = width(headers_[i]);
  for (const auto& r : rows_) {
    for (size_t i = 0; i < r.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], width(cut(r[i], max_width)));
      was_cut = was_cut || width(r[i]) > max_width;
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (size_t i = 0; i < widths.size(); ++i) {
      std::string c = i < cells.size() ? cut(cells[i], max_width) : "";
      text += c;
      if (i + 1 < widths.size()) text += std::string(widths[i] - width(c) + 2, ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << "\n";
  };
  line(headers_);
  for (const auto& r : rows_) line(r);
  return was_cut;
}

}  // namespace ticketd::cli
