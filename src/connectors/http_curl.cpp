#include <curl/curl.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
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

std::unique_ptr<HttpClient> make_curl_client(const CurlOptions& options) {
  return std::make_unique<CurlClient>(options);
}

}  // namespace ticketd::connectors
