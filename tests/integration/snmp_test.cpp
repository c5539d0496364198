// SNMP traps end to end: net-snmp's real snmptrap and snmpinform (v1, v2c,
// v3 authPriv) against the real daemon, checked through the tickets API and
// /metrics. OIDs are given numerically: Debian's free packages ship no
// IF-MIB for the tools to translate names with.
#include "harness.hpp"

namespace {

using namespace ticketd_test;

const char* kSnmpRules = R"(
rules:
  - name: interface-down
    match:
      source: snmp
      trap_oid: [IF-MIB::linkDown, 1.3.6.1.6.3.1.1.5.3]
      labels.ifAdminStatus: "!down"
    ticket: { type: incident, team: network-ops, urgency: high, title: "Interface {{ labels.ifDescr }} down on {{ host }}" }
    fingerprint: "{{ host }}/{{ labels.ifIndex }}"
    resolve_when:
      match: { trap_oid: [IF-MIB::linkUp, 1.3.6.1.6.3.1.1.5.4] }
  - name: ups-on-battery
    match: { source: snmp, trap_oid: UPS-MIB::upsTrapOnBattery }
    ticket: { team: facilities, title: "UPS on battery: {{ host }}" }
)";

// ifIndex, ifDescr, ifAdminStatus (up), ifOperStatus of interface `i`.
std::string if_varbinds(int i, const std::string& descr, int oper) {
  const std::string n = std::to_string(i);
  return " 1.3.6.1.2.1.2.2.1.1." + n + " i " + n + " 1.3.6.1.2.1.2.2.1.2." + n + " s " + descr +
         " 1.3.6.1.2.1.2.2.1.7." + n + " i 1 1.3.6.1.2.1.2.2.1.8." + n + " i " +
         std::to_string(oper);
}

class SnmpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (run("command -v snmptrap >/dev/null").first != 0)
      GTEST_SKIP() << "net-snmp's snmptrap is not installed";
  }
  // snmptrap/snmpinform with no MIB loading (numeric OIDs), to our port.
  std::pair<int, std::string> send(const Daemon&, const std::string& tool,
                                   const std::string& args) {
    return run("MIBS= " + tool + " -t 1 -r 2 " + args + " 2>&1");
  }
  static std::string to(const Daemon& d) {
    return " 127.0.0.1:" + std::to_string(d.snmp_port()) + " ";
  }
};

TEST_F(SnmpTest, V2cLinkDownOpensAnIncidentAndAnInformedLinkUpResolvesIt) {
  Daemon d;
  d.write_rules(kSnmpRules);
  ASSERT_TRUE(d.start()) << d.log();
  send(d, "snmptrap",
       "-v 2c -c public" + to(d) + "'' 1.3.6.1.6.3.1.1.5.3" + if_varbinds(3, "Gi0/3", 2));
  ASSERT_TRUE(eventually([&] { return d.tickets()["tickets"].size() == 1; })) << d.log();
  json t = d.tickets()["tickets"][0];
  EXPECT_EQ(t["title"], "Interface Gi0/3 down on 127.0.0.1");
  EXPECT_EQ(t["team"], "network-ops");
  EXPECT_EQ(t["status"], "new");
  // The event carries the symbolic names and the numeric OIDs.
  json events =
      http("GET", d.url("/api/v1/tickets/" + t["key"].get<std::string>() + "/events")).j();
  ASSERT_EQ(events["events"].size(), 1u);
  json e = events["events"][0]["event"];
  EXPECT_EQ(e["source"], "snmp");
  EXPECT_EQ(e["trap_oid"], "IF-MIB::linkDown");
  EXPECT_EQ(e["labels"]["ifIndex"], "3");
  EXPECT_EQ(e["labels"]["ifOperStatus"], "down");
  EXPECT_EQ(e["labels"]["1.3.6.1.2.1.2.2.1.2.3"], "Gi0/3");

  // An inform is answered (snmpinform exits 0 only on a Response) and its
  // linkUp resolves the incident.
  auto [rc, out] =
      send(d, "snmpinform",
           "-v 2c -c public" + to(d) + "'' 1.3.6.1.6.3.1.1.5.4" + if_varbinds(3, "Gi0/3", 1));
  EXPECT_EQ(rc, 0) << out;
  ASSERT_TRUE(eventually([&] { return d.tickets()["tickets"][0]["status"] == "resolved"; }))
      << d.log();
  EXPECT_EQ(metric_u(d, "ticketd_snmp_informs_total"), 1u);
}

TEST_F(SnmpTest, V1GenericLinkDownMapsToTheV2TrapOid) {
  Daemon d;
  d.write_rules(kSnmpRules);
  ASSERT_TRUE(d.start()) << d.log();
  // enterprise, agent-addr 10.0.0.7, generic-trap 2 (linkDown), specific 0, uptime ''.
  auto [rc, out] =
      send(d, "snmptrap",
           "-v 1 -c public" + to(d) + "1.3.6.1.4.1.9 10.0.0.7 2 0 ''" + if_varbinds(5, "Gi0/5", 2));
  EXPECT_EQ(rc, 0) << out;
  ASSERT_TRUE(eventually([&] { return d.tickets()["tickets"].size() == 1; })) << d.log();
  EXPECT_EQ(d.tickets()["tickets"][0]["title"],
            "Interface Gi0/5 down on 10.0.0.7");  // the v1 agent address
}

TEST_F(SnmpTest, V3AuthPrivTrapsAndInformsAreAcceptedAndWrongKeysAreCounted) {
  Daemon d(R"(snmp:
  communities: [s3cret-community]
  users:
    - { name: ops, auth: SHA-256, auth_passphrase: auth-pass-123, priv: AES, priv_passphrase: priv-pass-456 }
)");
  d.write_rules(kSnmpRules);
  ASSERT_TRUE(d.start()) << d.log();
  const std::string v3 =
      "-v 3 -u ops -l authPriv -a SHA-256 -A auth-pass-123 -x AES -X priv-pass-456 ";
  // A trap: the sender is the authoritative engine (-e).
  auto [rc, out] = send(
      d, "snmptrap",
      v3 + "-e 0x800000020109840301" + to(d) + "'' 1.3.6.1.2.1.33.2.1 1.3.6.1.2.1.33.1.2.3.0 i 12");
  EXPECT_EQ(rc, 0) << out;
  ASSERT_TRUE(eventually([&] { return d.tickets()["tickets"].size() == 1; })) << d.log();
  EXPECT_EQ(d.tickets()["tickets"][0]["title"], "UPS on battery: 127.0.0.1");
  // An inform: ticketd is the authoritative engine, discovered by snmpinform.
  std::tie(rc, out) =
      send(d, "snmpinform", v3 + to(d) + "'' 1.3.6.1.6.3.1.1.5.3" + if_varbinds(9, "Te1/9", 2));
  EXPECT_EQ(rc, 0) << out;
  ASSERT_TRUE(eventually([&] { return d.tickets()["tickets"].size() == 2; })) << d.log();

  // Wrong privacy key, wrong auth key, wrong and default community: dropped and counted.
  const uint64_t before = metric_u(d, "ticketd_snmp_auth_failures_total");
  send(d, "snmptrap",
       "-v 3 -u ops -l authPriv -a SHA-256 -A auth-pass-123 -x AES -X wrong-priv-1 -e "
       "0x800000020109840301" +
           to(d) + "'' 1.3.6.1.2.1.33.2.1");
  send(d, "snmptrap",
       "-v 3 -u ops -l authPriv -a SHA-256 -A wrong-auth-1 -x AES -X priv-pass-456 -e "
       "0x800000020109840301" +
           to(d) + "'' 1.3.6.1.2.1.33.2.1");
  send(d, "snmptrap", "-v 2c -c public" + to(d) + "'' 1.3.6.1.2.1.33.2.1");
  send(d, "snmptrap", "-v 2c -c wrong" + to(d) + "'' 1.3.6.1.2.1.33.2.1");
  ASSERT_TRUE(eventually([&] {
    return metric_u(d, "ticketd_snmp_auth_failures_total") >= before + 4;
  })) << d.log();
  EXPECT_EQ(d.tickets()["tickets"].size(), 2u);
  // The log names the peer and never a secret.
  EXPECT_NE(d.log().find("authentication failed for a message from 127.0.0.1"), std::string::npos)
      << d.log();
  for (const char* secret :
       {"auth-pass-123", "priv-pass-456", "s3cret-community", "wrong-auth-1"}) {
    EXPECT_EQ(d.log().find(secret), std::string::npos) << secret;
  }
  // A trusted community still works.
  send(d, "snmptrap",
       "-v 2c -c s3cret-community" + to(d) + "'' 1.3.6.1.6.3.1.1.5.3" + if_varbinds(4, "Gi0/4", 2));
  ASSERT_TRUE(eventually([&] { return d.tickets()["tickets"].size() == 3; })) << d.log();
}

TEST_F(SnmpTest, MalformedDatagramsAreCountedAndTheListenerGoesOn) {
  Daemon d;
  d.write_rules(kSnmpRules);
  ASSERT_TRUE(d.start()) << d.log();
  const std::string port = std::to_string(d.snmp_port());
  for (const char* bytes : {"b'not snmp at all'", "bytes([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])"}) {
    run("python3 -c \"import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(" +
        std::string(bytes) + ", ('127.0.0.1', " + port + "))\"");
  }
  ASSERT_TRUE(eventually([&] { return metric_u(d, "ticketd_snmp_malformed_total") == 2; }))
      << d.log();
  send(d, "snmptrap",
       "-v 2c -c public" + to(d) + "'' 1.3.6.1.6.3.1.1.5.3" + if_varbinds(1, "Gi0/1", 2));
  ASSERT_TRUE(eventually([&] { return d.tickets()["tickets"].size() == 1; })) << d.log();
}

}  // namespace
