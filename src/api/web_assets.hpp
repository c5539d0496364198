// The web page (web/index.html, web/app.css, web/app.js), built into the
// binary by cmake/embed_file.cmake and served at /, /app.css and /app.js.
// Immutable; safe from any thread.
#pragma once

#include <string_view>

namespace ticketd::api {

std::string_view web_index_html();
std::string_view web_app_css();
std::string_view web_app_js();

}  // namespace ticketd::api
