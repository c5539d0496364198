// RELP framing: frames across chunk boundaries, DATALEN checks, the size
// limit, and that framing errors are final.
#include "ticketd/ingest/relp_framer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ticketd::ingest {
namespace {

struct Seen {
  uint64_t txnr;
  std::string command;
  std::string data;
  bool operator==(const Seen&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Seen& s) {
  return os << s.txnr << " " << s.command << " [" << s.data << "]";
}

// Feeds `chunks` in order; stops at the first error, returned in `error`.
std::vector<Seen> frames_of(RelpFramer& f, const std::vector<std::string>& chunks,
                            std::string* error = nullptr) {
  std::vector<Seen> out;
  for (const auto& c : chunks) {
    Status s = f.feed(c, [&](const RelpFrame& fr) {
      out.push_back({fr.txnr, std::string(fr.command), std::string(fr.data)});
    });
    if (!s) {
      if (error) *error = s.message();
      break;
    }
  }
  return out;
}

const std::string kOpen =
    "1 open 83 relp_version=0\nrelp_software=librelp,1.11.0,https://www.rsyslog.com\n"
    "commands=syslog\n";

TEST(RelpFramer, OpenSyslogAndCloseInOneChunk) {
  RelpFramer f(1024);
  ASSERT_EQ(kOpen.size(), 10 + 83 + 1u);
  const std::string msg = "<13>Dec  2 13:00:00 host app: hello";
  auto got = frames_of(
      f, {kOpen + "2 syslog " + std::to_string(msg.size()) + " " + msg + "\n3 close 0\n"});
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], (Seen{1, "open",
                          "relp_version=0\nrelp_software=librelp,1.11.0,https://www.rsyslog.com\n"
                          "commands=syslog"}));
  EXPECT_EQ(got[1], (Seen{2, "syslog", msg}));
  EXPECT_EQ(got[2], (Seen{3, "close", ""}));
  EXPECT_EQ(f.buffered(), 0u);
  EXPECT_FALSE(f.failed());
}

TEST(RelpFramer, EveryByteInItsOwnChunk) {
  RelpFramer f(1024);
  const std::string stream = "41 syslog 5 a\nb c\n42 close 0\n";
  std::vector<std::string> chunks;
  for (char c : stream) chunks.emplace_back(1, c);
  auto got = frames_of(f, chunks);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (Seen{41, "syslog", "a\nb c"}));  // LF inside DATA is data
  EXPECT_EQ(got[1], (Seen{42, "close", ""}));
}

TEST(RelpFramer, PartialFrameIsHeldUntilItsTrailer) {
  RelpFramer f(1024);
  std::vector<Seen> got;
  auto on = [&](const RelpFrame& fr) {
    got.push_back({fr.txnr, std::string(fr.command), std::string(fr.data)});
  };
  ASSERT_TRUE(f.feed("7 syslog 10 01234", on));
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(f.buffered(), 17u);
  ASSERT_TRUE(f.feed("56789", on));
  EXPECT_TRUE(got.empty());  // the LF is still missing
  ASSERT_TRUE(f.feed("\n8 sys", on));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], (Seen{7, "syslog", "0123456789"}));
  EXPECT_EQ(f.buffered(), 5u);
}

TEST(RelpFramer, ZeroLengthWithATrailingSpaceIsAccepted) {
  RelpFramer f(1024);
  auto got = frames_of(f, {"5 close 0 \n"});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], (Seen{5, "close", ""}));
}

TEST(RelpFramer, UnknownCommandsAreFramedForTheSessionToRefuse) {
  RelpFramer f(1024);
  auto got = frames_of(f, {"9 starttls 0\n10 x_y2 3 abc\n"});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (Seen{9, "starttls", ""}));
  EXPECT_EQ(got[1], (Seen{10, "x_y2", "abc"}));
}

TEST(RelpFramer, DataLongerThanDatalenIsAFramingError) {
  RelpFramer f(1024);
  std::string error;
  auto got = frames_of(f, {"1 syslog 3 abcd\n"}, &error);
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(error,
            "RELP framing error: frame 1 has 3 data bytes but no LF after them (DATALEN does not "
            "match)");
  EXPECT_TRUE(f.failed());
  EXPECT_EQ(f.buffered(), 0u);
}

TEST(RelpFramer, ErrorsAreFinal) {
  RelpFramer f(1024);
  std::string error;
  frames_of(f, {"1 syslog 3 abcd\n"}, &error);
  auto got = frames_of(f, {"2 syslog 3 abc\n"}, &error);
  EXPECT_TRUE(got.empty());
  EXPECT_TRUE(f.failed());
}

TEST(RelpFramer, BadHeaders) {
  struct Case {
    const char* input;
    const char* error;
  };
  const Case cases[] = {
      {"x syslog 3 abc\n", "RELP framing error: expected TXNR, got byte 120"},
      {"1syslog 3 abc\n", "RELP framing error: expected a space after TXNR"},
      {"1  syslog 3 abc\n", "RELP framing error: expected a command followed by a space"},
      {"1 sys-log 3 abc\n", "RELP framing error: expected a command followed by a space"},
      {"1 syslog -3 abc\n", "RELP framing error: expected DATALEN, got byte 45"},
      {"1 syslog 3abc\n", "RELP framing error: expected a space before DATA"},
      {"1234567890 syslog 3 abc\n", "RELP framing error: TXNR has more than 9 digits"},
      {"1 syslog 1234567890 abc\n", "RELP framing error: DATALEN has more than 9 digits"},
      {"1 abcdefghijabcdefghijabcdefghijabc 0\n",
       "RELP framing error: command longer than 32 characters"},
  };
  for (const auto& c : cases) {
    RelpFramer f(1024);
    std::string error;
    auto got = frames_of(f, {c.input}, &error);
    EXPECT_TRUE(got.empty()) << c.input;
    EXPECT_EQ(error, c.error) << c.input;
  }
}

TEST(RelpFramer, OversizedFrameIsRefusedBeforeItsDataArrives) {
  RelpFramer f(100);
  std::string error;
  auto got = frames_of(f, {"1 syslog 100 ", std::string(100, 'a') + "\n"}, &error);
  ASSERT_EQ(got.size(), 1u);  // exactly the limit is fine
  EXPECT_EQ(got[0].data.size(), 100u);
  got = frames_of(f, {"2 syslog 101 "}, &error);
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(error, "RELP framing error: frame of 101 data bytes exceeds the limit of 100");
  EXPECT_EQ(f.buffered(), 0u);
}

TEST(RelpFramer, MemoryIsBoundedWithoutAHeaderEnd) {
  RelpFramer f(1 << 20);
  std::string error;
  // Digits forever: refused at the tenth.
  auto got = frames_of(f, {std::string(5, '1'), std::string(5, '1')}, &error);
  EXPECT_EQ(error, "RELP framing error: TXNR has more than 9 digits");
  EXPECT_TRUE(got.empty());
}

}  // namespace
}  // namespace ticketd::ingest
