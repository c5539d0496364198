#include "ticketd/ingest/json_mapping.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>

#include "severity_words.hpp"
#include "ticketd/core/json.hpp"

namespace ticketd::ingest {
namespace {

using nlohmann::json;

constexpr size_t kMaxPathBytes = 1024;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// A value as event text: strings as they are, null as "", anything else as
// its JSON text.
std::string text_of(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

// One "/a/b~1c" pointer (already checked) applied to `at`; null when it
// leads nowhere.
const json* walk(const json* at, std::string_view pointer) {
  size_t i = 0;
  while (at && i < pointer.size()) {
    // pointer[i] == '/'
    size_t j = pointer.find('/', i + 1);
    if (j == std::string_view::npos) j = pointer.size();
    std::string token;
    for (size_t k = i + 1; k < j; ++k) {
      if (pointer[k] == '~' && k + 1 < j) {
        token += pointer[k + 1] == '1' ? '/' : '~';
        ++k;
      } else {
        token += pointer[k];
      }
    }
    if (at->is_object()) {
      auto it = at->find(token);
      at = it == at->end() ? nullptr : &*it;
    } else if (at->is_array()) {
      const bool index = !token.empty() && token.size() <= 9 &&
                         std::all_of(token.begin(), token.end(),
                                     [](unsigned char c) { return std::isdigit(c); }) &&
                         (token == "0" || token[0] != '0');
      const size_t n = index ? std::stoul(token) : at->size();
      at = n < at->size() ? &(*at)[n] : nullptr;
    } else {
      at = nullptr;
    }
    i = j;
  }
  return at;
}

// Resolves paths against one alert; keeps the documents decoded from JSON
// strings ("#" hops) for the alert's other fields.
class Resolver {
 public:
  explicit Resolver(const json& root) : root_(root) {}

  const json* find(std::string_view path) {
    const json* at = &root_;
    size_t i = 0;
    for (;;) {
      const size_t hop = path.find('#', i);
      at = walk(at,
                path.substr(i, hop == std::string_view::npos ? std::string_view::npos : hop - i));
      if (!at || hop == std::string_view::npos) return at;
      at = decoded(at);
      i = hop + 1;
    }
  }

  // The first non-empty value of `paths`, as text.
  std::string text(const JsonPaths& paths) {
    for (const std::string& p : paths) {
      if (const json* v = find(p)) {
        if (std::string t = text_of(*v); !t.empty()) return t;
      }
    }
    return "";
  }

 private:
  const json* decoded(const json* at) {
    if (!at->is_string()) return nullptr;
    auto it = decoded_.find(at);
    if (it == decoded_.end()) {
      auto parsed = parse_json(at->get_ref<const std::string&>());
      it = decoded_.emplace(at, parsed ? std::move(parsed).value() : json()).first;
    }
    return it->second.is_null() ? nullptr : &it->second;
  }

  const json& root_;
  std::map<const json*, json> decoded_;
};

// "key:value" or "key=value" (split at whichever comes first); nothing
// without either, or with an empty key.
void add_pair(std::string_view item, Labels& out) {
  const size_t at = item.find_first_of(":=");
  if (at == std::string_view::npos) return;
  std::string key = trim(item.substr(0, at));
  if (key.empty()) return;
  out.emplace(std::move(key), trim(item.substr(at + 1)));
}

void spread(const json& v, Labels& out) {
  if (v.is_object()) {
    for (const auto& [k, member] : v.items()) {
      if (!member.is_null()) out.emplace(k, text_of(member));
    }
  } else if (v.is_array()) {
    for (const json& e : v) {
      if (e.is_string()) {
        add_pair(e.get_ref<const std::string&>(), out);
      } else if (e.is_object() && e.contains("value")) {
        for (const char* name : {"tag", "key", "name"}) {
          auto k = e.find(name);
          if (k == e.end() || text_of(*k).empty()) continue;
          out.emplace(text_of(*k), text_of(e["value"]));
          break;
        }
      }
    }
  } else if (v.is_string()) {
    std::string_view s = v.get_ref<const std::string&>();
    while (!s.empty()) {
      const size_t comma = s.find(',');
      add_pair(s.substr(0, comma), out);
      if (comma == std::string_view::npos) break;
      s.remove_prefix(comma + 1);
    }
  }
}

void map_values(Resolver& r, const std::vector<std::pair<std::string, JsonPaths>>& named,
                const JsonPaths& spreads, Labels& out) {
  for (const auto& [name, paths] : named) {
    if (std::string t = r.text(paths); !t.empty()) out[name] = std::move(t);
  }
  for (const std::string& p : spreads) {
    if (const json* v = r.find(p)) spread(*v, out);  // emplace: named entries win
  }
}

std::optional<TimePoint> time_of(const std::string& t) {
  if (t.empty()) return std::nullopt;
  if (t.size() <= 16 && std::all_of(t.begin(), t.end(),
                                    [](unsigned char c) { return std::isdigit(c) || c == '.'; })) {
    // Unix time: seconds, or milliseconds when that large.
    try {
      const double v = std::stod(t);
      if (!(v >= 0 && v < 1e15)) return std::nullopt;
      return from_unix_ms(v >= 1e11 ? static_cast<int64_t>(v) : static_cast<int64_t>(v * 1000));
    } catch (...) {
      return std::nullopt;
    }
  }
  if (auto p = parse_rfc3339(t)) return *p;
  return std::nullopt;
}

std::string paths_text(const JsonPaths& paths) {
  std::string out;
  for (const std::string& p : paths) out += (out.empty() ? "" : ", ") + ("\"" + p + "\"");
  return out;
}

Result<Event> map_one(const JsonMapping& m, const json& alert, TimePoint now,
                      const std::string& where) {
  Resolver r(alert);
  Event e;
  e.source = m.source;
  e.time = now;
  for (const std::string& p : m.time) {  // the first that reads as a time
    if (const json* v = r.find(p)) {
      if (auto t = time_of(text_of(*v))) {
        e.time = *t;
        break;
      }
    }
  }
  e.host = r.text(m.host);
  e.message = r.text(m.message);
  if (e.message.empty()) {
    return Status::invalid_argument(m.source + ": " + where +
                                    "no message: " + (m.message.size() == 1 ? "path " : "paths ") +
                                    paths_text(m.message) + " gave nothing");
  }
  e.app = r.text(m.app);
  e.msgid = r.text(m.msgid);
  if (std::string sev = r.text(m.severity); !sev.empty()) {
    std::optional<std::string> named;
    for (const auto& [from, to] : m.severity_map) {
      if (from == sev) named = to;
    }
    for (const auto& [from, to] : m.severity_map) {
      if (!named && lower(from) == lower(sev)) named = to;
    }
    e.severity = severity_word(named.value_or(sev));
  }
  if (!m.status.empty()) {
    const std::string st = lower(r.text(m.status));
    const bool resolved = std::any_of(m.resolved_values.begin(), m.resolved_values.end(),
                                      [&](const std::string& v) { return lower(v) == st; });
    e.status = resolved && !st.empty() ? "resolved" : "firing";
  }
  map_values(r, m.labels, m.labels_spread, e.labels);
  map_values(r, m.annotations, m.annotations_spread, e.annotations);
  if (std::string fp = r.text(m.fingerprint); !fp.empty()) e.labels["fingerprint"] = std::move(fp);
  return e;
}

}  // namespace

Status check_json_path(std::string_view path) {
  if (path.size() > kMaxPathBytes)
    return Status::invalid_argument("path is longer than 1024 bytes");
  size_t i = 0;
  for (;;) {
    const size_t hop = path.find('#', i);
    std::string_view part = path.substr(i, hop == std::string_view::npos ? path.npos : hop - i);
    if (!part.empty() && part[0] != '/') {
      return Status::invalid_argument("\"" + std::string(path) + "\" is not a JSON pointer: \"" +
                                      std::string(part) + "\" must start with \"/\"");
    }
    for (size_t k = 0; k < part.size(); ++k) {
      if (part[k] == '~' && (k + 1 == part.size() || (part[k + 1] != '0' && part[k + 1] != '1'))) {
        return Status::invalid_argument("\"" + std::string(path) +
                                        "\" is not a JSON pointer: \"~\" must be followed by 0 "
                                        "or 1 (~0 is \"~\", ~1 is \"/\")");
      }
    }
    if (hop == std::string_view::npos) return Status::ok();
    i = hop + 1;
  }
}

Result<std::vector<Event>> map_json_alerts(const JsonMapping& m, const json& body, TimePoint now) {
  std::vector<Event> out;
  if (m.items.empty()) {
    auto e = map_one(m, body, now, "");
    if (!e) return e.error();
    out.push_back(std::move(e).value());
    return out;
  }
  Resolver r(body);
  const json* items = nullptr;
  for (const std::string& p : m.items) {
    items = r.find(p);
    if (items && items->is_array()) break;
  }
  if (!items || !items->is_array()) {
    return Status::invalid_argument(m.source + ": no array of alerts at " + paths_text(m.items));
  }
  if (items->empty())
    return Status::invalid_argument(m.source + ": the array of alerts at " + paths_text(m.items) +
                                    " is empty");
  for (size_t i = 0; i < items->size(); ++i) {
    auto e = map_one(m, (*items)[i], now, "alert [" + std::to_string(i) + "]: ");
    if (!e) return e.error();
    out.push_back(std::move(e).value());
  }
  return out;
}

}  // namespace ticketd::ingest
