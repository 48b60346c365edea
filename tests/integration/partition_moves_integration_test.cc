// The service's state moving between instances that start on empty disks, through the
// changelog on a real broker (KAFKA_BROKERS): for an input keyed by account and region, and
// for an unkeyed one re-keyed through the repartition topic.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string_view>

#include "tests/integration/partitions_fixture.h"

namespace trailsight::partitions_test {

// Three instances, each on an empty state folder when it starts, over a keyed input: A reads
// the records and is killed (kill -9); B starts and takes every partition, restoring each
// from the changelog alone; C joins and takes a share, restoring those too. Only then is a
// burst produced in every (account, region), dated now; C stops and B takes its partitions
// back. Every burst is found, with the baseline replay gives, which only came with the
// partitions; the findings before are replay's.
TEST_F(PartitionsIntegrationTest, KeyedPartitionsMoveToEmptyDisksThroughTheChangelog) {
  MovePartitionsToEmptyDisks("range", /*keyed=*/true);
}

TEST_F(PartitionsIntegrationTest, TheSameMovesToEmptyDisksWithCooperativeStickyAssignment) {
  MovePartitionsToEmptyDisks("cooperative-sticky", /*keyed=*/true);
}

// The same over an unkeyed input, re-keyed through the repartition topic, with A killed while
// it is still reading: B reads the rest of the input and of the repartition topic from where
// A's transactions left them. Every input record is on the repartition topic exactly once,
// and the findings are replay's (a record counted twice would change an End's statistics).
TEST_F(PartitionsIntegrationTest, ReKeyedPartitionsMoveToEmptyDisksWithAKillMidStream) {
  MovePartitionsToEmptyDisks("range", /*keyed=*/false);
}

TEST_F(PartitionsIntegrationTest, TheSameReKeyedWithCooperativeStickyAssignment) {
  MovePartitionsToEmptyDisks("cooperative-sticky", /*keyed=*/false);
}

void PartitionsIntegrationTest::MovePartitionsToEmptyDisks(std::string_view assignment,
                                                           bool keyed) {
  // The first (account, region) creates a trail at the end of what A reads; after the moves
  // another one changes the policy of that trail's bucket: only A learned it, and only the
  // global table tells B and C.
  const std::string bucket = "org-trail-logs-" + name_;
  std::vector<std::string> first = *records_;
  first.push_back(Crafted(records_->front(), "cloudtrail.amazonaws.com", "CreateTrail",
                          {{"name", "org-trail"}, {"s3BucketName", bucket}},
                          TimeOf(records_->back()), "t"));
  // An account met ten days ago by one read in us-east-1. After the moves it writes in a
  // region it never used (a novelty alert): the instance holding that region knows the
  // account's age only from the global table, since it restored (not read) us-east-1.
  const auto in_account = [](std::string record, std::string_view region) {
    Json parsed = Json::parse(record);
    parsed["recipientAccountId"] = kNewRegionAccount;
    parsed["userIdentity"]["accountId"] = kNewRegionAccount;
    parsed["awsRegion"] = region;
    return parsed.dump();
  };
  Json met = Json::parse(in_account(
      Crafted(records_->front(), "ec2.amazonaws.com", "DescribeInstances", Json::object(),
              trailsight::common::FormatUtcTimestamp(
                  std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) -
                  std::chrono::hours{240}),
              "m"),
      "us-east-1"));
  met["readOnly"] = true;
  first.insert(first.begin(), met.dump());
  std::map<std::string, int> partition_of;
  const auto spread = [&](const std::vector<std::string>& records) {
    return keyed ? Keyed(records, partition_of) : Spread(records);
  };
  const std::vector<std::vector<std::string>> partitions = spread(first);
  for (int partition = 0; partition < kPartitions; ++partition) {
    Produce(partition, partitions[partition]);
  }
  const auto total = static_cast<std::int64_t>(first.size());
  const fs::path state_a = dir_ / (name_ + "-a");
  double keys_of_a = 0;
  {
    Service a(Config(state_a, assignment, keyed), dir_ / (name_ + "-a.log"));
    std::optional<httplib::Client> metrics_a = MetricsOf(a);
    ASSERT_TRUE(metrics_a.has_value()) << a.Log();
    if (keyed) {
      ASSERT_TRUE(WaitFor([&] { return SnapshotOffsets(state_a) == total; }, 180s)) << a.Log();
      keys_of_a = Sample(*metrics_a, "trailsight_active_keys");
      ASSERT_GT(keys_of_a, 0) << a.Log();
    } else {
      // Killed once it has counted half and committed state of it, so that B has a
      // checkpoint to take over (before any, B would rightly read everything again).
      ASSERT_TRUE(WaitFor(
          [&] {
            return Sample(*metrics_a, "trailsight_events_in_total") >=
                       static_cast<double>(total / 2) &&
                   Sample(*metrics_a, "trailsight_changelog_records_total") > 0;
          },
          180s))
          << a.Log();
    }
    a.Kill();
  }

  const fs::path state_b = dir_ / (name_ + "-b");
  Service b(Config(state_b, assignment, keyed), dir_ / (name_ + "-b.log"));
  std::optional<httplib::Client> metrics_b = MetricsOf(b);
  ASSERT_TRUE(metrics_b.has_value()) << b.Log();
  if (keyed) {
    ASSERT_TRUE(WaitFor(
        [&] {
          return Sample(*metrics_b, "trailsight_assigned_partitions") == kPartitions &&
                 Sample(*metrics_b, "trailsight_active_keys") == keys_of_a;
        },
        60s))
        << "B should hold every partition with A's keys\n"
        << b.Log();
    EXPECT_EQ(Sample(*metrics_b, "trailsight_events_in_total"), 0.0)
        << "restored from the changelog, not by reading the input again";
  } else {
    // B reads what A left: the input after A's last re-keying transaction, the repartition
    // topic after A's last checkpoint.
    ASSERT_TRUE(WaitFor(
        [&] {
          return Sample(*metrics_b, "trailsight_assigned_partitions") == kPartitions &&
                 CommittedRecords(Topic("group-repartition")) == static_cast<std::size_t>(total) &&
                 Sample(*metrics_b, "trailsight_consumer_lag") == 0 &&
                 Sample(*metrics_b, "trailsight_consumer_held_records") == 0;
        },
        180s))
        << "B should read the rest of A's input: " << CommittedRecords(Topic("group-repartition"))
        << " of " << total << " re-keyed, lag " << Sample(*metrics_b, "trailsight_consumer_lag")
        << ", held " << Sample(*metrics_b, "trailsight_consumer_held_records") << "\n"
        << b.Log();
    EXPECT_LT(Sample(*metrics_b, "trailsight_events_in_total"), static_cast<double>(total))
        << "A's checkpoints came with the partitions";
    keys_of_a = Sample(*metrics_b, "trailsight_active_keys");
  }
  EXPECT_EQ(Sample(*metrics_b, "trailsight_partitions_restored_from_changelog_total"), kPartitions);
  EXPECT_EQ(Sample(*metrics_b, "trailsight_partitions_restored_from_cache_total"), 0.0)
      << "an empty disk";

  // A burst in every (account, region) within the last two and a half minutes.
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  std::vector<std::string> bursts = Bursts(*records_, "b", [&](int, int call) {
    return trailsight::common::FormatUtcTimestamp(now - 150s + call * 2s);
  });
  bursts.push_back(Crafted(bursts.back(), "s3.amazonaws.com", "PutBucketPolicy",
                           {{"bucketName", bucket}, {"policy", "{}"}},
                           trailsight::common::FormatUtcTimestamp(now - 20s), "p"));
  bursts.push_back(in_account(
      Crafted(bursts.back(), "ec2.amazonaws.com", "RunInstances", {{"instanceType", "p3.16xlarge"}},
              trailsight::common::FormatUtcTimestamp(now - 15s), "r"),
      "ap-southeast-2"));
  const fs::path state_c = dir_ / (name_ + "-c");
  {
    Service c(Config(state_c, assignment, keyed), dir_ / (name_ + "-c.log"));
    std::optional<httplib::Client> metrics_c = MetricsOf(c);
    ASSERT_TRUE(metrics_c.has_value()) << c.Log();
    const auto both = [&](const std::string& name) {
      return Sample(*metrics_b, name) + Sample(*metrics_c, name);
    };
    ASSERT_TRUE(WaitFor(
        [&] {
          return Sample(*metrics_c, "trailsight_assigned_partitions") > 0 &&
                 both("trailsight_assigned_partitions") == kPartitions &&
                 both("trailsight_active_keys") == keys_of_a;
        },
        60s))
        << "B and C should share the partitions and A's keys\n"
        << b.Log() << c.Log();
    EXPECT_EQ(Sample(*metrics_c, "trailsight_events_in_total"), 0.0) << c.Log();

    // Produced as they happen, a minute at a time, as a live producer sends them: all of a
    // minute's records arrive before the next minute's. (Two minutes sent at once are a
    // backlog; docs/operations.md says what instances re-keying a backlog do.)
    const double before = both("trailsight_events_in_total");
    std::map<std::string, std::vector<std::string>> by_minute;
    for (const std::string& record : bursts)
      by_minute[TimeOf(record).substr(0, 16)].push_back(record);
    for (const auto& [minute, records] : by_minute) {
      const std::vector<std::vector<std::string>> burst_partitions = spread(records);
      for (int partition = 0; partition < kPartitions; ++partition) {
        Produce(partition, burst_partitions[partition]);
      }
      std::this_thread::sleep_for(2s);
    }
    ASSERT_TRUE(WaitFor(
        [&] {
          return both("trailsight_events_in_total") - before == static_cast<double>(bursts.size());
        },
        120s))
        << b.Log() << c.Log();
    ASSERT_EQ(c.Stop(), 0) << c.Log();
  }
  const auto all_records = total + static_cast<std::int64_t>(bursts.size());
  if (keyed) {
    ASSERT_TRUE(WaitFor([&] { return SnapshotOffsets(state_b) == all_records; }, 120s)) << b.Log();
  } else {
    ASSERT_TRUE(WaitFor(
        [&] {
          return Sample(*metrics_b, "trailsight_assigned_partitions") == kPartitions &&
                 Sample(*metrics_b, "trailsight_consumer_lag") == 0 &&
                 Sample(*metrics_b, "trailsight_consumer_held_records") == 0;
        },
        120s))
        << b.Log();
  }
  ASSERT_EQ(b.Stop(), 0) << b.Log();
  EXPECT_NE(b.Log().find("from the changelog"), std::string::npos) << b.Log();
  if (!keyed) {
    // Exactly once: each input record once among the committed re-keyed records, whatever
    // A's kill left in an open transaction (aborted, so read_committed readers skip it).
    const std::size_t uncommitted = Records(Topic("group-repartition"), "read_uncommitted");
    EXPECT_EQ(CommittedRecords(Topic("group-repartition")), static_cast<std::size_t>(all_records));
    std::printf("re-keyed records: %zu committed, %zu more in aborted transactions\n",
                static_cast<std::size_t>(all_records),
                uncommitted - static_cast<std::size_t>(all_records));
  }

  // Replay of the same records, the bursts last, is the reference.
  std::vector<std::string> all = first;
  all.insert(all.end(), bursts.begin(), bursts.end());
  const fs::path reference = dir_ / (name_ + "-reference");
  WriteLines(reference.string() + ".jsonl", all);
  ASSERT_EQ(Shell(fmt::format("'{0}' replay '{1}.jsonl' --insights-out '{1}-insights.jsonl' "
                              "--alerts-out '{1}-alerts.jsonl' --dead-letter-out /dev/null "
                              "2>/dev/null",
                              kBinary.string(), reference.string())),
            0);
  const std::vector<std::string> expected = ReadLines(reference.string() + "-insights.jsonl");
  ASSERT_GE(expected.size(), expected_->size() + 12) << "a Start for every new burst";
  ASSERT_NE(ReadFile(reference.string() + "-alerts.jsonl").find("PutBucketPolicy"),
            std::string::npos)
      << "the policy change on the trail's bucket is a tamper alert";
  ASSERT_NE(ReadFile(reference.string() + "-alerts.jsonl").find("novelty.new-region"),
            std::string::npos)
      << "the account's first write in a region it never used is a novelty alert";
  std::string latest;
  for (const std::string& record : all) latest = std::max(latest, TimeOf(record));
  ExpectFindings(expected, ReadLines(reference.string() + "-alerts.jsonl"), /*killed=*/true,
                 latest);
}

}  // namespace trailsight::partitions_test
