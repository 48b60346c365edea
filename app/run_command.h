#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace trailsight::app {

// `trailsight run`: the Kafka service. Flags win over the config file.
struct RunFlags {
  std::string config_path;
  std::optional<std::string> brokers;       // overrides kafka.brokers
  std::optional<std::string> state_dir;     // overrides state.dir
  bool until_caught_up = false;             // stop once every assigned partition is drained
  std::optional<std::string> metrics_bind;  // overrides metrics.bind and metrics.enabled
  std::optional<std::string> log_format;    // "text" or "json"; overrides logging.format
};

CLI::App* AddRunCommand(CLI::App& app, RunFlags& flags);

// Consumes CloudTrail from Kafka and publishes insights until SIGTERM or SIGINT, then stops
// polling, flushes, snapshots, commits and returns 0. Returns 2 for a bad config, 1 when a
// client or the metrics endpoint cannot be created or the final snapshot cannot be completed.
// SIGHUP, or a change of the config file, reloads its `detection:` section without losing state
// (app/config_reload.h).
int RunService(const RunFlags& flags);

}  // namespace trailsight::app
