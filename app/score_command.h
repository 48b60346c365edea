#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace trailsight::app {

// `trailsight score --input SERIES.csv`: scores any numeric series with the detector's
// baseline (models::ScoreSeries), for analysts and public benchmarks.
//
// Input: CSV rows `timestamp,value`, one per time step in increasing time order, with an
// optional header line; timestamps in ISO-8601 or Unix epoch seconds (see time_text.h);
// values are counts per step (non-integers are rounded; negative values are an error).
// Output: CSV `timestamp,value,anomaly_score`, one row per input row, timestamp and value
// as written in the input, the score in [0, 1].
struct ScoreFlags {
  std::string input;         // "-" for stdin
  std::string output = "-";  // "-" for stdout
  std::string config_path;   // empty: built-in defaults; the `baseline:` section applies
};

// Registers the subcommand and its flags on `app`; `flags` must outlive parsing.
CLI::App* AddScoreCommand(CLI::App& app, ScoreFlags& flags);

// Returns the exit status: 0 on success, 1 when the output could not be written, 2 for
// bad flags, config or input (the message names the file and line).
int RunScore(const ScoreFlags& flags);

}  // namespace trailsight::app
