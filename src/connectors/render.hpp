// Internal to the connectors layer: rendering configured templates (webhook
// bodies, notification messages, mail subjects) from a ticket, and HMAC
// signing.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "ticketd/core/status.hpp"
#include "ticketd/core/ticket.hpp"

namespace ticketd::connectors {

// Variables a template sees: the ticket's fields by name (key, type, title,
// description, status, priority, impact, urgency, category, team, assignee,
// rule, fingerprint, event_count, created_at, …, labels.NAME) plus `extra`
// (action, text, correlation_key, event, url, …), which win.
using TemplateVars = std::map<std::string, std::string>;

// Every string in `body` (a JSON document: mapping, list or string) parsed
// as a template; invalid_argument naming the path of a bad one.
Status check_body_template(const nlohmann::json& body, const std::string& what);
// `body` with each string rendered.
nlohmann::json render_body(const nlohmann::json& body, const Ticket& t, const TemplateVars& extra);
// One template string rendered (parsed each time: these are short).
std::string render_text(const std::string& text, const Ticket& t, const TemplateVars& extra);

// hex(HMAC-SHA256(secret, data)), lower case.
std::string hmac_sha256_hex(const std::string& secret, const std::string& data);

}  // namespace ticketd::connectors
