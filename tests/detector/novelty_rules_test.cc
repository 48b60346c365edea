#include "detector/novelty_rules.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
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
  // A call of an IAM API in us-east-1; `error` set: a failed one.
  common::Event Iam(Seconds time, std::string_view account, std::string_view name,
                    std::string_view error = "") {
    common::Event event = Call(time, account, "us-east-1", name);
    event.source = interner.Intern("iam.amazonaws.com");
    event.error_code = interner.Intern(error);
    return event;
  }
  void On(const common::Event& event) { rules.OnEvent(event, alerts); }
  std::size_t Alerts(std::string_view rule) const {
    return static_cast<std::size_t>(
        std::count_if(alerts.alerts.begin(), alerts.alerts.end(),
                      [&](const common::Alert& alert) { return alert.rule == rule; }));
  }
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

constexpr std::string_view kSensitiveRule = "novelty.first-sensitive-call";

TEST(NoveltyRulesTest, AWarmAccountsFirstSensitiveCallAlertsOnce) {
  Instance here;
  here.WarmInUsEast1("111122223333");

  // 3 a minute for 5 minutes: far below any rate level.
  for (int i = 0; i < 15; ++i) {
    here.On(here.Iam(At("2024-06-09T03:10:00Z") + std::chrono::seconds{20 * i}, "111122223333",
                     "AttachUserPolicy"));
  }

  ASSERT_EQ(here.alerts.alerts.size(), 1u) << "the first call only";
  const common::Alert& alert = here.alerts.alerts[0];
  EXPECT_EQ(alert.kind, common::AlertKind::kNovelty);
  EXPECT_EQ(alert.rule, kSensitiveRule);
  EXPECT_EQ(alert.severity, common::Severity::kMedium);
  EXPECT_EQ(alert.time, At("2024-06-09T03:10:00Z"));
  EXPECT_EQ(alert.account, "111122223333");
  EXPECT_EQ(alert.event_source, "iam.amazonaws.com");
  EXPECT_EQ(alert.event_name, "AttachUserPolicy");
  EXPECT_NE(alert.message.find("never made it"), std::string::npos) << alert.message;
  EXPECT_EQ(
      here.facts.LastSensitiveCallDay("111122223333", "iam.amazonaws.com", "AttachUserPolicy"),
      AccountFacts::DayOf(At("2024-06-09T00:00:00Z")));
}

TEST(NoveltyRulesTest, OnlyTheListedApisAreSensitive) {
  Instance defaults;
  defaults.WarmInUsEast1("111122223333");
  defaults.On(defaults.Iam(At("2024-06-09T03:10:00Z"), "111122223333", "DeleteRole"));
  EXPECT_EQ(defaults.Alerts(kSensitiveRule), 0u) << "not in the default list";

  Instance listed({.sensitive_apis = {{"iam.amazonaws.com", "DeleteRole"}}});
  listed.WarmInUsEast1("111122223333");
  listed.On(listed.Iam(At("2024-06-09T03:10:00Z"), "111122223333", "AttachUserPolicy"));
  EXPECT_EQ(listed.Alerts(kSensitiveRule), 0u) << "the config's list replaces the default";
  listed.On(listed.Iam(At("2024-06-09T03:11:00Z"), "111122223333", "DeleteRole"));
  EXPECT_EQ(listed.Alerts(kSensitiveRule), 1u);
}

TEST(NoveltyRulesTest, AYoungAccountsSensitiveCallsAreItsWarmUp) {
  Instance here;
  here.On(here.Call(At("2024-06-01T00:00:00Z"), "444455556666", "us-east-1", "CreateTags"));
  here.On(here.Iam(At("2024-06-02T00:00:00Z"), "444455556666", "AttachUserPolicy"));
  EXPECT_TRUE(here.alerts.alerts.empty()) << "a day old: warming up";

  here.On(here.Iam(At("2024-06-09T00:00:00Z"), "444455556666", "AttachUserPolicy"));
  EXPECT_TRUE(here.alerts.alerts.empty()) << "warm now, but called a week ago";
  here.On(here.Iam(At("2024-06-09T00:01:00Z"), "444455556666", "CreateUser"));
  EXPECT_EQ(here.Alerts(kSensitiveRule), 1u) << "an API it never called";
}

TEST(NoveltyRulesTest, AFailedSensitiveCallNeitherAlertsNorCounts) {
  Instance here;
  here.WarmInUsEast1("111122223333");

  here.On(here.Iam(At("2024-06-09T03:10:00Z"), "111122223333", "AttachUserPolicy", "AccessDenied"));
  EXPECT_TRUE(here.alerts.alerts.empty());
  EXPECT_FALSE(
      here.facts.LastSensitiveCallDay("111122223333", "iam.amazonaws.com", "AttachUserPolicy")
          .has_value());

  here.On(here.Iam(At("2024-06-09T03:12:00Z"), "111122223333", "AttachUserPolicy"));
  EXPECT_EQ(here.Alerts(kSensitiveRule), 1u) << "the first success is still news";
}

TEST(NoveltyRulesTest, ASensitiveCallUnusedForLongerThanTheWindowIsNewAgain) {
  Instance here({.warmup = 24h, .sensitive_window = std::chrono::days{7}});
  here.WarmInUsEast1("111122223333");
  here.On(here.Iam(At("2024-06-09T12:00:00Z"), "111122223333", "CreateAccessKey"));
  ASSERT_EQ(here.Alerts(kSensitiveRule), 1u);

  here.On(here.Iam(At("2024-06-16T12:00:00Z"), "111122223333", "CreateAccessKey"));
  EXPECT_EQ(here.Alerts(kSensitiveRule), 1u) << "7 days later: within the window";
  here.On(here.Iam(At("2024-06-24T12:00:00Z"), "111122223333", "CreateAccessKey"));
  ASSERT_EQ(here.Alerts(kSensitiveRule), 2u) << "8 days later: beyond it";
  EXPECT_NE(here.alerts.alerts.back().message.find("8 days earlier"), std::string::npos)
      << here.alerts.alerts.back().message;
}

TEST(NoveltyRulesTest, SensitiveCallsSwitchedOffAreStillLearned) {
  Instance here({.first_sensitive_call = false});
  here.WarmInUsEast1("111122223333");
  here.On(here.Iam(At("2024-06-09T03:10:00Z"), "111122223333", "AttachUserPolicy"));
  EXPECT_TRUE(here.alerts.alerts.empty());

  here.rules.Reconfigure({});  // a reload keeps what was learned
  here.On(here.Iam(At("2024-06-09T04:00:00Z"), "111122223333", "AttachUserPolicy"));
  EXPECT_TRUE(here.alerts.alerts.empty()) << "called an hour ago";
  here.On(here.Iam(At("2024-06-09T04:00:00Z"), "111122223333", "PutUserPolicy"));
  EXPECT_EQ(here.Alerts(kSensitiveRule), 1u);
}

// Facts cross instances through the global table: each merge keeps the latest day of each
// sensitive call, in whatever order the records come, and reads version-1 values too.
TEST(AccountFactsTest, MergedSensitiveCallsAgreeWhateverTheirOrder) {
  Instance a, b, c;
  a.On(a.Iam(At("2024-06-12T00:00:00Z"), "111122223333", "AttachUserPolicy"));
  b.On(b.Iam(At("2024-06-10T00:00:00Z"), "111122223333", "AttachUserPolicy"));
  b.On(b.Iam(At("2024-06-05T00:00:00Z"), "111122223333", "CreateUser"));
  b.On(b.Iam(At("2024-06-06T00:00:00Z"), "111122223333", "DeleteRole"));  // not sensitive
  const auto from_a = a.Changed();
  const auto from_b = b.Changed();
  ASSERT_EQ(from_a.size(), 1u);
  EXPECT_EQ(from_a[0].second[0], '\x02') << "an account with sensitive calls: version 2";
  // An old instance's value: version 1, first seen at the epoch, no regions.
  const std::string old_value("\x01\x00\x00", 3);

  for (const auto& [account, value] : from_b) ASSERT_TRUE(c.facts.Merge(account, value));
  for (const auto& [account, value] : from_a) ASSERT_TRUE(c.facts.Merge(account, value));
  ASSERT_TRUE(c.facts.Merge("111122223333", old_value));
  ASSERT_TRUE(b.facts.Merge("111122223333", old_value));
  for (const auto& [account, value] : from_a) ASSERT_TRUE(b.facts.Merge(account, value));
  for (const auto& [account, value] : from_b) ASSERT_TRUE(a.facts.Merge(account, value));

  for (Instance* merged : {&a, &b, &c}) {
    EXPECT_EQ(
        merged->facts.LastSensitiveCallDay("111122223333", "iam.amazonaws.com", "AttachUserPolicy"),
        AccountFacts::DayOf(At("2024-06-12T00:00:00Z")));
    EXPECT_EQ(merged->facts.LastSensitiveCallDay("111122223333", "iam.amazonaws.com", "CreateUser"),
              AccountFacts::DayOf(At("2024-06-05T00:00:00Z")));
    EXPECT_FALSE(
        merged->facts.LastSensitiveCallDay("111122223333", "iam.amazonaws.com", "DeleteRole")
            .has_value());
  }
  EXPECT_EQ(c.facts.FirstSeen("111122223333"), Seconds{}) << "the old value's sighting";
  EXPECT_TRUE(c.facts.LastWriteDay("111122223333", "us-east-1").has_value());
}

TEST(AccountFactsTest, SensitiveCallsPerAccountAreBoundedOldestFirst) {
  common::StringInterner interner;
  AccountFacts facts(interner);
  common::Event event;
  event.account = interner.Intern("111122223333");
  event.source = interner.Intern("iam.amazonaws.com");
  const auto call = [&](int i, Seconds time) {
    event.name = interner.Intern("Call" + std::to_string(i));
    event.time = time;
    return facts.Observe(event, /*sensitive_call=*/true);
  };
  const auto known = [&](int i) {
    return facts.LastSensitiveCallDay("111122223333", "iam.amazonaws.com",
                                      "Call" + std::to_string(i));
  };
  const Seconds start = At("2024-01-01T00:00:00Z");
  const int bound = static_cast<int>(AccountFacts::kMaxSensitiveCalls);
  for (int i = 0; i < bound; ++i) call(i, start + std::chrono::days{i + 1});
  ASSERT_TRUE(known(0).has_value());

  call(bound, start);  // older than every call kept
  EXPECT_FALSE(known(bound).has_value()) << "gives way to none";
  call(bound + 1, start + std::chrono::days{bound + 1});
  EXPECT_TRUE(known(bound + 1).has_value());
  EXPECT_FALSE(known(0).has_value()) << "the oldest gave way";
  EXPECT_TRUE(known(1).has_value());
  EXPECT_EQ(call(1, start + std::chrono::days{bound + 2}).last_sensitive_call_day,
            AccountFacts::DayOf(start + std::chrono::days{2}));
}

}  // namespace
}  // namespace trailsight::detector
