// The generator's scenario features for evaluation: incident kinds, given account ids,
// organic growth, deploy days and the platform workloads.

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/generator.h"
#include "sim/traffic.h"
#include "sim/world.h"

namespace trailsight::sim {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;

GeneratorOptions PlatformOptions() {
  GeneratorOptions options;
  options.days = 3;
  options.accounts = 2;
  options.platform_workloads = true;
  options.inject_default_incident = false;
  return options;
}

Incident Make(std::string kind, std::string api_source, std::string api_name, int hour) {
  Incident incident;
  incident.id = kind;
  incident.kind = std::move(kind);
  incident.account = AccountId(1, 0);
  incident.region = "us-east-1";
  incident.event_source = std::move(api_source);
  incident.event_name = std::move(api_name);
  incident.start = common::Seconds{GeneratorOptions{}.start + days{1} + hours{hour}};
  incident.principal_arn = "arn:aws:iam::" + incident.account + ":user/legacy-reporting";
  return incident;
}

// The calls of incident `i` in the hours it spans.
std::vector<Call> IncidentCalls(const World& world, std::size_t i) {
  const TrafficModel model(world);
  std::vector<Call> all, out;
  const Incident& incident = world.incidents()[i];
  const auto stream = static_cast<std::size_t>(world.incident_stream(i));
  for (common::Hour hour = std::chrono::floor<hours>(incident.start);
       hour < incident.start + incident.duration; hour += hours{1}) {
    model.GenerateHour(stream, hour, all);
  }
  for (const Call& call : all) {
    if (call.principal == world.incident_principal(i) && call.api == world.incident_api(i) &&
        call.event_time >= incident.start && call.event_time < incident.start + incident.duration) {
      out.push_back(call);
    }
  }
  return out;
}

TEST(ScenarioTest, ErrorStormsFailTamperIsOneCallAndSlowRisesTripleTheBackground) {
  GeneratorOptions options = PlatformOptions();
  Incident storm = Make("error-storm", "ec2.amazonaws.com", "DescribeInstances", 10);
  storm.error_code = "Client.UnauthorizedOperation";
  storm.calls_per_minute = 30;
  storm.duration = minutes{10};
  Incident tamper = Make("tamper", "cloudtrail.amazonaws.com", "StopLogging", 11);
  tamper.error_code = "AccessDenied";
  Incident rise = Make("slow-rise", "states.amazonaws.com", "StartExecution", 19);  // 14:00 NY
  rise.actor = "ops-portal";
  rise.duration = minutes{60};
  options.incidents = {storm, tamper, rise};
  const common::Result<World> world = World::Create(options);
  ASSERT_TRUE(world) << world.error().message;

  const std::vector<Call> storm_calls = IncidentCalls(*world, 0);
  EXPECT_NEAR(static_cast<double>(storm_calls.size()), 300.0, 60.0);
  for (const Call& call : storm_calls) EXPECT_EQ(call.error, CallError::kDenied);

  const std::vector<Call> tamper_calls = IncidentCalls(*world, 1);
  ASSERT_EQ(tamper_calls.size(), 1U);
  EXPECT_EQ(tamper_calls[0].event_time, tamper.start);
  EXPECT_EQ(tamper_calls[0].error, CallError::kDenied);

  // The usual caller makes the extra calls, so its own calls go from the background to
  // three times the background along the ramp.
  const TrafficModel model(*world);
  const auto stream = static_cast<std::size_t>(world->incident_stream(2));
  const auto api = static_cast<std::size_t>(world->incident_api(2));
  const common::Minute begin = common::FloorMinute(rise.start);
  double background_first = 0, background_last = 0;
  for (int m = 0; m < 10; ++m) {
    background_first += model.ApiRate(stream, api, begin + minutes{m});
    background_last += model.ApiRate(stream, api, begin + minutes{50 + m});
  }
  int first = 0, last = 0;
  for (const Call& call : IncidentCalls(*world, 2)) {
    const auto minute = (common::FloorMinute(call.event_time) - begin).count();
    first += minute < 10 ? 1 : 0;
    last += minute >= 50 ? 1 : 0;
  }
  EXPECT_GT(background_last, 20.0);  // a few calls a minute at 14:00 local
  EXPECT_NEAR(last, 3 * background_last, 4 * std::sqrt(3 * background_last));
  EXPECT_LT(first, 1.5 * background_first);
  EXPECT_EQ(world->accounts()[0].principals[world->incident_principal(2)].name,
            "ops-portal-backend");
}

TEST(ScenarioTest, LabelsCarryTheExpectedInsightAndErrorCode) {
  GeneratorOptions options = PlatformOptions();
  options.days = 2;
  options.accounts = 1;
  options.regions = {"us-east-1"};
  options.volume = 0.3;
  options.layout = GeneratorOptions::Layout::kJsonLines;
  Incident storm = Make("error-storm", "s3.amazonaws.com", "ListBuckets", 10);
  storm.error_code = "AccessDenied";
  storm.calls_per_minute = 20;
  Incident tamper = Make("tamper", "ec2.amazonaws.com", "DeleteFlowLogs", 11);
  tamper.actor = "admin";
  options.incidents = {storm, tamper};
  const std::filesystem::path dir = std::filesystem::path(testing::TempDir()) / "sim_scenario";
  std::filesystem::remove_all(dir);

  ASSERT_TRUE(Generate(options, dir / "out.jsonl", dir / "labels.jsonl"));

  std::ifstream labels(dir / "labels.jsonl");
  std::string line;
  ASSERT_TRUE(std::getline(labels, line));
  const nlohmann::json storm_label = nlohmann::json::parse(line);
  EXPECT_EQ(storm_label["kind"], "error-storm");
  EXPECT_EQ(storm_label["insightType"], "ApiErrorRateInsight");
  EXPECT_EQ(storm_label["errorCode"], "AccessDenied");
  ASSERT_TRUE(std::getline(labels, line));
  const nlohmann::json tamper_label = nlohmann::json::parse(line);
  EXPECT_TRUE(tamper_label["insightType"].is_null());
  EXPECT_NE(tamper_label["principal"].get<std::string>().find("AdministratorAccess"),
            std::string::npos);
  int refused = 0, flow_logs = 0;
  std::ifstream records(dir / "out.jsonl");
  while (std::getline(records, line)) {
    const nlohmann::json record = nlohmann::json::parse(line);
    refused +=
        record["eventName"] == "ListBuckets" && record.value("errorCode", "") == "AccessDenied";
    flow_logs += record["eventName"] == "DeleteFlowLogs";
  }
  EXPECT_GT(refused, 80);
  EXPECT_EQ(flow_logs, 1);
}

TEST(ScenarioTest, GivenAccountIdsGrowthDeployDaysAndPlatformWorkloads) {
  GeneratorOptions options = PlatformOptions();
  options.days = 14;
  options.account_ids = {"457448411975"};
  options.daily_growth = 0.02;
  options.deploy_day_share = 1.0;
  options.incidents = {};
  const common::Result<World> world = World::Create(options);
  ASSERT_TRUE(world);
  EXPECT_EQ(world->accounts()[0].id, "457448411975");
  EXPECT_EQ(world->accounts()[1].id, AccountId(options.seed, 1));

  const TrafficModel model(*world);
  const common::Minute monday_noon{options.start + hours{17}};  // 12:00 in New York
  const double growth =
      model.ActorRate(0, 0, monday_noon + days{7}) / model.ActorRate(0, 0, monday_noon);
  EXPECT_GT(growth, std::pow(1.01, 7) - 1e-9);
  EXPECT_LT(growth, std::pow(1.03, 7) + 1e-9);
  const int start_execution = world->FindApi("states", "StartExecution");
  ASSERT_GE(start_execution, 0);
  const double noon = model.ApiRate(0, static_cast<std::size_t>(start_execution), monday_noon);
  const double night =
      model.ApiRate(0, static_cast<std::size_t>(start_execution), monday_noon + hours{12});
  EXPECT_GT(noon, 3.0);
  EXPECT_LT(night, noon / 20);

  // Every weekday has an extra wave per account, none on weekends, and the deployment
  // actually runs then: UpdateFunctionCode calls within minutes of each wave.
  const std::vector<DeployWave> waves = DeployWaves(options);
  EXPECT_GE(waves.size(), 2U * 10);
  for (const DeployWave& wave : waves) {
    const std::chrono::weekday weekday{std::chrono::floor<days>(wave.start)};
    EXPECT_NE(weekday, std::chrono::Saturday);
    EXPECT_NE(weekday, std::chrono::Sunday);
  }
  const DeployWave& wave = waves.front();
  std::vector<Call> calls;
  model.GenerateHour(static_cast<std::size_t>(wave.account) * options.regions.size(),
                     std::chrono::floor<hours>(wave.start), calls);
  model.GenerateHour(static_cast<std::size_t>(wave.account) * options.regions.size(),
                     std::chrono::floor<hours>(wave.start) + hours{1}, calls);
  const int update = world->FindApi("lambda", "UpdateFunctionCode20150331v2");
  int near_wave = 0;
  for (const Call& call : calls) {
    const auto offset = call.event_time - common::Seconds{wave.start};
    near_wave += call.api == update && offset > -minutes{3} && offset < minutes{10};
  }
  EXPECT_GE(near_wave, 9);
}

TEST(ScenarioTest, RejectsUnknownKindsErrorCodesActorsAndAccountIds) {
  const auto rejects = [](GeneratorOptions options, std::string_view why) {
    const common::Result<World> world = World::Create(options);
    ASSERT_FALSE(world);
    EXPECT_NE(world.error().message.find(why), std::string::npos) << world.error().message;
  };
  GeneratorOptions options = PlatformOptions();
  options.incidents = {Make("stampede", "ec2.amazonaws.com", "RunInstances", 3)};
  rejects(options, "stampede");
  options.incidents = {Make("error-storm", "ec2.amazonaws.com", "RunInstances", 3)};
  options.incidents[0].error_code = "AccessDenied";  // EC2 says Client.UnauthorizedOperation
  rejects(options, "Client.UnauthorizedOperation");
  options.incidents = {Make("burst", "ec2.amazonaws.com", "RunInstances", 3)};
  options.incidents[0].actor = "nobody";
  rejects(options, "nobody");
  options = PlatformOptions();
  options.account_ids = {"12345"};
  rejects(options, "12345");
}

}  // namespace
}  // namespace trailsight::sim
