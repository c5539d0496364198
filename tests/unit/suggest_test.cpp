// Suggested fixes: which similar ticket's resolution a new incident shows.
#include "daemon/suggest.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace ticketd::daemon {
namespace {

Ticket resolved(std::string key, std::string rule, std::string title, Resolution r) {
  Ticket t;
  t.key = std::move(key);
  t.rule = std::move(rule);
  t.title = std::move(title);
  t.status = TicketStatus::kResolved;
  t.resolved_at = TimePoint{} + std::chrono::hours(24 * 365 * 56);
  t.resolution = std::move(r);
  return t;
}

TEST(Suggestions, TheFirstStrongMatchWithAWrittenFixIsSuggested) {
  Ticket opened;
  opened.key = "INC-000009";
  opened.rule = "disk-full";
  opened.title = "Disk sda1 full on db01";
  opened.created_at = TimePoint{} + std::chrono::hours(1);
  std::vector<store::SimilarTicket> similar = {
      // same fingerprint, but ticketd resolved it: no fix to suggest
      {resolved("INC-000005", "disk-full", "Disk sda1 full on db01", {"auto_resolved", "x"}),
       store::SimilarMatch::kFingerprint,
       {}},
      // same rule, other title: not strong
      {resolved("INC-000004", "disk-full", "Disk sdb full on db02", {"fixed", "grew the LV"}),
       store::SimilarMatch::kRule,
       {}},
      {resolved("INC-000003", "disk-full", "Disk sda1 full on db01", {"fixed", ""}),
       store::SimilarMatch::kFingerprint,
       {}},
      {resolved("INC-000002", "disk-full", "Disk sda1 full on db01",
                {"workaround", "deleted old WAL files"}),
       store::SimilarMatch::kFingerprint,
       {}},
  };
  auto e = suggestion_for(opened, similar);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->ticket_key, "INC-000009");
  EXPECT_EQ(e->kind, "suggestion");
  EXPECT_EQ(e->time, opened.created_at);
  EXPECT_NE(e->message.find("INC-000002"), std::string::npos) << e->message;
  EXPECT_NE(e->message.find("(workaround): deleted old WAL files"), std::string::npos);
  EXPECT_EQ(e->details_json()["match"], "fingerprint");

  similar.pop_back();
  EXPECT_FALSE(suggestion_for(opened, similar));
  similar.push_back(
      {resolved("INC-000001", "disk-full", "Disk sda1 full on db01", {"fixed", "rotated logs"}),
       store::SimilarMatch::kRule,
       {}});
  ASSERT_TRUE(suggestion_for(opened, similar));  // same rule and title
  EXPECT_EQ(suggestion_for(opened, similar)->details_json()["match"], "rule and title");
}

}  // namespace
}  // namespace ticketd::daemon
