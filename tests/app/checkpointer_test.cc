// The checkpoint rule, each ordering on its own, through the Checkpointer's narrow
// interfaces; then a revoke whose commit fails, on librdkafka's mock cluster.
#include "app/checkpointer.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/interner.h"
#include "tests/app/snapshot_store_fixture.h"
#include "tests/consumers/kafka_test_support.h"
#include "tests/consumers/test_inputs.h"
#include "tests/support/mock_cluster.h"

namespace trailsight::app {
namespace {

namespace fs = std::filesystem;
using consumers::PartitionOffset;

class FakeOutput final : public CheckpointedOutput {
 public:
  std::uint64_t published() const override { return published_; }
  std::uint64_t AckedThrough() const override { return acked_; }
  common::Status Flush() override {
    if (!flushable_) return common::Error{common::ErrorCode::kIo, "broker unreachable"};
    acked_ = published_;
    return common::Ok();
  }
  std::uint64_t published_ = 0;
  std::uint64_t acked_ = 0;
  bool flushable_ = true;
};

class FakeInput final : public CheckpointedInput {
 public:
  std::vector<PartitionOffset> Positions() const override { return positions; }
  common::Status Commit(const std::vector<PartitionOffset>& offsets) override {
    if (refuse) return common::Error{common::ErrorCode::kIo, "NOT_COORDINATOR"};
    commits.push_back(offsets);
    return common::Ok();
  }
  common::Result<std::vector<PartitionOffset>> Committed(
      const std::vector<PartitionOffset>& partitions) override {
    ++committed_asked;
    if (refuse) return common::Error{common::ErrorCode::kIo, "COORDINATOR_NOT_AVAILABLE"};
    std::vector<PartitionOffset> answer;
    for (const PartitionOffset& partition : partitions) {
      std::int64_t offset = consumers::kUnknownOffset;
      for (const std::vector<PartitionOffset>& commit : commits) {
        for (const PartitionOffset& done : commit) {
          if (done.topic == partition.topic && done.partition == partition.partition) {
            offset = done.offset;
          }
        }
      }
      answer.push_back({partition.topic, partition.partition, offset});
    }
    return answer;
  }
  void SetRestoring(const PartitionOffset& partition, bool is_restoring) override {
    std::erase_if(restoring, [&](const PartitionOffset& held) { return held == partition; });
    if (is_restoring) restoring.push_back(partition);
  }
  std::vector<PartitionOffset> positions;
  std::vector<PartitionOffset> restoring;  // held back by SetRestoring
  int committed_asked = 0;
  std::vector<std::vector<PartitionOffset>> commits;
  bool refuse = false;
};

// Whole state by default; with `per_partition`, drops revoked partitions (noting whether their
// revoke's snapshot was already written) and restores those listed in `restorable`.
class FakeState final : public CheckpointedState {
 public:
  void Capture(Snapshot& snapshot, bool whole) const override {
    snapshot.detector_state = whole ? state : "changes only";
  }
  // Hands out the next change ("change-1", "change-2", ...) at each capture.
  void CaptureChanges(std::vector<kafka::ChangelogRecord>& changes) override {
    changes.push_back({0, "key", fmt::format("change-{}", ++captures)});
  }
  void ChangesLost() override { ++lost; }
  // Partitions in `restorable` resume at once at its offsets; those in `slow` are restoring
  // until FinishRestores() hands out `finished`.
  common::Result<PartitionDetectors::RestoreStart> Restore(
      const std::vector<PartitionOffset>& partitions,
      const std::vector<PartitionOffset>& committed_offsets) override {
    committed = committed_offsets;
    PartitionDetectors::RestoreStart start;
    for (const PartitionOffset& partition : partitions) {
      for (const PartitionOffset& candidate : restorable) {
        if (candidate.topic == partition.topic && candidate.partition == partition.partition) {
          start.resumed.push_back(candidate);
        }
      }
      for (const PartitionOffset& candidate : slow) {
        if (candidate.topic == partition.topic && candidate.partition == partition.partition) {
          start.restoring.push_back(candidate);
        }
      }
    }
    return start;
  }
  common::Result<std::vector<PartitionOffset>> FinishRestores() override {
    if (restore_fails) return common::Error{common::ErrorCode::kIo, "state: in/5: unreadable"};
    return std::exchange(finished, {});
  }
  bool Drop(const std::vector<PartitionOffset>& partitions) override {
    if (!per_partition) return false;
    dropped.insert(dropped.end(), partitions.begin(), partitions.end());
    snapshot_before_drop = store != nullptr && store->LoadNewest().has_value();
    return true;
  }
  std::string state = "state-1";
  bool per_partition = false;
  std::vector<PartitionOffset> restorable;
  std::vector<PartitionOffset> slow, finished;
  bool restore_fails = false;
  std::vector<PartitionOffset> dropped;
  const SnapshotStore* store = nullptr;
  bool snapshot_before_drop = false;
  int captures = 0;
  int lost = 0;
  std::vector<PartitionOffset> committed;  // as Restore() was last given them
};

// Records each transaction: its changes' values and its offsets.
class FakeChangelog final : public CheckpointedChangelog {
 public:
  common::Status Commit(const std::vector<kafka::ChangelogRecord>& records,
                        const std::vector<PartitionOffset>& offsets) override {
    if (refuse) return common::Error{common::ErrorCode::kIo, "transaction aborted"};
    std::vector<std::string> values;
    for (const kafka::ChangelogRecord& record : records) values.push_back(record.value);
    transactions.push_back({values, offsets});
    return common::Ok();
  }
  struct Transaction {
    std::vector<std::string> values;
    std::vector<PartitionOffset> offsets;
    bool operator==(const Transaction&) const = default;
  };
  std::vector<Transaction> transactions;
  bool refuse = false;
};

class CheckpointerTest : public SnapshotStoreFixture {
 protected:
  Checkpointer Make(std::vector<PartitionOffset> resume = {},
                    CheckpointedChangelog* changelog = nullptr) {
    Checkpointer checkpointer(state_, {&insights_, &alerts_}, *store_, std::move(resume),
                              changelog);
    checkpointer.set_input(&input_);
    return checkpointer;
  }

  FakeState state_;
  FakeOutput insights_, alerts_;
  FakeInput input_;
};

TEST_F(CheckpointerTest, CompletesOnlyOnceEveryOutputAcknowledgedWhatCameBefore) {
  Checkpointer checkpointer = Make();
  input_.positions = {{"in", 0, 10}};
  insights_.published_ = 4;
  alerts_.published_ = 2;
  ASSERT_TRUE(checkpointer.Begin());
  insights_.published_ = 9;  // published after the capture: not waited for

  insights_.acked_ = 4;
  EXPECT_FALSE(checkpointer.TryComplete()) << "an alert before the capture is unacknowledged";
  EXPECT_FALSE(store_->LoadNewest().has_value());
  EXPECT_TRUE(input_.commits.empty());

  alerts_.acked_ = 2;
  EXPECT_TRUE(checkpointer.TryComplete());
  const std::optional<Snapshot> written = store_->LoadNewest();
  ASSERT_TRUE(written.has_value());
  EXPECT_EQ(written->offsets, (std::vector<PartitionOffset>{{"in", 0, 10}}));
  EXPECT_EQ(written->detector_state, "state-1");
  EXPECT_EQ(input_.commits, (std::vector<std::vector<PartitionOffset>>{{{"in", 0, 10}}}));
  EXPECT_EQ(checkpointer.completed(), 1u);
}

TEST_F(CheckpointerTest, ASnapshotThatCannotBeWrittenCommitsNothing) {
  Checkpointer checkpointer = Make();
  input_.positions = {{"in", 0, 10}};
  fs::remove_all(dir_);  // the folder is gone: the write fails

  EXPECT_FALSE(checkpointer.CompleteNow());
  EXPECT_TRUE(input_.commits.empty());
}

TEST_F(CheckpointerTest, PartitionsResumeFromTheRestoredSnapshotsOffsets) {
  Checkpointer checkpointer = Make({{"in", 0, 40}, {"in", 1, 7}});

  const std::vector<PartitionOffset> starts = checkpointer.OnAssign(
      {{"in", 0, consumers::kUnknownOffset}, {"in", 2, consumers::kUnknownOffset}});

  // Partition 2 was never read into this state: it starts from the group's commit.
  EXPECT_EQ(starts, (std::vector<PartitionOffset>{{"in", 0, 40}}));
}

TEST_F(CheckpointerTest, ARevokeWhoseCommitFailsResumesWhereTheStateStands) {
  Checkpointer checkpointer = Make({{"in", 0, 40}});
  input_.positions = {{"in", 0, 55}};
  input_.refuse = true;

  checkpointer.OnRevoke({{"in", 0, 55}});
  const std::vector<PartitionOffset> starts =
      checkpointer.OnAssign({{"in", 0, consumers::kUnknownOffset}});

  // The group's commit is still older than 55; the state counted up to 55, so the partition
  // resumes there: the records in between are not counted a second time.
  EXPECT_TRUE(input_.commits.empty());
  EXPECT_EQ(starts, (std::vector<PartitionOffset>{{"in", 0, 55}}));
}

TEST_F(CheckpointerTest, ARevokeWhoseOutputsCannotFlushStillResumesWhereTheStateStands) {
  Checkpointer checkpointer = Make();
  input_.positions = {{"in", 0, 12}};
  insights_.published_ = 3;
  insights_.flushable_ = false;

  checkpointer.OnRevoke({{"in", 0, 12}});

  EXPECT_FALSE(store_->LoadNewest().has_value());
  EXPECT_EQ(checkpointer.OnAssign({{"in", 0, consumers::kUnknownOffset}}),
            (std::vector<PartitionOffset>{{"in", 0, 12}}));
}

TEST_F(CheckpointerTest, ARevokedPartitionsStateIsDroppedOnlyAfterItsCheckpoint) {
  state_.per_partition = true;
  state_.store = store_.get();
  Checkpointer checkpointer = Make();
  checkpointer.OnAssign(
      {{"in", 0, consumers::kUnknownOffset}, {"in", 1, consumers::kUnknownOffset}});
  input_.positions = {{"in", 0, 30}, {"in", 1, 50}};

  checkpointer.OnRevoke({{"in", 1, 50}});

  EXPECT_EQ(state_.dropped, (std::vector<PartitionOffset>{{"in", 1, 50}}));
  EXPECT_TRUE(state_.snapshot_before_drop) << "the revoke's snapshot is written first";
  ASSERT_EQ(input_.commits.size(), 1u);
  EXPECT_EQ(input_.commits[0], (std::vector<PartitionOffset>{{"in", 0, 30}, {"in", 1, 50}}));
  EXPECT_FALSE(checkpointer.StatePosition("in", 1).has_value())
      << "the state no longer reflects the partition";
}

TEST_F(CheckpointerTest, AReassignedPartitionResumesWhereItsRestoredStateStands) {
  state_.per_partition = true;
  Checkpointer checkpointer = Make();
  input_.positions = {{"in", 1, 50}};
  input_.refuse = true;  // the group's commit stays older than the state
  checkpointer.OnRevoke({{"in", 1, 50}});

  // The only state there is for partition 1 is a snapshot at 45: it resumes at 45, not at
  // 50 (the dropped state's position) nor at the group's older commit.
  state_.restorable = {{"in", 1, 45}};
  EXPECT_EQ(checkpointer.OnAssign({{"in", 1, consumers::kUnknownOffset}}),
            (std::vector<PartitionOffset>{{"in", 1, 45}}));

  // With no state for it anywhere, it starts cold from the group's commit.
  checkpointer.OnRevoke({{"in", 1, 60}});
  state_.restorable.clear();
  EXPECT_TRUE(checkpointer.OnAssign({{"in", 1, consumers::kUnknownOffset}}).empty());
}

TEST_F(CheckpointerTest, WithAChangelogChangesAndOffsetsCommitInOneTransactionAfterTheOutputs) {
  FakeChangelog changelog;
  Checkpointer checkpointer = Make({}, &changelog);
  input_.positions = {{"in", 0, 10}};
  insights_.published_ = 2;
  ASSERT_TRUE(checkpointer.Begin());
  EXPECT_FALSE(checkpointer.TryComplete());
  EXPECT_TRUE(changelog.transactions.empty()) << "not before the outputs acknowledged";

  insights_.acked_ = 2;
  EXPECT_TRUE(checkpointer.TryComplete());
  EXPECT_EQ(changelog.transactions,
            (std::vector<FakeChangelog::Transaction>{{{"change-1"}, {{"in", 0, 10}}}}));
  EXPECT_TRUE(input_.commits.empty()) << "the offsets went with the transaction";
  const std::optional<Snapshot> cache = store_->LoadNewest();
  ASSERT_TRUE(cache.has_value()) << "then the local cache";
  EXPECT_EQ(cache->detector_state, "changes only") << "a periodic capture follows the changes";

  EXPECT_TRUE(checkpointer.CompleteNow());
  EXPECT_EQ(store_->LoadNewest()->detector_state, "state-1") << "the last one is whole";
}

TEST_F(CheckpointerTest, AFailedTransactionWritesNothingAndTheNextWritesEverything) {
  FakeChangelog changelog;
  changelog.refuse = true;
  Checkpointer checkpointer = Make({}, &changelog);
  input_.positions = {{"in", 0, 10}};

  EXPECT_FALSE(checkpointer.CompleteNow());
  EXPECT_FALSE(store_->LoadNewest().has_value());
  EXPECT_EQ(state_.lost, 1) << "the state is told its captured changes were not written";
  changelog.refuse = false;
  EXPECT_TRUE(checkpointer.CompleteNow());
  EXPECT_EQ(changelog.transactions.size(), 1u);
}

TEST_F(CheckpointerTest, ChangesCapturedBeforeARevokeGoWithTheRevokesTransaction) {
  FakeChangelog changelog;
  Checkpointer checkpointer = Make({}, &changelog);
  input_.positions = {{"in", 0, 10}};
  insights_.published_ = 1;  // unacknowledged: the first capture stays pending
  ASSERT_TRUE(checkpointer.Begin());
  insights_.acked_ = 1;
  input_.positions = {{"in", 0, 14}};

  checkpointer.OnRevoke({{"in", 0, 14}});

  EXPECT_EQ(changelog.transactions,
            (std::vector<FakeChangelog::Transaction>{{{"change-1", "change-2"}, {{"in", 0, 14}}}}));
}

TEST_F(CheckpointerTest, WithAChangelogAnAssignmentAsksTheGroupWhereItStands) {
  FakeChangelog changelog;
  state_.per_partition = true;
  Checkpointer checkpointer = Make({}, &changelog);
  input_.commits = {{{"in", 0, 33}}};
  checkpointer.OnAssign(
      {{"in", 0, consumers::kUnknownOffset}, {"in", 1, consumers::kUnknownOffset}});
  EXPECT_EQ(state_.committed,
            (std::vector<PartitionOffset>{{"in", 0, 33}, {"in", 1, consumers::kUnknownOffset}}));
  EXPECT_FALSE(checkpointer.restore_error().has_value());

  // Without the group's answer the partitions' state cannot be told current: nothing more
  // is checkpointed and the service stops.
  input_.refuse = true;
  checkpointer.OnAssign({{"in", 2, consumers::kUnknownOffset}});
  ASSERT_TRUE(checkpointer.restore_error().has_value());
  EXPECT_NE(checkpointer.restore_error()->message.find("COORDINATOR_NOT_AVAILABLE"),
            std::string::npos);
  EXPECT_FALSE(checkpointer.Begin());
}

TEST_F(CheckpointerTest, APartitionRestoringFromTheChangelogWaitsAloneUntilItsStateIsLoaded) {
  FakeChangelog changelog;
  state_.per_partition = true;
  state_.restorable = {{"in", 0, 40}};
  state_.slow = {{"in", 1, consumers::kUnknownOffset}, {"in", 2, consumers::kUnknownOffset}};
  Checkpointer checkpointer = Make({}, &changelog);
  input_.SetRestoring({"in", 3, consumers::kUnknownOffset}, true);  // another's: left alone

  const std::vector<PartitionOffset> starts =
      checkpointer.OnAssign({{"in", 0, consumers::kUnknownOffset},
                             {"in", 1, consumers::kUnknownOffset},
                             {"in", 2, consumers::kUnknownOffset}});

  EXPECT_EQ(starts, (std::vector<PartitionOffset>{{"in", 0, 40}}));
  EXPECT_EQ(input_.restoring, (std::vector<PartitionOffset>{{"in", 3, consumers::kUnknownOffset},
                                                            {"in", 1, consumers::kUnknownOffset},
                                                            {"in", 2, consumers::kUnknownOffset}}));
  checkpointer.PollRestores();  // nothing finished yet
  EXPECT_EQ(input_.restoring.size(), 3u);

  state_.finished = {{"in", 2, consumers::kUnknownOffset}};
  checkpointer.PollRestores();
  EXPECT_EQ(input_.restoring, (std::vector<PartitionOffset>{{"in", 3, consumers::kUnknownOffset},
                                                            {"in", 1, consumers::kUnknownOffset}}));
  EXPECT_FALSE(checkpointer.restore_error().has_value());

  // A restore that fails leaves its partition held back, and the service stops.
  state_.restore_fails = true;
  checkpointer.PollRestores();
  ASSERT_TRUE(checkpointer.restore_error().has_value());
  EXPECT_NE(checkpointer.restore_error()->message.find("in/5"), std::string::npos);
  EXPECT_EQ(input_.restoring.size(), 2u);
  EXPECT_FALSE(checkpointer.Begin());
}

// On librdkafka's mock cluster: the consumer commits nothing it is asked to (the coordinator
// refuses every OffsetCommit), and is closed (its partition revoked) and opened again in the
// same process, which keeps its state. Every record is handed over exactly once.
TEST(CheckpointerOnMockClusterTest, AfterARevokeWhoseCommitFailedNothingIsCountedTwice) {
  trailsight::test_support::MockCluster cluster;
  const std::string topic = "cloudtrail";
  cluster.CreateTopic(topic, 1);
  consumers::kafka_test::Producer producer(cluster.brokers());
  for (int i = 0; i < 10; ++i)
    producer.Send(topic, 0, consumers::test_support::MakeRecord("First"));
  producer.Flush();
  const fs::path dir = fs::temp_directory_path() /
                       fmt::format("trailsight-checkpointer-mock-{}-{}", ::getpid(), std::rand());
  auto store = SnapshotStore::Open(dir, 3);
  ASSERT_TRUE(store.has_value()) << store.error().message;
  FakeState state;
  FakeOutput insights;
  Checkpointer checkpointer(state, {&insights}, **store, {});
  common::StringInterner interner;
  consumers::test_support::CollectingDeadLetters dead_letters;
  consumers::test_support::CollectingReceiver receiver;
  consumers::KafkaSourceOptions options;
  options.brokers = cluster.brokers();
  options.group_id = "trailsight-test";
  options.topics = {topic};
  options.properties = {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}};
  options.commit_timeout = std::chrono::seconds(3);
  const auto open = [&] {
    auto source = consumers::KafkaSource::Create(options, interner, dead_letters, checkpointer);
    EXPECT_TRUE(source.has_value()) << source.error().message;
    return source ? *std::move(source) : nullptr;
  };
  for (int i = 0; i < 20; ++i) {
    rd_kafka_mock_push_request_errors(cluster.get(), trailsight::test_support::kOffsetCommitApiKey,
                                      1, RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED);
  }

  {
    std::unique_ptr<consumers::KafkaSource> source = open();
    ASSERT_NE(source, nullptr);
    KafkaInput input(*source);
    checkpointer.set_input(&input);
    ASSERT_TRUE(consumers::kafka_test::PollUntil(*source, receiver,
                                                 [&] { return receiver.events.size() == 10; }));
    source->Close();  // the revoke: its snapshot is written, its commit refused
    checkpointer.set_input(nullptr);
    EXPECT_GT(source->counters().commit_errors, 0u);
  }
  for (int i = 0; i < 5; ++i)
    producer.Send(topic, 0, consumers::test_support::MakeRecord("Second"));
  producer.Flush();
  std::unique_ptr<consumers::KafkaSource> source = open();
  ASSERT_NE(source, nullptr);
  KafkaInput input(*source);
  checkpointer.set_input(&input);
  ASSERT_TRUE(consumers::kafka_test::PollUntil(
      *source, receiver, [&] { return source->CaughtUp() && receiver.events.size() >= 15; }));

  std::vector<std::string> expected(10, "First");
  expected.insert(expected.end(), 5, "Second");
  EXPECT_EQ(consumers::test_support::Names(receiver.events, interner), expected);
  source->Close();
  checkpointer.set_input(nullptr);
  store->reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace trailsight::app
