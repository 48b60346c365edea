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
  MemoryTopic topic_;
  GlobalTable table_{"global", topic_.Reader(), tamper_};
};

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
