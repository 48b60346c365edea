#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace trailsight::app {

// `trailsight score --input SERIES.csv`: scores any numeric series, for analysts and public
// benchmarks, with the model models::ModelFor picks: a series of counts (whole numbers from
// 0 to models::kLargestCount) with the detector's count baseline (models::ScoreSeries), any
// other with the continuous model (models::LevelScaleScorer).
//
// Input: CSV rows `timestamp,value`, one per time step, with an optional header line;
// timestamps in ISO-8601 or Unix epoch seconds (see time_text.h), which may repeat or go
// back in time (daylight saving, clock steps); values any finite number.
// Output: CSV `timestamp,value,anomaly_score`, one row per input row in input order,
// timestamp and value as written in the input, the score in [0, 1].
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
