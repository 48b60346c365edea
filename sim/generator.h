#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/time.h"

namespace trailsight::sim {

// One injected anomaly; also written, one JSON object per line, to the labels file.
struct Incident {
  std::string id;              // "terminate-burst"
  std::string kind = "burst";  // "burst": a sharp rise in one API's call rate
  std::string account;         // 12-digit account id (one of the generated ones)
  std::string region;          // "us-east-1"
  std::string event_source;    // "ec2.amazonaws.com"
  std::string event_name;      // "TerminateInstances"
  common::Seconds start;       // first second of the incident (UTC)
  std::chrono::minutes duration{6};
  double calls_per_minute = 40;  // Poisson rate during the incident
  std::string principal_arn;     // an identity that never calls this API otherwise
  std::string user_agent;
  std::string source_ip = "185.220.101.47";  // where the calls come from
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
  double volume = 1.0;              // scales every background (Poisson) rate
  std::vector<Incident> incidents;  // empty: DefaultIncidents(options)
  Layout layout = Layout::kS3;
};

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

// Writes the scenario's records under `out` (see Layout) and its labels to `labels` (one
// JSON object per incident per line: id, kind, insightType, account, region, eventSource,
// eventName, start, end, principal). The same options always give byte-identical output.
// Fails with kInvalidArgument on unusable options and kIo when a file cannot be written.
common::Result<GeneratorSummary> Generate(const GeneratorOptions& options,
                                          const std::filesystem::path& out,
                                          const std::filesystem::path& labels);

}  // namespace trailsight::sim
