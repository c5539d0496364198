// The web page served at GET /: a single self-contained HTML document that
// works the REST API from the browser (queue with filters, ticket detail with
// timeline and actions, silences, rules, stats). No external assets.
#pragma once

namespace ticketd::api {

extern const char* const kWebPage;

}  // namespace ticketd::api
