#include "ticketd/ingest/snmp_names.hpp"

#include <algorithm>
#include <cstdlib>

#include "ingest/snmp/builtin_names.hpp"

namespace ticketd::ingest {

bool SnmpNames::OidLess::operator()(std::span<const uint32_t> a,
                                    std::span<const uint32_t> b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

const std::string* SnmpNames::Entry::enum_name(int64_t value) const {
  for (const auto& [v, label] : enums) {
    if (v == value) return &label;
  }
  return nullptr;
}

void SnmpNames::add(SnmpOid oid, Entry entry) {
  entries_.emplace(std::move(oid), std::move(entry));
}

std::shared_ptr<const SnmpNames> SnmpNames::builtin() {
  static const std::shared_ptr<const SnmpNames> names = [] {
    auto n = std::make_shared<SnmpNames>();
    for (const snmp::BuiltinName& row : snmp::builtin_names()) {
      Result<SnmpOid> oid = parse_oid(row.oid);
      if (!oid) continue;  // the table is checked by tests; a bad row is skipped, not fatal
      Entry e;
      e.module = row.module;
      e.name = row.name;
      e.kind = row.kind;
      // "up(1) down(2)": label, '(', value, ')', separated by spaces.
      std::string_view s = row.enums;
      while (!s.empty()) {
        const size_t open = s.find('(');
        const size_t close = s.find(')');
        if (open == std::string_view::npos || close == std::string_view::npos || close < open)
          break;
        const std::string label(s.substr(0, open));
        const std::string number(s.substr(open + 1, close - open - 1));
        e.enums.emplace_back(std::strtoll(number.c_str(), nullptr, 10), label);
        s.remove_prefix(close + 1);
        while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
      }
      n->add(std::move(*oid), std::move(e));
    }
    return n;
  }();
  return names;
}

std::optional<SnmpNames::Match> SnmpNames::lookup(const SnmpOid& oid) const {
  for (size_t len = oid.size(); len > 0; --len) {
    auto it = entries_.find(std::span<const uint32_t>(oid.data(), len));
    if (it != entries_.end()) return Match{&it->second, len};
  }
  return std::nullopt;
}

const SnmpNames::Entry* SnmpNames::find(const SnmpOid& oid) const {
  auto it = entries_.find(std::span<const uint32_t>(oid.data(), oid.size()));
  return it == entries_.end() ? nullptr : &it->second;
}

std::string SnmpNames::render_oid(const SnmpOid& oid) const {
  std::optional<Match> m = lookup(oid);
  if (!m || (m->length != oid.size() && m->entry->kind != Kind::kObject)) return format_oid(oid);
  std::string out = m->entry->module + "::" + m->entry->name;
  for (size_t i = m->length; i < oid.size(); ++i) out += "." + std::to_string(oid[i]);
  return out;
}

}  // namespace ticketd::ingest
