// The machine's ceiling for the syslog workload: a bare TCP receiver that
// reads and discards, counting newlines, and exits once it has counted
// --lines of them (over any number of connections). It parses nothing and
// stores nothing, so its rate is what loopback TCP and the sender allow.
//
//   tcp_sink --port 5514 --lines N [--ready FILE]
//
// --ready FILE is created once the socket listens. Prints
// "lines=N bytes=B seconds=S peak_rss_kb=K" when done: S from the first byte
// read to the last line counted (finer than a shell's clock), K its own VmHWM.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "common.hpp"

int main(int argc, char** argv) {
  int port = 0;
  unsigned long long want = 0;
  std::string ready;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--port")
      port = std::atoi(argv[i + 1]);
    else if (a == "--lines")
      want = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--ready")
      ready = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: tcp_sink --port P --lines N [--ready FILE]\n");
      return 2;
    }
  }
  if (port <= 0 || want == 0) {
    std::fprintf(stderr, "usage: tcp_sink --port P --lines N [--ready FILE]\n");
    return 2;
  }
  const int ls = ::socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  ::setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(ls, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(ls, 64) != 0) {
    std::perror("tcp_sink: bind/listen");
    return 1;
  }
  if (!ready.empty()) std::ofstream(ready) << port << "\n";
  std::vector<pollfd> fds{{ls, POLLIN, 0}};
  std::vector<char> buf(1 << 20);
  unsigned long long lines = 0, bytes = 0;
  std::chrono::steady_clock::time_point first{};
  while (lines < want) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      std::perror("tcp_sink: poll");
      return 1;
    }
    if (fds[0].revents & POLLIN) {
      const int c = ::accept(ls, nullptr, nullptr);
      if (c >= 0) fds.push_back({c, POLLIN, 0});
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(fds[i].fd, buf.data(), buf.size());
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        continue;
      }
      if (bytes == 0) first = std::chrono::steady_clock::now();
      bytes += static_cast<unsigned long long>(n);
      lines += static_cast<unsigned long long>(std::count(buf.data(), buf.data() + n, '\n'));
    }
    fds.erase(std::remove_if(fds.begin() + 1, fds.end(), [](const pollfd& p) { return p.fd < 0; }),
              fds.end());
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - first).count();
  std::printf("lines=%llu bytes=%llu seconds=%.6f peak_rss_kb=%ld\n", lines, bytes, seconds,
              std::atol(bench::peak_rss("self").c_str()));
  return 0;
}
