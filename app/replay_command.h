#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

namespace trailsight::app {

// `trailsight replay PATH...`: reads CloudTrail files, directories or stdin in order,
// runs the detector on them and writes findings. Flags win over the config file.
struct ReplayFlags {
  std::vector<std::string> paths;
  std::string config_path;                     // empty: built-in defaults
  std::optional<std::string> insights_out;     // overrides outputs.insights
  std::optional<std::string> dead_letter_out;  // overrides input.dead_letter_path
  std::string state_out;  // non-empty: write a snapshot there for `trailsight run` to start from
};

// Registers the subcommand and its flags on `app`; `flags` must outlive parsing.
CLI::App* AddReplayCommand(CLI::App& app, ReplayFlags& flags);

// Runs the replay. Returns the process exit status: 0 when every input was read, 1 when
// some input could not be read (the rest was still processed), 2 for a bad config.
int RunReplay(const ReplayFlags& flags);

}  // namespace trailsight::app
