#include "yaml_diag.hpp"

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "ticketd/core/text.hpp"

namespace ticketd::rules {
namespace {

// Nodes already visited, by identity (aliases reach a node more than once).
class Visited {
 public:
  // True the first time `n` is seen.
  bool first(const YAML::Node& n) {
    for (const YAML::Node& v : seen_)
      if (v.is(n)) return false;
    seen_.push_back(n);
    return true;
  }

 private:
  std::vector<YAML::Node> seen_;
};

// yaml-cpp's tag for a node without one: "?" (plain scalar, mapping,
// sequence), "!" (quoted scalar), "" (null). "!!str" changes nothing.
bool has_explicit_tag(const YAML::Node& n) {
  const std::string& t = n.Tag();
  return !(t.empty() || t == "?" || t == "!" || t == "tag:yaml.org,2002:str");
}

void lint_tag(const std::string& file, const YAML::Node& n, std::vector<Diagnostic>& out) {
  if (!has_explicit_tag(n)) return;
  const std::string& t = n.Tag();
  if (t[0] == '!' && (n.IsScalar() || n.IsNull())) {
    const std::string value = n.IsScalar() && !n.Scalar().empty() ? t + " " + n.Scalar() : t;
    out.push_back(error_at(file, n,
                           "`" + t + "` is a YAML tag, not a value; quote it: \"" + value + "\"",
                           "yaml-tag"));
  } else {
    std::string shown = t;
    if (shown.rfind("tag:yaml.org,2002:", 0) == 0) shown = "!!" + shown.substr(18);
    out.push_back(error_at(file, n,
                           "YAML tag `" + shown +
                               "` is not supported here; remove it (values are "
                               "strings, mappings or lists)",
                           "yaml-tag"));
  }
}

void lint_tree(const std::string& file, const YAML::Node& n, Visited& visited,
               std::vector<Diagnostic>& out) {
  if (!visited.first(n)) return;
  lint_tag(file, n, out);
  if (n.IsSequence()) {
    for (const YAML::Node& x : n) lint_tree(file, x, visited, out);
  } else if (n.IsMap()) {
    std::map<std::string, int> first_line;  // scalar key -> its 1-based line
    for (auto it = n.begin(); it != n.end(); ++it) {
      const YAML::Node key = it->first;  // a copy: `it->` points into a temporary
      lint_tag(file, key, out);
      if (key.IsScalar()) {
        const int line = key.Mark().line + 1;
        auto [at, inserted] = first_line.emplace(key.Scalar(), line);
        if (!inserted) {
          out.push_back(error_at(file, key,
                                 "duplicate key \"" + key.Scalar() + "\" (first at line " +
                                     std::to_string(at->second) +
                                     "); YAML keeps only one of them, remove or rename one",
                                 "duplicate-key"));
        }
      }
      lint_tree(file, it->second, visited, out);
    }
  }
}

bool is_merge_key(const YAML::Node& key) {
  return key.IsScalar() && key.Scalar() == "<<" && key.Tag() == "?";
}

void merge_tree(const std::string& file, YAML::Node n, Visited& visited,
                std::vector<Diagnostic>& out) {
  if (!visited.first(n)) return;
  if (n.IsSequence()) {
    for (YAML::Node x : n) merge_tree(file, x, visited, out);
    return;
  }
  if (!n.IsMap()) return;
  std::vector<std::pair<YAML::Node, YAML::Node>> merges;  // the `<<` key and its value
  std::vector<std::string> own;
  for (auto it = n.begin(); it != n.end(); ++it) {
    merge_tree(file, it->second, visited, out);  // merged content first
    if (is_merge_key(it->first)) {
      merges.emplace_back(it->first, it->second);
    } else if (it->first.IsScalar()) {
      own.push_back(it->first.Scalar());
    }
  }
  for (const auto& [key, value] : merges) {
    std::vector<YAML::Node> sources;
    if (value.IsMap()) {
      sources.push_back(value);
    } else if (value.IsSequence()) {
      for (const YAML::Node& s : value) {
        if (s.IsMap()) {
          sources.push_back(s);
        } else {
          out.push_back(error_at(file, s,
                                 "each item of a merge key \"<<\" must be a mapping (an alias "
                                 "like *defaults)",
                                 "merge-key"));
        }
      }
    } else {
      out.push_back(error_at(file, value,
                             "a merge key \"<<\" takes a mapping or a list of them (an alias like "
                             "*defaults)",
                             "merge-key"));
    }
    n.remove(key);
    for (const YAML::Node& s : sources) {
      for (auto it = s.begin(); it != s.end(); ++it) {
        if (!it->first.IsScalar()) continue;
        const std::string& k = it->first.Scalar();
        if (std::find(own.begin(), own.end(), k) != own.end()) continue;
        own.push_back(k);
        n.force_insert(it->first, it->second);
      }
    }
  }
}

// The line of the "---" that starts the document whose content begins at
// 0-based `line` (or that line itself when there is none).
int separator_line(const std::string& text, int line) {
  if (line < 0) line = static_cast<int>(text.size());  // no mark: the last "---"
  int best = line + 1;
  int current = 0;
  size_t pos = 0;
  while (pos <= text.size() && current <= line) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string_view l(text.data() + pos, end - pos);
    if (l.rfind("---", 0) == 0 && (l.size() == 3 || l[3] == ' ' || l[3] == '\r'))
      best = current + 1;
    ++current;
    pos = end + 1;
  }
  return best;
}

}  // namespace

Diagnostic error_at(const std::string& file, const YAML::Node& n, std::string message,
                    std::string code) {
  return {Diagnostic::Level::kError, file,           n.Mark().line + 1, n.Mark().column + 1,
          std::move(message),        std::move(code)};
}

Diagnostic unknown_key_error(const std::string& file, const YAML::Node& key,
                             const std::string& where, const std::vector<std::string>& known) {
  const std::string k = key.as<std::string>();
  std::string msg = "unknown key \"" + k + "\" in " + where;
  std::string guess = ticketd::did_you_mean(k, known);
  if (!guess.empty()) msg += " (did you mean \"" + guess + "\"?)";
  return error_at(file, key, std::move(msg), "unknown-key");
}

void check_keys(const std::string& file, const YAML::Node& map, const std::string& where,
                const std::vector<std::string>& known, std::vector<Diagnostic>& out) {
  if (!map.IsMap()) return;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string k = it->first.as<std::string>();
    if (std::find(known.begin(), known.end(), k) == known.end())
      out.push_back(unknown_key_error(file, it->first, where, known));
  }
}

void resolve_merge_keys(const std::string& file, YAML::Node root, std::vector<Diagnostic>& out) {
  Visited visited;
  merge_tree(file, root, visited, out);
}

namespace {

// Where each document of a YAML stream starts, from the parser's events
// alone (no nodes are built).
class DocumentStarts : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;
  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// yaml-cpp 0.7 can report documents without end on some malformed text
// (YAML::LoadAll then loops, growing, forever): no file of ours has more.
constexpr size_t kMaxDocuments = 16;

}  // namespace

std::optional<YAML::Node> load_yaml_document(const std::string& text, const std::string& file,
                                             std::vector<Diagnostic>& out) {
  YAML::Node first;
  DocumentStarts docs;
  try {
    first = YAML::Load(text);
    std::istringstream in(text);
    YAML::Parser parser(in);
    while (docs.starts.size() < kMaxDocuments && parser.HandleNextDocument(docs)) {
    }
  } catch (const YAML::ParserException& e) {
    out.push_back({Diagnostic::Level::kError, file, e.mark.line + 1, e.mark.column + 1,
                   "YAML syntax error: " + e.msg, "yaml-syntax"});
    return std::nullopt;
  } catch (const std::exception& e) {
    out.push_back({Diagnostic::Level::kError, file, 0, 0,
                   std::string("cannot read YAML: ") + e.what(), "yaml-syntax"});
    return std::nullopt;
  }
  if (docs.starts.size() >= kMaxDocuments) {
    const YAML::Mark& m = docs.starts.back();
    out.push_back({Diagnostic::Level::kError, file, m.line + 1, m.column + 1,
                   "YAML syntax error: the parser cannot find the end of the document here (" +
                       std::to_string(kMaxDocuments) +
                       " documents or more); look for a stray character or a broken flow "
                       "mapping { } or list [ ] near this line",
                   "yaml-syntax"});
    return std::nullopt;
  }
  if (docs.starts.empty()) return YAML::Node();
  for (size_t i = 1; i < docs.starts.size(); ++i) {
    out.push_back({Diagnostic::Level::kError, file, separator_line(text, docs.starts[i].line), 1,
                   "a second YAML document (after \"---\") would be ignored: a file holds one "
                   "document; move its content into the first or into a file of its own",
                   "multiple-documents"});
  }
  Visited visited;
  lint_tree(file, first, visited, out);
  resolve_merge_keys(file, first, out);
  return first;
}

}  // namespace ticketd::rules
