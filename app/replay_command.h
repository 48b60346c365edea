#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trailsight::app {

// `trailsight replay PATH...`: reads CloudTrail files, directories or stdin in order,
// runs the detector on them and writes findings. Flags win over the config file.
struct ReplayFlags {
  std::vector<std::string> paths;              // empty: input.files of the config
  std::string config_path;                     // empty: built-in defaults
  std::optional<std::string> insights_out;     // overrides outputs.insights
  std::optional<std::string> dead_letter_out;  // overrides input.dead_letter_path
  std::optional<std::string> alerts_out;       // overrides outputs.alerts
  std::string state_out;   // non-empty: write a snapshot there for `trailsight run` to start from
  std::string series_out;  // non-empty: per-key minute series CSV (SeriesWriter)
  std::vector<std::string> series_keys;  // globs of keys in the series; empty: every key
  std::string format = "auto";           // how stdout is written: "auto", "text" or "json"
};

// How replay writes what goes to stdout (--insights-out -, --alerts-out -).
struct StdoutChoice {
  bool text = false;    // one readable line per finding or alert; false: JSON lines
  bool colour = false;  // with text: ANSI colours
};

// Decides from the --format value ("auto", "text" or "json"; anything else counts as
// "auto", the parser having refused it already), whether stdout is a terminal, and the
// NO_COLOR environment variable (null when unset): "auto" is text on a terminal and JSON
// lines otherwise; colour only for text on a terminal with NO_COLOR unset or empty.
StdoutChoice ChooseStdout(std::string_view format, bool stdout_is_terminal, const char* no_color);

// Registers the subcommand and its flags on `app`; `flags` must outlive parsing.
CLI::App* AddReplayCommand(CLI::App& app, ReplayFlags& flags);

// Runs the replay. Returns the process exit status: 0 when every input was read and every
// finding, alert and dead letter written; 1 when some input could not be read or some
// output not written (the rest was still processed; a dead letter that could not be written
// is counted and the count printed); 2 for a bad config.
int RunReplay(const ReplayFlags& flags);

}  // namespace trailsight::app
