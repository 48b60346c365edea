#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/time.h"
#include "sim/catalog.h"

namespace trailsight::sim {

// One injected anomaly; also written, one JSON object per line, to the labels file.
// Kinds, and what their calls look like (every call is on the incident's one API):
// - "burst": Poisson calls at `calls_per_minute` for `duration`;
// - "slow-rise": on top of the API's own background, extra calls that lift its rate
//   smoothly (a raised cosine) to `rise_factor` times the background over `ramp`, then hold
//   it there until `duration` ends;
// - "error-storm": like a burst, each call failing with `error_code`;
// - "off-hours": like a burst, meant for a business-hours API at night by a usual principal;
// - "never-seen": like a burst, on an API the account never calls;
// - "new-region": like a burst, in a region the account has never used;
// - "many-targets": like a burst, each call naming a user of its own (`distinct_targets`);
// - "weekend-burst": like a burst, a clump of weekday size on a weekend day;
// - "tamper": one call at `start` (failed with `error_code` when set), e.g. StopLogging.
struct Incident {
  std::string id;              // "terminate-burst"
  std::string kind = "burst";  // see above
  std::string account;         // 12-digit account id (one of the generated ones)
  std::string region;          // "us-east-1"
  std::string event_source;    // "ec2.amazonaws.com"
  std::string event_name;      // "TerminateInstances"
  common::Seconds start;       // first second of the incident (UTC)
  std::chrono::minutes duration{6};
  double calls_per_minute = 40;  // Poisson rate during the incident (not slow-rise, tamper) ...
  int calls = 0;  // ... or, when > 0, exactly this many calls at uniform random times in it
  std::string principal_arn;  // an identity that never calls this API otherwise ...
  std::string actor;          // ... or, when set, the catalog actor ("ops-portal") whose usual
                              // principal makes the calls, with its usual clients
  std::string user_agent;
  std::string source_ip = "185.220.101.47";  // where the calls come from (principal_arn only)
  std::string error_code;  // every call fails with it: the service's refusal ("AccessDenied",
                           // "Client.UnauthorizedOperation"), throttling or not-found code
  bool distinct_targets = false;  // each call's `$user` is a user no other call names
  double rise_factor = 3.0;       // slow-rise: the background's multiple at the top
  std::chrono::minutes ramp{30};  // slow-rise: how long the rise takes
};

struct GeneratorOptions {
  enum class Layout {
    kS3,         // out/AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/<file>.json.gz
    kJsonLines,  // out is one file: one record per line, in delivery order
  };
  std::uint64_t seed = 1;  // every random choice derives from it
  common::Day start = common::Day{std::chrono::November / 2 / 2026};  // a Monday
  int days = 7;
  int accounts = 3;  // 12-digit ids derived from the seed; sizes 1, 0.6, 0.35, 0.5, ...
  std::vector<std::string> regions = {"us-east-1", "eu-west-1"};  // the first is the busiest
  double volume = 1.0;                  // scales every background (Poisson) rate
  std::vector<Incident> incidents;      // empty: DefaultIncidents(options), unless ...
  bool inject_default_incident = true;  // ... this is false: then no incident at all
  Layout layout = Layout::kS3;
  // Ids of the first accounts (a recorded attack's account, say); the others derive from
  // the seed. Each must be 12 digits.
  std::vector<std::string> account_ids;
  // Organic growth: background volume grows by about this fraction a day, compounded and
  // smooth within the day; each account draws its own rate within +-50% of it.
  double daily_growth = 0.0;
  // Share of weekdays on which an account deploys more than once: extra runs of the 15:00
  // deployment at other working hours (see DeployWaves()).
  double deploy_day_share = 0.0;
  // Adds the busier workloads of a larger platform (sim/catalog.h PlatformActorCatalog()):
  // write APIs at a few calls a minute, business-hours workflows, image builds.
  bool platform_workloads = false;
  // Makes the accounts an organization's: each has a kind (OrganizationKind()) that sets its
  // size and the regions it uses, and runs that kind's recurring work
  // (OrganizationJobCatalog()) beside JobCatalog()'s.
  bool organization = false;
  // The day (0-based) on which the last account's first record appears: an account that
  // joins the organization during the run. -1: every account from the first day.
  int new_account_day = -1;
};

// Returns the kind of account `index` (0-based) of an organization: the first is the
// management account, then production, dev, staging, CI/CD and data accounts in a fixed
// order, so that any 6 or more accounts hold every kind.
AccountKind OrganizationKind(int index);

class RecordSink;

// Returns the 12-digit id of account `index` (0-based) for `seed`.
std::string AccountId(std::uint64_t seed, int index);

// Returns the default scenario: one TerminateInstances burst (ec2.amazonaws.com) in the first
// account and region, on day 6 (index 5, or the last day of a shorter run) at 14:07 UTC,
// 6 minutes at ~40 calls/minute, by an IAM user that never calls EC2 otherwise.
std::vector<Incident> DefaultIncidents(const GeneratorOptions& options);

struct GeneratorSummary {
  std::uint64_t records = 0;  // records written
  std::uint64_t files = 0;    // data files written (1 for kJsonLines)
};

// Returns the insight an incident should raise: "ApiErrorRateInsight" when its calls fail,
// "ApiCallRateInsight" otherwise, and "" for a tamper call (an alert, not an insight).
std::string_view ExpectedInsightType(const Incident& incident);

// The start (before jitter) of an extra deployment wave of account `account` (0-based).
struct DeployWave {
  int account = 0;
  common::Minute start;
};

// Returns the extra deployment waves of the scenario, in time order: on a share
// `deploy_day_share` of weekdays, per account, one or two runs of the daily deployment job
// at a working hour other than its usual one. Each run lasts about seven minutes.
std::vector<DeployWave> DeployWaves(const GeneratorOptions& options);

// Hands every record of the scenario, rendered, to `sink` in delivery order, then closes
// it. The same options always give the same records in the same order. Fails with
// kInvalidArgument on unusable options, or with the sink's error.
common::Result<GeneratorSummary> Generate(const GeneratorOptions& options, RecordSink& sink);

// Writes the scenario's records under `out` (see Layout) and its labels to `labels` (one
// JSON object per incident per line: id, kind, insightType (ApiCallRateInsight,
// ApiErrorRateInsight, or null for a tamper call, which is an alert), account, region,
// eventSource, eventName, errorCode (error incidents only), start, end, principal). The same
// options always give byte-identical output. Fails with kInvalidArgument on unusable options and
// kIo when a file cannot be written.
common::Result<GeneratorSummary> Generate(const GeneratorOptions& options,
                                          const std::filesystem::path& out,
                                          const std::filesystem::path& labels);

}  // namespace trailsight::sim
