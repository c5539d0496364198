// RELP input end to end: a raw RELP client over loopback against the real
// ticketd, and, where installed, a real rsyslog forwarding with omrelp. An
// acknowledgement ("rsp 200 OK") must mean the event is already stored.
#include <netinet/in.h>

#include <algorithm>
#include <optional>
#include <set>

#include "harness.hpp"
#include "relp_client.hpp"

namespace {

using namespace ticketd_test;

std::vector<std::string> stored_messages(Daemon& d) {
  Reply r = http("GET", d.url("/api/v1/events?limit=1000"));
  EXPECT_EQ(r.status, 200) << r.body;
  const json answer = r.j();  // named: a temporary's ["events"] would dangle in the loop
  std::vector<std::string> out;
  for (const json& e : answer["events"]) out.push_back(e["event"]["message"].get<std::string>());
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(Relp, OpenSyslogCloseAcksInOrderOnlyWhatIsStored) {
  Daemon d;
  const uint16_t port = enable_relp(d);
  ASSERT_TRUE(d.start()) << d.log();
  RelpClient c(port);
  ASSERT_TRUE(c.connected());
  c.send(1, "open", kRelpOffers);
  auto open = c.next();
  ASSERT_TRUE(open);
  EXPECT_EQ(open->txnr, 1u);
  EXPECT_EQ(open->command, "rsp");
  EXPECT_EQ(open->data, "200 OK\nrelp_version=0\nrelp_software=ticketd\ncommands=syslog");

  // Several transactions in one write, then one at a time.
  std::string burst;
  for (int i = 2; i <= 6; ++i) {
    const std::string msg = "<12>Dec  2 13:00:00 web1 shop: relp message " + std::to_string(i);
    burst += std::to_string(i) + " syslog " + std::to_string(msg.size()) + " " + msg + "\n";
  }
  c.send_raw(burst);
  for (uint64_t want = 2; want <= 6; ++want) {
    auto ack = c.next();
    ASSERT_TRUE(ack) << d.log();
    EXPECT_EQ(ack->txnr, want);
    EXPECT_EQ(ack->command, "rsp");
    EXPECT_EQ(ack->data, "200 OK");
    // Acknowledged means stored: visible at once, without waiting.
    EXPECT_TRUE(contains(stored_messages(d), "relp message " + std::to_string(want)))
        << "txnr " << want;
  }
  for (uint64_t txnr = 7; txnr <= 9; ++txnr) {
    c.send(txnr, "syslog", "<11>Dec  2 13:00:01 db1 pg: relp single " + std::to_string(txnr));
    auto ack = c.next();
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->txnr, txnr);
    EXPECT_EQ(ack->data, "200 OK");
    EXPECT_TRUE(contains(stored_messages(d), "relp single " + std::to_string(txnr)));
  }
  c.send(10, "close", "");
  auto closed = c.next();
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->txnr, 10u);
  EXPECT_EQ(closed->command, "rsp");
  EXPECT_EQ(closed->data, "200 OK");
  EXPECT_FALSE(c.next()) << "the daemon closes after answering close";

  json events = http("GET", d.url("/api/v1/events?limit=1000")).j()["events"];
  size_t relp = 0;
  for (const json& e : events) {
    if (e["event"]["message"].get<std::string>().rfind("relp ", 0) != 0) continue;
    ++relp;
    EXPECT_EQ(e["event"]["source"], "syslog") << e.dump();
  }
  EXPECT_EQ(relp, 8u) << events.dump(1);
  EXPECT_EQ(metric(d, "ticketd_syslog_received_total{transport=\"relp\"}"), "8");
}

TEST(Relp, SmallQueueDelaysAcksButLosesNothing) {
  Daemon d("queue: { capacity: 16, batch_max: 16 }\n");
  const uint16_t port = enable_relp(d);
  ASSERT_TRUE(d.start()) << d.log();
  RelpClient c(port);
  c.send(1, "open", kRelpOffers);
  ASSERT_TRUE(c.next());
  const uint64_t n = 3000;
  std::string burst;
  for (uint64_t i = 2; i < 2 + n; ++i) {
    const std::string msg = "<12>Dec  2 13:00:00 web1 shop: burst " + std::to_string(i);
    burst += std::to_string(i) + " syslog " + std::to_string(msg.size()) + " " + msg + "\n";
  }
  // Written from another thread: the daemon stops reading while its queue is full.
  std::thread writer([&] { c.send_raw(burst); });
  for (uint64_t want = 2; want < 2 + n; ++want) {
    auto ack = c.next();
    ASSERT_TRUE(ack) << "txnr " << want << "\n" << d.log();
    ASSERT_EQ(ack->txnr, want);
    ASSERT_EQ(ack->data, "200 OK");
  }
  writer.join();
  EXPECT_EQ(metric_u(d, "ticketd_events_processed_total"), n);
  // Newest first, at most 1000 a page: the last 1000, in order.
  const std::vector<std::string> got = stored_messages(d);
  ASSERT_EQ(got.size(), 1000u);
  EXPECT_EQ(got.front(), "burst 3001");
  EXPECT_EQ(got.back(), "burst 2002");
}

// A full disk: nothing is acknowledged while the store cannot commit (the
// message is held, or answered 500 and the connection closed); once space
// returns the message is stored and acknowledged.
TEST(Relp, AFullStoreNeverAcknowledgesAndRecovers) {
  Daemon d;
  const uint16_t port = enable_relp(d);
  Tmpfs var(d.dir() / "var", "16m");
  if (!var.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << var.error();
  ASSERT_TRUE(d.start()) << d.log();
  RelpClient c(port);
  c.send(1, "open", kRelpOffers);
  ASSERT_TRUE(c.next());
  var.fill();
  ASSERT_TRUE(eventually([&] {
    return d.post(R"({"host":"db9","severity":"error","app":"pg","message":"while full"})")
               .status == 503;
  })) << d.log();

  c.send(2, "syslog", "<12>Dec  2 13:00:00 web1 shop: sent while the disk is full");
  auto r = c.next();  // none within the client's 5 s timeout, or a refusal
  bool held = !r;
  if (r) {
    EXPECT_EQ(r->txnr, 2u);
    EXPECT_EQ(r->data.rfind("500 not stored", 0), 0u) << r->data;
    EXPECT_FALSE(c.next()) << "closed after a 500";
  }
  var.free_space();
  if (held) {
    // The held message is stored and acknowledged on the same connection.
    r = c.next();
    ASSERT_TRUE(r) << d.log();
    EXPECT_EQ(r->txnr, 2u);
    EXPECT_EQ(r->data, "200 OK");
  } else {
    // The sender resends on a new connection.
    RelpClient again(port);
    again.send(1, "open", kRelpOffers);
    ASSERT_TRUE(again.next());
    again.send(2, "syslog", "<12>Dec  2 13:00:00 web1 shop: sent while the disk is full");
    r = again.next();
    ASSERT_TRUE(r) << d.log();
    EXPECT_EQ(r->data, "200 OK");
  }
  EXPECT_TRUE(contains(stored_messages(d), "sent while the disk is full"));
}

TEST(Relp, UnknownCommandIsAnswered500AndTheSessionGoesOn) {
  Daemon d;
  const uint16_t port = enable_relp(d);
  ASSERT_TRUE(d.start()) << d.log();
  RelpClient c(port);
  c.send(1, "open", kRelpOffers);
  ASSERT_TRUE(c.next());
  c.send(2, "starttls", "");
  auto r = c.next();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->txnr, 2u);
  EXPECT_EQ(r->data, "500 unsupported command starttls");
  c.send(3, "syslog", "<12>Dec  2 13:00:00 web1 shop: after the unknown one");
  r = c.next();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->txnr, 3u);
  EXPECT_EQ(r->data, "200 OK");
}

TEST(Relp, SyslogBeforeOpenIsRefusedAndNotStored) {
  Daemon d;
  const uint16_t port = enable_relp(d);
  ASSERT_TRUE(d.start()) << d.log();
  RelpClient c(port);
  c.send(1, "syslog", "<12>Dec  2 13:00:00 web1 shop: too early");
  auto r = c.next();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->txnr, 1u);
  EXPECT_EQ(r->data, "500 session not open");
  EXPECT_FALSE(c.next());
  EXPECT_FALSE(contains(stored_messages(d), "too early"));
}

TEST(Relp, OversizedFrameClosesTheConnectionWithoutAnAck) {
  Daemon d;
  const uint16_t port = enable_relp(d);
  ASSERT_TRUE(d.start()) << d.log();
  RelpClient c(port);
  c.send(1, "open", kRelpOffers);
  ASSERT_TRUE(c.next());
  // syslog.max_message_bytes is 64 KiB by default.
  c.send_raw("2 syslog 70000 ");
  EXPECT_FALSE(c.next());
  EXPECT_EQ(metric(d, "ticketd_syslog_malformed_total{transport=\"relp\"}"), "1");
}

TEST(Relp, ShutdownAnswersWhatWasReadThenSaysServerclose) {
  Daemon d;
  const uint16_t port = enable_relp(d);
  ASSERT_TRUE(d.start()) << d.log();
  RelpClient c(port);
  c.send(1, "open", kRelpOffers);
  ASSERT_TRUE(c.next());
  c.send(2, "syslog", "<12>Dec  2 13:00:00 web1 shop: before the stop");
  auto ack = c.next();
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->txnr, 2u);
  d.signal(SIGTERM);
  auto bye = c.next();
  ASSERT_TRUE(bye) << d.log();
  EXPECT_EQ(bye->txnr, 0u);
  EXPECT_EQ(bye->command, "serverclose");
  EXPECT_EQ(bye->data, "");
  EXPECT_FALSE(c.next());
  EXPECT_EQ(d.stop(), 0) << d.log();
}

// rsyslogd reading UDP on `in_port` and forwarding everything over RELP.
class Rsyslog {
 public:
  Rsyslog(const fs::path& work, uint16_t in_port, uint16_t relp_port) : work_(work) {
    fs::create_directories(work_);
    std::ofstream(work_ / "rsyslog.conf")
        << "global(workDirectory=\"" << work_.string() << "\")\n"
        << "module(load=\"imudp\")\nmodule(load=\"omrelp\")\n"
        << "input(type=\"imudp\" address=\"127.0.0.1\" port=\"" << in_port << "\")\n"
        << "action(type=\"omrelp\" target=\"127.0.0.1\" port=\"" << relp_port << "\""
        << " queue.type=\"LinkedList\" action.resumeRetryCount=\"-1\""
        << " action.resumeInterval=\"1\")\n";
    conf_ = (work_ / "rsyslog.conf").string();
    pidfile_ = (work_ / "rsyslogd.pid").string();
    log_ = (work_ / "rsyslogd.log").string();
  }
  ~Rsyslog() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  bool start() {
    char* argv[] = {const_cast<char*>("rsyslogd"),
                    const_cast<char*>("-n"),
                    const_cast<char*>("-f"),
                    conf_.data(),
                    const_cast<char*>("-i"),
                    pidfile_.data(),
                    nullptr};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    const int rc = posix_spawnp(&pid_, "rsyslogd", &fa, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    return rc == 0;
  }
  std::string log() const {
    std::ifstream in(log_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  fs::path work_;
  std::string conf_, pidfile_, log_;
  pid_t pid_ = -1;
};

bool have_omrelp() {
  return run("command -v rsyslogd").first == 0 &&
         run("ls /usr/lib/*/rsyslog/omrelp.so /usr/lib/rsyslog/omrelp.so 2>/dev/null | grep -q .")
                 .first == 0;
}

size_t count_prefix(const std::vector<std::string>& v, const std::string& prefix) {
  return static_cast<size_t>(std::count_if(
      v.begin(), v.end(), [&](const std::string& s) { return s.rfind(prefix, 0) == 0; }));
}

TEST(Relp, RealRsyslogForwardsOverRelpAndResendsAcrossARestart) {
  if (!have_omrelp()) GTEST_SKIP() << "rsyslogd or its omrelp module is not installed";
  Daemon d;
  const uint16_t port = enable_relp(d);
  ASSERT_TRUE(d.start()) << d.log();
  const uint16_t in_port = free_port();
  Rsyslog r(d.dir() / "rsyslog", in_port, port);
  ASSERT_TRUE(r.start());
  const std::string logger = "logger --udp -n 127.0.0.1 -P " + std::to_string(in_port) +
                             " --rfc3164 -t fwd -p user.warning ";
  // rsyslog's UDP input binds some time after start: probe until one arrives.
  ASSERT_TRUE(eventually([&] {
    run(logger + "'probe'");
    return contains(stored_messages(d), "probe");
  })) << "\nrsyslog:\n"
      << r.log() << "\nticketd:\n"
      << d.log();
  for (int i = 1; i <= 5; ++i) {
    ASSERT_EQ(run(logger + "'relp via rsyslog " + std::to_string(i) + "'").first, 0);
  }
  ASSERT_TRUE(eventually([&] { return count_prefix(stored_messages(d), "relp via rsyslog") == 5; }))
      << "\nrsyslog:\n"
      << r.log() << "\nticketd:\n"
      << d.log();
  std::vector<std::string> got = stored_messages(d);
  for (int i = 1; i <= 5; ++i) {
    EXPECT_TRUE(contains(got, "relp via rsyslog " + std::to_string(i))) << i;
  }
  // Every message received over RELP is stored: the 5 and the probes that arrived.
  EXPECT_EQ(metric_u(d, "ticketd_syslog_received_total{transport=\"relp\"}"),
            5u + static_cast<uint64_t>(std::count(got.begin(), got.end(), "probe")));

  // ticketd stops (serverclose); rsyslog queues; after the restart it resends.
  ASSERT_EQ(d.stop(), 0) << d.log();
  for (int i = 1; i <= 3; ++i) {
    ASSERT_EQ(run(logger + "'while ticketd was down " + std::to_string(i) + "'").first, 0);
  }
  ASSERT_TRUE(d.start()) << d.log();
  ASSERT_TRUE(eventually([&] {
    return count_prefix(stored_messages(d), "while ticketd was down") == 3;
  })) << "\nrsyslog:\n"
      << r.log() << "\nticketd:\n"
      << d.log();
  EXPECT_EQ(count_prefix(stored_messages(d), "relp via rsyslog"), 5u);
}

// rsyslog forwarding over RELP while ticketd is killed with SIGKILL again
// and again: every message rsyslog took in is stored (RELP resends what was
// not acknowledged; a message may arrive twice, never not at all).
TEST(Relp, RealRsyslogLosesNothingAcrossRepeatedKill9) {
  if (!have_omrelp()) GTEST_SKIP() << "rsyslogd or its omrelp module is not installed";
  constexpr int kMessages = 300, kKills = 5;
  Daemon d;
  const uint16_t port = enable_relp(d);
  ASSERT_TRUE(d.start()) << d.log();
  const uint16_t in_port = free_port();
  Rsyslog r(d.dir() / "rsyslog", in_port, port);
  ASSERT_TRUE(r.start());
  auto to_rsyslog = [&](const std::string& msg) {
    send_udp(in_port, "<12>Dec  1 00:00:00 fwdhost kill9: " + msg);
  };
  ASSERT_TRUE(eventually([&] {
    to_rsyslog("probe");
    return contains(stored_messages(d), "probe");
  })) << r.log();

  std::atomic<int> sent{0};
  std::thread sender([&] {
    for (int i = 0; i < kMessages; ++i) {
      to_rsyslog("k9-" + std::to_string(i));
      sent = i + 1;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  for (int k = 0; k < kKills; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    d.signal(SIGKILL);
    d.stop();
    ASSERT_TRUE(d.start()) << "restart " << k + 1 << "\n" << d.log();
  }
  sender.join();

  auto k9 = [&] {
    std::vector<std::string> out;
    for (const std::string& m : stored_event_messages(d, "&host=fwdhost"))
      if (m.rfind("k9-", 0) == 0) out.push_back(m);
    return out;
  };
  std::set<std::string> unique;
  ASSERT_TRUE(eventually(
      [&] {
        const std::vector<std::string> got = k9();
        unique = std::set<std::string>(got.begin(), got.end());
        return unique.size() == static_cast<size_t>(kMessages);
      },
      std::chrono::seconds(60)))
      << unique.size() << " of " << kMessages << " stored\nrsyslog:\n"
      << r.log() << "\nticketd:\n"
      << d.log();
  const size_t stored = k9().size();
  std::cout << "relp kill -9: " << kKills << " kills; rsyslog took " << kMessages << ", "
            << unique.size() << " stored (0 lost), " << stored - unique.size()
            << " resent twice by RELP\n";
}

TEST(Relp, ConfigOffByDefault) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  EXPECT_EQ(d.log().find("relp"), std::string::npos) << d.log();
}

}  // namespace
