#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace trailsight::app {

// `trailsight generate`: writes simulated CloudTrail with injected incidents and labels.
struct GenerateFlags {
  std::string out;
  std::string labels;  // empty: <out>/labels.jsonl for S3 layout, <out>.labels.jsonl for a file
  std::uint64_t seed = 1;
  int days = 7;
  std::string start = "2026-11-02";
  int accounts = 3;
  double volume = 1.0;
  std::string format = "s3";
  bool organization = false;  // sim::GeneratorOptions::organization, with its platform
};

CLI::App* AddGenerateCommand(CLI::App& app, GenerateFlags& flags);

// Returns the exit status: 0 on success, 1 when writing failed, 2 for bad flags.
int RunGenerate(const GenerateFlags& flags);

}  // namespace trailsight::app
