// The organization the evaluation measures: account kinds with their regions, and the
// recurring work the issue names (jittered nightly clean-ups, weekday teardowns at random
// times, evening releases across many APIs), a new account, and targets of their own.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sim/generator.h"
#include "sim/layout.h"
#include "sim/traffic.h"
#include "sim/world.h"
#include "tests/sim/simulation.h"

namespace trailsight::sim {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;

GeneratorOptions Organization(int day_count) {
  GeneratorOptions options;
  options.days = day_count;
  options.accounts = 7;
  options.regions = {"us-east-1", "eu-west-1", "us-west-2"};
  options.organization = true;
  options.platform_workloads = true;
  options.inject_default_incident = false;
  return options;
}

// Every call of the scenario, in time order.
std::vector<Call> SimulateSorted(const World& world) {
  std::vector<Call> calls = Simulate(world);
  std::sort(calls.begin(), calls.end(),
            [](const Call& a, const Call& b) { return a.event_time < b.event_time; });
  return calls;
}

// Calls of `api` by actor `actor` in account `account` (in region `region` when it is not
// -1), in time order.
std::vector<common::Seconds> CallsOf(const World& world, const std::vector<Call>& calls,
                                     int account, std::string_view actor, std::string_view api,
                                     int region = -1) {
  const std::size_t colon = api.find(':');
  const int api_id = world.FindApi(api.substr(0, colon), api.substr(colon + 1));
  std::vector<common::Seconds> out;
  for (const Call& call : calls) {
    const Stream& stream = world.streams()[call.stream];
    if (stream.account == account && (region < 0 || stream.region == region) &&
        call.api == api_id && call.principal == ActorIndex(actor)) {
      out.push_back(call.event_time);
    }
  }
  return out;
}

// Splits time-ordered calls into clumps: a gap over `gap` starts a new one.
std::vector<std::vector<common::Seconds>> Clumps(const std::vector<common::Seconds>& times,
                                                 std::chrono::seconds gap) {
  std::vector<std::vector<common::Seconds>> clumps;
  for (const common::Seconds time : times) {
    if (clumps.empty() || time - clumps.back().back() > gap) clumps.emplace_back();
    clumps.back().push_back(time);
  }
  return clumps;
}

TEST(OrganizationTest, AccountKindsDecideTheRegionsUsed) {
  const GeneratorOptions options = Organization(2);
  const common::Result<World> world = World::Create(options);
  ASSERT_TRUE(world);
  EXPECT_EQ(world->accounts()[0].kind, AccountKind::kManagement);
  std::set<AccountKind> kinds;
  for (const Account& account : world->accounts()) kinds.insert(account.kind);
  EXPECT_EQ(kinds.size(), 6U) << "7 accounts hold every kind";

  std::map<std::pair<int, int>, int> calls_by_account_region;
  for (const Call& call : SimulateSorted(*world)) {
    const Stream& stream = world->streams()[call.stream];
    ++calls_by_account_region[{stream.account, stream.region}];
  }
  for (int a = 0; a < options.accounts; ++a) {
    const AccountKind kind = world->accounts()[a].kind;
    const bool production_like = kind == AccountKind::kProduction || kind == AccountKind::kStaging;
    const int first = calls_by_account_region[std::make_pair(a, 0)];
    const int second = calls_by_account_region[std::make_pair(a, 1)];
    const int third = calls_by_account_region[std::make_pair(a, 2)];
    EXPECT_GT(first, 1000) << a;
    EXPECT_EQ(second > 0, production_like || kind == AccountKind::kData) << a;
    EXPECT_EQ(third > 0, production_like) << a;
  }
}

TEST(OrganizationTest, NightlyCleanUpDeletesThirtySnapshotsOverTenMinutesAtJitteredTimes) {
  const GeneratorOptions options = Organization(5);
  const common::Result<World> world = World::Create(options);
  ASSERT_TRUE(world);
  const int data = 5;  // UTC-3: the common backup at 02:00 UTC is 23:00 local
  ASSERT_EQ(world->accounts()[data].kind, AccountKind::kData);
  const hours offset{world->accounts()[data].utc_offset_hours};
  std::vector<common::Seconds> deletions;
  for (const common::Seconds time :
       CallsOf(*world, SimulateSorted(*world), data, "backup", "ec2:DeleteSnapshot", 0)) {
    const auto local = time + offset;
    const auto since_midnight = local - std::chrono::floor<days>(local);
    if (since_midnight >= hours{2} + minutes{30} && since_midnight < hours{4}) {
      deletions.push_back(time);
    }
  }
  const std::vector<std::vector<common::Seconds>> nights = Clumps(deletions, minutes{30});
  ASSERT_GE(nights.size(), 4U);
  std::set<std::int64_t> start_minutes;
  for (const std::vector<common::Seconds>& night : nights) {
    EXPECT_GE(night.size(), 26U);
    EXPECT_GE(night.back() - night.front(), minutes{6});
    EXPECT_LE(night.back() - night.front(), minutes{12});
    start_minutes.insert(((night.front() + offset).time_since_epoch() % days{1}).count() / 60);
  }
  EXPECT_GE(start_minutes.size(), 3U) << "the start moves from night to night";
}

TEST(OrganizationTest, DevTeamsTearDownInClumpsAtRandomWorkingHoursOnWeekdaysOnly) {
  const GeneratorOptions options = Organization(7);  // Monday to Sunday
  const common::Result<World> world = World::Create(options);
  ASSERT_TRUE(world);
  const int dev = 2;
  ASSERT_EQ(world->accounts()[dev].kind, AccountKind::kDev);
  const hours offset{world->accounts()[dev].utc_offset_hours};
  const std::vector<common::Seconds> teardowns =
      CallsOf(*world, SimulateSorted(*world), dev, "developer", "ec2:TerminateInstances");
  std::map<int, int> clumps_by_day;  // by local day
  std::set<int> hours_seen;          // local hours
  for (const std::vector<common::Seconds>& clump : Clumps(teardowns, minutes{5})) {
    if (clump.size() < 4) continue;  // the team's own occasional single calls
    const auto local = clump.front() + offset;
    const auto local_day = std::chrono::floor<days>(local);
    EXPECT_GE(clump.size(), 6U);
    EXPECT_LE(clump.size(), 14U + 2);
    EXPECT_LE(clump.back() - clump.front(), minutes{3});
    ++clumps_by_day[static_cast<int>((local_day - options.start).count())];
    const int hour = static_cast<int>(std::chrono::floor<hours>(local - local_day).count());
    EXPECT_GE(hour, 9);
    EXPECT_LT(hour, 18);
    hours_seen.insert(hour);
  }
  for (int day = 0; day < 5; ++day) {
    EXPECT_GE(clumps_by_day[day], 1) << day;
    EXPECT_LE(clumps_by_day[day], 3) << day;
  }
  EXPECT_EQ(clumps_by_day[5] + clumps_by_day[6], 0) << "no teardowns at weekends";
  EXPECT_GE(hours_seen.size(), 4U) << "teardowns come at any working hour";
}

TEST(OrganizationTest, EveningReleaseTrainsWriteAcrossADozenApisOnTheirDays) {
  const GeneratorOptions options = Organization(10);
  const common::Result<World> world = World::Create(options);
  ASSERT_TRUE(world);
  const int production = 1;
  const std::vector<Call> calls = SimulateSorted(*world);
  const hours offset{world->accounts()[production].utc_offset_hours};
  std::map<int, std::set<std::uint16_t>> apis_by_day;
  std::map<int, int> writes_by_day;
  for (const Call& call : calls) {
    if (world->streams()[call.stream].account != production ||
        call.principal != ActorIndex("terraform")) {
      continue;
    }
    const auto local = call.event_time + offset;
    const auto since_midnight = local - std::chrono::floor<days>(local);
    if (since_midnight < hours{20} + minutes{40} || since_midnight >= hours{21} + minutes{35}) {
      continue;
    }
    const int day = static_cast<int>((std::chrono::floor<days>(local) - options.start).count());
    apis_by_day[day].insert(call.api);
    ++writes_by_day[day];
  }
  std::set<int> release_days;
  for (const auto& [day, writes] : writes_by_day) {
    if (writes < 100) continue;
    release_days.insert(day);
    EXPECT_GE(writes, 200) << day;
    EXPECT_GE(apis_by_day[day].size(), 12U) << day;
  }
  // Mondays, Tuesdays and Thursdays of the ten days from Monday, November 2.
  EXPECT_EQ(release_days, (std::set<int>{0, 1, 3, 7, 8}));
}

TEST(OrganizationTest, ANewAccountHasNoRecordBeforeItsFirstDay) {
  GeneratorOptions options = Organization(4);
  options.new_account_day = 2;
  const common::Result<World> world = World::Create(options);
  ASSERT_TRUE(world);
  const int last = options.accounts - 1;
  int before = 0, after = 0;
  for (const Call& call : SimulateSorted(*world)) {
    if (world->streams()[call.stream].account != last) continue;
    (call.event_time < common::Seconds{options.start + days{2}} ? before : after)++;
  }
  EXPECT_EQ(before, 0);
  EXPECT_GT(after, 1000);

  options.new_account_day = 4;  // past the last day
  EXPECT_FALSE(World::Create(options));
}

// Keeps each record's text.
class KeptRecords final : public RecordSink {
 public:
  common::Status Write(const Call&, std::string_view record) override {
    records.emplace_back(record);
    return common::Ok();
  }
  common::Status Close() override { return common::Ok(); }
  std::uint64_t files() const override { return 0; }
  std::vector<std::string> records;
};

TEST(OrganizationTest, AManyTargetsIncidentNamesAnotherUserInEveryCall) {
  GeneratorOptions options = Organization(1);
  Incident incident;
  incident.id = "keys";
  incident.kind = "many-targets";
  incident.account = AccountId(options.seed, 0);
  incident.region = "us-east-1";
  incident.event_source = "iam.amazonaws.com";
  incident.event_name = "CreateAccessKey";
  incident.start = common::Seconds{options.start + hours{3}};
  incident.duration = minutes{10};
  incident.calls_per_minute = 1.5;
  incident.distinct_targets = true;
  incident.principal_arn = "arn:aws:iam::" + incident.account + ":user/legacy-reporting";
  options.incidents = {incident};
  KeptRecords sink;
  ASSERT_TRUE(Generate(options, sink));
  std::set<std::string> users;
  int calls = 0;
  for (const std::string& record : sink.records) {
    if (record.find("\"arn\":\"" + incident.principal_arn + "\"") == std::string::npos ||
        record.find("\"CreateAccessKey\"") == std::string::npos) {
      continue;
    }
    ++calls;
    const std::size_t at = record.find("\"userName\":\"", record.find("\"requestParameters\""));
    ASSERT_NE(at, std::string::npos) << record;
    users.insert(record.substr(at + 12, record.find('"', at + 12) - at - 12));
  }
  EXPECT_GE(calls, 8);
  EXPECT_EQ(users.size(), static_cast<std::size_t>(calls));
}

}  // namespace
}  // namespace trailsight::sim
