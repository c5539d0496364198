#include "ticketd/engine/silence.hpp"

#include <nlohmann/json.hpp>

namespace ticketd::engine {
namespace {

Result<std::string> string_field(const nlohmann::json& j,
                                 std::initializer_list<const char*> names) {
  for (const char* n : names) {
    auto it = j.find(n);
    if (it == j.end() || it->is_null()) continue;
    if (!it->is_string())
      return Status::invalid_argument(std::string("silence: \"") + n + "\" must be a string");
    return it->get<std::string>();
  }
  return std::string();
}

}  // namespace

const char* Silence::state(TimePoint now) const {
  if (now < starts_at) return "pending";
  if (now < ends_at) return "active";
  return "expired";
}

Result<Silence> silence_from_json(const nlohmann::json& j, TimePoint now) {
  if (!j.is_object()) return Status::invalid_argument("silence: must be a JSON object");
  Silence s;
  auto m = j.find("matchers");
  if (m == j.end() || (!m->is_object() && !m->is_array()) || m->empty()) {
    return Status::invalid_argument(
        "silence: \"matchers\" must be a non-empty object of field: value");
  }
  if (m->is_object()) {
    for (const auto& [field, v] : m->items()) {
      if (!v.is_string())
        return Status::invalid_argument("silence: matcher \"" + field + "\" must be a string");
      s.matchers.emplace_back(field, v.get<std::string>());
    }
  } else {
    for (const auto& x : *m) {
      if (!x.is_object() || !x.contains("name") || !x.contains("value") || !x["name"].is_string() ||
          !x["value"].is_string()) {
        return Status::invalid_argument(
            "silence: each matcher needs string \"name\" and \"value\"");
      }
      std::string op;
      const bool equal = x.value("isEqual", true);
      const bool regex = x.value("isRegex", false);
      op = std::string(equal ? "" : "!") + (regex ? "~" : "");
      if (!regex && equal && !x["value"].get<std::string>().empty() &&
          std::string("!~<>=\\").find(x["value"].get<std::string>()[0]) != std::string::npos) {
        op = "\\";
      }
      if (regex) {
        // Alertmanager regexes are anchored.
        s.matchers.emplace_back(x["name"].get<std::string>(),
                                op + "^(?:" + x["value"].get<std::string>() + ")$");
      } else {
        s.matchers.emplace_back(x["name"].get<std::string>(), op + x["value"].get<std::string>());
      }
    }
  }
  for (const auto& [field, text] : s.matchers) {
    if (!rules::is_condition_field(field)) {
      return Status::invalid_argument("silence: unknown field \"" + field +
                                      "\"; use an event field or labels.NAME / annotations.NAME");
    }
    auto op = rules::Operand::parse(field, text);
    if (!op)
      return Status::invalid_argument("silence: matcher \"" + field +
                                      "\": " + op.error().message());
    s.condition.all.push_back({field, {std::move(op).value()}});
  }
  auto time_field = [&](std::initializer_list<const char*> names,
                        TimePoint fallback) -> Result<TimePoint> {
    auto text = string_field(j, names);
    if (!text) return text.error();
    if (text->empty()) return fallback;
    auto t = parse_rfc3339(*text);
    if (!t)
      return Status::invalid_argument(std::string("silence: \"") + *names.begin() +
                                      "\": " + t.error().message());
    return *t;
  };
  auto start = time_field({"starts_at", "startsAt"}, now);
  if (!start) return start.error();
  s.starts_at = *start;
  auto dur = string_field(j, {"duration"});
  if (!dur) return dur.error();
  if (!dur->empty()) {
    auto d = parse_duration(*dur);
    if (!d) return Status::invalid_argument("silence: \"duration\": " + d.error().message());
    s.ends_at = s.starts_at + *d;
  } else {
    auto end = time_field({"ends_at", "endsAt"}, TimePoint{});
    if (!end) return end.error();
    if (*end == TimePoint{})
      return Status::invalid_argument("silence: set \"ends_at\" or \"duration\"");
    s.ends_at = *end;
  }
  if (s.ends_at <= s.starts_at)
    return Status::invalid_argument("silence: \"ends_at\" must be after \"starts_at\"");
  auto by = string_field(j, {"created_by", "createdBy"});
  if (!by) return by.error();
  s.created_by = *by;
  auto comment = string_field(j, {"comment"});
  if (!comment) return comment.error();
  s.comment = *comment;
  s.silenced_count = j.value("silenced_count", int64_t{0});
  auto id = string_field(j, {"id"});
  if (id) s.id = *id;
  return s;
}

nlohmann::json silence_to_json(const Silence& s, TimePoint now) {
  nlohmann::json matchers = nlohmann::json::object();
  for (const auto& [k, v] : s.matchers) matchers[k] = v;
  return {{"id", s.id},
          {"matchers", matchers},
          {"starts_at", format_rfc3339(s.starts_at)},
          {"ends_at", format_rfc3339(s.ends_at)},
          {"created_by", s.created_by},
          {"comment", s.comment},
          {"silenced_count", s.silenced_count},
          {"state", s.state(now)}};
}

}  // namespace ticketd::engine
