#include "app/config_reload.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <string_view>
#include <system_error>

#include "app/kafka_property_check.h"

namespace trailsight::app {
namespace {

using Level = ReloadNote::Level;

// Collects a warning for each restart-only field that differs.
class RestartFields {
 public:
  explicit RestartFields(std::vector<ReloadNote>& notes) : notes_(notes) {}

  template <typename T>
  void Compare(std::string_view path, const T& before, const T& after) {
    if (before == after) return;
    notes_.push_back(
        {Level::kWarning, fmt::format("config: {} changed; it needs a restart, the running value "
                                      "stays until then",
                                      path)});
  }

 private:
  std::vector<ReloadNote>& notes_;
};

void CompareRestartFields(const config::Config& before, const config::Config& after,
                          std::vector<ReloadNote>& notes) {
  RestartFields fields(notes);
  const detector::DetectorOptions& old_detector = before.detector;
  const detector::DetectorOptions& new_detector = after.detector;
  fields.Compare("detector.allowed_lateness_seconds", old_detector.allowed_lateness,
                 new_detector.allowed_lateness);
  fields.Compare("detector.warmup_hours", old_detector.warmup, new_detector.warmup);
  fields.Compare("detector.end_after_quiet_minutes", old_detector.end_after_quiet_minutes,
                 new_detector.end_after_quiet_minutes);
  fields.Compare("detector.attribution_values", old_detector.attribution_values,
                 new_detector.attribution_values);
  fields.Compare("detector.max_keys", old_detector.max_keys, new_detector.max_keys);
  fields.Compare("detector.silent_after_minutes", old_detector.silent_after,
                 new_detector.silent_after);
  fields.Compare("detector.silent_minimum_events", old_detector.silent_minimum_events,
                 new_detector.silent_minimum_events);
  fields.Compare("detector.max_time_jump_hours", old_detector.max_time_jump,
                 new_detector.max_time_jump);
  fields.Compare("baseline.window_days", old_detector.baseline.window_days,
                 new_detector.baseline.window_days);
  fields.Compare("baseline.calm_p_value", old_detector.baseline.calm_p_value,
                 new_detector.baseline.calm_p_value);
  fields.Compare("baseline.peak_margin", old_detector.baseline.peak_margin,
                 new_detector.baseline.peak_margin);

  fields.Compare("input.files", before.input.files, after.input.files);
  fields.Compare("input.max_record_bytes", before.input.max_record_bytes,
                 after.input.max_record_bytes);
  fields.Compare("input.dead_letter_path", before.input.dead_letter_path,
                 after.input.dead_letter_path);
  fields.Compare("input.dead_letter_max_file_bytes", before.input.dead_letter_max_file_bytes,
                 after.input.dead_letter_max_file_bytes);
  fields.Compare("input.dead_letter_keep_files", before.input.dead_letter_keep_files,
                 after.input.dead_letter_keep_files);
  fields.Compare("input.dead_letter_redact", before.input.dead_letter_redact,
                 after.input.dead_letter_redact);
  fields.Compare("input.min_event_time", before.input.min_event_time, after.input.min_event_time);
  fields.Compare("outputs.insights", before.outputs.insights, after.outputs.insights);
  fields.Compare("outputs.alerts", before.outputs.alerts, after.outputs.alerts);

  const config::KafkaSettings& old_kafka = before.kafka;
  const config::KafkaSettings& new_kafka = after.kafka;
  fields.Compare("kafka.brokers", old_kafka.brokers, new_kafka.brokers);
  fields.Compare("kafka.group_id", old_kafka.group_id, new_kafka.group_id);
  fields.Compare("kafka.topics", old_kafka.topics, new_kafka.topics);
  fields.Compare("kafka.insights_topic", old_kafka.insights_topic, new_kafka.insights_topic);
  fields.Compare("kafka.alerts_topic", old_kafka.alerts_topic, new_kafka.alerts_topic);
  fields.Compare("kafka.dead_letter_topic", old_kafka.dead_letter_topic,
                 new_kafka.dead_letter_topic);
  fields.Compare("kafka.properties", old_kafka.properties, new_kafka.properties);  // no values
  fields.Compare("kafka.future_skew_seconds", old_kafka.future_skew, new_kafka.future_skew);
  fields.Compare("kafka.idle_after_seconds", old_kafka.idle_after, new_kafka.idle_after);
  fields.Compare("kafka.partition_idle_timeout_seconds", old_kafka.partition_idle_timeout,
                 new_kafka.partition_idle_timeout);
  fields.Compare("kafka.input_keyed_by_account_region", old_kafka.input_keyed_by_account_region,
                 new_kafka.input_keyed_by_account_region);

  fields.Compare("state.dir", before.state.dir, after.state.dir);
  fields.Compare("state.snapshot_interval_seconds", before.state.snapshot_interval,
                 after.state.snapshot_interval);
  fields.Compare("state.keep", before.state.keep, after.state.keep);

  fields.Compare("metrics.enabled", before.metrics.enabled, after.metrics.enabled);
  fields.Compare("metrics.bind", before.metrics.bind, after.metrics.bind);
  fields.Compare("logging.format", before.logging.format, after.logging.format);
}

// One line saying what the new `detection:` section changes, for the log.
std::string DescribeTuningChange(const detector::Tuning& before, const detector::Tuning& after) {
  if (before == after) return "config: reloaded; detection unchanged";
  std::vector<std::string> changes;
  const auto scalar = [&changes](std::string_view name, const auto& old_value,
                                 const auto& new_value) {
    if (old_value != new_value)
      changes.push_back(fmt::format("{} {} -> {}", name, old_value, new_value));
  };
  const auto list = [&changes](std::string_view name, const auto& old_list, const auto& new_list) {
    if (old_list != new_list) {
      changes.push_back(fmt::format("{} {} -> {} entries", name, old_list.size(), new_list.size()));
    }
  };
  scalar("sensitivity", before.p_value, after.p_value);
  scalar("min_calls", before.min_calls, after.min_calls);
  if (before.windows != after.windows) {
    changes.push_back(fmt::format("windows [{}] -> [{}]", fmt::join(before.windows, ", "),
                                  fmt::join(after.windows, ", ")));
  }
  scalar("call_rate", before.call_rate, after.call_rate);
  scalar("error_rate", before.error_rate, after.error_rate);
  scalar("read_call_rate", before.read_call_rate, after.read_call_rate);
  scalar("data_events", before.data_events, after.data_events);
  list("overrides", before.overrides, after.overrides);
  list("exclusions", before.exclusions, after.exclusions);
  list("criticality", before.criticality, after.criticality);
  list("suppressions", before.suppressions, after.suppressions);
  return fmt::format("config: reloaded detection: {}", fmt::join(changes, ", "));
}

}  // namespace

ReloadDecision DecideReload(const config::Config& previous, common::Result<config::Config> loaded) {
  ReloadDecision decision;
  if (!loaded) {
    decision.notes.push_back(
        {Level::kError, "config: reload refused, the running config stays; problems:"});
    const std::string& message = loaded.error().message;
    for (std::size_t begin = 0; begin < message.size();) {
      const std::size_t end = std::min(message.find('\n', begin), message.size());
      decision.notes.push_back({Level::kError, message.substr(begin, end - begin)});
      begin = end + 1;
    }
    return decision;
  }
  common::Result<detector::CompiledTuning> tuning =
      detector::CompiledTuning::Compile(loaded->tuning);
  if (!tuning) {  // the loader validates every pattern: only a loader bug gets here
    decision.notes.push_back({Level::kError, fmt::format("config: reload refused: detection.{}",
                                                         tuning.error().message)});
    return decision;
  }
  CompareRestartFields(previous, *loaded, decision.notes);
  decision.notes.push_back({Level::kInfo, DescribeTuningChange(previous.tuning, loaded->tuning)});
  // A section a reload applies: handed over, and noted, only when it changed.
  const auto accept = [&](const auto& before, const auto& after, auto& applied, auto describe) {
    if (after == before) return;
    decision.notes.push_back({Level::kInfo, describe(after)});
    applied = after;
  };
  accept(previous.tamper, loaded->tamper, decision.tamper, [](const detector::TamperOptions& t) {
    return fmt::format(
        "config: reloaded tamper: {}, {} configured rules, {} configured trail buckets, at most "
        "{} learned (those learned so far are kept)",
        t.enabled ? "enabled" : "disabled", t.rules.size(), t.trail_buckets.size(),
        t.max_learned_buckets);
  });
  accept(previous.novelty, loaded->novelty, decision.novelty,
         [](const detector::NoveltyOptions& n) {
           return fmt::format(
               "config: reloaded novelty: new-region alerts {}, window {} days, warm-up {} hours, "
               "first-sensitive-call alerts {}, window {} days, {} sensitive APIs, many-targets "
               "alerts {} at {} targets in {} minutes (the account facts learned so far are "
               "kept)",
               n.new_region ? "on" : "off", n.region_window.count(), n.warmup.count(),
               n.first_sensitive_call ? "on" : "off", n.sensitive_window.count(),
               n.sensitive_apis.size(), n.many_targets.enabled ? "on" : "off",
               n.many_targets.threshold, n.many_targets.window.count());
         });
  decision.tuning = *std::move(tuning);
  decision.file_config = *std::move(loaded);
  return decision;
}

ConfigReloader::ConfigReloader(std::filesystem::path path, config::Config file_config,
                               std::chrono::seconds check_every, Clock::time_point now)
    : path_(std::move(path)),
      file_config_(std::move(file_config)),
      check_every_(check_every),
      last_check_(now),
      stamp_(Look()) {}

ConfigReloader::Stamp ConfigReloader::Look() const {
  std::error_code error;
  Stamp stamp;
  stamp.modified = std::filesystem::last_write_time(path_, error);
  if (error) return Stamp{};
  stamp.size = std::filesystem::file_size(path_, error);
  stamp.exists = !error;
  return stamp;
}

std::optional<AcceptedReload> ConfigReloader::Poll(bool requested, Clock::time_point now) {
  if (!requested) {
    if (now - last_check_ < check_every_) return std::nullopt;
    last_check_ = now;
    if (Look() == stamp_) return std::nullopt;
  }
  stamp_ = Look();  // taken before reading, so a write during the read is seen next time
  spdlog::info("config: reloading {} ({})", path_.string(),
               requested ? "SIGHUP" : "the file changed");
  ReloadDecision decision =
      DecideReload(file_config_, config::LoadConfigFile(path_, LibrdkafkaPropertyCheck()));
  for (const ReloadNote& note : decision.notes) {
    switch (note.level) {
      case Level::kInfo:
        spdlog::info("{}", note.text);
        break;
      case Level::kWarning:
        spdlog::warn("{}", note.text);
        break;
      case Level::kError:
        spdlog::error("{}", note.text);
        break;
    }
  }
  if (!decision.file_config) return std::nullopt;
  file_config_ = *std::move(decision.file_config);
  return AcceptedReload{*std::move(decision.tuning), std::move(decision.tamper),
                        std::move(decision.novelty)};
}

}  // namespace trailsight::app
