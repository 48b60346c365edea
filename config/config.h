#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/time.h"
#include "config/bind_address.h"
#include "config/kafka_properties.h"
#include "detector/novelty_rules.h"
#include "detector/options.h"
#include "detector/tamper_rules.h"
#include "detector/tuning.h"

namespace trailsight::config {

// Where records come from and where the ones we cannot use go (`input:` section).
struct InputSettings {
  // What `trailsight replay` reads when no PATH is given: files, folders, "-" for stdin.
  std::vector<std::string> files;
  std::size_t max_record_bytes = 50u << 20;  // larger records are dead-lettered, truncated
  std::string dead_letter_path = "trailsight-dead-letters.jsonl";  // JSON lines of rejects
  // The file rotates before it would grow beyond this many bytes; dead_letter_keep_files
  // rotated files (PATH.1 the newest) are kept, so the letters take at most
  // max_file_bytes * (keep_files + 1) bytes however much input is rejected.
  std::size_t dead_letter_max_file_bytes = 64u << 20;
  int dead_letter_keep_files = 4;
  // Dead letters, in the file and on kafka.dead_letter_topic, keep the reason, source and
  // position but only the record's eventTime, eventSource, eventName, awsRegion and
  // recipientAccountId (consumers/dead_letter_redaction.h), not the record.
  bool dead_letter_redact = false;
  // Records dated earlier are dead-lettered, in replay and from Kafka (Go's zero time
  // 0001-01-01T00:00:00Z is the usual culprit); default: when CloudTrail began.
  common::Seconds min_event_time = common::kCloudTrailBegan;
  // Caps on distinct strings (account, region, source, eventName, principal, user agent,
  // error code, bucket) held in memory; beyond either, a new string counts as "(overflow)"
  // and a kCapReached alert is raised (see common/interner.h).
  std::size_t max_interned_strings = 1'000'000;
  std::size_t max_interned_bytes = 64u << 20;  // of text, summed
};

// Where findings go (`outputs:` section).
struct OutputSettings {
  // "-" for stdout (JSON lines, or readable lines: replay's --format), a folder (or a path
  // ending in '/') for the S3 layout, anything else for a JSON lines file; see
  // alerts/insight_sink.h.
  std::string insights = "-";
  // OCSF Detection Findings as JSON lines: tamper alerts and a mirror of every insight.
  // "-" for stdout, else a file; empty: not written (`trailsight replay`; the service
  // publishes them to kafka.alerts_topic). See alerts/ocsf_sink.h.
  std::string alerts;
};

// The Kafka service's connections (`kafka:` section); used by `trailsight run`.
struct KafkaSettings {
  std::string brokers;                                 // bootstrap.servers; required by `run`
  std::string group_id = "trailsight";                 // consumer group of the service instances
  std::vector<std::string> topics = {"cloudtrail"};    // CloudTrail records in
  std::string insights_topic = "trailsight-insights";  // findings out, AWS Insights JSON
  std::string alerts_topic = "trailsight-alerts";  // alerts and mirrored insights out, OCSF JSON
  std::string dead_letter_topic = "trailsight-dead-letters";  // rejected messages out
  std::map<std::string, std::string> properties;              // passed to every librdkafka client
  std::chrono::seconds future_skew{900};  // eventTime beyond wall clock + this: rejected
  std::chrono::seconds idle_after{10};    // no message for this long: close quiet minutes
  // A partition with nothing to read stops holding the others back in event time after this.
  std::chrono::seconds partition_idle_timeout{30};
  // The operator declares the input keyed by (account, region): checked on every record.
  bool input_keyed_by_account_region = false;
  // Where an input not keyed by (account, region) is re-keyed to; "<group_id>-repartition"
  // unless set.
  std::string repartition_topic;
  // The compacted topic of per-partition state; "<group_id>-state-changelog" unless set.
  std::string changelog_topic;
  // The compacted topic of facts that span partitions (learned trail buckets);
  // "<group_id>-global" unless set.
  std::string global_topic;
};

// Where the service keeps snapshots (`state:` section).
struct StateSettings {
  std::string dir = "trailsight-state";        // local folder of snapshots
  std::chrono::seconds snapshot_interval{60};  // how often a snapshot is started
  int keep = 3;                                // complete snapshots kept on disk
};

// The service's operations endpoint (`metrics:` section): Prometheus /metrics and /healthz,
// see docs/operations.md.
struct MetricsSettings {
  bool enabled = true;  // false: no endpoint (`--metrics-bind` turns it back on)
  BindAddress bind;     // default 127.0.0.1:9464, loopback only; port 0 picks a free one
};

enum class LogFormat { kText, kJson };

// How the service logs (`logging:` section), to stderr.
struct LoggingSettings {
  LogFormat format = LogFormat::kText;  // kJson: one JSON object per line
};

// Reads "text" or "json"; nullopt otherwise.
std::optional<LogFormat> ParseLogFormat(std::string_view text);

// The whole configuration; every field has a default, so an empty file is a valid config.
// The documented example is config/trailsight.yaml.
struct Config {
  detector::DetectorOptions detector;  // `detector:` and `baseline:` sections
  detector::Tuning tuning;             // `detection:` section: what a reload (SIGHUP) changes
  detector::TamperOptions tamper;      // `tamper:` section
  detector::NoveltyOptions novelty;    // `novelty:` section
  InputSettings input;
  OutputSettings outputs;
  KafkaSettings kafka;
  StateSettings state;
  MetricsSettings metrics;
  LoggingSettings logging;
};

// The largest config file LoadConfigFile() reads: the documented example is 17 KiB.
inline constexpr std::size_t kMaxConfigBytes = 1u << 20;

// Loads and validates the YAML file at `path`. Collects every problem rather than the
// first: unknown keys (with "did you mean 'X'?"), wrong types, out-of-range values,
// kafka.properties the service refuses (kafka_properties.h) and, when `kafka_check` is given,
// those librdkafka refuses, each as "FILE:LINE:COL: FIELD.PATH: message" (never with a
// kafka.properties value). On failure the Error (kInvalidConfig) holds all of them, one per
// line; an unreadable file, one larger than kMaxConfigBytes (read no further) or a YAML syntax
// error is one such line.
common::Result<Config> LoadConfigFile(const std::filesystem::path& path,
                                      const KafkaPropertyCheck& kafka_check = {});

// LoadConfigFile(), or every default when `path` is empty (no --config given).
common::Result<Config> LoadConfigFileOrDefaults(const std::filesystem::path& path,
                                                const KafkaPropertyCheck& kafka_check = {});

// Same as LoadConfigFile() for text already in memory (stdin, tests); `name` stands for
// the file name in messages.
common::Result<Config> LoadConfigText(std::string_view yaml, std::string_view name,
                                      const KafkaPropertyCheck& kafka_check = {});

}  // namespace trailsight::config
