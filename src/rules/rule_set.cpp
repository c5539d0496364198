#include "ticketd/rules/rule_set.hpp"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>

namespace ticketd::rules {

// Per field: exact values -> rules, and one RE2::Set over the regexes that
// anchor rules on that field. Rules with no anchor are always candidates.
struct RuleSet::Prefilter {
  struct RegexField {
    std::string field;
    std::unique_ptr<re2::RE2::Set> set;
    std::vector<size_t> rule_of;  // set index -> rule index
  };
  std::unordered_map<std::string, std::unordered_map<std::string, std::vector<size_t>>> exact;
  std::vector<RegexField> regex;
  std::vector<size_t> always;
};

namespace {

constexpr size_t kPatternsPerSet = 512;

bool all_of_kind(const FieldMatch& m, Operand::Kind kind) {
  return !m.any_of.empty() && std::all_of(m.any_of.begin(), m.any_of.end(),
                                          [kind](const Operand& o) { return o.kind() == kind; });
}

}  // namespace

RuleSet::RuleSet(std::vector<Rule> rules) : rules_(std::move(rules)) {
  auto pf = std::make_shared<Prefilter>();
  std::unordered_map<std::string, size_t> regex_index;
  for (size_t i = 0; i < rules_.size(); ++i) {
    const Rule& r = rules_[i];
    by_name_.emplace(r.name, i);
    if (r.resolve_when) {
      pf->always.push_back(i);
      continue;
    }
    const auto& all = r.condition.all;
    auto exact = std::find_if(all.begin(), all.end(), [](const FieldMatch& m) {
      return all_of_kind(m, Operand::Kind::kEqual);
    });
    if (exact != all.end()) {
      for (const Operand& o : exact->any_of) pf->exact[exact->field][o.value()].push_back(i);
      continue;
    }
    auto regex = std::find_if(all.begin(), all.end(), [](const FieldMatch& m) {
      return all_of_kind(m, Operand::Kind::kRegex);
    });
    if (regex != all.end()) {
      // One RE2::Set per field and chunk of patterns, so a big rule set
      // stays within RE2's memory budget instead of failing to compile.
      auto it = regex_index.find(regex->field);
      if (it == regex_index.end() || pf->regex[it->second].rule_of.size() >= kPatternsPerSet) {
        RE2::Options opts;
        opts.set_log_errors(false);
        opts.set_max_mem(int64_t{64} << 20);
        regex_index[regex->field] = pf->regex.size();
        pf->regex.push_back(
            {regex->field, std::make_unique<re2::RE2::Set>(opts, RE2::UNANCHORED), {}});
        it = regex_index.find(regex->field);
      }
      auto& rf = pf->regex[it->second];
      bool added = true;
      for (const Operand& o : regex->any_of) {
        if (rf.set->Add(o.value(), nullptr) < 0) {
          added = false;
          break;
        }
        rf.rule_of.push_back(i);
      }
      if (added) continue;
    }
    pf->always.push_back(i);
  }
  for (auto& rf : pf->regex) {
    if (!rf.set->Compile()) {  // out of memory: fall back to testing every rule of the field
      pf->always.insert(pf->always.end(), rf.rule_of.begin(), rf.rule_of.end());
      rf.rule_of.clear();
      rf.set.reset();
    }
  }
  prefilter_ = std::move(pf);
}

std::vector<size_t> RuleSet::candidates(const Event& e) const {
  if (!prefilter_) return {};
  std::vector<size_t> out = prefilter_->always;
  for (const auto& [field, values] : prefilter_->exact) {
    auto v = e.field(field);
    if (!v) continue;
    if (auto it = values.find(*v); it != values.end())
      out.insert(out.end(), it->second.begin(), it->second.end());
  }
  std::vector<int> hits;
  for (const auto& rf : prefilter_->regex) {
    if (!rf.set) continue;
    hits.clear();
    if (rf.set->Match(e.field(rf.field).value_or(""), &hits)) {
      for (int h : hits) out.push_back(rf.rule_of[static_cast<size_t>(h)]);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

const Rule* RuleSet::find(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : &rules_[it->second];
}

bool AlertSelector::matches(std::string_view rule, const Event& e) const {
  if (!rules.empty() && std::find(rules.begin(), rules.end(), rule) == rules.end()) return false;
  return condition.test(e, nullptr);
}

}  // namespace ticketd::rules
