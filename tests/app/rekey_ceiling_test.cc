#include "app/rekey_ceiling.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <vector>

namespace trailsight::app {
namespace {

using consumers::PartitionAligner;
using consumers::SourceMark;

const common::Seconds kTen =
    common::Seconds{std::chrono::sys_days{std::chrono::year{2026} / std::chrono::month{11} / 2}} +
    std::chrono::hours{10};

PartitionAligner::SlowestSourceTime Others(std::optional<common::Seconds> time) {
  return {.known = time.has_value(), .holds_everything = false, .time = time.value_or(kTen)};
}

TEST(RekeyCeilingTest, NothingKnownHoldsNothingBack) {
  RekeyCeiling ceiling(4096 * 6, 6);
  EXPECT_EQ(ceiling.Compute({}, Others(std::nullopt), 0), std::nullopt);
}

TEST(RekeyCeilingTest, TheSlowestAnywhereSetsItAndOwnIdlePartitionsDoNot) {
  RekeyCeiling ceiling(4096 * 6, 6);
  const std::vector<SourceMark> own = {
      {.topic = "in", .partition = 0, .time = kTen, .holds = true},
      {.topic = "in", .partition = 1, .time = kTen - std::chrono::hours{5}, .holds = false}};
  EXPECT_EQ(ceiling.Compute(own, Others(std::nullopt), 0), kTen + RekeyCeiling::kMinDrift)
      << "no density yet: the narrowest drift";
  EXPECT_EQ(ceiling.Compute(own, Others(kTen - std::chrono::minutes{30}), 0),
            kTen - std::chrono::minutes{30} + RekeyCeiling::kMinDrift)
      << "another instance's input partition is behind";
  EXPECT_EQ(ceiling.Compute(own, Others(kTen + std::chrono::hours{1}), 0),
            kTen + RekeyCeiling::kMinDrift)
      << "the slowest is never held back";
}

TEST(RekeyCeilingTest, AnInputPartitionWithNoTimeYetHoldsEverythingBack) {
  RekeyCeiling ceiling(4096 * 6, 6);
  const std::vector<SourceMark> own = {{.topic = "in", .partition = 0, .time = kTen}};
  const std::optional<common::Seconds> held =
      ceiling.Compute(own, {.known = true, .holds_everything = true, .time = kTen}, 0);
  ASSERT_TRUE(held.has_value());
  EXPECT_LT(*held, kTen - std::chrono::years{1000}) << "before any record";
}

TEST(RekeyCeilingTest, TheDriftWidensForASparseInputAndNarrowsForADenseOne) {
  const auto drift_after = [](std::uint64_t records, std::chrono::minutes span) {
    RekeyCeiling ceiling(4096 * 6, 6);
    ceiling.Compute({{.topic = "in", .partition = 0, .time = kTen}}, Others(std::nullopt), 0);
    ceiling.Compute({{.topic = "in", .partition = 0, .time = kTen + span}}, Others(std::nullopt),
                    records);
    return ceiling.drift();
  };
  // 10 records a minute over 6 partitions: 12288 records buffered take 7373 minutes.
  EXPECT_EQ(drift_after(600, std::chrono::minutes{60}), RekeyCeiling::kMaxDrift);
  // 600 a minute: 122 minutes.
  EXPECT_EQ(drift_after(36'000, std::chrono::minutes{60}), std::chrono::minutes{122});
  // 600,000 a minute: well under the narrowest.
  EXPECT_EQ(drift_after(36'000'000, std::chrono::minutes{60}), RekeyCeiling::kMinDrift);
}

}  // namespace
}  // namespace trailsight::app
