#include "search_query.hpp"

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

namespace ticketd::store {
namespace {

// Field names a user may write before ':' and the ticket_search column each
// one searches.
constexpr std::array<std::pair<std::string_view, std::string_view>, 14> kFields = {{
    {"title", "title"},
    {"description", "description"},
    {"desc", "description"},
    {"note", "notes"},
    {"notes", "notes"},
    {"resolution", "resolution"},
    {"label", "labels"},
    {"labels", "labels"},
    {"message", "messages"},
    {"messages", "messages"},
    {"key", "key"},
    {"fingerprint", "fingerprint"},
    {"host", "hosts"},
    {"hosts", "hosts"},
}};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// What the unicode61 tokenizer can make a token of: ASCII letters and
// digits, and (approximately) anything beyond ASCII.
bool has_token_char(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 || (u >= '0' && u <= '9') || ((u | 0x20) >= 'a' && (u | 0x20) <= 'z'))
      return true;
  }
  return false;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view column_of(std::string_view name) {
  for (const auto& [field, column] : kFields) {
    if (field.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < name.size() && same; ++i) same = lower(name[i]) == field[i];
    if (same) return column;
  }
  return {};
}

// An FTS5 string: the text between double quotes, quotes doubled. The
// tokenizer splits it into a phrase; nothing in it is query syntax.
void append_string(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

// Words too common in alert titles and English to tell tickets apart.
constexpr std::array<std::string_view, 32> kCommonWords = {
    "the",  "and",  "for", "from", "with", "not",   "are",   "was",  "has",  "have", "this",
    "that", "into", "out", "off",  "over", "under", "than",  "but",  "all",  "any",  "its",
    "you",  "our",  "can", "will", "been", "being", "there", "when", "were", "which"};

bool is_token_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x80 || (u >= '0' && u <= '9') || ((u | 0x20) >= 'a' && (u | 0x20) <= 'z');
}

}  // namespace

std::string fts_similarity_expression(std::string_view title, std::string_view description) {
  constexpr size_t kMaxWords = 12;
  constexpr size_t kMaxScan = 2000;  // bytes of the description looked at
  std::vector<std::string> words;
  auto take = [&](std::string_view text) {
    text = text.substr(0, kMaxScan);
    size_t i = 0;
    while (i < text.size() && words.size() < kMaxWords) {
      while (i < text.size() && !is_token_byte(text[i])) ++i;
      size_t end = i;
      while (end < text.size() && is_token_byte(text[end])) ++end;
      std::string word;
      for (size_t k = i; k < end; ++k) word += lower(text[k]);
      i = end;
      if (word.size() < 3) continue;
      if (std::find(kCommonWords.begin(), kCommonWords.end(), word) != kCommonWords.end()) continue;
      if (std::find(words.begin(), words.end(), word) != words.end()) continue;
      words.push_back(std::move(word));
    }
  };
  take(title);
  take(description);
  if (words.empty()) return "";
  std::string out = "{title description} : (";
  for (size_t k = 0; k < words.size(); ++k) {
    if (k) out += " OR ";
    append_string(out, words[k]);
  }
  out += ')';
  return out;
}

Result<std::string> fts_match_expression(std::string_view q) {
  std::string out;
  bool blank = true;
  size_t i = 0;
  const size_t n = q.size();
  while (i < n) {
    if (is_space(q[i])) {
      ++i;
      continue;
    }
    blank = false;
    // field:VALUE, when the name is a known field and a value follows.
    std::string_view column;
    std::string_view field;
    size_t j = i;
    while (j < n && ((lower(q[j]) >= 'a' && lower(q[j]) <= 'z'))) ++j;
    if (j > i && j + 1 < n && q[j] == ':' && !is_space(q[j + 1])) {
      column = column_of(q.substr(i, j - i));
      if (!column.empty()) {
        field = q.substr(i, j - i + 1);
        i = j + 1;
      }
    }
    std::string_view text;
    bool prefix = false;
    if (q[i] == '"') {  // a phrase, to the closing quote (or the end)
      const size_t close = q.find('"', i + 1);
      const size_t end = close == std::string_view::npos ? n : close;
      text = q.substr(i + 1, end - i - 1);
      i = close == std::string_view::npos ? n : close + 1;
    } else {  // a word, to the next space
      size_t end = i;
      while (end < n && !is_space(q[end])) ++end;
      text = q.substr(i, end - i);
      i = end;
    }
    while (i < n && q[i] == '*') {  // "phrase"* or word*
      prefix = true;
      ++i;
    }
    while (!text.empty() && text.back() == '*') {
      prefix = true;
      text.remove_suffix(1);
    }
    if (!has_token_char(text)) {
      if (!field.empty()) {
        return Status::invalid_argument("q: " + std::string(field) +
                                        " needs a word or \"phrase\" with a letter or digit");
      }
      continue;  // punctuation alone: nothing a word index can find
    }
    if (!out.empty()) out += ' ';  // FTS5's implicit AND
    if (!column.empty()) {
      out += column;
      out += " : ";
    }
    append_string(out, text);
    if (prefix) out += " *";
  }
  if (!blank && out.empty()) {
    return Status::invalid_argument(
        "q: no word to search for (a word needs a letter or digit; punctuation alone is ignored)");
  }
  return out;
}

}  // namespace ticketd::store
