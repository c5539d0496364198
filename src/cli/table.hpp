// Table: aligned plain-text columns for ticketctl output. Not synchronized.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace ticketd::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  // Columns wider than `max_width` are cut with "…". Returns whether a cell
  // was cut (so the caller can say where the full text is).
  bool print(std::ostream& out, size_t max_width = 60) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace ticketd::cli
