#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"
#include "eval/harness.h"
#include "eval/scorer.h"

namespace trailsight::eval {

struct SpliceOptions {
  std::uint64_t seed = 101;  // of the generated baselines
  int warmup_days = 7;       // baseline days before the day the recording is replayed on
  double volume = 1.0;
  std::chrono::minutes at{10 * 60};  // UTC time of day of a recording's first record
};

// One recorded (account, region) of a dataset, replayed on a baseline of its own.
struct SplicedGroup {
  std::string source;  // "stratus-detonation-logs/aws.defense-evasion.cloudtrail-stop.json"
  std::string account, region;
  std::size_t records = 0;  // recorded records spliced in
  RunScore score;
};

struct SpliceResult {
  std::vector<SplicedGroup> groups;
  // True when every labelled attack (tamper call, error or call burst) was found.
  bool found_all() const;
};

// Replays the recorded attacks under `datasets` (one folder per dataset: JSON arrays,
// JSON lines, `{"Records":[...]}` files, gzipped or not) on generated traffic: each
// recorded (account, region) gets a baseline of its own, generated for that very account
// id and region name, `warmup_days` long, and its records are time-shifted (eventTime, or
// `@timestamp`) so that the first lands at `at` on the next day, keeping their spacing,
// and delivered a minute later among the generated ones. Labels come from the records by
// rule: every tamper call (DESIGN.md's list) must raise a tamper alert, and every
// (API, errorCode) refused 5 or more times within 60 s (the denied GetPasswordData burst)
// an error-rate insight, every write API called 5 or more times within 60 s a call-rate
// insight. Any other Start on the replay day is false. Fails with kIo naming the file that
// cannot be read or parsed, or kInvalidArgument when the folder holds no record.
common::Result<SpliceResult> EvaluateSplice(const std::filesystem::path& datasets,
                                            const SpliceOptions& splice,
                                            const HarnessOptions& options);

// Prints each group's labels, false insights and a closing line with the totals.
void PrintSplice(std::FILE* out, const SpliceResult& result);

}  // namespace trailsight::eval
