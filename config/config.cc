#include "config/config.h"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include "config/field_reader.h"

namespace trailsight::config {
namespace {

void ReadDetector(FieldReader& read, detector::DetectorOptions& options) {
  options.allowed_lateness = std::chrono::seconds{read.OptionalBetween<std::int64_t>(
      "detector.allowed_lateness_seconds", options.allowed_lateness.count(), 0, 3600)};
  options.warmup = std::chrono::hours{
      read.OptionalBetween<std::int64_t>("detector.warmup_hours", options.warmup.count(), 0, 720)};
  options.end_after_quiet_minutes = read.OptionalBetween("detector.end_after_quiet_minutes",
                                                         options.end_after_quiet_minutes, 1, 60);
  options.attribution_values = read.OptionalBetween<std::size_t>(
      "detector.attribution_values", options.attribution_values, 5, 100'000);
}

void ReadBaseline(FieldReader& read, models::CountBaselineOptions& options) {
  options.window_days = read.OptionalBetween("baseline.window_days", options.window_days, 1, 7);
  options.min_calls =
      read.OptionalBetween<std::uint32_t>("baseline.min_calls", options.min_calls, 1, 1'000'000);
  options.peak_margin =
      read.OptionalBetween("baseline.peak_margin", options.peak_margin, 1.0, 100.0);

  // Probabilities: open interval, so the bounds are checked by hand.
  constexpr std::string_view kOpenRange = "must be greater than 0 and less than 0.5";
  const double p_value = read.Optional("baseline.p_value", options.p_value);
  const double calm_p_value = read.Optional("baseline.calm_p_value", options.calm_p_value);
  const bool p_ok = p_value > 0.0 && p_value < 0.5;
  const bool calm_ok = calm_p_value > 0.0 && calm_p_value < 0.5;
  read.Check(p_ok, "baseline.p_value", kOpenRange);
  read.Check(calm_ok, "baseline.calm_p_value", kOpenRange);
  if (p_ok && calm_ok) {
    read.Check(calm_p_value >= p_value, "baseline.calm_p_value",
               fmt::format("must be at least baseline.p_value ({}): the level that ends an "
                           "insight cannot be stricter than the one that starts it",
                           p_value));
  }
  options.p_value = p_value;
  options.calm_p_value = calm_p_value;
}

void ReadInput(FieldReader& read, InputSettings& input) {
  input.max_record_bytes = read.OptionalBetween<std::size_t>(
      "input.max_record_bytes", input.max_record_bytes, 1024, std::size_t{1} << 30);
  input.dead_letter_path = read.Optional("input.dead_letter_path", input.dead_letter_path);
  read.Check(!input.dead_letter_path.empty(), "input.dead_letter_path", "must not be empty");
}

void ReadOutputs(FieldReader& read, OutputSettings& outputs) {
  outputs.insights = read.Optional("outputs.insights", outputs.insights);
  read.Check(!outputs.insights.empty(), "outputs.insights",
             "must not be empty (\"-\" means stdout)");
}

void ReadKafka(FieldReader& read, KafkaSettings& kafka) {
  kafka.brokers = read.Optional("kafka.brokers", kafka.brokers);
  kafka.group_id = read.Optional("kafka.group_id", kafka.group_id);
  read.Check(!kafka.group_id.empty(), "kafka.group_id", "must not be empty");
  kafka.topics = read.OptionalStrings("kafka.topics", kafka.topics);
  read.Check(!kafka.topics.empty(), "kafka.topics", "must name at least one topic");
  kafka.insights_topic = read.Optional("kafka.insights_topic", kafka.insights_topic);
  read.Check(!kafka.insights_topic.empty(), "kafka.insights_topic", "must not be empty");
  kafka.dead_letter_topic = read.Optional("kafka.dead_letter_topic", kafka.dead_letter_topic);
  kafka.properties = read.OptionalStringMap("kafka.properties");
  kafka.future_skew = std::chrono::seconds{read.OptionalBetween<std::int64_t>(
      "kafka.future_skew_seconds", kafka.future_skew.count(), 0, 86'400)};
  kafka.idle_after = std::chrono::seconds{read.OptionalBetween<std::int64_t>(
      "kafka.idle_after_seconds", kafka.idle_after.count(), 1, 3600)};
}

void ReadState(FieldReader& read, StateSettings& state) {
  state.dir = read.Optional("state.dir", state.dir);
  read.Check(!state.dir.empty(), "state.dir", "must not be empty");
  state.snapshot_interval = std::chrono::seconds{read.OptionalBetween<std::int64_t>(
      "state.snapshot_interval_seconds", state.snapshot_interval.count(), 1, 86'400)};
  state.keep = read.OptionalBetween("state.keep", state.keep, 1, 100);
}

}  // namespace

common::Result<Config> LoadConfigText(std::string_view yaml, std::string_view name) {
  common::Result<YAML::Node> document = ParseYaml(yaml, name);
  if (!document) return std::move(document).error();
  FieldReader read(*std::move(document), std::string(name));
  Config config;
  ReadDetector(read, config.detector);
  ReadBaseline(read, config.detector.baseline);
  ReadInput(read, config.input);
  ReadOutputs(read, config.outputs);
  ReadKafka(read, config.kafka);
  ReadState(read, config.state);
  read.RejectUnknownKeys();
  return std::move(read).Finish(std::move(config));
}

common::Result<Config> LoadConfigFile(const std::filesystem::path& path) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    return common::Error{common::ErrorCode::kInvalidConfig,
                         fmt::format("{}: cannot read config file: it is a folder", path.string())};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return common::Error{
        common::ErrorCode::kInvalidConfig,
        fmt::format("{}: cannot read config file: {}", path.string(), std::strerror(errno))};
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return common::Error{common::ErrorCode::kInvalidConfig,
                         fmt::format("{}: cannot read config file", path.string())};
  }
  return LoadConfigText(text.str(), path.string());
}

}  // namespace trailsight::config
