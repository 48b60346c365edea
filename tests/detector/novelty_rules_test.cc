#include "detector/novelty_rules.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/time.h"
#include "detector/account_facts.h"
#include "tests/support/collecting_sinks.h"

namespace trailsight::detector {
namespace {

using namespace std::chrono_literals;
using common::Seconds;

Seconds At(std::string_view text) { return *common::ParseUtcTimestamp(text); }

// An account's activity, as one instance sees it: its own interner, facts and rules.
class Instance {
 public:
  explicit Instance(NoveltyOptions options = {}) : rules(options, interner, facts) {}

  common::Event Call(Seconds time, std::string_view account, std::string_view region,
                     std::string_view name, bool read_only = false) {
    common::Event event;
    event.time = time;
    event.account = interner.Intern(account);
    event.region = interner.Intern(region);
    event.source = interner.Intern("ec2.amazonaws.com");
    event.name = interner.Intern(name);
    event.principal = interner.Intern("arn:aws:iam::111122223333:user/ci");
    event.user_agent = interner.Intern("aws-cli/2.15");
    event.read_only = read_only;
    event.event_id.Assign("6f1d0c1e-0000-4000-8000-000000000001");
    return event;
  }
  void On(const common::Event& event) { rules.OnEvent(event, alerts); }
  // Eight days of an hourly write and read in us-east-1, up to 2024-06-09.
  void WarmInUsEast1(std::string_view account) {
    for (Seconds t = At("2024-06-01T00:00:00Z"); t < At("2024-06-09T00:00:00Z"); t += 1h) {
      On(Call(t, account, "us-east-1", "CreateTags"));
      On(Call(t, account, "us-east-1", "DescribeInstances", /*read_only=*/true));
    }
  }
  // Every account's facts changed here, as the global table would carry them.
  std::vector<std::pair<std::string, std::string>> Changed() {
    std::vector<std::pair<std::string, std::string>> records;
    facts.TakeChanged([&](std::string_view account, std::string value) {
      records.emplace_back(account, std::move(value));
    });
    return records;
  }

  common::StringInterner interner;
  AccountFacts facts{interner};
  NoveltyRules rules;
  test_support::CollectingAlerts alerts;
};

TEST(AccountFactsTest, ObserveSaysWhatWasKnownBeforeTheEvent) {
  Instance here;
  const AccountFacts::Before first =
      here.facts.Observe(here.Call(At("2024-06-01T10:00:00Z"), "111122223333", "us-east-1",
                                   "DescribeInstances", /*read_only=*/true));
  EXPECT_FALSE(first.first_seen.has_value());
  EXPECT_FALSE(first.last_write_day.has_value());

  const AccountFacts::Before write = here.facts.Observe(
      here.Call(At("2024-06-03T10:00:00Z"), "111122223333", "us-east-1", "CreateTags"));
  EXPECT_EQ(write.first_seen, At("2024-06-01T10:00:00Z"));
  EXPECT_FALSE(write.last_write_day.has_value()) << "a read is no use of a region";

  const AccountFacts::Before again = here.facts.Observe(
      here.Call(At("2024-06-05T10:00:00Z"), "111122223333", "us-east-1", "CreateTags"));
  EXPECT_EQ(again.last_write_day, AccountFacts::DayOf(At("2024-06-03T00:00:00Z")));
  EXPECT_EQ(here.facts.LastWriteDay("111122223333", "us-east-1"),
            AccountFacts::DayOf(At("2024-06-05T00:00:00Z")));
  EXPECT_EQ(here.facts.accounts(), 1u);
}

// Facts cross instances through the global table: each merge keeps the earliest sighting
// and the latest write per region, in whatever order the records come.
TEST(AccountFactsTest, MergedFactsAgreeWhateverTheirOrder) {
  Instance a, b, c;
  a.On(a.Call(At("2024-06-02T00:00:00Z"), "111122223333", "us-east-1", "CreateTags"));
  a.On(a.Call(At("2024-06-20T00:00:00Z"), "111122223333", "eu-west-1", "CreateTags"));
  b.On(b.Call(At("2024-06-01T00:00:00Z"), "111122223333", "eu-west-1", "CreateTags"));
  b.On(b.Call(At("2024-06-05T00:00:00Z"), "111122223333", "us-east-1", "RunInstances"));
  const auto from_a = a.Changed();
  const auto from_b = b.Changed();
  ASSERT_EQ(from_a.size(), 1u) << "one record per changed account";
  EXPECT_TRUE(a.Changed().empty()) << "taken once";

  for (const auto& [account, value] : from_b) ASSERT_TRUE(c.facts.Merge(account, value));
  for (const auto& [account, value] : from_a) ASSERT_TRUE(c.facts.Merge(account, value));
  for (const auto& [account, value] : from_a) ASSERT_TRUE(b.facts.Merge(account, value));

  for (Instance* merged : {&b, &c}) {
    EXPECT_EQ(merged->facts.FirstSeen("111122223333"), At("2024-06-01T00:00:00Z"));
    EXPECT_EQ(merged->facts.LastWriteDay("111122223333", "us-east-1"),
              AccountFacts::DayOf(At("2024-06-05T00:00:00Z")));
    EXPECT_EQ(merged->facts.LastWriteDay("111122223333", "eu-west-1"),
              AccountFacts::DayOf(At("2024-06-20T00:00:00Z")));
  }
  EXPECT_TRUE(c.Changed().empty()) << "what came from the table need not go back to it";
  c.facts.MarkAllChanged();
  EXPECT_EQ(c.Changed().size(), 1u) << "after a lost write, everything goes again";
}

TEST(AccountFactsTest, AnUnreadableRecordIsRefusedAndChangesNothing) {
  Instance here;
  const common::Status merged = here.facts.Merge("111122223333", "\x01garbage");
  ASSERT_FALSE(merged);
  EXPECT_NE(merged.error().message.find("111122223333"), std::string::npos)
      << merged.error().message;
  EXPECT_FALSE(here.facts.Merge("111122223333", "\x07"));
  EXPECT_EQ(here.facts.accounts(), 0u);
}

TEST(AccountFactsTest, ForgedAccountsBeyondTheBoundAreNotLearned) {
  common::StringInterner interner;
  AccountFacts facts(interner, /*max_accounts=*/2);
  common::Event event;
  event.time = At("2024-06-01T00:00:00Z");
  event.region = interner.Intern("us-east-1");
  for (const char* account : {"111111111111", "222222222222", "333333333333"}) {
    event.account = interner.Intern(account);
    facts.Observe(event);
  }
  EXPECT_EQ(facts.accounts(), 2u);
  EXPECT_EQ(facts.refused(), 1u);
  EXPECT_FALSE(facts.FirstSeen("333333333333").has_value()) << "unknown: young";
  EXPECT_TRUE(facts.Merge("444444444444",
                          std::string_view("\x01\x00\x00", 3)));  // well formed, not learned
  EXPECT_EQ(facts.accounts(), 2u);
  EXPECT_EQ(facts.refused(), 2u);
}

TEST(NoveltyRulesTest, AWarmAccountsFirstWriteInAnUnusedRegionAlertsOnce) {
  Instance here;
  here.WarmInUsEast1("111122223333");
  ASSERT_TRUE(here.alerts.alerts.empty()) << "its own region, while warming up and after";

  here.On(here.Call(At("2024-06-09T03:10:00Z"), "111122223333", "ap-southeast-2",
                    "DescribeInstances", /*read_only=*/true));
  EXPECT_TRUE(here.alerts.alerts.empty()) << "a read uses no region";
  for (int i = 0; i < 12; ++i) {
    here.On(here.Call(At("2024-06-09T03:11:00Z") + std::chrono::seconds{50 * i}, "111122223333",
                      "ap-southeast-2", "RunInstances"));
  }

  ASSERT_EQ(here.alerts.alerts.size(), 1u) << "the first write only";
  const common::Alert& alert = here.alerts.alerts[0];
  EXPECT_EQ(alert.kind, common::AlertKind::kNovelty);
  EXPECT_EQ(alert.rule, "novelty.new-region");
  EXPECT_EQ(alert.severity, common::Severity::kMedium);
  EXPECT_EQ(alert.time, At("2024-06-09T03:11:00Z"));
  EXPECT_EQ(alert.account, "111122223333");
  EXPECT_EQ(alert.region, "ap-southeast-2");
  EXPECT_EQ(alert.event_name, "RunInstances");
  EXPECT_EQ(alert.principal, "arn:aws:iam::111122223333:user/ci");
  EXPECT_EQ(alert.record_id, "6f1d0c1e-0000-4000-8000-000000000001");
  EXPECT_NE(alert.message.find("never written there"), std::string::npos) << alert.message;
  EXPECT_EQ(here.rules.counters().alerts, 1u);
}

TEST(NoveltyRulesTest, AYoungAccountWarmsUpInEveryRegionFirst) {
  Instance here;
  // Seen for six days: each new region is part of its warm-up.
  here.On(here.Call(At("2024-06-01T00:00:00Z"), "444455556666", "us-east-1", "CreateTags"));
  here.On(here.Call(At("2024-06-07T00:00:00Z"), "444455556666", "eu-west-1", "CreateTags"));
  here.On(here.Call(At("2024-06-07T23:59:59Z"), "444455556666", "eu-north-1", "CreateTags"));
  EXPECT_TRUE(here.alerts.alerts.empty());
  // A week old now: a region it never wrote in alerts.
  here.On(here.Call(At("2024-06-08T00:00:00Z"), "444455556666", "sa-east-1", "CreateTags"));
  EXPECT_EQ(here.alerts.alerts.size(), 1u);
}

TEST(NoveltyRulesTest, ARegionUnusedForLongerThanTheWindowIsNewAgain) {
  Instance here({.new_region = true, .region_window = std::chrono::days{7}, .warmup = 24h});
  here.WarmInUsEast1("111122223333");
  here.On(here.Call(At("2024-06-01T12:00:00Z"), "111122223333", "eu-west-1", "CreateTags"));
  ASSERT_TRUE(here.alerts.alerts.empty()) << "still warming up on June 1";

  here.On(here.Call(At("2024-06-08T12:00:00Z"), "111122223333", "eu-west-1", "CreateTags"));
  EXPECT_TRUE(here.alerts.alerts.empty()) << "7 days later: within the window";
  here.On(here.Call(At("2024-06-16T12:00:00Z"), "111122223333", "eu-west-1", "CreateTags"));
  ASSERT_EQ(here.alerts.alerts.size(), 1u) << "8 days later: beyond it";
  EXPECT_NE(here.alerts.alerts[0].message.find("8 days earlier"), std::string::npos)
      << here.alerts.alerts[0].message;
}

// The account's regions are on other partitions, read by another instance: its age comes
// from the global table.
TEST(NoveltyRulesTest, AnAccountsAgeLearnedElsewhereMakesItsNewRegionAlert) {
  Instance a, alone, b;
  a.WarmInUsEast1("111122223333");
  for (const auto& [account, value] : a.Changed()) ASSERT_TRUE(b.facts.Merge(account, value));

  const common::Event first =
      alone.Call(At("2024-06-09T03:11:00Z"), "111122223333", "ap-southeast-2", "RunInstances");
  alone.On(first);
  b.On(b.Call(first.time, "111122223333", "ap-southeast-2", "RunInstances"));

  EXPECT_TRUE(alone.alerts.alerts.empty()) << "without the table the account looks new";
  ASSERT_EQ(b.alerts.alerts.size(), 1u);
  EXPECT_EQ(b.alerts.alerts[0].region, "ap-southeast-2");
}

TEST(NoveltyRulesTest, SwitchedOffItStillLearnsButNeverAlerts) {
  Instance here({.new_region = false});
  here.WarmInUsEast1("111122223333");
  here.On(here.Call(At("2024-06-09T03:11:00Z"), "111122223333", "ap-southeast-2", "RunInstances"));
  EXPECT_TRUE(here.alerts.alerts.empty());
  EXPECT_TRUE(here.facts.LastWriteDay("111122223333", "ap-southeast-2").has_value());

  here.rules.Reconfigure({.new_region = true});  // a reload keeps what was learned
  here.On(here.Call(At("2024-06-09T04:00:00Z"), "111122223333", "ap-southeast-2", "RunInstances"));
  EXPECT_TRUE(here.alerts.alerts.empty()) << "the region is in use by now";
  here.On(here.Call(At("2024-06-09T04:00:00Z"), "111122223333", "me-south-1", "RunInstances"));
  EXPECT_EQ(here.alerts.alerts.size(), 1u);
}

}  // namespace
}  // namespace trailsight::detector
