#include "config/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string_view>
#include <system_error>

#include "config/detection_section.h"
#include "config/field_reader.h"
#include "config/kafka_properties.h"

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
  options.max_keys = read.OptionalBetween<std::size_t>("detector.max_keys", options.max_keys, 1'000,
                                                       1'000'000'000);
  options.silent_after = std::chrono::minutes{read.OptionalBetween<std::int64_t>(
      "detector.silent_after_minutes", options.silent_after.count(), 1, 1440)};
  options.silent_minimum_events = read.OptionalBetween("detector.silent_minimum_events",
                                                       options.silent_minimum_events, 1.0, 1e9);
  options.max_time_jump = std::chrono::hours{read.OptionalBetween<std::int64_t>(
      "detector.max_time_jump_hours", options.max_time_jump.count(), 1, 8760)};
}

// Reads the `baseline:` section. The sensitivity and minimum calls come from `tuning` (the
// `detection:` section, read first), copied here for the detector's baseline.
void ReadBaseline(FieldReader& read, const detector::Tuning& tuning,
                  models::CountBaselineOptions& options) {
  options.window_days = read.OptionalBetween("baseline.window_days", options.window_days, 1, 7);
  options.peak_margin =
      read.OptionalBetween("baseline.peak_margin", options.peak_margin, 1.0, 100.0);
  options.p_value = tuning.p_value;
  options.min_calls = tuning.min_calls;

  // A probability: open interval, so the bounds are checked by hand.
  const double calm_p_value = read.Optional("baseline.calm_p_value", options.calm_p_value);
  const bool calm_ok = calm_p_value > 0.0 && calm_p_value < 0.5;
  read.Check(calm_ok, "baseline.calm_p_value", "must be greater than 0 and less than 0.5");
  if (calm_ok) {
    read.Check(calm_p_value >= tuning.p_value, "baseline.calm_p_value",
               fmt::format("must be at least the detection.sensitivity ({}): the level that "
                           "ends an insight cannot be stricter than the one that starts it",
                           tuning.p_value));
  }
  options.calm_p_value = calm_p_value;
}

// The names of common::Severity in the config, in order of severity_id (1 to 5).
constexpr std::array<std::string_view, 5> kSeverityNames = {"informational", "low", "medium",
                                                            "high", "critical"};

void ReadTamper(FieldReader& read, detector::TamperOptions& tamper) {
  tamper.enabled = read.Optional("tamper.enabled", tamper.enabled);
  tamper.trail_buckets = read.OptionalStrings("tamper.trail_buckets", tamper.trail_buckets);
  read.Check(std::none_of(tamper.trail_buckets.begin(), tamper.trail_buckets.end(),
                          [](const std::string& bucket) { return bucket.empty(); }),
             "tamper.trail_buckets", "bucket names must not be empty");
  tamper.max_learned_buckets = read.OptionalBetween<std::size_t>(
      "tamper.max_learned_buckets", tamper.max_learned_buckets, 0, 1'000'000);
  const std::size_t rules = read.OptionalListSize("tamper.rules");
  for (std::size_t i = 0; i < rules; ++i) {
    const std::string item = fmt::format("tamper.rules.{}", i);
    detector::TamperRuleSpec rule;
    rule.event_source = read.Optional(item + ".event_source", std::string());
    rule.event_name = read.Optional(item + ".event_name", std::string());
    const std::string severity = read.Optional(item + ".severity", std::string("high"));
    // A missing key is reported at the item, which has a position.
    read.Check(!rule.event_source.empty(), item,
               "event_source is required: the service's eventSource, e.g. \"iam.amazonaws.com\"");
    read.Check(rule.event_source.empty() || rule.event_source.ends_with(".amazonaws.com"),
               item + ".event_source", "must be an eventSource such as \"iam.amazonaws.com\"");
    read.Check(!rule.event_name.empty(), item,
               "event_name is required: the call's eventName, e.g. \"DeleteRole\"");
    const auto named = std::find(kSeverityNames.begin(), kSeverityNames.end(), severity);
    read.Check(named != kSeverityNames.end(), item + ".severity",
               fmt::format("must be one of {}", fmt::join(kSeverityNames, ", ")));
    if (named != kSeverityNames.end()) {
      rule.severity = static_cast<common::Severity>(named - kSeverityNames.begin() + 1);
    }
    tamper.rules.push_back(std::move(rule));
  }
}

void ReadNovelty(FieldReader& read, detector::NoveltyOptions& novelty) {
  novelty.new_region = read.Optional("novelty.new_region", novelty.new_region);
  novelty.region_window = std::chrono::days{read.OptionalBetween<std::int64_t>(
      "novelty.region_window_days", novelty.region_window.count(), 1, 400)};
  novelty.warmup = std::chrono::hours{read.OptionalBetween<std::int64_t>(
      "novelty.warmup_hours", novelty.warmup.count(), 0, 24 * 400)};
  novelty.first_sensitive_call =
      read.Optional("novelty.first_sensitive_call", novelty.first_sensitive_call);
  novelty.sensitive_window = std::chrono::days{read.OptionalBetween<std::int64_t>(
      "novelty.sensitive_window_days", novelty.sensitive_window.count(), 1, 400)};
  detector::ManyTargetsOptions& many_targets = novelty.many_targets;
  many_targets.enabled = read.Optional("novelty.many_targets", many_targets.enabled);
  many_targets.threshold = static_cast<std::size_t>(read.OptionalBetween<std::int64_t>(
      "novelty.many_targets_threshold", static_cast<std::int64_t>(many_targets.threshold), 2,
      static_cast<std::int64_t>(detector::ManyTargetsRule::kMaxThreshold)));
  many_targets.window = std::chrono::minutes{read.OptionalBetween<std::int64_t>(
      "novelty.many_targets_window_minutes", many_targets.window.count(), 1, 24 * 60)};
  std::vector<std::string> defaults;
  for (const detector::SensitiveApi& api : novelty.sensitive_apis) {
    defaults.push_back(api.event_source + ":" + api.event_name);
  }
  const std::vector<std::string> apis =
      read.OptionalStrings("novelty.sensitive_apis", std::move(defaults));
  novelty.sensitive_apis.clear();
  for (std::size_t i = 0; i < apis.size(); ++i) {
    // "iam.amazonaws.com:AttachUserPolicy": an eventSource, then the eventName.
    const std::string_view api = apis[i];
    const std::size_t colon = api.find(':');
    const bool ok = colon != std::string_view::npos && api.find(':', colon + 1) == api.npos &&
                    api.substr(0, colon).ends_with(".amazonaws.com") &&
                    api.substr(0, colon).size() > std::string_view(".amazonaws.com").size() &&
                    colon + 1 < api.size() && api.find_first_of(" \t") == std::string_view::npos;
    // Reported at the item's line ("novelty.sensitive_apis.3").
    read.Check(ok, fmt::format("novelty.sensitive_apis.{}", i),
               fmt::format("\"{}\" must be eventSource:eventName, e.g. "
                           "\"iam.amazonaws.com:AttachUserPolicy\"",
                           api));
    if (ok) {
      novelty.sensitive_apis.push_back(
          {std::string(api.substr(0, colon)), std::string(api.substr(colon + 1))});
    }
  }
}

// A kafka.properties value of the form "${env:NAME}" or "${file:PATH}" names where a secret
// is instead of holding it: the environment variable NAME, or the contents of the file at
// PATH (at most kMaxSecretBytes, one trailing newline dropped). Replaces `value` with the
// secret, or returns the problem, which names the variable or the file, never a value.
constexpr std::size_t kMaxSecretBytes = 64 * 1024;

std::optional<std::string> ResolveSecret(std::string_view /*property*/, std::string& value) {
  if (!value.starts_with("${") || !value.ends_with("}")) return std::nullopt;
  const std::string_view reference = std::string_view(value).substr(2, value.size() - 3);
  if (reference.starts_with("env:")) {
    const std::string name(reference.substr(4));
    const char* secret = name.empty() ? nullptr : std::getenv(name.c_str());
    if (secret == nullptr) return fmt::format("environment variable {} is not set", name);
    value = secret;
    return std::nullopt;
  }
  if (reference.starts_with("file:")) {
    const std::string path(reference.substr(5));
    std::ifstream file(path, std::ios::binary);
    if (!file) return fmt::format("cannot read the file {}", path);
    std::string secret(kMaxSecretBytes + 1, '\0');
    file.read(secret.data(), static_cast<std::streamsize>(secret.size()));
    secret.resize(static_cast<std::size_t>(file.gcount()));
    if (secret.size() > kMaxSecretBytes) {
      return fmt::format("the file {} is larger than {} bytes", path, kMaxSecretBytes);
    }
    if (secret.ends_with('\n')) secret.pop_back();
    if (secret.ends_with('\r')) secret.pop_back();
    value = std::move(secret);
    return std::nullopt;
  }
  return std::string("a reference must be ${env:NAME} or ${file:PATH}");
}

void ReadInput(FieldReader& read, InputSettings& input) {
  input.files = read.OptionalStrings("input.files", input.files);
  input.max_record_bytes = read.OptionalBetween<std::size_t>(
      "input.max_record_bytes", input.max_record_bytes, 1024, std::size_t{1} << 30);
  input.dead_letter_path = read.Optional("input.dead_letter_path", input.dead_letter_path);
  read.Check(!input.dead_letter_path.empty(), "input.dead_letter_path", "must not be empty");
  // The floor keeps a file larger than any one letter (4 KiB of payload, escaped, and its
  // source and reason).
  input.dead_letter_max_file_bytes = read.OptionalBetween<std::size_t>(
      "input.dead_letter_max_file_bytes", input.dead_letter_max_file_bytes, 65'536,
      std::size_t{1} << 40);
  input.dead_letter_keep_files = read.OptionalBetween<int>("input.dead_letter_keep_files",
                                                           input.dead_letter_keep_files, 1, 100);
  input.dead_letter_redact = read.Optional("input.dead_letter_redact", input.dead_letter_redact);
  const std::string min_event_time =
      read.Optional("input.min_event_time", common::FormatUtcTimestamp(input.min_event_time));
  const common::Result<common::Seconds> parsed_min = common::ParseUtcTimestamp(min_event_time);
  read.Check(parsed_min.has_value(), "input.min_event_time",
             "must be an RFC 3339 UTC timestamp such as \"2013-11-01T00:00:00Z\"");
  if (parsed_min) input.min_event_time = *parsed_min;
  input.max_interned_strings = read.OptionalBetween<std::size_t>(
      "input.max_interned_strings", input.max_interned_strings, 1000, 1'000'000'000);
  input.max_interned_bytes = read.OptionalBetween<std::size_t>(
      "input.max_interned_bytes", input.max_interned_bytes, 65'536, std::size_t{1} << 40);
}

void ReadOutputs(FieldReader& read, OutputSettings& outputs) {
  outputs.insights = read.Optional("outputs.insights", outputs.insights);
  read.Check(!outputs.insights.empty(), "outputs.insights",
             "must not be empty (\"-\" means stdout)");
  outputs.alerts = read.Optional("outputs.alerts", outputs.alerts);
}

void ReadKafka(FieldReader& read, const KafkaPropertyCheck& check, KafkaSettings& kafka) {
  kafka.brokers = read.Optional("kafka.brokers", kafka.brokers);
  kafka.group_id = read.Optional("kafka.group_id", kafka.group_id);
  read.Check(!kafka.group_id.empty(), "kafka.group_id", "must not be empty");
  kafka.topics = read.OptionalStrings("kafka.topics", kafka.topics);
  read.Check(!kafka.topics.empty(), "kafka.topics", "must name at least one topic");
  kafka.insights_topic = read.Optional("kafka.insights_topic", kafka.insights_topic);
  read.Check(!kafka.insights_topic.empty(), "kafka.insights_topic", "must not be empty");
  kafka.alerts_topic = read.Optional("kafka.alerts_topic", kafka.alerts_topic);
  read.Check(!kafka.alerts_topic.empty(), "kafka.alerts_topic", "must not be empty");
  kafka.dead_letter_topic = read.Optional("kafka.dead_letter_topic", kafka.dead_letter_topic);
  kafka.properties = read.OptionalStringMap(
      "kafka.properties", [&check](std::string_view name, std::string& value) {
        std::optional<std::string> problem = ResolveSecret(name, value);
        if (!problem) problem = ServicePropertyProblem(name, value);
        if (!problem) problem = LibrdkafkaPropertyProblem(name, value, check);
        return problem;
      });
  kafka.future_skew = std::chrono::seconds{read.OptionalBetween<std::int64_t>(
      "kafka.future_skew_seconds", kafka.future_skew.count(), 0, 86'400)};
  kafka.idle_after = std::chrono::seconds{read.OptionalBetween<std::int64_t>(
      "kafka.idle_after_seconds", kafka.idle_after.count(), 1, 3600)};
  kafka.partition_idle_timeout = std::chrono::seconds{read.OptionalBetween<std::int64_t>(
      "kafka.partition_idle_timeout_seconds", kafka.partition_idle_timeout.count(), 0, 3600)};
  kafka.input_keyed_by_account_region =
      read.Optional("kafka.input_keyed_by_account_region", kafka.input_keyed_by_account_region);
  kafka.repartition_topic = read.Optional("kafka.repartition_topic", kafka.repartition_topic);
  if (kafka.repartition_topic.empty()) kafka.repartition_topic = kafka.group_id + "-repartition";
  kafka.changelog_topic = read.Optional("kafka.changelog_topic", kafka.changelog_topic);
  if (kafka.changelog_topic.empty()) kafka.changelog_topic = kafka.group_id + "-state-changelog";
  kafka.global_topic = read.Optional("kafka.global_topic", kafka.global_topic);
  if (kafka.global_topic.empty()) kafka.global_topic = kafka.group_id + "-global";
  // The service writes these: one that is also an input would feed it its own records (the
  // repartition topic's again and again).
  for (const auto& [path, topic] : {std::pair<std::string_view, const std::string*>{
                                        "kafka.repartition_topic", &kafka.repartition_topic},
                                    {"kafka.changelog_topic", &kafka.changelog_topic},
                                    {"kafka.global_topic", &kafka.global_topic}}) {
    read.Check(std::find(kafka.topics.begin(), kafka.topics.end(), *topic) == kafka.topics.end(),
               path, fmt::format("\"{}\" is also an input topic (kafka.topics)", *topic));
  }
}

void ReadState(FieldReader& read, StateSettings& state) {
  state.dir = read.Optional("state.dir", state.dir);
  read.Check(!state.dir.empty(), "state.dir", "must not be empty");
  state.snapshot_interval = std::chrono::seconds{read.OptionalBetween<std::int64_t>(
      "state.snapshot_interval_seconds", state.snapshot_interval.count(), 1, 86'400)};
  state.keep = read.OptionalBetween("state.keep", state.keep, 1, 100);
}

void ReadMetrics(FieldReader& read, MetricsSettings& metrics) {
  metrics.enabled = read.Optional("metrics.enabled", metrics.enabled);
  const std::string bind = read.Optional("metrics.bind", FormatBindAddress(metrics.bind));
  common::Result<BindAddress> parsed = ParseBindAddress(bind);
  read.Check(parsed.has_value(), "metrics.bind", parsed ? "" : parsed.error().message);
  if (parsed) metrics.bind = *std::move(parsed);
}

void ReadLogging(FieldReader& read, LoggingSettings& logging) {
  const std::string format = read.Optional("logging.format", std::string("text"));
  const std::optional<LogFormat> parsed = ParseLogFormat(format);
  read.Check(parsed.has_value(), "logging.format", "must be \"text\" or \"json\"");
  logging.format = parsed.value_or(logging.format);
}

}  // namespace

std::optional<LogFormat> ParseLogFormat(std::string_view text) {
  if (text == "text") return LogFormat::kText;
  if (text == "json") return LogFormat::kJson;
  return std::nullopt;
}

common::Result<Config> LoadConfigText(std::string_view yaml, std::string_view name,
                                      const KafkaPropertyCheck& kafka_check) {
  common::Result<YAML::Node> document = ParseYaml(yaml, name);
  if (!document) return std::move(document).error();
  FieldReader read(*std::move(document), std::string(name));
  Config config;
  ReadDetector(read, config.detector);
  ReadDetection(read, config.tuning);
  ReadBaseline(read, config.tuning, config.detector.baseline);
  ReadTamper(read, config.tamper);
  ReadNovelty(read, config.novelty);
  ReadInput(read, config.input);
  ReadOutputs(read, config.outputs);
  ReadKafka(read, kafka_check, config.kafka);
  ReadState(read, config.state);
  ReadMetrics(read, config.metrics);
  ReadLogging(read, config.logging);
  read.RejectUnknownKeys();
  return std::move(read).Finish(std::move(config));
}

common::Result<Config> LoadConfigFileOrDefaults(const std::filesystem::path& path,
                                                const KafkaPropertyCheck& kafka_check) {
  if (path.empty()) return Config{};
  return LoadConfigFile(path, kafka_check);
}

common::Result<Config> LoadConfigFile(const std::filesystem::path& path,
                                      const KafkaPropertyCheck& kafka_check) {
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
  // One byte beyond the limit tells a file at the limit from a larger one (or an endless
  // device such as /dev/zero) without reading more.
  std::string text(kMaxConfigBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) {
    return common::Error{common::ErrorCode::kInvalidConfig,
                         fmt::format("{}: cannot read config file", path.string())};
  }
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxConfigBytes) {
    return common::Error{
        common::ErrorCode::kInvalidConfig,
        fmt::format("{}: cannot read config file: it is larger than the limit of {} bytes (1 MiB)",
                    path.string(), kMaxConfigBytes)};
  }
  return LoadConfigText(text, path.string(), kafka_check);
}

}  // namespace trailsight::config
