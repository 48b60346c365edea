#include "app/partition_detectors.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "common/time.h"
#include "tests/app/snapshot_store_fixture.h"
#include "tests/support/collecting_sinks.h"

namespace trailsight::app {
namespace {

using namespace std::chrono_literals;
using common::Seconds;
using consumers::PartitionOffset;

// A changelog topic in memory: every record written, per partition, oldest first. Read
// runs on the restore's thread: it waits for `gate` when one is set, and counts its calls.
class MemoryChangelog final : public ChangelogReader {
 public:
  void Write(std::vector<kafka::ChangelogRecord> records) {
    for (kafka::ChangelogRecord& record : records) records_.push_back(std::move(record));
  }
  common::Status Read(
      std::int32_t partition,
      const std::function<void(std::string_view key, std::string_view value)>& visit) override {
    ++reads;
    if (gate.valid()) gate.wait();
    if (unreachable) return common::Error{common::ErrorCode::kIo, "broker unreachable"};
    for (const kafka::ChangelogRecord& record : records_) {
      if (record.partition == partition) visit(record.key, record.value);
    }
    return common::Ok();
  }
  std::size_t size() const { return records_.size(); }
  std::atomic<int> reads = 0;
  bool unreachable = false;
  std::shared_future<void> gate;  // set before a Restore, kept until its read is let through

 private:
  std::vector<kafka::ChangelogRecord> records_;
};

Seconds At(std::string_view text) { return *common::ParseUtcTimestamp(text); }

detector::CompiledTuning DefaultTuning() { return *detector::CompiledTuning::Compile({}); }

// Two (account, region)s of a keyed input, one on each of partitions 0 and 1 of topic "in":
// ten reads a minute each, day and night, for three days up to `kEnd`, and one write API
// per region.
class PartitionDetectorsTest : public SnapshotStoreFixture {
 protected:
  static constexpr std::string_view kEnd = "2024-12-07T10:00:00Z";

  PartitionDetectors Make(ChangelogReader* changelog = nullptr, std::size_t load_chunk = 8192) {
    return PartitionDetectors({.options = {},
                               .interner = &interner_,
                               .findings = &findings_,
                               .alerts = &alerts_,
                               .close_listener = nullptr,
                               .changelog = changelog,
                               .load_chunk = load_chunk},
                              DefaultTuning());
  }

  common::Event Read(Seconds time, std::string_view account, std::string_view name) {
    common::Event event;
    event.time = time;
    event.account = interner_.Intern(account);
    event.region = interner_.Intern("us-east-1");
    event.source = interner_.Intern("ec2.amazonaws.com");
    event.name = interner_.Intern(name);
    event.principal = interner_.Intern("arn:aws:iam::1:user/a");
    event.user_agent = interner_.Intern("aws-cli/2.15");
    event.read_only = name.starts_with("Describe");
    return event;
  }

  // Account 111111111111 on partition 0, 222222222222 on partition 1, in time order.
  void FeedThreeDays(PartitionDetectors& detectors) {
    for (Seconds t = At("2024-12-04T00:00:00Z"); t < At(kEnd); t += 6s) {
      detectors.For("in", 0).OnEvent(Read(t, "111111111111", "DescribeInstances"));
      detectors.For("in", 1).OnEvent(Read(t, "222222222222", "DescribeInstances"));
    }
    detectors.For("in", 0).OnEvent(Read(At(kEnd) - 1s, "111111111111", "RunInstances"));
    detectors.For("in", 1).OnEvent(Read(At(kEnd) - 1s, "222222222222", "StopInstances"));
  }

  // `a` (on `changelog`) restores partition 1, reads three days and writes what changed to
  // the changelog; returns the records written for partition 1.
  std::size_t ThreeDaysOnTheChangelog(PartitionDetectors& a, MemoryChangelog& changelog) {
    EXPECT_TRUE(a.Restore({{"in", 1, consumers::kUnknownOffset}}, {}));
    EXPECT_TRUE(a.FinishRestores(/*wait=*/true));
    FeedThreeDays(a);
    std::vector<kafka::ChangelogRecord> changes;
    a.CaptureChanges(changes);
    const auto records = static_cast<std::size_t>(
        std::count_if(changes.begin(), changes.end(),
                      [](const kafka::ChangelogRecord& record) { return record.partition == 1; }));
    changelog.Write(std::move(changes));
    return records;
  }

  common::StringInterner interner_;
  test_support::CollectingFindings findings_;
  test_support::CollectingAlerts alerts_;
};

TEST_F(PartitionDetectorsTest, ARevokedPartitionsKeysGoAndItsCountsStay) {
  PartitionDetectors detectors = Make();
  FeedThreeDays(detectors);
  const std::size_t keys = detectors.key_count();
  const std::uint64_t events = detectors.counters().events;
  ASSERT_EQ(keys, 2u) << "one write API per region";
  EXPECT_NE(&detectors.For("in", 0), &detectors.For("in", 1));

  EXPECT_TRUE(detectors.Drop({{"in", 1, 100}}));

  EXPECT_EQ(detectors.key_count(), 1u);
  EXPECT_EQ(detectors.held(), 1u);
  EXPECT_EQ(detectors.counters().events, events) << "counters only grow";
}

TEST_F(PartitionDetectorsTest, SilenceIsJudgedOnlyForTheHeldPartitions) {
  PartitionDetectors both = Make();
  FeedThreeDays(both);
  both.OnIdle(At(kEnd) + 2h);
  ASSERT_EQ(alerts_.alerts.size(), 2u) << "both regions fell silent while both were held";

  alerts_.alerts.clear();
  PartitionDetectors split = Make();
  FeedThreeDays(split);
  split.Drop({{"in", 1, 100}});  // now another instance's: its quiet says nothing here
  split.OnIdle(At(kEnd) + 2h);

  ASSERT_EQ(alerts_.alerts.size(), 1u);
  EXPECT_EQ(alerts_.alerts[0].kind, common::AlertKind::kSilentSource);
  EXPECT_EQ(alerts_.alerts[0].account, "111111111111");
}

TEST_F(PartitionDetectorsTest, ARevokedPartitionComesBackWithItsStateAtItsOffset) {
  PartitionDetectors detectors = Make();
  FeedThreeDays(detectors);
  detectors.Drop({{"in", 1, 200}});
  EXPECT_EQ(detectors.kept(), 1u);

  const std::vector<PartitionOffset> restored =
      detectors.Restore({{"in", 1, consumers::kUnknownOffset}}, {})->resumed;

  EXPECT_EQ(restored, (std::vector<PartitionOffset>{{"in", 1, 200}}));
  EXPECT_EQ(detectors.key_count(), 2u);
  EXPECT_EQ(detectors.kept(), 0u);
}

TEST_F(PartitionDetectorsTest, AfterARestartEachPartitionIsRestoredWhenAssigned) {
  {
    PartitionDetectors detectors = Make();
    FeedThreeDays(detectors);
    detectors.Drop({{"in", 0, 100}});  // held earlier, another instance's now
    Snapshot snapshot;
    snapshot.offsets = {{"in", 1, 200}};  // only held partitions are read and committed
    detectors.Capture(snapshot);
    EXPECT_TRUE(snapshot.detector_state.empty());
    ASSERT_TRUE(store_->Write(snapshot));
  }
  const std::optional<Snapshot> loaded = store_->LoadNewest();
  ASSERT_TRUE(loaded.has_value());
  ASSERT_EQ(loaded->partitions.size(), 2u);

  PartitionDetectors detectors = Make();
  detectors.Seed(loaded->partitions);
  const std::vector<PartitionOffset> restored =
      detectors
          .Restore({{"in", 1, consumers::kUnknownOffset}, {"in", 2, consumers::kUnknownOffset}}, {})
          ->resumed;

  // Partition 1 resumes where its state stands; partition 2 was never seen: fresh.
  EXPECT_EQ(restored, (std::vector<PartitionOffset>{{"in", 1, 200}}));
  EXPECT_EQ(detectors.held(), 2u);
  EXPECT_EQ(detectors.kept(), 1u) << "partition 0's state, until it is assigned";
  EXPECT_EQ(detectors.key_count(), 1u) << "partition 1's write API, and nothing of partition 0";
  EXPECT_EQ(detectors.For("in", 2).key_count(), 0u);
  // Its baseline came with it: three days of reads make its silence an alert at once.
  detectors.OnIdle(At(kEnd) + 2h);
  ASSERT_EQ(alerts_.alerts.size(), 1u);
  EXPECT_EQ(alerts_.alerts[0].account, "222222222222");

  EXPECT_EQ(detectors.Restore({{"in", 0, consumers::kUnknownOffset}}, {})->resumed,
            (std::vector<PartitionOffset>{{"in", 0, 100}}));
}

// Two checkpoints on instance A write what changed; instance B, which never held partition 1
// and has nothing on disk, restores it from the changelog alone.
TEST_F(PartitionDetectorsTest, APartitionMovesToAnotherInstanceThroughTheChangelog) {
  MemoryChangelog changelog;
  PartitionDetectors a = Make(&changelog);
  ASSERT_TRUE(
      a.Restore({{"in", 0, consumers::kUnknownOffset}, {"in", 1, consumers::kUnknownOffset}},
                {{"in", 0, consumers::kUnknownOffset}, {"in", 1, consumers::kUnknownOffset}}));
  ASSERT_EQ(a.FinishRestores(/*wait=*/true)->size(), 2u) << "from an empty changelog";
  FeedThreeDays(a);
  std::vector<kafka::ChangelogRecord> changes;
  a.CaptureChanges(changes);
  ASSERT_EQ(changes.size(), 4u) << "per partition, its region and its write API";
  for (const kafka::ChangelogRecord& record : changes) {
    EXPECT_TRUE(record.key.starts_with(std::string("in") + '\0')) << "keys name the input topic";
  }
  changelog.Write(std::move(changes));
  Snapshot periodic, last;
  a.Capture(periodic, /*with_held=*/false);
  EXPECT_TRUE(periodic.partitions.empty()) << "a periodic checkpoint leaves them to the changelog";
  a.Capture(last, /*with_held=*/true);
  EXPECT_EQ(last.partitions.size(), 2u) << "the last one caches them locally";
  a.For("in", 1).OnEvent(Read(At(kEnd), "222222222222", "StopInstances"));
  changes.clear();
  a.CaptureChanges(changes);
  EXPECT_EQ(changes.size(), 2u) << "only partition 1's region and key changed";
  changelog.Write(std::move(changes));

  PartitionDetectors b = Make(&changelog);
  const common::Result<PartitionDetectors::RestoreStart> restored =
      b.Restore({{"in", 1, consumers::kUnknownOffset}}, {{"in", 1, 300}});

  ASSERT_TRUE(restored.has_value()) << restored.error().message;
  EXPECT_TRUE(restored->resumed.empty()) << "it resumes at the group's committed offset";
  EXPECT_EQ(restored->restoring,
            (std::vector<PartitionOffset>{{"in", 1, consumers::kUnknownOffset}}));
  EXPECT_EQ(*b.FinishRestores(/*wait=*/true),
            (std::vector<PartitionOffset>{{"in", 1, consumers::kUnknownOffset}}));
  EXPECT_EQ(b.key_count(), 1u);
  EXPECT_EQ(b.For("in", 1).counters().events, 0u) << "restored, not replayed";
  // Its baseline came with it: three days of reads make its silence an alert at once.
  b.OnIdle(At(kEnd) + 2h);
  ASSERT_EQ(alerts_.alerts.size(), 1u);
  EXPECT_EQ(alerts_.alerts[0].account, "222222222222");
}

TEST_F(PartitionDetectorsTest, KeptStateIsUsedOnlyWhileNobodyReadThePartitionSince) {
  MemoryChangelog changelog;
  PartitionDetectors detectors = Make(&changelog);
  ASSERT_TRUE(detectors.Restore({{"in", 1, consumers::kUnknownOffset}}, {}));
  ASSERT_TRUE(detectors.FinishRestores(/*wait=*/true));
  ASSERT_EQ(changelog.reads, 1) << "a partition never held here is looked for in the changelog";
  FeedThreeDays(detectors);
  std::vector<kafka::ChangelogRecord> changes;
  detectors.CaptureChanges(changes);
  changelog.Write(std::move(changes));
  detectors.Drop({{"in", 1, 200}});

  // The group's commit is the kept state's offset: the cache is current.
  EXPECT_EQ(detectors.Restore({{"in", 1, consumers::kUnknownOffset}}, {{"in", 1, 200}})->resumed,
            (std::vector<PartitionOffset>{{"in", 1, 200}}));
  EXPECT_EQ(changelog.reads, 1);
  EXPECT_EQ(detectors.For("in", 1).key_count(), 1u);

  // Another instance read it up to 260 meanwhile: the changelog has its state.
  detectors.Drop({{"in", 1, 200}});
  EXPECT_TRUE(
      detectors.Restore({{"in", 1, consumers::kUnknownOffset}}, {{"in", 1, 260}})->resumed.empty());
  ASSERT_TRUE(detectors.FinishRestores(/*wait=*/true));
  EXPECT_EQ(changelog.reads, 2);
  EXPECT_EQ(detectors.For("in", 1).key_count(), 1u);
}

// DESIGN.md "Threads": restoring a partition from the changelog does not stop the partitions
// held; the restored one is held once its read is done, and one revoked meanwhile is not.
TEST_F(PartitionDetectorsTest, AChangelogRestoreRunsBesideThePartitionsHeld) {
  MemoryChangelog changelog;
  PartitionDetectors a = Make(&changelog);
  ThreeDaysOnTheChangelog(a, changelog);

  PartitionDetectors b = Make(&changelog);
  ASSERT_TRUE(b.Restore({{"in", 0, consumers::kUnknownOffset}}, {}));
  ASSERT_EQ(b.FinishRestores(/*wait=*/true)->size(), 1u);
  std::promise<void> open;
  changelog.gate = open.get_future().share();
  const common::Result<PartitionDetectors::RestoreStart> started =
      b.Restore({{"in", 1, consumers::kUnknownOffset}, {"in", 2, consumers::kUnknownOffset}}, {});
  ASSERT_TRUE(started.has_value()) << started.error().message;
  EXPECT_EQ(started->restoring.size(), 2u);
  EXPECT_EQ(b.restoring(), 2u);

  // While the reads wait, the partition held counts its records.
  b.For("in", 0).OnEvent(Read(At(kEnd), "111111111111", "StopInstances"));
  EXPECT_EQ(b.For("in", 0).counters().events, 1u);
  EXPECT_EQ(b.held(), 1u);
  EXPECT_TRUE(b.FinishRestores(/*wait=*/false)->empty());
  b.Drop({{"in", 2, consumers::kUnknownOffset}});  // revoked before its read ends
  EXPECT_EQ(b.restoring(), 1u);
  open.set_value();
  const common::Result<std::vector<PartitionOffset>> finished = b.FinishRestores(/*wait=*/true);

  ASSERT_TRUE(finished.has_value()) << finished.error().message;
  EXPECT_EQ(*finished, (std::vector<PartitionOffset>{{"in", 1, consumers::kUnknownOffset}}));
  EXPECT_EQ(b.held(), 2u) << "partition 2 was revoked while restoring: not held";
  EXPECT_EQ(b.restoring(), 0u);
  EXPECT_EQ(b.key_count(), 3u) << "partition 0's two keys, partition 1's restored one";
  EXPECT_EQ(b.restores().from_changelog, 2u);
}

// However large a partition's state, one call loads a bounded chunk of it on the service
// thread; the partition goes on once the last chunk is in.
TEST_F(PartitionDetectorsTest, AChangelogRestoreLoadsABoundedChunkPerCall) {
  MemoryChangelog changelog;
  PartitionDetectors a = Make(&changelog);
  const std::size_t records = ThreeDaysOnTheChangelog(a, changelog);
  ASSERT_GE(records, 2u) << "a region and a key at least";

  PartitionDetectors b = Make(&changelog, /*load_chunk=*/1);
  ASSERT_TRUE(b.Restore({{"in", 1, consumers::kUnknownOffset}}, {}));
  for (int i = 0; i < 200 && changelog.reads < 1; ++i) std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(100ms);  // the read is in memory: done by now
  std::size_t calls = 0;
  common::Result<std::vector<PartitionOffset>> finished = std::vector<PartitionOffset>{};
  while (finished && finished->empty() && calls < 100) {
    finished = b.FinishRestores(/*wait=*/false);
    ++calls;
  }
  ASSERT_TRUE(finished.has_value()) << finished.error().message;
  EXPECT_EQ(*finished, (std::vector<PartitionOffset>{{"in", 1, consumers::kUnknownOffset}}));
  EXPECT_EQ(calls, records) << "one record a call";
  EXPECT_EQ(b.key_count(), a.For("in", 1).key_count());
}

TEST_F(PartitionDetectorsTest, AtMostFourChangelogReadsRunAtOnceAndTheRestQueue) {
  MemoryChangelog changelog;
  std::promise<void> open;
  changelog.gate = open.get_future().share();
  PartitionDetectors detectors = Make(&changelog);
  std::vector<PartitionOffset> partitions;
  for (std::int32_t partition = 0; partition < 6; ++partition) {
    partitions.push_back({"in", partition, consumers::kUnknownOffset});
  }
  ASSERT_EQ(detectors.Restore(partitions, {})->restoring.size(), 6u);
  for (int i = 0; i < 200 && changelog.reads < 4; ++i) std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(changelog.reads, 4) << "two wait for a free place";

  open.set_value();
  const common::Result<std::vector<PartitionOffset>> finished =
      detectors.FinishRestores(/*wait=*/true);
  ASSERT_TRUE(finished.has_value()) << finished.error().message;
  EXPECT_EQ(finished->size(), 6u);
  EXPECT_EQ(changelog.reads, 6);
  EXPECT_EQ(detectors.held(), 6u);
}

TEST_F(PartitionDetectorsTest, AChangelogThatCannotBeReadFailsTheRestoreNamingThePartition) {
  MemoryChangelog changelog;
  changelog.unreachable = true;
  PartitionDetectors detectors = Make(&changelog);

  ASSERT_TRUE(detectors.Restore({{"in", 4, consumers::kUnknownOffset}}, {{"in", 4, 10}}));
  const common::Result<std::vector<PartitionOffset>> restored =
      detectors.FinishRestores(/*wait=*/true);

  ASSERT_FALSE(restored.has_value());
  EXPECT_NE(restored.error().message.find("in/4"), std::string::npos) << restored.error().message;
  EXPECT_NE(restored.error().message.find("broker unreachable"), std::string::npos);
}

// A replay's state for the whole input (`replay --state-out`), split by pair: each
// partition's seed holds its pairs only, is used while the group has read nothing of the
// partition, and then goes to the changelog whole.
TEST_F(PartitionDetectorsTest, AWholeInputsStateSeedsEachPartitionWithItsPairs) {
  // What a replay of both partitions' records leaves: one Detector's state.
  PartitionDetectors replayed = Make();
  detector::Detector& whole = replayed.For("in", 0);
  for (Seconds t = At("2024-12-04T00:00:00Z"); t < At(kEnd); t += 6s) {
    whole.OnEvent(Read(t, "111111111111", "DescribeInstances"));
    whole.OnEvent(Read(t, "222222222222", "DescribeInstances"));
  }
  whole.OnEvent(Read(At(kEnd) - 1s, "111111111111", "RunInstances"));
  whole.OnEvent(Read(At(kEnd) - 1s, "222222222222", "StopInstances"));
  Snapshot snapshot;
  snapshot.detector_state = whole.SaveState();

  MemoryChangelog changelog;
  PartitionDetectors detectors = Make(&changelog);
  const common::Result<std::size_t> seeded = detectors.SeedWhole(
      snapshot.detector_state, "repartition",
      [](std::string_view account, std::string_view) { return account == "111111111111" ? 0 : 1; });
  ASSERT_TRUE(seeded.has_value()) << seeded.error().message;
  EXPECT_EQ(*seeded, 2u);

  const common::Result<PartitionDetectors::RestoreStart> restored =
      detectors.Restore({{"repartition", 0, consumers::kUnknownOffset},
                         {"repartition", 1, consumers::kUnknownOffset}},
                        {{"repartition", 0, consumers::kUnknownOffset}, {"repartition", 1, 7}});
  ASSERT_TRUE(restored.has_value()) << restored.error().message;
  EXPECT_TRUE(restored->resumed.empty()) << "a seed starts where the group does";
  ASSERT_TRUE(detectors.FinishRestores(/*wait=*/true));
  EXPECT_EQ(detectors.key_count(), 1u)
      << "partition 0's pair from its seed; partition 1 was read by someone: its changelog";
  EXPECT_EQ(changelog.reads, 1);
  std::vector<kafka::ChangelogRecord> changes;
  detectors.CaptureChanges(changes);
  ASSERT_FALSE(changes.empty()) << "the seed goes to the changelog";
  for (const kafka::ChangelogRecord& change : changes) {
    EXPECT_EQ(change.partition, 0);
    EXPECT_NE(change.key.find("111111111111"), std::string::npos);
    EXPECT_EQ(change.key.find("222222222222"), std::string::npos);
  }
  EXPECT_FALSE(detectors.SeedWhole("not a state", "repartition",
                                   [](std::string_view, std::string_view) { return 0; }));
}

}  // namespace
}  // namespace trailsight::app
