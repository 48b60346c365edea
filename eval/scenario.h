#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "eval/scorer.h"
#include "sim/generator.h"

namespace trailsight::eval {

// The shape of one evaluation scenario; every field has the documented default.
struct ScenarioOptions {
  std::uint64_t seed = 101;
  int days = 14;        // warm-up days plus evaluated days
  int warmup_days = 7;  // history only: nothing in them is injected or scored
  int accounts = 4;
  int regions = 3;                // the first `regions` of us-east-1, eu-west-1, us-west-2, ...
  double volume = 1.0;            // scales every background rate
  double daily_growth = 0.02;     // organic growth of background volume, per day
  double deploy_day_share = 0.3;  // weekdays with extra deployment waves, per account
  int incidents_per_kind_per_day = 1;  // each kind, every evaluated day (see PlanScenario())
  // An organization (sim::GeneratorOptions::organization): accounts of every kind with their
  // recurring work, a new account joining on the second evaluated day, and three more kinds
  // of incident.
  bool organization = false;
};

// A planned scenario: what to generate, and the ground truth to score it against.
struct Scenario {
  sim::GeneratorOptions generator;  // incidents included
  std::vector<Label> labels;        // one per incident, then one per deploy-wave control
  common::Seconds evaluated_from{}, evaluated_to{};  // the evaluated days
  // Where the plan fell short of its own rules (a slow rise on a background below 2 calls a
  // minute, a key used twice), one sentence each: the scenario is then easier or harder
  // than described.
  std::vector<std::string> shortfalls;
};

// Plans a scenario: a platform of `accounts` x `regions` with daily and weekly seasonality,
// scheduled automation, deploy days and organic growth (sim::GeneratorOptions), and on every
// evaluated day incidents of each kind, placed by a generator seeded from `seed`:
// - burst: 15-50 calls/min for 3-8 min on a write API, by a principal new to it;
// - slow-rise: a write API at 2-8 calls/min at that time lifted to 3x over 30 min, then
//   held 15 min, by its usual caller;
// - error-storm: 12-40 refusals/min for 4-12 min on a read API, by one principal;
// - off-hours: 8-15 calls/min for 10-20 min of a business-hours workflow API (Step
//   Functions StartExecution) between 00:30 and 04:30 local time (the night that falls in
//   the evaluated UTC day), by its usual caller;
// - never-seen: 3-10 calls/min for 4-10 min of an API the account never calls (IAM user and
//   key creation, snapshot or image sharing, bucket policies...);
// - tamper: one logging or blinding call (StopLogging, DeleteTrail, DeleteFlowLogs...),
//   a third of them refused.
// An organization adds, and lowers never-seen rates to 2-8 calls/min:
// - new-region: 10-16 RunInstances over 10 min in a region the account has never used;
// - many-targets: 13-18 CreateAccessKey over 10 min (exactly), each for another user, in an account
//   that creates keys by hand every weekday;
// - weekend-burst: on each weekend day (twice per `incidents_per_kind_per_day`), 9-14
//   TerminateInstances within 1-2 min (the larger of the team's weekday teardowns, which
//   are 6-14 within 2 min) in a dev account whose team tears instances down like that on
//   weekdays only, at 09:00-18:00 local, by the team's own role.
// No incident falls in the new account; it is a control from its first day on.
// No two incidents share a key (account, region, API) when the scenario offers enough keys.
// Labels of insight incidents carry the key AWS would report (error code for error storms);
// deploy waves on evaluated days become controls. Fails with kInvalidArgument on unusable
// options.
common::Result<Scenario> PlanScenario(const ScenarioOptions& options);

}  // namespace trailsight::eval
