#include <curl/curl.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <ctime>
#include <mutex>

#include "ticketd/connectors/http.hpp"

namespace ticketd::connectors {

std::string HttpResponse::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

std::string basic_auth(const std::string& user, const std::string& password) {
  const std::string plain = user + ":" + password;
  std::string out(4 * ((plain.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(plain.data()),
                                static_cast<int>(plain.size()));
  out.resize(static_cast<size_t>(n));
  return "Basic " + out;
}

std::string url_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

class CurlClient final : public HttpClient {
 public:
  explicit CurlClient(const CurlOptions& o) : options_(o) {
    global_init();
    curl_ = curl_easy_init();
  }
  ~CurlClient() override {
    if (curl_) curl_easy_cleanup(curl_);
  }

  Result<HttpResponse> send(const HttpRequest& req) override {
    if (!curl_) return Status::internal("libcurl: cannot create a handle");
    curl_easy_reset(curl_);
    Exchange x{&options_, {}, false};
    curl_slist* headers = nullptr;
    bool has_type = false;
    for (const auto& [name, value] : req.headers) {
      headers = curl_slist_append(headers, (name + ": " + value).c_str());
      std::string lower = name;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      has_type = has_type || lower == "content-type";
    }
    if (!req.body.empty() && !has_type)
      headers = curl_slist_append(headers, "Content-Type: application/json");
    // No "Expect: 100-continue" round trip on larger bodies.
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(curl_, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    if (req.method == "HEAD") curl_easy_setopt(curl_, CURLOPT_NOBODY, 1L);
    if (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, req.body.data());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(req.body.size()));
    }
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, to_ms(options_.timeout));
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, to_ms(options_.connect_timeout));
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl_, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
    curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
    if (!options_.ca_file.empty())
      curl_easy_setopt(curl_, CURLOPT_CAINFO, options_.ca_file.c_str());
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &CurlClient::on_body);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &CurlClient::on_header);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &x);
    char error[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, error);
    const CURLcode rc = curl_easy_perform(curl_);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) {
      if (x.too_big)
        return Status::unavailable("the answer exceeds " + std::to_string(options_.max_response) +
                                   " bytes");
      return Status::unavailable(error[0] ? std::string(error) : curl_easy_strerror(rc));
    }
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &x.response.status);
    return std::move(x.response);
  }

 private:
  struct Exchange {
    const CurlOptions* options;
    HttpResponse response;
    bool too_big;
  };

  static long to_ms(Duration d) {
    return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
  }

  static size_t on_body(char* p, size_t size, size_t n, void* self) {
    auto* x = static_cast<Exchange*>(self);
    const size_t len = size * n;
    if (x->response.body.size() + len > x->options->max_response) {
      x->too_big = true;
      return 0;  // aborts the transfer
    }
    x->response.body.append(p, len);
    return len;
  }

  static size_t on_header(char* p, size_t size, size_t n, void* self) {
    auto* x = static_cast<Exchange*>(self);
    const size_t len = size * n;
    std::string_view line(p, len);
    if (line.rfind("HTTP/", 0) == 0) {
      x->response.headers.clear();  // a new response (after a 100 Continue)
      return len;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return len;
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    x->response.headers[name] = std::string(value);
    return len;
  }

  CurlOptions options_;
  CURL* curl_ = nullptr;
};

}  // namespace

namespace {

struct Upload {
  std::string data;
  size_t sent = 0;
};

size_t read_upload(char* buf, size_t size, size_t n, void* self) {
  auto* u = static_cast<Upload*>(self);
  const size_t len = std::min(size * n, u->data.size() - u->sent);
  std::memcpy(buf, u->data.data() + u->sent, len);
  u->sent += len;
  return len;
}

// Header values must not carry a line break (header injection from a title).
std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return s;
}

}  // namespace

Status send_mail(const Mail& mail) {
  global_init();
  if (mail.to.empty()) return Status::invalid_argument("mail: no recipients");
  CURL* c = curl_easy_init();
  if (!c) return Status::internal("libcurl: cannot create a handle");
  Upload u;
  std::string to_header;
  for (const std::string& t : mail.to) to_header += (to_header.empty() ? "" : ", ") + one_line(t);
  // No Date header: the relay adds one (RFC 6409 8.1), and only
  // core/clock.cpp reads the system clock.
  u.data = "From: " + one_line(mail.from) + "\r\nTo: " + to_header +
           "\r\nSubject: " + one_line(mail.subject) +
           "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
           "Content-Transfer-Encoding: 8bit\r\n\r\n";
  // Lines end in CRLF; a line that is just "." would end the DATA early
  // (libcurl escapes leading dots itself).
  for (char ch : mail.body) {
    if (ch == '\n')
      u.data += "\r\n";
    else if (ch != '\r')
      u.data += ch;
  }
  u.data += "\r\n";
  curl_slist* rcpt = nullptr;
  for (const std::string& t : mail.to) rcpt = curl_slist_append(rcpt, t.c_str());
  curl_easy_setopt(c, CURLOPT_URL, mail.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail.from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read_upload);
  curl_easy_setopt(c, CURLOPT_READDATA, &u);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(
      c, CURLOPT_TIMEOUT_MS,
      static_cast<long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(mail.timeout).count()));
  // With credentials, TLS is required (STARTTLS or smtps://): a relay that
  // does not offer it, or a man in the middle stripping it, never sees the
  // password. Without, TLS is used when offered.
  curl_easy_setopt(c, CURLOPT_USE_SSL,
                   static_cast<long>(mail.user.empty() ? CURLUSESSL_TRY : CURLUSESSL_ALL));
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, mail.verify_tls ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, mail.verify_tls ? 2L : 0L);
  if (!mail.user.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, mail.user.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, mail.password.c_str());
  }
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  const CURLcode rc = curl_easy_perform(c);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(c);
  if (rc == CURLE_OK) return Status::ok();
  const std::string why = (error[0] ? std::string(error) : curl_easy_strerror(rc)) +
                          (code ? " (SMTP " + std::to_string(code) + ")" : "");
  if (code >= 500) return Status::invalid_argument("mail refused: " + why);
  return Status::unavailable("mail not sent: " + why);
}

std::unique_ptr<HttpClient> make_curl_client(const CurlOptions& options) {
  return std::make_unique<CurlClient>(options);
}

}  // namespace ticketd::connectors
