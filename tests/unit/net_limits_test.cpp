// Connection and body limits of the network listeners (issue 7): the
// per-peer counter, the shared body budget and their config keys.
#include <gtest/gtest.h>

#include "ticketd/daemon/config.hpp"
#include "ticketd/net/peer_limiter.hpp"

namespace ticketd {
namespace {

TEST(PeerLimiter, RefusesAPeerOverItsLimitButNotOthers) {
  net::PeerLimiter limiter(2);
  EXPECT_TRUE(limiter.try_acquire("127.0.0.1"));
  EXPECT_TRUE(limiter.try_acquire("127.0.0.1"));
  EXPECT_FALSE(limiter.try_acquire("127.0.0.1"));
  EXPECT_TRUE(limiter.try_acquire("127.0.0.2"));
  EXPECT_EQ(limiter.open("127.0.0.1"), 2u);
  limiter.release("127.0.0.1");
  EXPECT_TRUE(limiter.try_acquire("127.0.0.1"));
}

TEST(PeerLimiter, ForgetsPeersWithNoConnections) {
  net::PeerLimiter limiter(1);
  EXPECT_TRUE(limiter.try_acquire("10.0.0.1"));
  EXPECT_FALSE(limiter.try_acquire("10.0.0.1"));
  limiter.release("10.0.0.1");
  EXPECT_EQ(limiter.peers(), 0u);  // state proportional to connected peers
}

TEST(PeerLimiter, ZeroMeansUnlimited) {
  net::PeerLimiter limiter(0);
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(limiter.try_acquire("127.0.0.1"));
}

TEST(ByteBudget, ReservesUpToCapacityAndAdmitsOneOversizedReservationAlone) {
  net::ByteBudget budget(100);
  EXPECT_TRUE(budget.try_reserve(60));
  EXPECT_FALSE(budget.try_reserve(50));
  EXPECT_TRUE(budget.try_reserve(40));
  budget.release(60);
  budget.release(40);
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_TRUE(budget.try_reserve(500));  // alone: never refused forever
  EXPECT_FALSE(budget.try_reserve(1));
  budget.release(500);
  EXPECT_EQ(budget.used(), 0u);
}

TEST(NetConfig, NewLimitKeysHaveDefaultsAndParse) {
  auto defaults = daemon::load_config_from_string("", "/etc/ticketd.yaml");
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->http_max_connections_per_peer, 256u);
  EXPECT_EQ(defaults->http_header_timeout, std::chrono::seconds(10));
  EXPECT_EQ(defaults->http_max_inflight_body_bytes, 64u * 1024 * 1024);
  EXPECT_EQ(defaults->syslog_max_connections_per_peer, 100u);
  EXPECT_EQ(defaults->syslog_first_byte_timeout, std::chrono::seconds(10));
  EXPECT_EQ(defaults->syslog_udp_receive_buffer, 8u * 1024 * 1024);

  auto c = daemon::load_config_from_string(
      "http: { max_connections_per_peer: 64, header_timeout: 5s, max_inflight_body_bytes: 16MiB }\n"
      "syslog: { max_connections_per_peer: 0, first_byte_timeout: 2s, udp_receive_buffer: 4KiB }\n",
      "/etc/ticketd.yaml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->http_max_connections_per_peer, 64u);
  EXPECT_EQ(c->http_header_timeout, std::chrono::seconds(5));
  EXPECT_EQ(c->http_max_inflight_body_bytes, 16u * 1024 * 1024);
  EXPECT_EQ(c->syslog_max_connections_per_peer, 0u);
  EXPECT_EQ(c->syslog_first_byte_timeout, std::chrono::seconds(2));
  EXPECT_EQ(c->syslog_udp_receive_buffer, 4096u);
}

TEST(NetConfig, BadSizeNamesTheKey) {
  auto c = daemon::load_config_from_string("syslog: { udp_receive_buffer: lots }\n",
                                           "/etc/ticketd.yaml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message(),
            "/etc/ticketd.yaml:1: \"syslog.udp_receive_buffer\": invalid size \"lots\", expected "
            "e.g. 1048576 or 1MiB");
}

}  // namespace
}  // namespace ticketd
