#include "render.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <memory>

#include "ticketd/core/time.hpp"
#include "ticketd/rules/template.hpp"

namespace ticketd::connectors {

namespace {

constexpr size_t kMaxRendered = 64 * 1024;  // one rendered string

// `j`: the ticket as JSON, built once per render (not per variable).
std::optional<std::string> ticket_var(const Ticket& t, const nlohmann::json& j,
                                      std::string_view name) {
  if (name.rfind("labels.", 0) == 0) {
    auto it = t.labels.find(std::string(name.substr(7)));
    if (it == t.labels.end()) return std::nullopt;
    return it->second;
  }
  auto it = j.find(std::string(name));
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number() || it->is_boolean()) return it->dump();
  return std::nullopt;
}

rules::VarLookup lookup(const Ticket& t, const TemplateVars& extra) {
  auto j = std::make_shared<nlohmann::json>(ticket_to_json(t));
  return [&t, &extra, j](std::string_view name) -> std::optional<std::string> {
    auto it = extra.find(std::string(name));
    if (it != extra.end()) return it->second;
    return ticket_var(t, *j, name);
  };
}

Status check_node(const nlohmann::json& n, const std::string& path) {
  if (n.is_string()) {
    size_t offset = 0;
    auto tpl = rules::Template::parse(n.get<std::string>(), &offset);
    if (!tpl)
      return Status::invalid_argument(path + ": " + tpl.error().message() + " at byte " +
                                      std::to_string(offset));
    return Status::ok();
  }
  if (n.is_object()) {
    for (const auto& [k, v] : n.items()) {
      if (Status s = check_node(v, path + "." + k); !s) return s;
    }
  } else if (n.is_array()) {
    for (size_t i = 0; i < n.size(); ++i) {
      if (Status s = check_node(n[i], path + "[" + std::to_string(i) + "]"); !s) return s;
    }
  }
  return Status::ok();
}

}  // namespace

Status check_body_template(const nlohmann::json& body, const std::string& what) {
  return check_node(body, what);
}

std::string render_text(const std::string& text, const Ticket& t, const TemplateVars& extra) {
  auto tpl = rules::Template::parse(text);
  if (!tpl) return text;  // checked at start-up; never reached
  return tpl->render(lookup(t, extra), kMaxRendered);
}

namespace {

nlohmann::json render_node(const nlohmann::json& body, const rules::VarLookup& vars) {
  if (body.is_string()) {
    auto tpl = rules::Template::parse(body.get<std::string>());
    if (!tpl) return body;  // checked at start-up; never reached
    return tpl->render(vars, kMaxRendered);
  }
  if (body.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, v] : body.items()) out[k] = render_node(v, vars);
    return out;
  }
  if (body.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : body) out.push_back(render_node(v, vars));
    return out;
  }
  return body;
}

}  // namespace

nlohmann::json render_body(const nlohmann::json& body, const Ticket& t, const TemplateVars& extra) {
  return render_node(body, lookup(t, extra));
}

std::string hmac_sha256_hex(const std::string& secret, const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

}  // namespace ticketd::connectors
