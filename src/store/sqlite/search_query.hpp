// The q= of a ticket list (TicketQuery::text) turned into an SQLite FTS5
// MATCH expression over the ticket_search table of sqlite_store.cpp. The
// syntax is described in docs/search.md. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "ticketd/core/status.hpp"

namespace ticketd::store {

// The MATCH expression for `q`: each word or "quoted phrase" becomes an FTS5
// string (so no character of `q` is ever FTS5 syntax), optionally limited
// to one column (`field:`) and a prefix (`*`); all of them must match.
// Returns "" when `q` is blank (no text filter). invalid_argument, naming
// what was wrong, when `q` has text but nothing to search for (only
// punctuation, or a field with an empty value).
Result<std::string> fts_match_expression(std::string_view q);

// The MATCH expression that finds tickets like one with this title and
// description: any of their distinct words (at most 12, three letters or
// more, common English words left out; title words first) in the title or
// description columns, OR-ed, so bm25 ranks the tickets sharing the most
// and rarest words first. "" when there is no such word.
std::string fts_similarity_expression(std::string_view title, std::string_view description);

}  // namespace ticketd::store
