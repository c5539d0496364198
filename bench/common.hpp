// Small helpers shared by the load generators.
#pragma once

#include <chrono>
#include <fstream>
#include <string>

namespace bench {

// Seconds of wall time since t0 (a steady_clock reading).
inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A process's peak resident set size ("VmHWM" of /proc/PID/status), e.g. " 11748 kB".
inline std::string peak_rss(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return line.substr(6);
  }
  return " unknown";
}

}  // namespace bench
