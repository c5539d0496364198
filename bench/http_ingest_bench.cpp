// Load generator for POST /api/v1/events: C client threads, each with one
// keep-alive connection, send events (one per request, or --batch N per
// request) for --seconds and print throughput, latency percentiles and, with
// --pid, the daemon's peak memory (VmHWM).
//
//   http_ingest_bench --url http://127.0.0.1:8080 [--clients 8] [--seconds 10]
//                     [--batch 1] [--hosts 1000] [--pid PID]
#include <curl/curl.h>

#include "common.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

size_t discard(char*, size_t s, size_t n, void*) { return s * n; }


}  // namespace

int main(int argc, char** argv) {
  std::string url = "http://127.0.0.1:8080", pid;
  int clients = 8, seconds = 10, batch = 1, hosts = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--url") url = v;
    else if (a == "--clients") clients = std::atoi(v.c_str());
    else if (a == "--seconds") seconds = std::atoi(v.c_str());
    else if (a == "--batch") batch = std::atoi(v.c_str());
    else if (a == "--hosts") hosts = std::atoi(v.c_str());
    else if (a == "--pid") pid = v;
    else {
      std::cerr << "unknown option " << a << "\n";
      return 2;
    }
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const std::string target = url + "/api/v1/events";
  std::atomic<uint64_t> ok{0}, failed{0};
  std::mutex mu;
  std::vector<double> latencies_ms;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      CURL* h = curl_easy_init();
      curl_slist* hdr = curl_slist_append(nullptr, "Content-Type: application/json");
      curl_easy_setopt(h, CURLOPT_URL, target.c_str());
      curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
      curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
      curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
      std::vector<double> local;
      uint64_t n = static_cast<uint64_t>(c) * 7919;
      while (std::chrono::steady_clock::now() < deadline) {
        std::string body = batch > 1 ? "[" : "";
        for (int b = 0; b < batch; ++b, ++n) {
          if (b) body += ",";
          body += R"({"host":"host)" + std::to_string(n % static_cast<uint64_t>(hosts)) +
                  R"(","app":"bench","severity":"error","message":"bench event )" + std::to_string(n) + "\"}";
        }
        if (batch > 1) body += "]";
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
        auto t0 = std::chrono::steady_clock::now();
        long status = 0;
        if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        local.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        (status == 202 ? ok : failed) += static_cast<uint64_t>(batch);
      }
      curl_slist_free_all(hdr);
      curl_easy_cleanup(h);
      std::lock_guard lock(mu);
      latencies_ms.insert(latencies_ms.end(), local.begin(), local.end());
    });
  }
  for (auto& t : threads) t.join();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    if (latencies_ms.empty()) return 0.0;
    return latencies_ms[std::min(latencies_ms.size() - 1, static_cast<size_t>(p * latencies_ms.size()))];
  };
  std::printf("clients=%d batch=%d seconds=%d hosts=%d\n", clients, batch, seconds, hosts);
  std::printf("events accepted: %llu (%.0f events/s), failed: %llu\n", static_cast<unsigned long long>(ok.load()),
              static_cast<double>(ok.load()) / seconds, static_cast<unsigned long long>(failed.load()));
  std::printf("request latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n", pct(0.50), pct(0.90), pct(0.99),
              latencies_ms.empty() ? 0.0 : latencies_ms.back());
  if (!pid.empty()) std::printf("daemon peak RSS:%s\n", bench::peak_rss(pid).c_str());
  curl_global_cleanup();
  return failed.load() == 0 ? 0 : 1;
}
