// The service on a topic of several partitions, produced unkeyed as EventBridge, Firehose and
// Lambda producers do, on a real broker (KAFKA_BROKERS) that creates no topic by itself:
// whatever order the partitions are read in, the findings are replay's.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string_view>

#include "tests/integration/partitions_fixture.h"

namespace trailsight::partitions_test {

TEST_F(PartitionsIntegrationTest, APartitionReadDaysBehindTheOthersLosesNothingAsLate) {
  ReadAPartitionDaysBehindTheOthers("range");  // eager rebalancing
}

TEST_F(PartitionsIntegrationTest, TheSameWithCooperativeStickyAssignment) {
  ReadAPartitionDaysBehindTheOthers("cooperative-sticky");
}

// A keyed input: instance A reads every partition; B joins and takes some, whose state A
// drops (their keys go; tests/app/partition_detectors_test.cc shows it then judges no silence
// for them); B leaves and A restores them from the state it kept, without reading a record
// again. The findings and alerts stay replay's.
TEST_F(PartitionsIntegrationTest, KeyedPartitionsLeaveWithTheirStateAndComeBackWithIt) {
  MoveKeyedPartitionsAway("range");  // eager: every partition is revoked and reassigned
}

TEST_F(PartitionsIntegrationTest, TheSameKeyedMovesWithCooperativeStickyAssignment) {
  MoveKeyedPartitionsAway("cooperative-sticky");  // only the moved partitions are revoked
}

void PartitionsIntegrationTest::MoveKeyedPartitionsAway(std::string_view assignment) {
  const std::vector<std::vector<std::string>> partitions = Keyed();
  for (int partition = 0; partition < kPartitions; ++partition) {
    Produce(partition, partitions[partition]);
  }
  const fs::path state_a = dir_ / (name_ + "-a");
  Service a(Config(state_a, assignment, /*keyed=*/true), dir_ / (name_ + "-a.log"));
  std::optional<httplib::Client> metrics_a = MetricsOf(a);
  ASSERT_TRUE(metrics_a.has_value()) << a.Log();
  ASSERT_TRUE(WaitFor(
      [&] { return SnapshotOffsets(state_a) == static_cast<std::int64_t>(records_->size()); },
      180s))
      << a.Log();
  const double all_keys = Sample(*metrics_a, "trailsight_active_keys");
  ASSERT_GT(all_keys, 0) << a.Log();

  {
    const fs::path state_b = dir_ / (name_ + "-b");
    Service b(Config(state_b, assignment, /*keyed=*/true), dir_ / (name_ + "-b.log"));
    std::optional<httplib::Client> metrics_b = MetricsOf(b);
    ASSERT_TRUE(metrics_b.has_value()) << b.Log();
    ASSERT_TRUE(WaitFor(
        [&] {
          return Sample(*metrics_b, "trailsight_assigned_partitions") > 0 &&
                 Sample(*metrics_a, "trailsight_assigned_partitions") < kPartitions;
        },
        60s))
        << a.Log() << b.Log();
    EXPECT_TRUE(
        WaitFor([&] { return Sample(*metrics_a, "trailsight_active_keys") < all_keys; }, 10s))
        << "A still holds the keys of partitions it gave up\n"
        << a.Log();
    ASSERT_EQ(b.Stop(), 0) << b.Log();
  }

  ASSERT_TRUE(WaitFor(
      [&] {
        return Sample(*metrics_a, "trailsight_assigned_partitions") == kPartitions &&
               Sample(*metrics_a, "trailsight_active_keys") == all_keys;
      },
      60s))
      << a.Log();
  EXPECT_EQ(Sample(*metrics_a, "trailsight_events_in_total"), static_cast<double>(records_->size()))
      << "restored from the kept state, not read again";
  ASSERT_EQ(a.Stop(), 0) << a.Log();
  ExpectReplaysFindings();
}

}  // namespace trailsight::partitions_test
