#include "app/rekeyer.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "consumers/encoded_event.h"

namespace trailsight::app {
namespace {

using namespace std::chrono_literals;
using consumers::PartitionOffset;

// One commit the fake saw: each record as (partition, key, eventID), and the offsets.
struct SeenCommit {
  std::vector<std::tuple<std::int32_t, std::string, std::string>> records{};
  std::vector<PartitionOffset> offsets{};
  // Each source-marks record as (partition, "topic/partition@time holds" per mark).
  std::vector<std::pair<std::int32_t, std::string>> marks{};
  std::vector<std::string> sources{};  // each event's input partition, "topic/partition"
};

// Commits to memory; fails as told.
class FakeCommitter final : public RekeyCommitter {
 public:
  explicit FakeCommitter(common::StringInterner& interner) : interner_(interner) {}
  common::Status Commit(const kafka::PackedRecords& records,
                        const std::vector<PartitionOffset>& offsets) override {
    ++calls;
    if (fail_next > 0) {
      --fail_next;
      return common::Error{common::ErrorCode::kIo, "broker refused"};
    }
    SeenCommit commit{.offsets = offsets};
    records.ForEach([&](std::int32_t partition, std::string_view key, std::string_view value) {
      if (consumers::IsSourceMarks(value)) {
        std::vector<consumers::SourceMark> marks;
        EXPECT_TRUE(consumers::DecodeSourceMarks(value, marks));
        std::string text;
        for (const consumers::SourceMark& mark : marks) {
          text += fmt::format("{}/{}@{} {} ", mark.topic, mark.partition,
                              mark.time ? mark.time->time_since_epoch().count() : -1, mark.holds);
        }
        commit.marks.emplace_back(partition, text);
        return;
      }
      consumers::EventSource source;
      common::Result<common::Event> event =
          consumers::DecodeEncodedEvent(value, interner_, &source);
      EXPECT_TRUE(event.has_value());
      commit.sources.push_back(fmt::format("{}/{}", source.topic, source.partition));
      commit.records.emplace_back(partition, std::string(key),
                                  event ? std::string(event->event_id.view()) : "");
    });
    commits.push_back(std::move(commit));
    return common::Ok();
  }
  bool OutcomeUnknown() const override { return unknown; }

  int calls = 0;
  int fail_next = 0;
  bool unknown = false;
  std::vector<SeenCommit> commits;

 private:
  common::StringInterner& interner_;
};

// The input partition 0 of "in", read at offsets the test sets, with the marks it sets.
class FakeInput final : public RekeyedInput {
 public:
  std::vector<PartitionOffset> Positions() const override { return positions; }
  consumers::EventSource Delivering() const override { return {"in", 0}; }
  void Marks(std::vector<consumers::SourceMark>& out) const override { out = marks; }

  std::vector<PartitionOffset> positions;
  std::vector<consumers::SourceMark> marks;
};

class RekeyerTest : public ::testing::Test {
 protected:
  common::Event Record(std::string_view account, std::string_view region, std::string_view id) {
    common::Event event;
    event.time = common::Seconds{std::chrono::seconds{1'780'000'000}};
    event.account = interner_.Intern(account);
    event.region = interner_.Intern(region);
    event.name = interner_.Intern("TerminateInstances");
    event.event_id.Assign(id);
    return event;
  }
  // Reads `id` from input partition 0 at `offset`: the positions move past it.
  void Read(std::string_view account, std::string_view region, std::string_view id,
            std::int64_t offset) {
    rekeyer_.OnEvent(Record(account, region, id));
    input_.positions = {{"in", 0, offset + 1}};
  }

  common::StringInterner interner_;
  FakeCommitter committer_{interner_};
  FakeInput input_;
  Rekeyer rekeyer_{{.topic = "repartition", .partitions = 6, .commit_interval = 200ms},
                   interner_,
                   committer_,
                   input_};
};

TEST_F(RekeyerTest, RecordsGoToTheirPairsPartitionWithTheOffsetsTheyReach) {
  Read("111122223333", "us-east-1", "a", 10);
  Read("222233334444", "us-east-1", "b", 11);
  Read("111122223333", "us-east-1", "c", 12);
  rekeyer_.CommitIfDue(std::chrono::steady_clock::now());
  EXPECT_EQ(committer_.calls, 0) << "not before the commit interval";
  EXPECT_TRUE(rekeyer_.pending());

  rekeyer_.CommitIfDue(std::chrono::steady_clock::now() + 1s);

  ASSERT_EQ(committer_.commits.size(), 1u);
  const std::int32_t first = consumers::RepartitionOf("111122223333", "us-east-1", 6);
  const std::int32_t second = consumers::RepartitionOf("222233334444", "us-east-1", 6);
  EXPECT_EQ(committer_.commits[0].records,
            (std::vector<std::tuple<std::int32_t, std::string, std::string>>{
                {first, "111122223333/us-east-1", "a"},
                {second, "222233334444/us-east-1", "b"},
                {first, "111122223333/us-east-1", "c"}}));
  EXPECT_EQ(committer_.commits[0].offsets, (std::vector<PartitionOffset>{{"in", 0, 13}}));
  EXPECT_FALSE(rekeyer_.pending());
  rekeyer_.CommitIfDue(std::chrono::steady_clock::now() + 2s);
  EXPECT_EQ(committer_.calls, 1) << "nothing new: no empty transaction";
  EXPECT_EQ(rekeyer_.counters().records, 3u);
}

// The reader of each repartition partition merges the input partitions by their marks
// (consumers/source_streams.h): every commit ends, in every partition, with where each input
// partition stands, and a change of the marks alone is committed too.
TEST_F(RekeyerTest, EachCommitEndsWithTheInputPartitionsMarksInEveryPartition) {
  const common::Seconds minute{std::chrono::seconds{1'780'000'020}};
  input_.marks = {{.topic = "in", .partition = 0, .time = minute, .holds = true},
                  {.topic = "in", .partition = 3, .time = std::nullopt, .holds = true}};
  Read("111122223333", "us-east-1", "a", 0);
  rekeyer_.CommitIfDue(std::chrono::steady_clock::now() + 1s);

  ASSERT_EQ(committer_.commits.size(), 1u);
  EXPECT_EQ(committer_.commits[0].sources, std::vector<std::string>{"in/0"});
  ASSERT_EQ(committer_.commits[0].marks.size(), 6u) << "one per repartition partition";
  for (std::int32_t partition = 0; partition < 6; ++partition) {
    EXPECT_EQ(committer_.commits[0].marks[static_cast<std::size_t>(partition)],
              std::make_pair(partition, std::string("in/0@1780000020 true in/3@-1 true ")));
  }
  EXPECT_FALSE(rekeyer_.pending());

  input_.marks[1].holds = false;  // idle now: nothing read, only the marks changed
  EXPECT_TRUE(rekeyer_.pending());
  rekeyer_.CommitIfDue(std::chrono::steady_clock::now() + 2s);
  ASSERT_EQ(committer_.commits.size(), 2u);
  EXPECT_TRUE(committer_.commits[1].records.empty());
  ASSERT_EQ(committer_.commits[1].marks.size(), 6u);
  EXPECT_EQ(committer_.commits[1].marks[0].second, "in/0@1780000020 true in/3@-1 false ");
  rekeyer_.CommitIfDue(std::chrono::steady_clock::now() + 3s);
  EXPECT_EQ(committer_.calls, 2) << "the same marks are not written again";
}

// Marks alone are never needed for correctness: in a broker outage their failed commit, even
// one whose outcome is unknown, stops nothing, and a revoke does not wait for them.
TEST_F(RekeyerTest, AFailedCommitOfMarksAloneStopsNothing) {
  input_.marks = {{.topic = "in", .partition = 0, .time = std::nullopt, .holds = true}};
  Read("111122223333", "us-east-1", "a", 0);
  rekeyer_.CommitIfDue(std::chrono::steady_clock::now() + 1s);
  ASSERT_EQ(committer_.commits.size(), 1u);

  input_.marks[0].holds = false;  // only the marks changed
  committer_.fail_next = 1;
  committer_.unknown = true;
  rekeyer_.CommitIfDue(std::chrono::steady_clock::now() + 2s);
  EXPECT_EQ(committer_.calls, 2);
  EXPECT_FALSE(rekeyer_.failure().has_value()) << "no record's fate is unknown";
  EXPECT_FALSE(rekeyer_.pending()) << "tried again a refresh period later, not every turn";
  rekeyer_.OnRevoke({{"in", 0, 1}});
  EXPECT_EQ(committer_.calls, 2) << "a revoke hands over records and positions only";
  EXPECT_FALSE(rekeyer_.failure().has_value());
}

TEST_F(RekeyerTest, AFailedCommitsRecordsGoWithTheNextOnce) {
  Read("111122223333", "us-east-1", "a", 0);
  committer_.fail_next = 1;
  rekeyer_.CommitIfDue(std::chrono::steady_clock::now() + 1s);
  Read("111122223333", "us-east-1", "b", 1);
  rekeyer_.CommitIfDue(std::chrono::steady_clock::now() + 2s);

  ASSERT_EQ(committer_.commits.size(), 1u);
  ASSERT_EQ(committer_.commits[0].records.size(), 2u);
  EXPECT_EQ(std::get<2>(committer_.commits[0].records[0]), "a");
  EXPECT_EQ(std::get<2>(committer_.commits[0].records[1]), "b");
  EXPECT_EQ(committer_.commits[0].offsets, (std::vector<PartitionOffset>{{"in", 0, 2}}));
  EXPECT_EQ(rekeyer_.counters().failed_commits, 1u);
  EXPECT_FALSE(rekeyer_.failure().has_value());
}

TEST_F(RekeyerTest, ACommitThatMayHaveLandedStopsTheRekeyer) {
  Read("111122223333", "us-east-1", "a", 0);
  committer_.fail_next = 1;
  committer_.unknown = true;
  rekeyer_.CommitIfDue(std::chrono::steady_clock::now() + 1s);

  ASSERT_TRUE(rekeyer_.failure().has_value());
  EXPECT_NE(rekeyer_.failure()->message.find("read again"), std::string::npos);
  committer_.unknown = false;
  rekeyer_.CommitIfDue(std::chrono::steady_clock::now() + 2s);
  EXPECT_FALSE(rekeyer_.Commit());
  EXPECT_EQ(committer_.calls, 1) << "sending the records again could count them twice";
}

TEST_F(RekeyerTest, ARevokeCommitsAtOnceAndAFailedOneStops) {
  Read("111122223333", "us-east-1", "a", 0);
  rekeyer_.OnRevoke({{"in", 0, 1}});
  ASSERT_EQ(committer_.commits.size(), 1u) << "before the partitions go, whatever the interval";
  EXPECT_FALSE(rekeyer_.failure().has_value());

  Read("111122223333", "us-east-1", "b", 1);
  committer_.fail_next = 1;
  rekeyer_.OnRevoke({{"in", 0, 2}});
  ASSERT_TRUE(rekeyer_.failure().has_value()) << "the next owner reads them again";
  EXPECT_NE(rekeyer_.failure()->message.find("revoked"), std::string::npos);
  EXPECT_TRUE(rekeyer_.OnAssign({{"in", 0, consumers::kUnknownOffset}}).empty())
      << "partitions start at the group's committed offsets";
}

TEST_F(RekeyerTest, AFullBatchIsCommittedBeforeTheInterval) {
  Rekeyer small(
      {.topic = "repartition", .partitions = 6, .commit_interval = 1h, .max_batch_bytes = 100},
      interner_, committer_, input_);
  for (int i = 0; i < 10; ++i) {
    small.OnEvent(Record("111122223333", "us-east-1", std::to_string(i)));
    input_.positions = {{"in", 0, i + 1}};
    small.CommitIfDue(std::chrono::steady_clock::now());
  }
  EXPECT_GE(committer_.commits.size(), 2u);
  std::size_t records = 0;
  for (const SeenCommit& commit : committer_.commits) records += commit.records.size();
  EXPECT_LE(records, 10u);
  EXPECT_GE(records, 8u);
}

}  // namespace
}  // namespace trailsight::app
