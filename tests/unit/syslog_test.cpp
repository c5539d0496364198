// Syslog parsing from a table of real-world lines, and RFC 6587 framing.
#include <gtest/gtest.h>

#include <cstring>

#include "ticketd/ingest/syslog_framer.hpp"
#include "ticketd/ingest/syslog_parser.hpp"

namespace ticketd::ingest {
namespace {

// Received at 2026-11-28T14:05:00Z unless a case says otherwise.
const TimePoint kNow = *parse_rfc3339("2026-11-28T14:05:00Z");

struct Case {
  const char* name;
  const char* line;
  const char* host;
  const char* app;
  const char* severity;
  const char* facility;
  const char* message;  // expected message (prefix match when ending with "…")
  const char* time;     // expected RFC 3339 UTC, or "" for "receive time"
  bool malformed = false;
};

const Case kCases[] = {
    // --- RFC 5424 ---
    {"rfc5424 example 1",
     "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - BOM'su root' failed for "
     "lonvick on /dev/pts/8",
     "mymachine.example.com", "su", "critical", "auth",
     "BOM'su root' failed for lonvick on /dev/pts/8", "2003-10-11T22:14:15.003Z"},
    {"rfc5424 offset and microseconds",
     "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the "
     "do-nuts.",
     "192.0.2.1", "myproc", "notice", "local4", "%% It's time to make the do-nuts.",
     "2003-08-24T12:14:15.000Z"},
    {"rfc5424 structured data",
     "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 "
     "iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] An application event log entry...",
     "mymachine.example.com", "evntslog", "notice", "local4", "An application event log entry...",
     "2003-10-11T22:14:15.003Z"},
    {"rfc5424 sd only, no msg",
     "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 "
     "iut=\"3\"][examplePriority@32473 class=\"high\"]",
     "mymachine.example.com", "evntslog", "notice", "local4", "", "2003-10-11T22:14:15.003Z"},
    {"rfc5424 escaped sd values",
     R"(<14>1 2026-11-28T14:03:00Z h app - - [x@1 q="a \"quoted\" \\ and \] bracket"] msg)", "h",
     "app", "info", "user", "msg", "2026-11-28T14:03:00.000Z"},
    {"rfc5424 with BOM",
     "<13>1 2026-11-28T14:03:00Z host app 1 - - \xEF\xBB\xBFhello utf8 \xC3\xA9", "host", "app",
     "notice", "user", "hello utf8 \xC3\xA9", "2026-11-28T14:03:00.000Z"},
    {"rfc5424 all nil", "<13>1 - - - - - -", "10.0.0.9", "", "notice", "user", "", ""},
    {"logger --rfc5424",
     "<13>1 2026-11-28T14:03:00.123456+00:00 web1 root 4242 - [timeQuality tzKnown=\"1\" "
     "isSynced=\"1\" syncAccuracy=\"124000\"] hello from logger",
     "web1", "root", "notice", "user", "hello from logger", "2026-11-28T14:03:00.123Z"},
    {"rsyslog protocol23 format",
     "<30>1 2026-11-28T15:03:00.512+01:00 db01 systemd 1 - - nginx.service: Failed with result "
     "'exit-code'.",
     "db01", "systemd", "info", "daemon", "nginx.service: Failed with result 'exit-code'.",
     "2026-11-28T14:03:00.512Z"},
    {"journald via rsyslog 5424",
     "<11>1 2026-11-28T14:03:00.000000+00:00 app1 kernel - - - Out of memory: Killed process 4242 "
     "(java) total-vm:8GB",
     "app1", "kernel", "error", "user", "Out of memory: Killed process 4242 (java)…",
     "2026-11-28T14:03:00.000Z"},
    {"vmware esxi 7 5424",
     "<166>1 2026-11-28T14:03:00.123Z esx1.lab Hostd 2099 - - info hostd[2099A00] [Originator@6876 "
     "sub=Vimsvc.TaskManager] Task Completed",
     "esx1.lab", "Hostd", "info", "local4",
     "info hostd[2099A00] [Originator@6876 sub=Vimsvc.TaskManager] Task Completed",
     "2026-11-28T14:03:00.123Z"},
    {"nxlog windows 5424",
     "<14>1 2026-11-28T15:03:00.000000+01:00 WIN-SRV01 Microsoft-Windows-Security-Auditing 744 - "
     "[NXLOG@14506 EventReceivedTime=\"2026-11-28 15:03:01\" SourceModuleName=\"eventlog\" "
     "EventID=\"4625\"] An account failed to log on.",
     "WIN-SRV01", "Microsoft-Windows-Security-Auditing", "info", "user",
     "An account failed to log on.", "2026-11-28T14:03:00.000Z"},
    {"juniper 5424",
     "<28>1 2026-11-28T14:03:00.145Z srx1 RT_FLOW - RT_FLOW_SESSION_DENY [junos@2636.1.1.1.2.129 "
     "source-address=\"10.0.0.1\" destination-address=\"8.8.8.8\"] session denied",
     "srx1", "RT_FLOW", "warning", "daemon", "session denied", "2026-11-28T14:03:00.145Z"},
    {"palo alto 5424",
     "<14>1 2026-11-28T14:03:00+00:00 PA-VM - - - - 1,2026/11/28 "
     "14:03:00,012801,THREAT,vulnerability,2049",
     "PA-VM", "", "info", "user", "1,2026/11/28 14:03:00,012801,THREAT,vulnerability,2049",
     "2026-11-28T14:03:00.000Z"},
    // --- RFC 3164 ---
    {"rfc3164 example",
     "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8", "mymachine",
     "su", "critical", "auth", "'su root' failed for lonvick on /dev/pts/8",
     "2026-10-11T22:14:15.000Z"},
    {"rfc3164 with pid",
     "<38>Nov 28 14:03:00 bastion sshd[4242]: Failed password for root from 203.0.113.9 port 4711 "
     "ssh2",
     "bastion", "sshd", "info", "auth", "Failed password for root from 203.0.113.9 port 4711 ssh2",
     "2026-11-28T14:03:00.000Z"},
    {"rfc3164 space padded day", "<13>Nov  3 04:05:06 host1 cron[1]: job", "host1", "cron",
     "notice", "user", "job", "2026-11-03T04:05:06.000Z"},
    {"logger --rfc3164", "<13>Nov 28 14:03:00 web1 root: hello from logger", "web1", "root",
     "notice", "user", "hello from logger", "2026-11-28T14:03:00.000Z"},
    {"rsyslog traditional forward",
     "<3>Nov 28 14:03:00 db01 kernel: [12345.678] blk_update_request: I/O error, dev sda, sector "
     "2048",
     "db01", "kernel", "error", "kern",
     "[12345.678] blk_update_request: I/O error, dev sda, sector 2048", "2026-11-28T14:03:00.000Z"},
    {"missing hostname", "<13>Nov 28 14:03:00 sshd[123]: Accepted publickey for alice", "10.0.0.9",
     "sshd", "notice", "user", "Accepted publickey for alice", "2026-11-28T14:03:00.000Z"},
    {"pfsense filterlog without hostname",
     "<134>Nov 28 14:03:00 filterlog[4242]: 5,,,1000000103,igb0,match,block,in,4,0x0,,64",
     "10.0.0.9", "filterlog", "info", "local0", "5,,,1000000103,igb0,match,block,in,4,0x0,,64",
     "2026-11-28T14:03:00.000Z"},
    {"missing PRI", "Nov 28 14:03:00 host2 app: no pri here", "host2", "app", "notice", "user",
     "no pri here", "2026-11-28T14:03:00.000Z"},
    {"trailing NUL CR LF", "<13>Nov 28 14:03:00 host3 app: trailing\r\n\0", "host3", "app",
     "notice", "user", "trailing", "2026-11-28T14:03:00.000Z"},
    {"ISO timestamp in 3164", "<13>2026-11-28T14:03:00.250Z host4 app[7]: iso inside", "host4",
     "app", "notice", "user", "iso inside", "2026-11-28T14:03:00.250Z"},
    {"ISO timestamp without offset", "<13>2026-11-28T14:03:00 host5 app: naive iso", "host5", "app",
     "notice", "user", "naive iso", "2026-11-28T14:03:00.000Z"},
    {"december line received in january", "<13>Dec 31 23:59:58 host6 app: old year", "host6", "app",
     "notice", "user", "old year", "2025-12-31T23:59:58.000Z"},
    {"year after the day", "<13>Nov 28 2026 14:03:00 host7 app: with year", "host7", "app",
     "notice", "user", "with year", "2026-11-28T14:03:00.000Z"},
    {"cisco ios seq and star",
     "<189>123: *Mar  1 18:48:50.483 UTC: %SYS-5-CONFIG_I: Configured from console by vty0 "
     "(10.0.0.5)",
     "10.0.0.9", "SYS", "notice", "local7",
     "%SYS-5-CONFIG_I: Configured from console by vty0 (10.0.0.5)", "2026-03-01T18:48:50.483Z"},
    {"cisco ios synced dot",
     "<187>45: .Nov 28 14:03:00.001 CET: %LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed "
     "state to down",
     "10.0.0.9", "LINK", "error", "local7",
     "%LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed state to down",
     "2026-11-28T14:03:00.001Z"},
    {"cisco ios with hostname",
     "<189>Nov 28 14:03:00 rtr1 2117: Nov 28 14:03:00.511: %LINEPROTO-5-UPDOWN: Line protocol on "
     "Interface Gi0/2, changed state to up",
     "rtr1", "LINEPROTO", "notice", "local7",
     "%LINEPROTO-5-UPDOWN: Line protocol on Interface Gi0/2, changed state to up",
     "2026-11-28T14:03:00.000Z"},
    {"cisco nx-os",
     "<189>: 2026 Nov 28 14:03:00 UTC: %ETHPORT-5-IF_DOWN_LINK_FAILURE: Interface Ethernet1/1 is "
     "down (Link failure)",
     "10.0.0.9", "", "notice", "local7",
     ": 2026 Nov 28 14:03:00 UTC: %ETHPORT-5-IF_DOWN_LINK_FAILURE…", ""},
    {"juniper bsd",
     "<28>Nov 28 14:03:00 mx1 mgd[4242]: UI_COMMIT: User 'root' requested 'commit' operation",
     "mx1", "mgd", "warning", "daemon", "UI_COMMIT: User 'root' requested 'commit' operation",
     "2026-11-28T14:03:00.000Z"},
    {"juniper snmp link down",
     "<28>Nov 28 14:03:00 ex1 mib2d[1234]: SNMP_TRAP_LINK_DOWN: ifIndex 527, ifAdminStatus up(1), "
     "ifOperStatus down(2), ifName ge-0/0/1",
     "ex1", "mib2d", "warning", "daemon", "SNMP_TRAP_LINK_DOWN: ifIndex 527…",
     "2026-11-28T14:03:00.000Z"},
    {"fortigate key=value",
     "<189>date=2026-11-28 time=14:03:00 devname=\"FG100E\" devid=\"FG100E3G1\" "
     "logid=\"0100032001\" type=\"event\" subtype=\"system\" level=\"warning\" msg=\"Administrator "
     "admin logged in successfully\"",
     "FG100E", "event", "warning", "local7", "Administrator admin logged in successfully", ""},
    {"palo alto bsd csv",
     "<14>Nov 28 14:03:00 PA-VM 1,2026/11/28 14:03:00,012801,TRAFFIC,end,2049,2026/11/28 "
     "14:03:00,10.0.0.1",
     "PA-VM", "", "info", "user", "1,2026/11/28 14:03:00,012801,TRAFFIC,end…",
     "2026-11-28T14:03:00.000Z"},
    {"vmware esxi iso 3164",
     "<166>2026-11-28T14:03:00.123Z esx2.lab Hostd: info hostd[2099A00] Task Completed", "esx2.lab",
     "Hostd", "info", "local4", "info hostd[2099A00] Task Completed", "2026-11-28T14:03:00.123Z"},
    {"windows snare",
     "<14>Nov 28 14:03:00 WIN-SRV02 MSWinEventLog\t1\tSecurity\t123\tSat Nov 28 14:03:00 "
     "2026\t4625",
     "WIN-SRV02", "", "info", "user", "MSWinEventLog\t1\tSecurity…", "2026-11-28T14:03:00.000Z"},
    {"synology / busybox", "<30>Nov 28 14:03:00 nas1 kernel: [ 12.345] md: md0: resync done.",
     "nas1", "kernel", "info", "daemon", "[ 12.345] md: md0: resync done.",
     "2026-11-28T14:03:00.000Z"},
    {"docker daemon tag with slash",
     "<30>Nov 28 14:03:00 node1 docker/abc123[999]: container log line", "node1", "docker/abc123",
     "info", "daemon", "container log line", "2026-11-28T14:03:00.000Z"},
    {"no timestamp, tag only", "<13>myapp: plain message", "10.0.0.9", "myapp", "notice", "user",
     "plain message", ""},
    {"free text only", "<13>just some text", "10.0.0.9", "", "notice", "user", "just some text",
     ""},
    // --- malformed ---
    {"PRI out of range", "<999>Nov 28 14:03:00 h app: x", "10.0.0.9", "", "notice", "user",
     "<999>Nov 28 14:03:00 h app: x", "", true},
    {"PRI not a number", "<ab>hello", "10.0.0.9", "", "notice", "user", "<ab>hello", "", true},
    {"unterminated structured data", "<13>1 2026-11-28T14:03:00Z h app - - [x@1 a=\"b] msg",
     "10.0.0.9", "", "notice", "user", "<13>1 2026-11-28T14:03:00Z h app - - [x@1 a=\"b] msg", "",
     true},
    {"bad 5424 timestamp", "<13>1 yesterday h app - - - msg", "10.0.0.9", "", "notice", "user",
     "<13>1 yesterday h app - - - msg", "", true},
    {"empty", "", "10.0.0.9", "", "notice", "user", "", "", true},
    {"invalid utf8 kept as text", "<13>Nov 28 14:03:00 h app: caf\xE9", "h", "app", "notice",
     "user", "caf\xC3\xA9", "2026-11-28T14:03:00.000Z"},
};

class SyslogTable : public ::testing::TestWithParam<Case> {};

TEST_P(SyslogTable, Parses) {
  const Case& c = GetParam();
  TimePoint now = kNow;
  if (std::string(c.name) == "december line received in january")
    now = *parse_rfc3339("2026-01-01T00:00:05Z");
  const std::string line = std::string(
      c.line, std::string(c.name) == "trailing NUL CR LF" ? strlen(c.line) + 1 : strlen(c.line));
  SyslogParse p = parse_syslog(line, "10.0.0.9", now);
  EXPECT_EQ(p.malformed, c.malformed) << p.error;
  EXPECT_EQ(p.event.source, "syslog");
  EXPECT_EQ(p.event.host, c.host);
  EXPECT_EQ(p.event.app, c.app);
  ASSERT_TRUE(p.event.severity);
  EXPECT_EQ(severity_name(*p.event.severity), std::string(c.severity));
  EXPECT_EQ(p.event.facility, c.facility);
  std::string want = c.message;
  const std::string ellipsis = "…";
  if (want.size() >= ellipsis.size() &&
      want.compare(want.size() - ellipsis.size(), ellipsis.size(), ellipsis) == 0) {
    want.resize(want.size() - ellipsis.size());
    EXPECT_EQ(p.event.message.substr(0, want.size()), want);
  } else {
    EXPECT_EQ(p.event.message, want);
  }
  EXPECT_EQ(format_rfc3339(p.event.time),
            std::string(c.time).empty() ? format_rfc3339(now) : c.time);
}

INSTANTIATE_TEST_SUITE_P(RealWorld, SyslogTable, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& param_info) {
                           std::string n;
                           for (char ch : std::string(param_info.param.name))
                             n += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
                           return n;
                         });

TEST(SyslogParser, StructuredDataBecomesLabels) {
  auto p = parse_syslog(
      R"(<165>1 2003-10-11T22:14:15.003Z h evntslog 99 ID47 [exampleSDID@32473 iut="3" eventSource="Application"][x@1 q="a \"b\" \\ \] c"] m)",
      "peer", kNow);
  ASSERT_FALSE(p.malformed) << p.error;
  EXPECT_EQ(p.event.labels.at("exampleSDID@32473.iut"), "3");
  EXPECT_EQ(p.event.labels.at("exampleSDID@32473.eventSource"), "Application");
  EXPECT_EQ(p.event.labels.at("x@1.q"), R"(a "b" \ ] c)");
  EXPECT_EQ(p.event.labels.at("pid"), "99");
  EXPECT_EQ(p.event.msgid, "ID47");
  EXPECT_EQ(p.event.field("labels.exampleSDID@32473.iut"), "3");
}

TEST(SyslogParser, ErrorsNameTheProblem) {
  EXPECT_EQ(parse_syslog("<999>x", "p", kNow).error, "syslog: invalid PRI \"<999>\" at offset 0");
  EXPECT_EQ(parse_syslog("<13>1 2026-11-28T14:03:00Z h a - - [x", "p", kNow).error,
            "syslog: unterminated SD-ELEMENT");
  EXPECT_EQ(parse_syslog("<13>1 nope h a - - - m", "p", kNow).error,
            "syslog: invalid RFC 5424 TIMESTAMP \"nope\"");
}

TEST(SyslogParser, CiscoAndFortigateDetails) {
  auto cisco = parse_syslog(
      "<187>45: *Mar  1 18:48:50.483 UTC: %LINK-3-UPDOWN: Interface Gi0/1, changed state to down",
      "10.1.1.1", kNow);
  EXPECT_EQ(cisco.event.msgid, "LINK-3-UPDOWN");
  EXPECT_EQ(cisco.event.labels.at("sequence"), "45");
  auto forti = parse_syslog(
      "<189>date=2026-11-28 time=14:03:00 devname=\"FG1\" logid=\"0100032001\" type=\"event\" "
      "level=\"notice\" msg=\"hi\"",
      "p", kNow);
  EXPECT_EQ(forti.event.msgid, "0100032001");
  EXPECT_EQ(forti.event.labels.at("devname"), "FG1");
  EXPECT_EQ(*forti.event.severity, Severity::kNotice);
}

TEST(SyslogParser, HugeAndHostileInputStaysBounded) {
  std::string sd = "<13>1 2026-11-28T14:03:00Z h a - - ";
  for (int i = 0; i < 1000; ++i)
    sd += "[e" + std::to_string(i) + " p=\"" + std::string(5000, 'v') + "\"]";
  auto p = parse_syslog(sd, "p", kNow);
  EXPECT_FALSE(p.malformed) << p.error;
  EXPECT_LE(p.event.labels.size(), 65u);
  for (const auto& [k, v] : p.event.labels) EXPECT_LE(v.size(), 1024u);
  auto nul = parse_syslog(std::string("<13>h\0\0\0x", 9), "p", kNow);
  EXPECT_EQ(nul.event.host, "p");
}

// ---- framing ----

std::vector<std::string> frames_of(SyslogFramer& f, const std::vector<std::string>& chunks,
                                   bool finish = true) {
  std::vector<std::string> out;
  auto on = [&](std::string_view frame, bool) { out.emplace_back(frame); };
  for (const auto& c : chunks) f.feed(c, on);
  if (finish) f.finish(on);
  return out;
}

TEST(SyslogFramer, OctetCountingAcrossChunks) {
  SyslogFramer f(1024);
  auto out = frames_of(f, {"12 <13>hel", "lo wo", "11 <13>second!5 <13>x"});
  EXPECT_EQ(out, (std::vector<std::string>{"<13>hello wo", "<13>second!", "<13>x"}));
  EXPECT_EQ(f.octet_counted(), 3u);
}

TEST(SyslogFramer, LfFramingAndMixedPerFrame) {
  SyslogFramer f(1024);
  auto out = frames_of(
      f, {"<13>one\n<13>tw", "o\r\n", "9 <13>three", std::string("<13>four\0<13>five", 17)});
  EXPECT_EQ(
      out, (std::vector<std::string>{"<13>one", "<13>two\r", "<13>three", "<13>four", "<13>five"}));
  EXPECT_EQ(f.lf_framed(), 4u);
  EXPECT_EQ(f.octet_counted(), 1u);
}

TEST(SyslogFramer, OversizedMessagesAreCutAndTheStreamStaysInSync) {
  SyslogFramer f(8);
  std::vector<std::string> out;
  std::vector<bool> cut;
  auto on = [&](std::string_view frame, bool truncated) {
    out.emplace_back(frame);
    cut.push_back(truncated);
  };
  f.feed("20 <13>0123456789abcdef", on);  // counted, too long
  f.feed("5 <13>x", on);
  f.feed("<13>a very long line\n<13>ok\n", on);
  EXPECT_EQ(out, (std::vector<std::string>{"<13>0123", "<13>x", "<13>a ve", "<13>ok"}));
  EXPECT_EQ(cut, (std::vector<bool>{true, false, true, false}));
  EXPECT_EQ(f.truncated(), 2u);
  EXPECT_LE(f.buffered(), 8u);
}

TEST(SyslogFramer, DigitsThatAreNotALength) {
  SyslogFramer f(64);
  auto out = frames_of(f, {"2026-11-28 plain line\n"});
  EXPECT_EQ(out, (std::vector<std::string>{"2026-11-28 plain line"}));
}

}  // namespace
}  // namespace ticketd::ingest
