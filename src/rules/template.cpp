#include "ticketd/rules/template.hpp"

#include <algorithm>
#include <cctype>

#include "ticketd/core/text.hpp"

namespace ticketd::rules {
namespace {

bool is_ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
         c == '@' || c == '/' || c == ':';
}

void skip_space(std::string_view s, size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
}

std::string transform_case(std::string v, int (*f)(int)) {
  std::transform(v.begin(), v.end(), v.begin(),
                 [f](unsigned char c) { return static_cast<char>(f(c)); });
  return v;
}

}  // namespace

Result<Template> Template::parse(std::string_view text, size_t* error_offset) {
  Template t;
  t.source_ = std::string(text);
  auto fail = [&](size_t at, std::string msg) -> Status {
    if (error_offset) *error_offset = at;
    return Status::invalid_argument(std::move(msg));
  };
  size_t i = 0;
  std::string literal;
  while (i < text.size()) {
    size_t open = text.find("{{", i);
    if (open == std::string_view::npos) {
      literal += text.substr(i);
      break;
    }
    literal += text.substr(i, open - i);
    size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos)
      return fail(open, "template: \"{{\" is never closed by \"}}\"");
    if (!literal.empty()) {
      t.parts_.push_back({false, std::move(literal), {}});
      literal.clear();
    }
    std::string_view inner = text.substr(open + 2, close - open - 2);
    size_t base = open + 2;
    size_t j = 0;
    skip_space(inner, j);
    size_t name_start = j;
    while (j < inner.size() && is_ident_char(inner[j])) ++j;
    if (j == name_start) return fail(base + j, "template: expected a variable name after \"{{\"");
    Part part{true, std::string(inner.substr(name_start, j - name_start)), {}};
    skip_space(inner, j);
    while (j < inner.size()) {
      if (inner[j] != '|') {
        return fail(base + j, "template: unexpected \"" + std::string(1, inner[j]) + "\" in {{ " +
                                  part.text + " }}, expected \"|\" or \"}}\"");
      }
      ++j;
      skip_space(inner, j);
      size_t fs = j;
      while (j < inner.size() && std::isalpha(static_cast<unsigned char>(inner[j]))) ++j;
      Filter f{std::string(inner.substr(fs, j - fs)), {}};
      if (f.name != "lower" && f.name != "upper" && f.name != "trim" && f.name != "default") {
        return fail(base + fs, "template: unknown filter \"" + f.name +
                                   "\", expected lower, upper, trim or default(\"x\")");
      }
      skip_space(inner, j);
      if (f.name == "default") {
        if (j >= inner.size() || inner[j] != '(') {
          return fail(base + j, "template: default needs an argument: default(\"x\")");
        }
        ++j;
        skip_space(inner, j);
        if (j < inner.size() && (inner[j] == '"' || inner[j] == '\'')) {
          char q = inner[j++];
          size_t as = j;
          while (j < inner.size() && inner[j] != q) ++j;
          if (j >= inner.size())
            return fail(base + as - 1, "template: unterminated string in default(...)");
          f.arg = std::string(inner.substr(as, j - as));
          ++j;
        } else {
          size_t vs = j;
          while (j < inner.size() && is_ident_char(inner[j])) ++j;
          if (j == vs)
            return fail(base + j,
                        "template: default needs a quoted string or a variable: default(\"x\")");
          f.arg = std::string(inner.substr(vs, j - vs));
          f.arg_is_variable = true;
        }
        skip_space(inner, j);
        if (j >= inner.size() || inner[j] != ')') return fail(base + j, "template: expected \")\"");
        ++j;
        skip_space(inner, j);
      }
      part.filters.push_back(std::move(f));
    }
    t.parts_.push_back(std::move(part));
    i = close + 2;
  }
  if (!literal.empty()) t.parts_.push_back({false, std::move(literal), {}});
  return t;
}

std::string Template::render(const VarLookup& vars, size_t max_bytes) const {
  std::string out;
  for (const Part& p : parts_) {
    if (out.size() > max_bytes) break;  // the rest would be cut anyway
    if (!p.is_var) {
      out += p.text;
      continue;
    }
    std::string v = vars(p.text).value_or("");
    for (const Filter& f : p.filters) {
      if (f.name == "lower") {
        v = transform_case(std::move(v), ::tolower);
      } else if (f.name == "upper") {
        v = transform_case(std::move(v), ::toupper);
      } else if (f.name == "trim") {
        size_t b = v.find_first_not_of(" \t\r\n");
        size_t e = v.find_last_not_of(" \t\r\n");
        v = b == std::string::npos ? "" : v.substr(b, e - b + 1);
      } else if (f.name == "default" && v.empty()) {
        v = f.arg_is_variable ? vars(f.arg).value_or("") : f.arg;
      }
    }
    out += v;
  }
  return cap_text(std::move(out), max_bytes);
}

std::vector<std::string> Template::variables(bool with_fallbacks) const {
  std::vector<std::string> out;
  for (const Part& p : parts_) {
    if (!p.is_var) continue;
    out.push_back(p.text);
    for (const Filter& f : p.filters) {
      if (f.arg_is_variable && with_fallbacks) out.push_back(f.arg);
    }
  }
  return out;
}

}  // namespace ticketd::rules
