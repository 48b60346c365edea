#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "eval/harness.h"
#include "eval/scenario.h"
#include "eval/scorer.h"

namespace trailsight::eval {

// One seed's scenario, run and scored: the detector, and the naive detector at each k.
struct SeedResult {
  std::uint64_t seed = 0;
  RunScore detector;
  std::vector<RunScore> naive;                    // per HarnessOptions::naive.ks entry
  std::vector<std::vector<TracedMinute>> traces;  // per label of detector.outcomes
  std::vector<std::string> shortfalls;            // Scenario::shortfalls
  std::uint64_t records = 0;
  std::uint64_t rejected = 0;
};

// Plans, generates, runs and scores one scenario.
common::Result<SeedResult> EvaluateSeed(const ScenarioOptions& scenario,
                                        const HarnessOptions& options);

// Scores pooled over several runs: every incident and every evaluated day counts once.
struct Pooled {
  // Incidents and hits of one kind.
  struct Tally {
    int incidents = 0;
    int hits = 0;
    double recall() const { return incidents == 0 ? 1.0 : static_cast<double>(hits) / incidents; }
  };
  int incidents = 0;
  int hits = 0;
  std::size_t false_findings = 0;  // Starts and novelty alerts that match no incident
  double days = 0.0;
  std::vector<std::chrono::seconds> latencies;  // of the hits
  std::map<std::string, Tally> by_kind;         // Label::kind of incidents

  void Add(const RunScore& score);
  double recall() const { return incidents == 0 ? 1.0 : static_cast<double>(hits) / incidents; }
  double false_per_day() const {
    return days <= 0 ? 0.0 : static_cast<double>(false_findings) / days;
  }
  std::optional<std::chrono::seconds> median_latency() const;  // lower middle
};

// One of the targets, judged on pooled scores.
struct Verdict {
  std::string target;  // "recall >= 95%"
  bool met = false;
  std::string detail;  // the numbers behind it
};

// What Judge() asks of a run.
struct Targets {
  double recall = 0.95;            // pooled over every incident
  double recall_per_kind = 0.0;    // of each kind; 0: not judged
  int min_incidents_per_kind = 0;  // the run must hold this many of each kind; 0: not judged
  double false_per_day = 1.0;      // false findings (insights and novelty alerts) a day
  std::chrono::seconds median_latency{60};
};

// The targets of an organization (ScenarioOptions::organization) over its held-out seeds:
// recall >= 97% overall and >= 90% for each kind, with at least 10 incidents of each.
Targets OrganizationTargets();

// Judges the targets: recall, recall of each kind and incidents of each kind as `targets`
// asks, false findings a day, median latency, and at every k recall at least the naive
// detector's and false findings at most its own, one of the two strictly better. `ks` names
// the naive runs of `naive`.
std::vector<Verdict> Judge(const Pooled& detector, const std::vector<Pooled>& naive,
                           const std::vector<double>& ks, const Targets& targets = {});

// Returns "ApiErrorRateInsight 123456789012/us-east-1 ec2.amazonaws.com GetPasswordData
// [Client.UnauthorizedOperation]".
std::string DescribeKey(const common::InsightKey& key, Expect expect);

// Prints a seed's labels (hit or miss, latency; for a miss, how its key's minutes compared
// with the detector's levels), its false insights, and its scores next to the naive ones.
void PrintSeed(std::FILE* out, const SeedResult& result, const std::vector<double>& ks);

// Prints the verdicts, one line each: "PASS recall >= 95%: 125/126 = 99.2%".
void PrintVerdicts(std::FILE* out, const std::vector<Verdict>& verdicts);

}  // namespace trailsight::eval
