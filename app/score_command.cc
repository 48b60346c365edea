#include "app/score_command.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <iostream>
#include <limits>

#include "app/time_text.h"
#include "config/config.h"
#include "models/series_scorer.h"

namespace trailsight::app {
namespace {

// One input row, as written, and the point it stands for.
struct Row {
  std::string timestamp, value;
  models::SeriesPoint point;
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

// Reads every row of `in`; `source` names it in errors.
common::Result<std::vector<Row>> ReadRows(std::istream& in, std::string_view source) {
  std::vector<Row> rows;
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
    double count = 0.0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), count);
    if (error != std::errc() || end != value.data() + value.size() || !std::isfinite(count)) {
      return BadRow(source, number, fmt::format("value '{}' is not a number", value));
    }
    if (count < 0.0) {
      return BadRow(source, number,
                    fmt::format("value {} is negative; values are counts per step", value));
    }
    if (!rows.empty() && *time <= rows.back().point.time) {
      return BadRow(source, number,
                    fmt::format("timestamp {} is not after the previous row's ({}); rows must be "
                                "in time order, one per step",
                                timestamp, rows.back().timestamp));
    }
    const double rounded =
        std::min(std::round(count), double{std::numeric_limits<std::uint32_t>::max()});
    rows.push_back(
        {std::string(timestamp), std::string(value), {*time, static_cast<std::uint32_t>(rounded)}});
  }
  if (in.bad()) {
    return common::Error{common::ErrorCode::kIo, fmt::format("{}: read failed", source)};
  }
  return rows;
}

}  // namespace

CLI::App* AddScoreCommand(CLI::App& app, ScoreFlags& flags) {
  CLI::App* score = app.add_subcommand(
      "score", "Score a numeric series (CSV timestamp,value) with the detector's baseline");
  score
      ->add_option("--input", flags.input,
                   "CSV of timestamp,value rows, one per time step (header optional); - for "
                   "stdin")
      ->required();
  score->add_option("--output", flags.output, "Where the scored CSV goes; - for stdout")
      ->capture_default_str();
  score->add_option("--config", flags.config_path,
                    "YAML config file whose baseline: section applies");
  return score;
}

int RunScore(const ScoreFlags& flags) {
  common::Result<config::Config> loaded = config::LoadConfigFileOrDefaults(flags.config_path);
  if (!loaded) {
    fmt::print(stderr, "{}\n", loaded.error().message);
    return 2;
  }
  config::Config config = *std::move(loaded);
  common::Result<std::vector<Row>> rows = common::Error{};
  if (flags.input == "-") {
    rows = ReadRows(std::cin, "stdin");
  } else {
    std::ifstream file(flags.input);
    if (!file) {
      fmt::print(stderr, "score: {}: cannot open\n", flags.input);
      return 2;
    }
    rows = ReadRows(file, flags.input);
  }
  if (!rows) {
    fmt::print(stderr, "score: {}\n", rows.error().message);
    return 2;
  }

  std::vector<models::SeriesPoint> points;
  points.reserve(rows->size());
  for (const Row& row : *rows) points.push_back(row.point);
  const std::vector<double> scores = models::ScoreSeries(points, config.detector.baseline);

  std::string text = "timestamp,value,anomaly_score\n";
  for (std::size_t i = 0; i < rows->size(); ++i) {
    fmt::format_to(std::back_inserter(text), "{},{},{:.4f}\n", (*rows)[i].timestamp,
                   (*rows)[i].value, scores[i]);
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
