#include "app/score_command.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <iostream>

#include "app/time_text.h"
#include "config/config.h"
#include "models/series_scorer.h"

namespace trailsight::app {
namespace {

// One input row, as written.
struct Row {
  std::string timestamp, value;
};

// The rows as written, for the output, and the series they stand for, in input order.
struct Series {
  std::vector<Row> rows;
  std::vector<models::SeriesValue> values;
};

std::string_view Trim(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const std::size_t last = text.find_last_not_of(" \t\r");
  text = text.substr(first, last - first + 1);
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
    text = text.substr(1, text.size() - 2);
  }
  return text;
}

common::Error BadRow(std::string_view source, std::size_t line, std::string_view why) {
  return {common::ErrorCode::kInvalidArgument, fmt::format("{}:{}: {}", source, line, why)};
}

// Reads every row of `in`, in order; `source` names it in errors. Any finite number is a
// value, and timestamps may repeat or go back in time.
common::Result<Series> ReadSeries(std::istream& in, std::string_view source) {
  Series series;
  std::string line;
  std::size_t number = 0;
  bool first = true;
  while (std::getline(in, line)) {
    ++number;
    if (Trim(line).empty()) continue;
    const std::size_t comma = line.find(',');
    if (comma == std::string::npos || line.find(',', comma + 1) != std::string::npos) {
      return BadRow(source, number, "expected two columns, timestamp,value");
    }
    const std::string_view timestamp = Trim(std::string_view(line).substr(0, comma));
    const std::string_view value = Trim(std::string_view(line).substr(comma + 1));
    common::Result<common::Seconds> time = ParseTimeText(timestamp);
    if (!time && first) {  // a header line
      first = false;
      continue;
    }
    first = false;
    if (!time) return BadRow(source, number, fmt::format("timestamp {}", time.error().message));
    double parsed = 0.0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
    if (error != std::errc() || end != value.data() + value.size() || !std::isfinite(parsed)) {
      return BadRow(source, number, fmt::format("value '{}' is not a finite number", value));
    }
    series.rows.push_back({std::string(timestamp), std::string(value)});
    series.values.push_back({*time, parsed});
  }
  if (in.bad()) {
    return common::Error{common::ErrorCode::kIo, fmt::format("{}: read failed", source)};
  }
  return series;
}

}  // namespace

CLI::App* AddScoreCommand(CLI::App& app, ScoreFlags& flags) {
  CLI::App* score = app.add_subcommand(
      "score", "Score any numeric series (CSV timestamp,value): one anomaly score per row");
  score
      ->add_option("--input", flags.input,
                   "CSV of timestamp,value rows, one per time step (header optional); - for "
                   "stdin")
      ->required();
  score->footer(fmt::format(
      "Models: a series whose values are all whole numbers from 0 to {:.0f} is a series of "
      "counts, scored with the detector's count baseline (time of day, Poisson tests over 1, "
      "5, 15 and 60 steps; the --config baseline: section applies). Any other series "
      "(negative or fractional values, or larger magnitudes) is continuous: each value is "
      "judged against the median and median absolute deviation of the {} values before it, "
      "in both directions (the first {} rows score 0). Timestamps may repeat or go back in "
      "time; every row gets its score in input order.",
      models::kLargestCount, models::LevelScaleOptions{}.window,
      models::LevelScaleOptions{}.min_history));
  score->add_option("--output", flags.output, "Where the scored CSV goes; - for stdout")
      ->capture_default_str();
  score->add_option("--config", flags.config_path,
                    "YAML config file whose baseline: section applies to count series");
  return score;
}

int RunScore(const ScoreFlags& flags) {
  common::Result<config::Config> loaded = config::LoadConfigFileOrDefaults(flags.config_path);
  if (!loaded) {
    fmt::print(stderr, "{}\n", loaded.error().message);
    return 2;
  }
  config::Config config = *std::move(loaded);
  common::Result<Series> series = common::Error{};
  if (flags.input == "-") {
    series = ReadSeries(std::cin, "stdin");
  } else {
    std::ifstream file(flags.input);
    if (!file) {
      fmt::print(stderr, "score: {}: cannot open\n", flags.input);
      return 2;
    }
    series = ReadSeries(file, flags.input);
  }
  if (!series) {
    fmt::print(stderr, "score: {}\n", series.error().message);
    return 2;
  }

  const std::vector<double> scores =
      models::ScoreValues(series->values, models::ModelFor(series->values),
                          config.detector.baseline, models::LevelScaleOptions{});

  std::string text = "timestamp,value,anomaly_score\n";
  for (std::size_t i = 0; i < series->rows.size(); ++i) {
    fmt::format_to(std::back_inserter(text), "{},{},{:.4f}\n", series->rows[i].timestamp,
                   series->rows[i].value, scores[i]);
  }
  std::ofstream file;
  if (flags.output != "-") file.open(flags.output, std::ios::binary | std::ios::trunc);
  std::ostream& out = flags.output == "-" ? std::cout : file;
  out << text;
  out.flush();
  if (!out) {
    fmt::print(stderr, "score: {}: write failed\n", flags.output);
    return 1;
  }
  return 0;
}

}  // namespace trailsight::app
