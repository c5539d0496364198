#include "ticketd/core/json.hpp"

#include <string>

namespace ticketd {
namespace {

using json = nlohmann::json;

constexpr std::string_view kTooDeep = "JSON nested deeper than ";

// Builds the DOM like json::parse does, counting depth on the way down and
// stopping the parse (no tree deeper than the limit is ever built).
class DepthLimitedSax {
 public:
  DepthLimitedSax(json& result, int max_depth) : dom_(result, false), max_depth_(max_depth) {}

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const json::string_t& s) {
    return dom_.number_float(v, s);
  }
  bool string(json::string_t& v) { return dom_.string(v); }
  bool binary(json::binary_t& v) { return dom_.binary(v); }
  bool key(json::string_t& k) { return dom_.key(k); }
  bool start_object(std::size_t n) { return deeper() && dom_.start_object(n); }
  bool end_object() {
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t n) { return deeper() && dom_.start_array(n); }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) {
    // "parse error at line 1, column 9: …", without the "[json.exception…] " tag.
    std::string what = ex.what();
    if (const auto tag = what.find("] ");
        what.rfind("[json.exception", 0) == 0 && tag != std::string::npos) {
      what.erase(0, tag + 2);
    }
    error_ = std::move(what);
    return false;
  }

  bool too_deep() const { return too_deep_; }
  const std::string& error() const { return error_; }

 private:
  bool deeper() {
    if (++depth_ <= max_depth_) return true;
    too_deep_ = true;
    return false;
  }

  nlohmann::detail::json_sax_dom_parser<json> dom_;
  int max_depth_;
  int depth_ = 0;
  bool too_deep_ = false;
  std::string error_;
};

}  // namespace

Result<json> parse_json(std::string_view text, int max_depth) {
  json result;
  DepthLimitedSax sax(result, max_depth);
  bool ok = false;
  try {
    ok = json::sax_parse(text.begin(), text.end(), &sax);
  } catch (const std::exception& e) {  // defensive: sax_parse reports through parse_error
    return Status::invalid_argument(std::string("invalid JSON: ") + e.what());
  }
  if (sax.too_deep()) {
    return Status::invalid_argument(std::string(kTooDeep) + std::to_string(max_depth) + " levels");
  }
  if (!ok) return Status::invalid_argument(sax.error().empty() ? "invalid JSON" : sax.error());
  return result;
}

bool is_too_deep(const Status& s) {
  return !s && s.message().compare(0, kTooDeep.size(), kTooDeep) == 0;
}

}  // namespace ticketd
