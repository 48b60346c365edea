#include "app/generate_command.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/time.h"
#include "sim/generator.h"

namespace trailsight::app {

CLI::App* AddGenerateCommand(CLI::App& app, GenerateFlags& flags) {
  CLI::App* generate = app.add_subcommand(
      "generate", "Write simulated CloudTrail (seasonality, automation, errors, incidents)");
  generate->add_option("--out", flags.out, "Output folder (S3 layout) or file (jsonl)")->required();
  generate->add_option("--labels", flags.labels,
                       "Labels file, one JSON object per injected incident");
  generate->add_option("--seed", flags.seed, "Random seed; same seed, same bytes")
      ->capture_default_str();
  generate->add_option("--days", flags.days, "Days of traffic")
      ->check(CLI::Range(1, 90))
      ->capture_default_str();
  generate->add_option("--start", flags.start, "First UTC day, YYYY-MM-DD")->capture_default_str();
  generate->add_option("--accounts", flags.accounts, "Number of AWS accounts")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  generate->add_option("--volume", flags.volume, "Scale of every background rate")
      ->check(CLI::Range(0.01, 100.0))
      ->capture_default_str();
  generate->add_option("--format", flags.format, "s3 (AWSLogs/ tree of .json.gz) or jsonl")
      ->check(CLI::IsMember({"s3", "jsonl"}))
      ->capture_default_str();
  generate->add_flag("--organization", flags.organization,
                     "Accounts of an organization (management, production, staging, dev, CI/CD, "
                     "data) in 3 regions, with their recurring work and a busier platform");
  return generate;
}

int RunGenerate(const GenerateFlags& flags) {
  common::Result<common::Seconds> start = common::ParseUtcTimestamp(flags.start + "T00:00:00Z");
  if (!start) {
    fmt::print(stderr, "generate: --start {} is not a date (YYYY-MM-DD)\n", flags.start);
    return 2;
  }
  sim::GeneratorOptions options;
  options.seed = flags.seed;
  options.start = std::chrono::floor<std::chrono::days>(*start);
  options.days = flags.days;
  options.accounts = flags.accounts;
  options.volume = flags.volume;
  if (flags.organization) {
    options.organization = true;
    options.platform_workloads = true;
    options.regions = {"us-east-1", "eu-west-1", "us-west-2"};
    options.deploy_day_share = 0.3;
    options.daily_growth = 0.02;
  }
  options.layout = flags.format == "jsonl" ? sim::GeneratorOptions::Layout::kJsonLines
                                           : sim::GeneratorOptions::Layout::kS3;
  std::string labels = flags.labels;
  if (labels.empty()) {
    labels = options.layout == sim::GeneratorOptions::Layout::kS3 ? flags.out + "/labels.jsonl"
                                                                  : flags.out + ".labels.jsonl";
  }
  common::Result<sim::GeneratorSummary> summary = sim::Generate(options, flags.out, labels);
  if (!summary) {
    spdlog::error("generate: {}", summary.error().message);
    return 1;
  }
  spdlog::info("generate: {} records in {} files under {}, labels in {}", summary->records,
               summary->files, flags.out, labels);
  return 0;
}

}  // namespace trailsight::app
