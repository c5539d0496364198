// The OpenAPI 3 document of the HTTP API (docs/api/openapi.json), built into
// the binary by cmake/embed_file.cmake and served at GET /api/v1/openapi.json.
// Immutable; safe from any thread.
#pragma once

#include <string_view>

namespace ticketd::api {

// The document's bytes, exactly as in docs/api/openapi.json.
std::string_view openapi_document();

}  // namespace ticketd::api
