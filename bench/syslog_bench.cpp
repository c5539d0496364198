// Syslog load generator: sends RFC 3164 lines over UDP or TCP (LF framing)
// at a given rate or as fast as possible, then reads the daemon's /metrics
// and prints messages/s sent, received, parsed, dropped and ticketed, and the
// daemon's peak memory (with --pid).
//
//   syslog_bench --port 5514 --http http://127.0.0.1:8080 [--udp|--tcp]
//                [--seconds 10] [--rate 0 (= max)] [--hosts 1000] [--pid PID]
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "common.hpp"

namespace {

size_t collect(char* p, size_t s, size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, s * n);
  return s * n;
}

std::string get(const std::string& url) {
  std::string body;
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_perform(c);
  curl_easy_cleanup(c);
  return body;
}

double metric(const std::string& text, const std::string& name) {
  size_t at = text.find("\n" + name + " ");
  if (at == std::string::npos) return 0;
  return std::atof(text.c_str() + at + name.size() + 2);
}

}  // namespace

int main(int argc, char** argv) {
  int port = 5514, seconds = 10, hosts = 1000;
  double rate = 0;
  bool tcp = false;
  std::string http = "http://127.0.0.1:8080", pid;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--port")
      port = std::atoi(next().c_str());
    else if (a == "--seconds")
      seconds = std::atoi(next().c_str());
    else if (a == "--rate")
      rate = std::atof(next().c_str());
    else if (a == "--hosts")
      hosts = std::atoi(next().c_str());
    else if (a == "--http")
      http = next();
    else if (a == "--pid")
      pid = next();
    else if (a == "--tcp")
      tcp = true;
    else if (a == "--udp")
      tcp = false;
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  const std::string before = get(http + "/metrics");
  const char* transport = tcp ? "tcp" : "udp";
  auto m = [&](const std::string& text, const char* name) {
    return metric(text, std::string(name) + "{transport=\"" + transport + "\"}");
  };
  int fd = ::socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::perror("connect");
    return 1;
  }
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::seconds(seconds);
  uint64_t sent = 0;
  std::string out;
  while (std::chrono::steady_clock::now() < end) {
    if (rate > 0) {
      const double due =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() * rate;
      if (sent >= due) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        continue;
      }
    }
    const std::string line = "<11>Nov 28 14:03:00 host" +
                             std::to_string(sent % static_cast<uint64_t>(hosts)) +
                             " app[42]: bench message " + std::to_string(sent) + "\n";
    if (tcp) {
      out += line;
      if (out.size() > 64 * 1024) {
        if (::send(fd, out.data(), out.size(), 0) < 0) break;
        out.clear();
      }
    } else {
      ::send(fd, line.data(), line.size(), 0);
    }
    ++sent;
  }
  if (tcp && !out.empty()) ::send(fd, out.data(), out.size(), 0);
  ::close(fd);
  std::this_thread::sleep_for(std::chrono::seconds(2));  // let the daemon catch up
  const std::string after = get(http + "/metrics");
  const double received =
      m(after, "ticketd_syslog_received_total") - m(before, "ticketd_syslog_received_total");
  const double parsed =
      m(after, "ticketd_syslog_parsed_total") - m(before, "ticketd_syslog_parsed_total");
  const double dropped =
      m(after, "ticketd_syslog_dropped_total") - m(before, "ticketd_syslog_dropped_total");
  const double opened = metric(after, "ticketd_tickets_opened_total") -
                        metric(before, "ticketd_tickets_opened_total");
  std::printf("transport=%s seconds=%d rate=%s hosts=%d\n", transport, seconds,
              rate > 0 ? std::to_string(static_cast<int>(rate)).c_str() : "max", hosts);
  std::printf(
      "sent %llu (%.0f msg/s); accepted %.0f (%.0f msg/s), parsed %.0f, dropped %.0f, tickets "
      "opened %.0f\n",
      static_cast<unsigned long long>(sent), sent / static_cast<double>(seconds), received,
      received / seconds, parsed, dropped, opened);
  if (!pid.empty()) std::printf("daemon peak RSS:%s\n", bench::peak_rss(pid).c_str());
  return 0;
}
