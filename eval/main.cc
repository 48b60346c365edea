// trailsight-eval: detection quality in numbers. Generates labelled scenarios, runs them
// through the real ingest path and engine, and scores trailsight against the labels and
// against a naive "mean + k sd over 7 days" detector. This file only wires; see eval/README.md.
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>

#include "config/config.h"
#include "eval/evaluation.h"
#include "eval/splice.h"

namespace {

using trailsight::eval::Pooled;

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("trailsight-eval"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  CLI::App app{"trailsight-eval: detection quality of trailsight on labelled scenarios"};
  std::vector<std::uint64_t> seeds;
  trailsight::eval::ScenarioOptions scenario;
  std::vector<double> ks = {3, 4, 5, 6};
  std::string datasets, config_path;
  app.add_option("--seed", seeds,
                 "Scenario seed; repeat for several (default: 101 202 303, or 707 808 909 with "
                 "--organization)");
  app.add_flag("--organization", scenario.organization,
               "An organization of 20 accounts of every kind with their recurring work, a new "
               "account, and the organization's incident kinds and targets");
  CLI::Option* days_option =
      app.add_option("--days", scenario.days,
                     "Days per scenario, warm-up included (35 with --organization)")
          ->check(CLI::Range(2, 120))
          ->capture_default_str();
  CLI::Option* warmup_option =
      app.add_option("--warmup-days", scenario.warmup_days,
                     "Days of history before scoring starts (28 with --organization)")
          ->check(CLI::Range(1, 119))
          ->capture_default_str();
  CLI::Option* accounts = app.add_option("--accounts", scenario.accounts,
                                         "AWS accounts per scenario (20 with --organization)")
                              ->check(CLI::Range(1, 50))
                              ->capture_default_str();
  app.add_option("--regions", scenario.regions, "Regions per account (us-east-1, eu-west-1, ...)")
      ->check(CLI::Range(1, 6))
      ->capture_default_str();
  app.add_option("--volume", scenario.volume, "Scale of every background rate")
      ->check(CLI::Range(0.05, 20.0))
      ->capture_default_str();
  app.add_option("--incidents-per-kind", scenario.incidents_per_kind_per_day,
                 "Incidents of each kind per evaluated day")
      ->check(CLI::Range(0, 10))
      ->capture_default_str();
  app.add_option("--k", ks, "Naive detector thresholds, comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--datasets", datasets,
                 "Folder of recorded attacks (../shared/datasets) to splice onto a baseline");
  app.add_option("--config", config_path,
                 "trailsight YAML config: detector, baseline, detection and tamper sections")
      ->check(CLI::ExistingFile);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int status = app.exit(error);
    return status == 0 ? 0 : 2;
  }
  if (seeds.empty()) {
    seeds = scenario.organization ? std::vector<std::uint64_t>{707, 808, 909}
                                  : std::vector<std::uint64_t>{101, 202, 303};
  }
  if (scenario.organization) {
    // Four weeks of history: the novelty rules' windows, which the account facts then cover.
    if (accounts->count() == 0) scenario.accounts = 20;
    if (days_option->count() == 0) scenario.days = 35;
    if (warmup_option->count() == 0) scenario.warmup_days = 28;
  }
  const trailsight::eval::Targets targets =
      scenario.organization ? trailsight::eval::OrganizationTargets() : trailsight::eval::Targets{};
  if (scenario.warmup_days >= scenario.days) {
    fmt::print(stderr, "trailsight-eval: --warmup-days {} leaves no day of --days {} to score\n",
               scenario.warmup_days, scenario.days);
    return 2;
  }

  trailsight::eval::HarnessOptions options;
  options.naive.ks = ks;
  if (!config_path.empty()) {
    trailsight::common::Result<trailsight::config::Config> config =
        trailsight::config::LoadConfigFile(config_path);
    if (!config) {
      fmt::print(stderr, "{}\n", config.error().message);
      return 2;
    }
    if (trailsight::common::Result<trailsight::detector::CompiledTuning> tuning =
            trailsight::detector::CompiledTuning::Compile(config->tuning);
        !tuning) {
      fmt::print(stderr, "{}: detection.{}\n", config_path, tuning.error().message);
      return 2;
    }
    options.detector = config->detector;
    options.tuning = config->tuning;
    options.tamper = config->tamper;
    options.novelty = config->novelty;
  }
  options.naive.allowed_lateness = options.detector.allowed_lateness;
  options.naive.end_after_quiet_minutes = options.detector.end_after_quiet_minutes;

  fmt::print(
      "trailsight-eval: seeds {}, {} days ({} warm-up), {}{} accounts x {} regions, "
      "volume {}, naive k = {}\n",
      fmt::join(seeds, " "), scenario.days, scenario.warmup_days,
      scenario.organization ? "an organization of " : "", scenario.accounts, scenario.regions,
      scenario.volume, fmt::join(ks, ","));
  Pooled pooled;
  std::vector<Pooled> naive(ks.size());
  for (std::uint64_t seed : seeds) {
    scenario.seed = seed;
    trailsight::common::Result<trailsight::eval::SeedResult> result =
        trailsight::eval::EvaluateSeed(scenario, options);
    if (!result) {
      fmt::print(stderr, "trailsight-eval: seed {}: {}\n", seed, result.error().message);
      return 2;
    }
    trailsight::eval::PrintSeed(stdout, *result, ks);
    pooled.Add(result->detector);
    for (std::size_t k = 0; k < ks.size(); ++k) naive[k].Add(result->naive[k]);
    std::fflush(stdout);
  }
  fmt::print("== all seeds\n");
  for (const auto& [kind, tally] : pooled.by_kind) {
    fmt::print("kind {:<14} {}/{} = {:.1f}%\n", kind, tally.hits, tally.incidents,
               100.0 * tally.recall());
  }
  const std::vector<trailsight::eval::Verdict> verdicts =
      trailsight::eval::Judge(pooled, naive, ks, targets);
  trailsight::eval::PrintVerdicts(stdout, verdicts);
  bool met = std::all_of(verdicts.begin(), verdicts.end(),
                         [](const trailsight::eval::Verdict& v) { return v.met; });

  if (!datasets.empty()) {
    trailsight::eval::SpliceOptions splice;
    splice.seed = seeds.front();
    splice.warmup_days = scenario.warmup_days;
    splice.volume = scenario.volume;
    trailsight::common::Result<trailsight::eval::SpliceResult> spliced =
        trailsight::eval::EvaluateSplice(datasets, splice, options);
    if (!spliced) {
      fmt::print(stderr, "trailsight-eval: {}\n", spliced.error().message);
      return 2;
    }
    trailsight::eval::PrintSplice(stdout, *spliced);
    met = met && spliced->found_all();
  }
  return met ? 0 : 1;
}
