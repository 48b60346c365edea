// The service on a topic of several partitions, produced unkeyed as EventBridge, Firehose and
// Lambda producers do, on a real broker (KAFKA_BROKERS) that creates no topic by itself:
// whatever order the partitions are read in, the findings are replay's.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <memory>
#include <string_view>
#include <vector>

#include "tests/integration/partitions_fixture.h"

namespace trailsight::partitions_test {

TEST_F(PartitionsIntegrationTest, APartitionReadDaysBehindTheOthersLosesNothingAsLate) {
  ReadAPartitionDaysBehindTheOthers("range");  // eager rebalancing
}

TEST_F(PartitionsIntegrationTest, TheSameWithCooperativeStickyAssignment) {
  ReadAPartitionDaysBehindTheOthers("cooperative-sticky");
}

// The backlog is all on the input when three instances start, one after the other: each
// re-keys its share of the input partitions at its own pace, so a pair's records reach its
// repartition partition in the order the three instances' transactions commit, minutes apart
// in event time. Read in that order, a burst's next minute would open its insight before this
// one's. Read as the input partitions they came from, merged by event time, every Start has
// replay's eventTime and nothing is late.
TEST_F(PartitionsIntegrationTest, ThreeInstancesReKeyingABacklogAtOnceGiveReplaysStartTimes) {
  const std::vector<std::vector<std::string>> partitions = Spread();
  for (int partition = 0; partition < kPartitions; ++partition) {
    Produce(partition, partitions[partition]);
  }
  std::vector<std::unique_ptr<Service>> services;
  std::vector<httplib::Client> metrics;
  for (const char* instance : {"a", "b", "c"}) {
    const fs::path state = dir_ / fmt::format("{}-{}", name_, instance);
    services.push_back(std::make_unique<Service>(Config(state, "range"),
                                                 dir_ / fmt::format("{}-{}.log", name_, instance)));
    std::optional<httplib::Client> client = MetricsOf(*services.back());
    ASSERT_TRUE(client.has_value()) << services.back()->Log();
    metrics.push_back(std::move(*client));
  }
  const auto sum = [&](const std::string& name) {
    double total = 0;
    for (httplib::Client& client : metrics) total += Sample(client, name);
    return total;
  };
  const auto all = static_cast<double>(records_->size());
  const bool read = WaitFor(
      [&] {
        return sum("trailsight_rekeyed_records_total") >= all &&
               sum("trailsight_events_in_total") >= all;
      },
      240s);
  std::string logs;
  for (const auto& service : services) logs += service->Log();
  ASSERT_TRUE(read) << logs;
  for (auto it = services.rbegin(); it != services.rend(); ++it) {
    ASSERT_EQ((*it)->Stop(), 0) << (*it)->Log();
    EXPECT_NE((*it)->Log().find(" 0 late dropped"), std::string::npos) << (*it)->Log();
  }
  ExpectReplaysFindings();
}

// Records of one backlog partition dated 36 hours ahead of their neighbours (a forged time, or
// a broken clock), each of which may be read alone at the end of a fetch (small fetches here):
// none lets the other partitions run past the records after it, nor is sent on as its
// partition's time in the source marks; each is counted once time reaches it (the detector
// holds it until then), so the findings are those of replay in time order and nothing is late.
// They lie more than max_time_jump apart: two closer would say that time jumped
// (detector/detector.h), in a replay of that order as well.
TEST_F(PartitionsIntegrationTest, RecordsDaysAheadOfTheirPartitionInABacklogMakeNothingLate) {
  std::vector<std::vector<std::string>> partitions = Spread();
  std::vector<std::string> all = *records_;
  std::vector<std::string>& tampered = partitions[1];
  constexpr std::size_t kForged = 3;
  for (std::size_t n = kForged; n >= 1; --n) {       // from the back: the positions stay valid
    const std::size_t at = tampered.size() * n / 8;  // half a day apart
    Json forged = Json::parse(tampered[at]);
    forged["eventTime"] = trailsight::common::FormatUtcTimestamp(
        *trailsight::common::ParseUtcTimestamp(forged["eventTime"].get<std::string>()) + 36h);
    forged["eventID"] = fmt::format("00000000-f0f0-4000-8000-{:012}", n);
    ASSERT_LT(forged["eventTime"].get<std::string>(), TimeOf(records_->back()));
    tampered.insert(tampered.begin() + static_cast<std::ptrdiff_t>(at) + 1, forged.dump());
    all.push_back(forged.dump());
  }
  std::stable_sort(all.begin(), all.end(), [](const std::string& a, const std::string& b) {
    return TimeOf(a) < TimeOf(b);
  });
  const fs::path in_order = dir_ / (name_ + "-in-order.jsonl");
  WriteLines(in_order, all);
  ASSERT_EQ(Shell(fmt::format("'{}' replay '{}' --insights-out '{}' --alerts-out '{}' "
                              "--dead-letter-out /dev/null 2>/dev/null",
                              kBinary.string(), in_order.string(),
                              (dir_ / (name_ + "-insights.jsonl")).string(),
                              (dir_ / (name_ + "-alerts.jsonl")).string())),
            0);
  for (int partition = 0; partition < kPartitions; ++partition) {
    Produce(partition, partitions[partition]);
  }

  const fs::path state = dir_ / (name_ + "-state");
  Service service(Config(state, "range", false, ", max.partition.fetch.bytes: 16384"),
                  dir_ / (name_ + ".log"));
  std::optional<httplib::Client> metrics = MetricsOf(service);
  ASSERT_TRUE(metrics.has_value()) << service.Log();
  ASSERT_TRUE(CountsAllAndDropsNoneLate(service, *metrics, all.size(), 240s));
  ExpectFindings(ReadLines(dir_ / (name_ + "-insights.jsonl")),
                 ReadLines(dir_ / (name_ + "-alerts.jsonl")), false, TimeOf(all.back()));
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
