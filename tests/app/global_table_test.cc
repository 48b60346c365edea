#include "app/global_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "common/interner.h"

namespace trailsight::app {
namespace {

using namespace std::chrono_literals;

// The global topic in memory: what Read() has not handed over yet, in order.
class MemoryTopic {
 public:
  void Append(std::string key, std::string value = "1") {
    records_.emplace_back(std::move(key), std::move(value));
  }
  GlobalTable::Reader Reader() {
    return [this](std::chrono::milliseconds,
                  const GlobalTable::Visit& visit) -> common::Result<std::size_t> {
      if (unreachable) return common::Error{common::ErrorCode::kIo, "broker unreachable"};
      const std::size_t from = read_;
      for (; read_ < records_.size(); ++read_) visit(records_[read_].first, records_[read_].second);
      return read_ - from;
    };
  }
  // The same records, for a reader starting at the beginning.
  MemoryTopic Rewound() const {
    MemoryTopic copy = *this;
    copy.read_ = 0;
    return copy;
  }
  bool unreachable = false;

 private:
  std::vector<std::pair<std::string, std::string>> records_;
  std::size_t read_ = 0;
};

std::string Bucket(std::string_view name) {
  return std::string("trail-bucket\0", 13) + std::string(name);
}

std::vector<std::string> Keys(const std::vector<kafka::ChangelogRecord>& records) {
  std::vector<std::string> keys;
  for (const kafka::ChangelogRecord& record : records) {
    EXPECT_EQ(record.topic, "global");
    keys.push_back(record.key);
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

class GlobalTableTest : public ::testing::Test {
 protected:
  bool Knows(std::string_view bucket) const {
    const std::vector<std::string> learned = tamper_.LearnedBuckets();
    return std::find(learned.begin(), learned.end(), bucket) != learned.end();
  }

  common::StringInterner interner_;
  detector::TamperRules tamper_{{}, interner_};
  detector::AccountFacts facts_{interner_};
  MemoryTopic topic_;
  GlobalTable table_{"global", topic_.Reader(), tamper_, &facts_};
};

std::string Account(std::string_view id) { return std::string("account\0", 8) + std::string(id); }

TEST_F(GlobalTableTest, BucketsLearnedOnOtherInstancesAreKnownHere) {
  topic_.Append(Bucket("org-trail-logs"));
  topic_.Append("a-fact-of-a-later-version", "{}");
  ASSERT_TRUE(table_.Load(1s));
  EXPECT_TRUE(Knows("org-trail-logs"));

  topic_.Append(Bucket("audit-logs"));
  EXPECT_EQ(table_.Poll(), 1u);
  EXPECT_TRUE(Knows("audit-logs"));
  std::vector<kafka::ChangelogRecord> changes;
  table_.CaptureChanges(changes);
  EXPECT_TRUE(changes.empty()) << "what the table holds is not written again";
}

TEST_F(GlobalTableTest, BucketsLearnedHereGoToTheTableOnce) {
  ASSERT_TRUE(table_.Load(1s));
  tamper_.Learn("local-trail");
  std::vector<kafka::ChangelogRecord> changes;
  table_.CaptureChanges(changes);
  EXPECT_EQ(Keys(changes), std::vector<std::string>{Bucket("local-trail")});

  changes.clear();
  table_.CaptureChanges(changes);
  EXPECT_TRUE(changes.empty());

  table_.ChangesLost();  // that checkpoint's transaction failed
  table_.CaptureChanges(changes);
  EXPECT_EQ(Keys(changes), std::vector<std::string>{Bucket("local-trail")});
}

// An account's regions are on other partitions: its first sighting and its regions reach
// every instance through the table, and what this one learns goes there.
TEST_F(GlobalTableTest, AccountFactsCrossInstancesThroughTheTable) {
  common::StringInterner elsewhere_interner;
  detector::AccountFacts elsewhere(elsewhere_interner);
  common::Event event;
  event.time = *common::ParseUtcTimestamp("2024-06-01T00:00:00Z");
  event.account = elsewhere_interner.Intern("111122223333");
  event.region = elsewhere_interner.Intern("us-east-1");
  elsewhere.Observe(event);
  elsewhere.TakeChanged([&](std::string_view account, std::string value) {
    topic_.Append(Account(account), std::move(value));
  });
  topic_.Append(Account("222233334444"), "not facts");  // refused, the rest goes on

  ASSERT_TRUE(table_.Load(1s));
  EXPECT_EQ(facts_.FirstSeen("111122223333"), event.time);
  EXPECT_TRUE(facts_.LastWriteDay("111122223333", "us-east-1").has_value());
  std::vector<kafka::ChangelogRecord> changes;
  table_.CaptureChanges(changes);
  EXPECT_TRUE(changes.empty()) << "what the table holds is not written again";

  common::Event here = event;
  here.account = interner_.Intern("111122223333");
  here.region = interner_.Intern("eu-west-1");
  here.time += std::chrono::hours{24 * 9};
  facts_.Observe(here);
  table_.CaptureChanges(changes);
  ASSERT_EQ(Keys(changes), std::vector<std::string>{Account("111122223333")});

  // Another instance reading the table gets both regions.
  for (const kafka::ChangelogRecord& record : changes) topic_.Append(record.key, record.value);
  common::StringInterner other_interner;
  detector::AccountFacts other(other_interner);
  detector::TamperRules other_tamper({}, other_interner);
  MemoryTopic replayed = topic_.Rewound();
  GlobalTable other_table("global", replayed.Reader(), other_tamper, &other);
  ASSERT_TRUE(other_table.Load(1s));
  EXPECT_TRUE(other.LastWriteDay("111122223333", "us-east-1").has_value());
  EXPECT_EQ(other.LastWriteDay("111122223333", "eu-west-1"),
            detector::AccountFacts::DayOf(here.time));
  EXPECT_FALSE(other.FirstSeen("222233334444").has_value());

  changes.clear();
  table_.ChangesLost();  // that checkpoint's transaction failed: the facts go again
  table_.CaptureChanges(changes);
  EXPECT_EQ(Keys(changes), std::vector<std::string>{Account("111122223333")});
}

// An account's sensitive calls made on other partitions reach every instance, beside the
// values of instances that write version 1 (no sensitive calls).
TEST_F(GlobalTableTest, SensitiveCallsCrossInstancesThroughTheTable) {
  common::StringInterner elsewhere_interner;
  detector::AccountFacts elsewhere(elsewhere_interner);
  common::Event event;
  event.time = *common::ParseUtcTimestamp("2024-06-09T03:10:00Z");
  event.account = elsewhere_interner.Intern("111122223333");
  event.region = elsewhere_interner.Intern("us-east-1");
  event.source = elsewhere_interner.Intern("iam.amazonaws.com");
  event.name = elsewhere_interner.Intern("AttachUserPolicy");
  elsewhere.Observe(event, /*sensitive_call=*/true);
  elsewhere.TakeChanged([&](std::string_view account, std::string value) {
    topic_.Append(Account(account), std::move(value));
  });
  topic_.Append(Account("111122223333"), std::string("\x01\x00\x00", 3));  // an old writer's

  ASSERT_TRUE(table_.Load(1s));
  EXPECT_EQ(facts_.LastSensitiveCallDay("111122223333", "iam.amazonaws.com", "AttachUserPolicy"),
            detector::AccountFacts::DayOf(event.time))
      << "a later version-1 value takes none of it away";
  EXPECT_EQ(facts_.FirstSeen("111122223333"), common::Seconds{});
}

TEST_F(GlobalTableTest, AnUnreadableTableFailsTheLoadAndOnlyDelaysPolls) {
  topic_.unreachable = true;
  const common::Status loaded = table_.Load(1s);
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("broker unreachable"), std::string::npos);
  EXPECT_EQ(table_.Poll(), 0u);

  topic_.unreachable = false;
  topic_.Append(Bucket("late-trail"));
  EXPECT_EQ(table_.Poll(), 1u);
  EXPECT_TRUE(Knows("late-trail"));
}

}  // namespace
}  // namespace trailsight::app
