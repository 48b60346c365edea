#include "detector/many_targets_rule.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "common/time.h"
#include "detector/account_facts.h"
#include "detector/novelty_rules.h"
#include "tests/support/collecting_sinks.h"

// A namespace of its own: the unity build joins this file with novelty_rules_test.cc.
namespace trailsight::detector::many_targets_test {
namespace {

using namespace std::chrono_literals;
using common::Seconds;

constexpr std::string_view kManyTargetsRule = "novelty.many-targets";
constexpr std::string_view kAccount = "111122223333";
constexpr std::string_view kAttacker = "arn:aws:iam::111122223333:user/leaked-key";

Seconds At(std::string_view text) { return *common::ParseUtcTimestamp(text); }

// One instance's novelty rules, as the pipeline runs them, with the alerts they raised.
class Rules {
 public:
  explicit Rules(NoveltyOptions options = {}) : rules(std::move(options), interner, facts) {}

  // A successful IAM call; `user` is its requestParameters.userName, empty for none.
  common::Event Iam(Seconds time, std::string_view account, std::string_view name,
                    std::string_view user, std::string_view principal = kAttacker) {
    common::Event event;
    event.time = time;
    event.account = interner.Intern(account);
    event.region = interner.Intern("us-east-1");
    event.source = interner.Intern("iam.amazonaws.com");
    event.name = interner.Intern(name);
    event.principal = interner.Intern(principal);
    event.target_user = interner.Intern(user);
    return event;
  }
  void On(const common::Event& event) { rules.OnEvent(event, alerts); }
  // Eight days of an hourly write in us-east-1, up to 2024-06-09: a warm account.
  void Warm(std::string_view account) {
    for (Seconds t = At("2024-06-01T00:00:00Z"); t < At("2024-06-09T00:00:00Z"); t += 1h) {
      common::Event write = Iam(t, account, "TagRole", "", "arn:aws:iam::1:role/ops");
      write.source = interner.Intern("ec2.amazonaws.com");
      write.name = interner.Intern("CreateTags");
      On(write);
    }
  }
  std::size_t ManyTargetsAlerts() const {
    return static_cast<std::size_t>(
        std::count_if(alerts.alerts.begin(), alerts.alerts.end(),
                      [](const common::Alert& alert) { return alert.rule == kManyTargetsRule; }));
  }
  const common::Alert* FirstManyTargetsAlert() const {
    for (const common::Alert& alert : alerts.alerts) {
      if (alert.rule == kManyTargetsRule) return &alert;
    }
    return nullptr;
  }

  common::StringInterner interner;
  AccountFacts facts{interner};
  NoveltyRules rules;
  test_support::CollectingAlerts alerts;
};

std::string User(int i) { return "user-" + std::to_string(i); }

TEST(ManyTargetsRuleTest, KeysForFifteenUsersInTenMinutesAlertOnceThoughNoMinuteIsBusy) {
  Rules here;
  here.Warm(kAccount);

  // One key every 40 seconds: at most 2 a minute, 15 users in 9 minutes 20 seconds.
  const Seconds from = At("2024-06-09T03:10:00Z");
  for (int i = 0; i < 15; ++i) {
    here.On(here.Iam(from + std::chrono::seconds{40 * i}, kAccount, "CreateAccessKey", User(i)));
  }

  ASSERT_EQ(here.ManyTargetsAlerts(), 1u);
  const common::Alert& alert = *here.FirstManyTargetsAlert();
  EXPECT_EQ(alert.kind, common::AlertKind::kNovelty);
  EXPECT_EQ(alert.severity, common::Severity::kMedium);
  EXPECT_EQ(alert.time, from + std::chrono::seconds{40 * 9}) << "at the 10th distinct user";
  EXPECT_EQ(alert.account, kAccount);
  EXPECT_EQ(alert.event_source, "iam.amazonaws.com");
  EXPECT_EQ(alert.event_name, "CreateAccessKey");
  EXPECT_EQ(alert.principal, kAttacker);
  EXPECT_NE(alert.message.find("for 10 distinct IAM users"), std::string::npos) << alert.message;
  EXPECT_NE(alert.message.find("user-0, user-1"), std::string::npos) << alert.message;
  EXPECT_NE(alert.message.find("user-9"), std::string::npos) << alert.message;
}

TEST(ManyTargetsRuleTest, KeysForOneUserAreOneTarget) {
  Rules here;
  here.Warm(kAccount);

  const Seconds from = At("2024-06-09T03:10:00Z");
  for (int i = 0; i < 15; ++i) {
    here.On(here.Iam(from + std::chrono::seconds{40 * i}, kAccount, "CreateAccessKey", "ci"));
  }

  EXPECT_EQ(here.ManyTargetsAlerts(), 0u);
}

TEST(ManyTargetsRuleTest, ACallerRotatingItsOwnKeyDailyStaysQuiet) {
  Rules here;
  here.Warm(kAccount);
  constexpr std::string_view kCi = "arn:aws:iam::111122223333:user/ci-deployer";

  // No userName: the caller's own key, so the caller is the target.
  for (Seconds t = At("2024-06-09T02:00:00Z"); t < At("2024-07-09T00:00:00Z"); t += 24h) {
    here.On(here.Iam(t, kAccount, "CreateAccessKey", "", kCi));
  }

  EXPECT_EQ(here.ManyTargetsAlerts(), 0u);
}

TEST(ManyTargetsRuleTest, ANewAccountsOwnSetupIsItsWarmUp) {
  Rules here;

  const Seconds from = At("2024-06-09T03:10:00Z");
  for (int i = 0; i < 15; ++i) {
    here.On(
        here.Iam(from + std::chrono::seconds{40 * i}, "444455556666", "CreateAccessKey", User(i)));
  }

  EXPECT_EQ(here.ManyTargetsAlerts(), 0u);
}

TEST(ManyTargetsRuleTest, FifteenUsersOverTwoHoursStayQuiet) {
  Rules here;
  here.Warm(kAccount);

  // One key every 8 minutes: never more than 2 users within any 10 minutes.
  const Seconds from = At("2024-06-09T03:10:00Z");
  for (int i = 0; i < 15; ++i) {
    here.On(here.Iam(from + std::chrono::minutes{8 * i}, kAccount, "CreateAccessKey", User(i)));
  }

  EXPECT_EQ(here.ManyTargetsAlerts(), 0u);
}

TEST(ManyTargetsRuleTest, FailedCallsAndCallsOfOtherApisDoNotCount) {
  Rules here;
  here.Warm(kAccount);

  const Seconds from = At("2024-06-09T03:10:00Z");
  for (int i = 0; i < 15; ++i) {
    common::Event denied =
        here.Iam(from + std::chrono::seconds{20 * i}, kAccount, "CreateAccessKey", User(i));
    denied.error_code = here.interner.Intern("AccessDenied");
    here.On(denied);
    here.On(here.Iam(from + std::chrono::seconds{20 * i + 1}, kAccount, "GetUser", User(i)));
  }

  EXPECT_EQ(here.ManyTargetsAlerts(), 0u);
}

TEST(ManyTargetsRuleTest, OneEpisodeAlertsOnceAndTheNextAfterTheWindowClears) {
  Rules here;
  here.Warm(kAccount);

  // 40 users, one every 30 seconds: one episode of 20 minutes.
  const Seconds from = At("2024-06-09T03:10:00Z");
  for (int i = 0; i < 40; ++i) {
    here.On(here.Iam(from + std::chrono::seconds{30 * i}, kAccount, "CreateAccessKey", User(i)));
  }
  EXPECT_EQ(here.ManyTargetsAlerts(), 1u) << "no flood while the episode goes on";

  // Ten quiet minutes, then another spread.
  const Seconds later = from + std::chrono::seconds{30 * 39} + 11min;
  for (int i = 0; i < 10; ++i) {
    here.On(
        here.Iam(later + std::chrono::seconds{30 * i}, kAccount, "CreateAccessKey", User(100 + i)));
  }
  EXPECT_EQ(here.ManyTargetsAlerts(), 2u);
}

TEST(ManyTargetsRuleTest, WithoutATargetUserDistinctCallersCount) {
  Rules here;
  here.Warm(kAccount);

  const Seconds from = At("2024-06-09T03:10:00Z");
  for (int i = 0; i < 10; ++i) {
    common::Event policy =
        here.Iam(from + std::chrono::seconds{50 * i}, kAccount, "PutBucketPolicy", "",
                 "arn:aws:iam::111122223333:user/" + User(i));
    policy.source = here.interner.Intern("s3.amazonaws.com");
    here.On(policy);
  }

  ASSERT_EQ(here.ManyTargetsAlerts(), 1u);
  EXPECT_NE(here.FirstManyTargetsAlert()->message.find("by 10 distinct callers"), std::string::npos)
      << here.FirstManyTargetsAlert()->message;
}

TEST(ManyTargetsRuleTest, TheThresholdAndWindowAndSwitchComeFromTheOptions) {
  Rules strict({.many_targets = {.threshold = 3, .window = 2min}});
  strict.Warm(kAccount);
  Rules off({.many_targets = {.enabled = false}});
  off.Warm(kAccount);
  Rules wide({.many_targets = {.threshold = 25, .window = 30min}});
  wide.Warm(kAccount);

  const Seconds from = At("2024-06-09T03:10:00Z");
  for (int i = 0; i < 30; ++i) {
    const Seconds at = from + std::chrono::seconds{40 * i};
    for (Rules* rules : {&strict, &off, &wide}) {
      rules->On(rules->Iam(at, kAccount, "CreateAccessKey", User(i)));
    }
  }

  // 3 users within 2 minutes at the 3rd call; quiet while calls keep coming every 40 s.
  ASSERT_EQ(strict.ManyTargetsAlerts(), 1u);
  EXPECT_EQ(strict.FirstManyTargetsAlert()->time, from + 80s);
  EXPECT_EQ(off.ManyTargetsAlerts(), 0u);
  ASSERT_EQ(wide.ManyTargetsAlerts(), 1u);
  const std::string& message = wide.FirstManyTargetsAlert()->message;
  EXPECT_EQ(wide.FirstManyTargetsAlert()->time, from + std::chrono::seconds{40 * 24});
  EXPECT_NE(message.find("for 25 distinct IAM users"), std::string::npos) << message;
  EXPECT_NE(message.find("user-19 and 5 more"), std::string::npos) << "20 named: " << message;
}

TEST(ManyTargetsRuleTest, QuietKeysAreDroppedAndNewKeysBeyondTheBoundAreRefused) {
  common::StringInterner interner;
  ManyTargetsRule rule({}, interner, /*max_keys=*/1'000);
  common::Event event;
  event.source = interner.Intern("iam.amazonaws.com");
  event.name = interner.Intern("CreateAccessKey");
  event.target_user = interner.Intern("ci");

  // 20,000 accounts, 40 a minute: a window holds 400 of them, two windows (the most held
  // between sweeps) 800.
  const Seconds from = At("2024-06-09T00:00:00Z");
  std::size_t most = 0;
  for (int i = 0; i < 20'000; ++i) {
    event.time = from + std::chrono::seconds{(1'500 * i) / 1'000};
    event.account = interner.Intern(fmt::format("{:012}", i));
    EXPECT_FALSE(rule.OnSensitiveCall(event).has_value());
    most = std::max(most, rule.keys());
  }
  EXPECT_LE(most, 1'000u) << "the bound holds";
  EXPECT_LT(rule.keys(), 1'000u) << "quiet keys are dropped";
  EXPECT_EQ(rule.refused(), 0u) << "a window's keys fit";

  // An hour later, 2,000 accounts in the same second: the bound refuses the rest.
  const Seconds later = event.time + 1h;
  for (int i = 0; i < 2'000; ++i) {
    event.time = later;
    event.account = interner.Intern(fmt::format("9{:011}", i));
    EXPECT_FALSE(rule.OnSensitiveCall(event).has_value());
  }
  EXPECT_EQ(rule.keys(), 1'000u);
  EXPECT_EQ(rule.refused(), 1'000u) << "the earlier keys were swept first";
}

}  // namespace
}  // namespace trailsight::detector::many_targets_test
