// Work that comes in clumps of several minutes, through the whole Detector: a nightly job at
// a jittered time, a team's bursts at any hour of its working day. Quiet where they recur,
// an insight where they do not.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "detector/detector.h"
#include "tests/detector/detector_fixture.h"

namespace trailsight::detector {
namespace {

constexpr const char* kDevAccount = "222222222222";
constexpr const char* kTeam = "arn:aws:sts::222222222222:assumed-role/DevTeam";

class RecurringWorkTest : public DetectorTest {
 protected:
  // `total` calls of `name` by `account` spread evenly over `spread` minutes from `start`.
  void Clump(std::vector<Event>& events, Seconds start, int spread, int total,
             std::string_view name, std::string_view account, std::string_view principal) {
    for (int i = 0; i < total; ++i) {
      const auto offset = std::chrono::seconds{i * spread * 60 / total};
      events.push_back(Call(start + offset, name, account, principal));
    }
  }

  // The findings' states and first minutes, for failure messages.
  static std::string Listed(const std::vector<Finding>& findings) {
    std::string text;
    for (const Finding& finding : findings) {
      text += fmt::format("{} {}\n", finding.state == InsightState::kStart ? "Start" : "End",
                          common::FormatUtcTimestamp(finding.start));
    }
    return text;
  }

  static std::vector<Finding> Of(const std::vector<Finding>& findings, std::string_view name,
                                 std::string_view account) {
    std::vector<Finding> of;
    std::copy_if(findings.begin(), findings.end(), std::back_inserter(of), [&](const Finding& f) {
      return f.key.event_name == name && f.key.account == account;
    });
    return of;
  }
};

// A backup deleting 30 snapshots over 10 minutes each night at 03:00 give or take 20
// minutes: its busiest minute (3 calls) is ordinary, its 15-minute window is not.
TEST_F(RecurringWorkTest, ANightlyJobAtAJitteredTimeIsQuietAndTheSameJobAtNoonIsAnInsight) {
  std::vector<Event> events =
      QuietBackground(At("2024-12-02T00:00:00Z"), At("2024-12-11T18:00:00Z"));
  const int jitter_minutes[] = {-20, 12, -5, 18, -14, 3, 20, -9, 7, -17};
  for (int day = 0; day < 10; ++day) {
    const Seconds start = At("2024-12-02T03:00:00Z") + std::chrono::days{day} +
                          std::chrono::minutes{jitter_minutes[day]};
    Clump(events, start, 10, 30, "DeleteSnapshot", "111111111111",
          "arn:aws:sts::111111111111:assumed-role/Backup");
  }
  Clump(events, At("2024-12-11T12:00:00Z"), 10, 30, "DeleteSnapshot", "111111111111",
        "arn:aws:sts::111111111111:assumed-role/Backup");
  SortByTime(events);

  const std::vector<Finding> findings = Of(Run(events), "DeleteSnapshot", "111111111111");

  // Once the job has run on two nights, only the job at noon: its Start and End.
  std::vector<Finding> later;
  std::copy_if(findings.begin(), findings.end(), std::back_inserter(later), [](const Finding& f) {
    return f.start >= common::FloorMinute(At("2024-12-04T00:00:00Z"));
  });
  ASSERT_EQ(later.size(), 2u) << Listed(findings);
  EXPECT_EQ(later[0].state, InsightState::kStart);
  EXPECT_GE(later[0].start, common::FloorMinute(At("2024-12-11T12:00:00Z")));
  EXPECT_LT(later[0].start, common::FloorMinute(At("2024-12-11T12:10:00Z")));
}

// A dev team tears down 6 to 14 instances within 1 to 3 minutes, 1 to 3 times every weekday
// at any hour from 09:00 to 18:00 UTC, for two and a half weeks from Monday 2024-12-02; its
// weekends are quiet. The account's reads every ten minutes close its minutes.
TEST_F(RecurringWorkTest, ATeamsUsualBurstsAreQuietAtAnyHourButOnASundayOrFourTimesLarger) {
  std::vector<Event> events;
  for (Seconds t = At("2024-12-02T00:00:00Z"); t < At("2024-12-19T00:00:00Z"); t += 10min) {
    events.push_back(Call(t, "DescribeInstances", kDevAccount, kTeam, true));
  }
  const auto teardown = [&](Seconds start, int spread_minutes, int instances) {
    Clump(events, start, spread_minutes, instances, "TerminateInstances", kDevAccount, kTeam);
  };
  std::mt19937 random(11);
  std::uniform_int_distribution<int> times(1, 3), size(6, 14), spread(1, 3), minute(0, 9 * 60);
  for (int day = 0; day < 17; ++day) {
    if (day % 7 >= 5) continue;  // Saturday and Sunday
    const Seconds nine = At("2024-12-02T09:00:00Z") + std::chrono::days{day};
    for (int n = times(random); n > 0; --n) {
      const Seconds at = nine + std::chrono::minutes{minute(random)};
      const int spread_minutes = spread(random);
      teardown(at, spread_minutes, size(random));
    }
  }
  teardown(At("2024-12-15T11:00:00Z"), 2, 12);  // Sunday, at weekday size
  teardown(At("2024-12-18T20:30:00Z"), 2, 48);  // four times larger, in the evening
  SortByTime(events);

  const std::vector<Finding> findings = Of(Run(events), "TerminateInstances", kDevAccount);

  // From the second week on, only the Sunday teardown and the one four times larger.
  std::vector<common::Minute> starts;
  for (const Finding& finding : findings) {
    if (finding.state == InsightState::kStart &&
        finding.start >= common::FloorMinute(At("2024-12-09T00:00:00Z"))) {
      starts.push_back(finding.start);
    }
  }
  ASSERT_EQ(starts.size(), 2u) << Listed(findings);
  EXPECT_EQ(starts[0], common::FloorMinute(At("2024-12-15T11:00:00Z")));
  EXPECT_GE(starts[1], common::FloorMinute(At("2024-12-18T20:30:00Z")));
  EXPECT_LE(starts[1], common::FloorMinute(At("2024-12-18T20:31:00Z")));
}

// A team busy on weekday working hours (TerminateInstances at 1.5 calls a minute, 08:00 to
// 20:00 UTC) and idle on weekends, for three weeks from Monday 2024-12-02. A Sunday
// teardown of 12 instances in two minutes (6 and 6) lies below the weekday levels; on the
// third Sunday, with two weekends known, it is judged at the weekends' own rate and fires.
// A restart on the Saturday before keeps both weekends: the same insight.
TEST_F(RecurringWorkTest, ASundayTeardownUnderWeekdayLevelsFiresOnceTwoWeekendsAreKnown) {
  std::vector<Event> events;
  for (Seconds t = At("2024-12-02T00:00:00Z"); t < At("2024-12-23T00:00:00Z"); t += 10min) {
    events.push_back(Call(t, "DescribeInstances", kDevAccount, kTeam, true));
  }
  std::mt19937 random(13);
  std::poisson_distribution<int> calls(1.5);
  for (int day = 0; day < 21; ++day) {
    if (day % 7 >= 5) continue;  // Saturday and Sunday
    const Seconds eight = At("2024-12-02T08:00:00Z") + std::chrono::days{day};
    for (int minute = 0; minute < 12 * 60; ++minute) {
      Clump(events, eight + std::chrono::minutes{minute}, 1, calls(random), "TerminateInstances",
            kDevAccount, kTeam);
    }
  }
  Clump(events, At("2024-12-22T11:00:00Z"), 2, 12, "TerminateInstances", kDevAccount, kTeam);
  SortByTime(events);
  const auto sunday_starts = [&](const std::vector<Finding>& findings) {
    std::vector<common::Minute> starts;
    for (const Finding& finding : Of(findings, "TerminateInstances", kDevAccount)) {
      if (finding.state == InsightState::kStart &&
          finding.start >= common::FloorMinute(At("2024-12-21T00:00:00Z"))) {
        starts.push_back(finding.start);
      }
    }
    return starts;
  };

  const std::vector<Finding> uninterrupted = Run(events);

  const std::vector<common::Minute> expected = {common::FloorMinute(At("2024-12-22T11:00:00Z"))};
  EXPECT_EQ(sunday_starts(uninterrupted), expected) << Listed(uninterrupted);

  const std::vector<Finding> restarted = RunRestarted(events, At("2024-12-21T00:00:00Z"));
  EXPECT_EQ(sunday_starts(restarted), expected) << Listed(restarted);
}

// A dev team at UTC-8 tears down 6 to 14 instances 1 to 3 times each of its weekdays, at
// 09:00 to 18:00 local time (17:00 to 02:00 UTC), for three weeks from Monday 2024-12-02
// local; the account's reads every ten minutes close its minutes. Its Friday evenings fall
// on UTC Saturdays: judged by its own weekend (learned from the region's week), the
// Friday-evening teardown of the third week is quiet, and one of the same size on its
// Saturday fires.
TEST_F(RecurringWorkTest, ATeamWestOfUtcIsJudgedByItsOwnWeekend) {
  constexpr const char* kWestAccount = "333333333333";
  constexpr const char* kWestTeam = "arn:aws:sts::333333333333:assumed-role/DevTeam";
  std::vector<Event> events;
  for (Seconds t = At("2024-12-02T08:00:00Z"); t < At("2024-12-23T08:00:00Z"); t += 10min) {
    events.push_back(Call(t, "DescribeInstances", kWestAccount, kWestTeam, true));
  }
  const auto teardown = [&](Seconds start, int instances) {
    Clump(events, start, 2, instances, "TerminateInstances", kWestAccount, kWestTeam);
  };
  std::mt19937 random(17);
  std::uniform_int_distribution<int> times(1, 3), size(6, 14), minute(0, 9 * 60 - 3);
  for (int day = 0; day < 21; ++day) {
    if (day % 7 >= 5) continue;  // its Saturday and Sunday
    const Seconds nine_local = At("2024-12-02T17:00:00Z") + std::chrono::days{day};
    for (int n = times(random); n > 0; --n) {
      teardown(nine_local + std::chrono::minutes{minute(random)}, size(random));
    }
  }
  teardown(At("2024-12-21T01:30:00Z"), 12);  // Friday 17:30 local, Saturday 01:30 UTC
  teardown(At("2024-12-21T19:00:00Z"), 12);  // Saturday 11:00 local
  SortByTime(events);

  const std::vector<Finding> findings = Of(Run(events), "TerminateInstances", kWestAccount);

  std::vector<common::Minute> starts;
  for (const Finding& finding : findings) {
    if (finding.state == InsightState::kStart &&
        finding.start >= common::FloorMinute(At("2024-12-20T00:00:00Z"))) {
      starts.push_back(finding.start);
    }
  }
  const std::vector<common::Minute> expected = {common::FloorMinute(At("2024-12-21T19:00:00Z"))};
  EXPECT_EQ(starts, expected) << Listed(findings);
}

}  // namespace
}  // namespace trailsight::detector
