// Starts a fake backend (tests/fakes/<kind>.py) on a free loopback port and
// talks to its /_fake/ control endpoints. Header-only; used by
// connector_tests and integration_tests.
#pragma once

#include <curl/curl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

extern "C" char** environ;

namespace ticketd_test {

class FakeServer {
 public:
  // `kind`: the file name under tests/fakes without ".py"; `arg`: an
  // argument for it (smtp.py takes the file it writes mails to).
  explicit FakeServer(const std::string& kind, const std::string& arg = "") {
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    const std::string script = std::string(TICKETD_SOURCE_DIR) + "/tests/fakes/" + kind + ".py";
    const char* python = ::access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    char* argv[] = {const_cast<char*>(python), const_cast<char*>("-u"),
                    const_cast<char*>(script.c_str()),
                    arg.empty() ? nullptr : const_cast<char*>(arg.c_str()), nullptr};
    if (posix_spawnp(&pid_, python, &fa, nullptr, argv, environ) != 0)
      throw std::runtime_error("cannot start " + script);
    posix_spawn_file_actions_destroy(&fa);
    ::close(out[1]);
    FILE* f = ::fdopen(out[0], "r");
    char line[128] = {0};
    if (!std::fgets(line, sizeof line, f) || std::sscanf(line, "PORT %d", &port_) != 1) {
      std::fclose(f);
      throw std::runtime_error("fake " + kind + " did not start");
    }
    std::fclose(f);
  }
  ~FakeServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Every request the fake answered (not control calls), oldest first.
  nlohmann::json requests() const { return control("GET", "requests", ""); }
  // The next `count` requests get `status` (with Retry-After when given).
  void fail(int status, int count, const std::string& retry_after = "",
            const std::string& body = "") const {
    nlohmann::json j = {{"status", status}, {"count", count}, {"body", body}};
    if (!retry_after.empty()) j["retry_after"] = retry_after;
    control("POST", "fail", j.dump());
  }
  void delay(int ms) const { control("POST", "delay", nlohmann::json{{"ms", ms}}.dump()); }
  void reset() const { control("POST", "reset", "{}"); }
  nlohmann::json state() const { return control("GET", "state", ""); }
  nlohmann::json set_state(const nlohmann::json& patch) const {
    return control("POST", "state", patch.dump());
  }

 private:
  static size_t collect(char* p, size_t s, size_t n, void* out) {
    static_cast<std::string*>(out)->append(p, s * n);
    return s * n;
  }
  nlohmann::json control(const std::string& method, const std::string& what,
                         const std::string& body) const {
    std::string out;
    CURL* c = curl_easy_init();
    const std::string u = url() + "/_fake/" + what;
    curl_easy_setopt(c, CURLOPT_URL, u.c_str());
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (method == "POST") {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    const CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK) throw std::runtime_error("fake control " + what + " failed");
    return nlohmann::json::parse(out, nullptr, false);
  }

  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace ticketd_test
