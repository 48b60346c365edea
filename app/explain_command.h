#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace trailsight::app {

// `trailsight explain --input PATH... --key ACCOUNT/REGION/SOURCE/NAME[/ERRORCODE]
// --at TIME`: replays the inputs as `trailsight replay` does and tells, for the minute at
// TIME and the minutes around it, how each window of that key compared with its baseline
// (calls, expected, firing level, score) and why the minute did or did not start an
// insight; then the insights on that key around that time.
struct ExplainFlags {
  std::vector<std::string> inputs;
  std::string key;
  std::string at;
  std::string config_path;  // empty: built-in defaults
  int around = 2;           // minutes shown before and after --at
};

// Registers the subcommand and its flags on `app`; `flags` must outlive parsing.
CLI::App* AddExplainCommand(CLI::App& app, ExplainFlags& flags);

// Runs the explanation, printed on stdout. Returns 0, 1 when some input could not be read
// (the explanation covers the rest), or 2 for a bad key, time, config or input path.
int RunExplain(const ExplainFlags& flags);

}  // namespace trailsight::app
