#include "app/time_text.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace trailsight::app {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const common::Seconds kDay{std::chrono::sys_days{std::chrono::November / 7 / 2026}};

common::Seconds Parsed(std::string_view text) {
  common::Result<common::Seconds> time = ParseTimeText(text);
  EXPECT_TRUE(time.has_value()) << text;
  return time ? *time : common::Seconds{};
}

TEST(ParseTimeTextTest, ReadsIsoFormsInUtc) {
  const common::Seconds expected = kDay + hours{14} + minutes{7};
  EXPECT_EQ(Parsed("2026-11-07T14:07Z"), expected);
  EXPECT_EQ(Parsed("2026-11-07T14:07:00Z"), expected);
  EXPECT_EQ(Parsed("2026-11-07 14:07:00"), expected);
  EXPECT_EQ(Parsed("2026-11-07T14:07:00.750Z"), expected);
  EXPECT_EQ(Parsed("2026-11-07T14:07:00+00:00"), expected);
  EXPECT_EQ(Parsed("2026-11-07"), kDay);
}

TEST(ParseTimeTextTest, AppliesOffsets) {
  EXPECT_EQ(Parsed("2026-11-07T15:07:00+01:00"), kDay + hours{14} + minutes{7});
  EXPECT_EQ(Parsed("2026-11-07T09:07-0500"), kDay + hours{14} + minutes{7});
}

TEST(ParseTimeTextTest, ReadsEpochSeconds) {
  const common::Seconds expected = kDay + hours{14} + minutes{7};
  const auto epoch = expected.time_since_epoch().count();
  EXPECT_EQ(Parsed(std::to_string(epoch)), expected);
  EXPECT_EQ(Parsed(std::to_string(epoch) + ".5"), expected);
}

TEST(ParseTimeTextTest, RefusesOtherTextQuotingIt) {
  for (std::string_view bad : {"", "yesterday", "2026-13-07", "2026-11-07T25:00", "07/11/2026",
                               "2026-11-07T14:07Zjunk", "-5"}) {
    common::Result<common::Seconds> time = ParseTimeText(bad);
    ASSERT_FALSE(time.has_value()) << bad;
    EXPECT_NE(time.error().message.find(fmt::format("'{}'", bad)), std::string::npos);
  }
}

}  // namespace
}  // namespace trailsight::app
