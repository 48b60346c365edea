#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "detector/options.h"

namespace trailsight::config {

// Where records come from and where the ones we cannot use go (`input:` section).
struct InputSettings {
  std::size_t max_record_bytes = 50u << 20;  // larger records are dead-lettered, truncated
  std::string dead_letter_path = "trailsight-dead-letters.jsonl";  // JSON lines of rejects
};

// Where findings go (`outputs:` section).
struct OutputSettings {
  // "-" for JSON lines on stdout, a folder (or a path ending in '/') for the S3 layout,
  // anything else for a JSON lines file; see alerts/insight_sink.h.
  std::string insights = "-";
};

// The Kafka service's connections (`kafka:` section); used by `trailsight run`.
struct KafkaSettings {
  std::string brokers;                                 // bootstrap.servers; required by `run`
  std::string group_id = "trailsight";                 // consumer group of the service instances
  std::vector<std::string> topics = {"cloudtrail"};    // CloudTrail records in
  std::string insights_topic = "trailsight-insights";  // findings out, AWS Insights JSON
  std::string dead_letter_topic = "trailsight-dead-letters";  // rejected messages out
  std::map<std::string, std::string> properties;              // passed to every librdkafka client
  std::chrono::seconds future_skew{900};  // eventTime beyond wall clock + this: rejected
  std::chrono::seconds idle_after{10};    // no message for this long: close quiet minutes
};

// Where the service keeps snapshots (`state:` section).
struct StateSettings {
  std::string dir = "trailsight-state";        // local folder of snapshots
  std::chrono::seconds snapshot_interval{60};  // how often a snapshot is started
  int keep = 3;                                // complete snapshots kept on disk
};

// The whole configuration; every field has a default, so an empty file is a valid config.
// The documented example is config/trailsight.yaml.
struct Config {
  detector::DetectorOptions detector;  // `detector:` and `baseline:` sections
  InputSettings input;
  OutputSettings outputs;
  KafkaSettings kafka;
  StateSettings state;
};

// Loads and validates the YAML file at `path`. Collects every problem rather than the
// first: unknown keys (with "did you mean 'X'?"), wrong types, out-of-range values, each
// as "FILE:LINE:COL: FIELD.PATH: message". On failure the Error (kInvalidConfig) holds all
// of them, one per line; an unreadable file or a YAML syntax error is one such line.
common::Result<Config> LoadConfigFile(const std::filesystem::path& path);

// Same as LoadConfigFile() for text already in memory (stdin, tests); `name` stands for
// the file name in messages.
common::Result<Config> LoadConfigText(std::string_view yaml, std::string_view name);

}  // namespace trailsight::config
