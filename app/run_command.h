#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace trailsight::app {

// `trailsight run`: the Kafka service. Flags win over the config file.
struct RunFlags {
  std::string config_path;
  std::optional<std::string> brokers;    // overrides kafka.brokers
  std::optional<std::string> state_dir;  // overrides state.dir
  bool until_caught_up = false;          // stop once every assigned partition is drained
};

CLI::App* AddRunCommand(CLI::App& app, RunFlags& flags);

// Consumes CloudTrail from Kafka and publishes insights until SIGTERM or SIGINT, then stops
// polling, flushes, snapshots, commits and returns 0. Returns 2 for a bad config, 1 when a
// client cannot be created or the final snapshot cannot be completed.
int RunService(const RunFlags& flags);

}  // namespace trailsight::app
