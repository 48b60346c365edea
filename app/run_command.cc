#include "app/run_command.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <optional>

#include "alerts/kafka_publisher.h"
#include "alerts/ocsf_sink.h"
#include "app/checkpointer.h"
#include "app/config_reload.h"
#include "app/global_table.h"
#include "app/partition_detectors.h"
#include "app/service_metrics.h"
#include "app/service_topics.h"
#include "app/snapshot_store.h"
#include "config/config.h"
#include "consumers/dead_letter_file.h"
#include "consumers/kafka_source.h"
#include "detector/detector.h"
#include "detector/pipeline.h"
#include "detector/tamper_rules.h"
#include "kafka/state_changelog.h"
#include "ops/health.h"
#include "ops/http_endpoint.h"
#include "ops/json_log.h"

namespace trailsight::app {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kPollTimeout{100};
constexpr std::chrono::seconds kGlobalLoadTimeout{60};  // reading the global table at start

volatile std::sig_atomic_t stop_requested = 0;
extern "C" void RequestStop(int /*signal*/) { stop_requested = 1; }
constexpr std::chrono::seconds kConfigCheckEvery{5};  // a look at the config file's mtime
volatile std::sig_atomic_t reload_requested = 0;
extern "C" void RequestReload(int /*signal*/) { reload_requested = 1; }

common::Seconds WallClock() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

// Feeds each event through the pipeline to the detector of its partition, and tells the
// source which records the detector dropped as late (counted per partition).
class ServiceFeed final : public common::EventReceiver {
 public:
  ServiceFeed(detector::Pipeline& pipeline, PartitionDetectors& detectors,
              consumers::KafkaSource& source)
      : pipeline_(pipeline), detectors_(detectors), source_(source) {}
  void OnEvent(const common::Event& event) override {
    pipeline_.OnEvent(event,
                      detectors_.For(source_.delivering_topic(), source_.delivering_partition()));
    if (pipeline_.last_event_late()) source_.MarkLate();
  }

 private:
  detector::Pipeline& pipeline_;  // these three outlive the feed; they live in RunService
  PartitionDetectors& detectors_;
  consumers::KafkaSource& source_;
};

// The detectors' state and the trail buckets the tamper rules learned, for a checkpoint; with
// a changelog, the global table's new facts too.
class ServiceState final : public CheckpointedState {
 public:
  ServiceState(PartitionDetectors& detectors, const detector::TamperRules& tamper,
               GlobalTable* global)
      : detectors_(detectors), tamper_(tamper), global_(global) {}
  void Capture(Snapshot& snapshot, bool whole) const override {
    detectors_.Capture(snapshot, whole);
    snapshot.trail_buckets = tamper_.LearnedBuckets();
  }
  void CaptureChanges(std::vector<kafka::ChangelogRecord>& changes) override {
    detectors_.CaptureChanges(changes);
    if (global_ != nullptr) global_->CaptureChanges(changes);
  }
  void ChangesLost() override {
    detectors_.ChangesLost();
    if (global_ != nullptr) global_->ChangesLost();
  }
  common::Result<std::vector<consumers::PartitionOffset>> Restore(
      const std::vector<consumers::PartitionOffset>& partitions,
      const std::vector<consumers::PartitionOffset>& committed) override {
    return detectors_.Restore(partitions, committed);
  }
  bool Drop(const std::vector<consumers::PartitionOffset>& partitions) override {
    return detectors_.Drop(partitions);
  }

 private:
  PartitionDetectors& detectors_;  // these outlive this state: RunService
  const detector::TamperRules& tamper_;
  GlobalTable* global_;  // may be null
};

// The state changelog on Kafka: a checkpoint is one transaction of the writer, committing the
// input consumer's offsets; a restore reads one partition, read_committed.
class KafkaChangelog final : public CheckpointedChangelog, public ChangelogReader {
 public:
  KafkaChangelog(kafka::ChangelogWriter& writer, kafka::ChangelogReadOptions read)
      : writer_(writer), read_(std::move(read)) {}
  // The input, once it exists; its consumer's group is the one the offsets are committed for.
  void set_source(consumers::KafkaSource* source) { source_ = source; }

  common::Status Commit(const std::vector<kafka::ChangelogRecord>& records,
                        const std::vector<consumers::PartitionOffset>& offsets) override {
    std::vector<kafka::InputOffset> input;
    for (const consumers::PartitionOffset& offset : offsets) {
      if (offset.offset >= 0) input.push_back({offset.topic, offset.partition, offset.offset});
    }
    rd_kafka_t* consumer = source_ != nullptr ? source_->consumer_handle() : nullptr;
    return writer_.Commit(records, consumer != nullptr ? input : std::vector<kafka::InputOffset>{},
                          consumer);
  }
  common::Status Read(
      std::int32_t partition,
      const std::function<void(std::string_view key, std::string_view value)>& visit) override {
    common::Result<kafka::ChangelogReadStats> read =
        kafka::ReadChangelogPartition(read_, partition, visit);
    if (!read) return read.error();
    spdlog::info("state: read {} records ({} bytes) of {}/{}", read->records, read->bytes,
                 read_.topic, partition);
    return common::Ok();
  }

 private:
  kafka::ChangelogWriter& writer_;  // outlives this adapter: RunService
  const kafka::ChangelogReadOptions read_;
  consumers::KafkaSource* source_ = nullptr;
};

// Partitions are read a minute at a time (the detector's unit), or in half the allowed
// lateness when that is shorter, so that no partition can make another's records late.
consumers::AlignmentOptions AlignmentFor(const config::Config& config, const RunFlags& flags) {
  const std::chrono::seconds half_lateness = config.detector.allowed_lateness / 2;
  return {.step = std::clamp<std::chrono::seconds>(half_lateness, std::chrono::seconds{1},
                                                   std::chrono::minutes{1}),
          .idle_timeout = config.kafka.partition_idle_timeout,
          .idle_at_end = flags.until_caught_up};
}

}  // namespace

CLI::App* AddRunCommand(CLI::App& app, RunFlags& flags) {
  CLI::App* run =
      app.add_subcommand("run", "Consume CloudTrail from Kafka and publish insights until SIGTERM");
  run->add_option("--config", flags.config_path, "YAML config file (kafka:, state:, ...)")
      ->required();
  run->add_option("--brokers", flags.brokers, "Kafka bootstrap servers (overrides kafka.brokers)");
  run->add_option("--state-dir", flags.state_dir, "Snapshot folder (overrides state.dir)");
  run->add_flag("--until-caught-up", flags.until_caught_up,
                "Stop (flush, snapshot, commit) once the input topics are drained: for backfills "
                "and benchmarks");
  run->add_option("--metrics-bind", flags.metrics_bind,
                  "host:port of /metrics and /healthz, port 0 for any free port (overrides "
                  "metrics.bind, and metrics.enabled: false)");
  run->add_option("--log-format", flags.log_format, "text or json (overrides logging.format)")
      ->check(CLI::IsMember({"text", "json"}));
  return run;
}

int RunService(const RunFlags& flags) {
  common::Result<config::Config> loaded = config::LoadConfigFile(flags.config_path);
  if (!loaded) {
    fmt::print(stderr, "{}\n", loaded.error().message);
    return 2;
  }
  config::Config config = *std::move(loaded);
  // Reloads compare the file with the file: constructed before the flags below change `config`.
  ConfigReloader reloader(flags.config_path, config, kConfigCheckEvery, Clock::now());
  common::Result<detector::CompiledTuning> tuning =
      detector::CompiledTuning::Compile(config.tuning);
  if (!tuning) {
    fmt::print(stderr, "{}: detection.{}\n", flags.config_path, tuning.error().message);
    return 2;
  }
  if (flags.brokers) config.kafka.brokers = *flags.brokers;
  if (flags.state_dir) config.state.dir = *flags.state_dir;
  if (config.kafka.brokers.empty()) {
    fmt::print(stderr, "{}: kafka.brokers is required for trailsight run (or --brokers)\n",
               flags.config_path);
    return 2;
  }

  if (flags.log_format) {
    config.logging.format =
        config::ParseLogFormat(*flags.log_format).value_or(config.logging.format);
  }
  if (config.logging.format == config::LogFormat::kJson) ops::UseJsonLogs();
  if (flags.metrics_bind) {
    common::Result<config::BindAddress> bind = config::ParseBindAddress(*flags.metrics_bind);
    if (!bind) {
      fmt::print(stderr, "--metrics-bind: {}\n", bind.error().message);
      return 2;
    }
    config.metrics = {.enabled = true, .bind = *std::move(bind)};
  }

  std::signal(SIGTERM, RequestStop);
  std::signal(SIGINT, RequestStop);
  std::signal(SIGHUP, RequestReload);

  // First, so that a second instance on the same state folder is refused before it binds a
  // port or touches a topic.
  auto store = SnapshotStore::Open(config.state.dir, config.state.keep);
  if (!store) {
    spdlog::error("run: {}", store.error().message);
    return 1;
  }

  // Serves from here on, so /healthz says "starting" while the state loads.
  ServiceMetrics metrics(Clock::now());
  ops::ServiceHealth health;
  std::unique_ptr<ops::HttpEndpoint> endpoint;
  if (config.metrics.enabled) {
    auto started = ops::HttpEndpoint::Start(
        {.host = config.metrics.bind.host, .port = config.metrics.bind.port}, metrics.registry(),
        health);
    if (!started) {
      spdlog::error("run: {}", started.error().message);
      return 1;
    }
    endpoint = *std::move(started);
    spdlog::info("metrics: serving /metrics and /healthz on http://{}", endpoint->address());
  }

  // Production brokers create no topic on first use: the outputs are created here.
  if (common::Status topics = EnsureServiceTopics(config); !topics) {
    spdlog::error("run: {}", topics.error().message);
    return 1;
  }
  auto dead_letters = consumers::FileDeadLetterSink::Create(config.input.dead_letter_path);
  auto publisher = alerts::KafkaFindingPublisher::Create({.brokers = config.kafka.brokers,
                                                          .topic = config.kafka.insights_topic,
                                                          .properties = config.kafka.properties});
  // Tamper alerts and the OCSF mirror of every insight.
  auto alerts_publisher =
      alerts::KafkaFindingPublisher::Create({.brokers = config.kafka.brokers,
                                             .topic = config.kafka.alerts_topic,
                                             .properties = config.kafka.properties});
  for (const common::Error* error :
       {dead_letters ? nullptr : &dead_letters.error(), publisher ? nullptr : &publisher.error(),
        alerts_publisher ? nullptr : &alerts_publisher.error()}) {
    if (error != nullptr) {
      spdlog::error("run: {}", error->message);
      return 1;
    }
  }

  alerts::OcsfKafkaSink ocsf(**alerts_publisher);
  alerts::MirroredFindingSink findings(**publisher, ocsf);
  // With a keyed input, the state moves with its partitions through the changelog.
  std::unique_ptr<kafka::ChangelogWriter> changelog_writer;
  std::unique_ptr<KafkaChangelog> changelog;
  if (config.kafka.input_keyed_by_account_region) {
    common::Result<std::string> instance = (*store)->InstanceId();
    if (!instance) {
      spdlog::error("run: {}", instance.error().message);
      return 1;
    }
    auto writer =
        kafka::ChangelogWriter::Create({.brokers = config.kafka.brokers,
                                        .topic = config.kafka.changelog_topic,
                                        .transactional_id = config.kafka.group_id + "-" + *instance,
                                        .properties = config.kafka.properties});
    if (!writer) {
      spdlog::error("run: {}", writer.error().message);
      return 1;
    }
    changelog_writer = *std::move(writer);
    changelog = std::make_unique<KafkaChangelog>(
        *changelog_writer, kafka::ChangelogReadOptions{.brokers = config.kafka.brokers,
                                                       .topic = config.kafka.changelog_topic,
                                                       .properties = config.kafka.properties});
  }
  common::StringInterner interner({.max_strings = config.input.max_interned_strings,
                                   .max_bytes = config.input.max_interned_bytes});
  detector::TamperRules tamper(config.tamper, interner);
  // One detector for the whole input, or one per partition of an input keyed by account and
  // region (restored when assigned).
  PartitionDetectors detectors({.options = config.detector,
                                .interner = &interner,
                                .findings = &findings,
                                .alerts = &ocsf,  // silent sources
                                .close_listener = &metrics,
                                .changelog = changelog.get()},
                               config.kafka.input_keyed_by_account_region, *std::move(tuning));
  std::vector<consumers::PartitionOffset> resume;
  if (std::optional<Snapshot> snapshot = (*store)->LoadNewest()) {
    // What the trail buckets are holds whether or not the counts can be restored.
    for (const std::string& bucket : snapshot->trail_buckets) tamper.Learn(bucket);
    if (detectors.per_partition()) {
      spdlog::info(
          "state: {} learned trail buckets and the state of {} partitions, each "
          "restored when it is assigned",
          snapshot->trail_buckets.size(), snapshot->partitions.size());
      detectors.Seed(std::move(snapshot->partitions));
    } else if (common::Status restored = detectors.LoadWhole(snapshot->detector_state); restored) {
      resume = std::move(snapshot->offsets);
      spdlog::info("state: restored {} keys and {} learned trail buckets, resuming {} partitions",
                   detectors.key_count(), snapshot->trail_buckets.size(), resume.size());
    } else {
      spdlog::warn("state: {}; starting fresh", restored.error().message);
    }
  } else {
    spdlog::info("state: no snapshot in {}; starting fresh", config.state.dir);
  }

  // With a keyed input, trail buckets learned on any instance are known to all.
  std::unique_ptr<kafka::ChangelogTail> global_tail;
  std::unique_ptr<GlobalTable> global;
  if (config.kafka.input_keyed_by_account_region) {
    auto tail = kafka::ChangelogTail::Open({.brokers = config.kafka.brokers,
                                            .topic = config.kafka.global_topic,
                                            .properties = config.kafka.properties},
                                           0);
    if (!tail) {
      spdlog::error("run: {}", tail.error().message);
      return 1;
    }
    global_tail = *std::move(tail);
    global = std::make_unique<GlobalTable>(
        config.kafka.global_topic,
        [&](std::chrono::milliseconds timeout,
            const GlobalTable::Visit& visit) -> common::Result<std::size_t> {
          common::Result<kafka::ChangelogReadStats> read = global_tail->Read(timeout, visit);
          if (!read) return read.error();
          return read->records;
        },
        tamper);
    if (common::Status read = global->Load(kGlobalLoadTimeout); !read) {
      spdlog::error("run: {}", read.error().message);
      return 1;
    }
  }
  ServiceState state(detectors, tamper, global.get());
  KafkaOutput insights_output(**publisher);
  KafkaOutput alerts_output(**alerts_publisher);
  Checkpointer checkpointer(state, {&insights_output, &alerts_output}, **store, std::move(resume),
                            changelog.get());
  AssignmentCounter assignments(checkpointer);  // counts partitions, then the Checkpointer
  auto source = consumers::KafkaSource::Create(
      {.brokers = config.kafka.brokers,
       .group_id = config.kafka.group_id,
       .topics = config.kafka.topics,
       .dead_letter_topic = config.kafka.dead_letter_topic,
       .properties = config.kafka.properties,
       .max_record_bytes = config.input.max_record_bytes,
       .future_skew = config.kafka.future_skew,
       .alignment = AlignmentFor(config, flags),
       .keyed_by_account_region = config.kafka.input_keyed_by_account_region},
      interner, **dead_letters, assignments);
  if (!source) {
    spdlog::error("run: {}", source.error().message);
    return 1;
  }
  KafkaInput input(**source);
  checkpointer.set_input(&input);
  if (changelog) changelog->set_source(source->get());
  spdlog::info("run: consuming {} from {}", fmt::join(config.kafka.topics, ","),
               config.kafka.brokers);

  detector::Pipeline pipeline(interner, &tamper, /*detector=*/nullptr, ocsf);
  ServiceFeed feed(pipeline, detectors, **source);
  Clock::time_point last_message = Clock::now();
  Clock::time_point last_idle_tick = Clock::now();
  Clock::time_point last_snapshot = Clock::now();
  while (stop_requested == 0) {
    const std::size_t handled = (*source)->Poll(feed, kPollTimeout);
    if (global) global->Poll();  // facts other instances learned
    if (const std::optional<common::Error>& failed = checkpointer.restore_error()) {
      // Stop as a crash would: the partition's state is unknown, nothing is checkpointed.
      spdlog::error("run: {}; stopping without a checkpoint", failed->message);
      return 1;
    }
    if (changelog_writer != nullptr && changelog_writer->fenced()) {
      // Another process took this instance's transactional id: it owns the state now.
      spdlog::error("run: the state changelog writer was fenced by a newer instance; stopping");
      return 1;
    }
    (*publisher)->Poll();
    (*alerts_publisher)->Poll();
    const Clock::time_point now = Clock::now();
    const bool reload = reload_requested != 0;
    reload_requested = 0;
    if (std::optional<AcceptedReload> reloaded = reloader.Poll(reload, now)) {
      detectors.Retune(reloaded->tuning);  // baselines and open insights are kept
      if (reloaded->tamper) tamper.Reconfigure(*std::move(reloaded->tamper));  // learned kept
    }
    if (handled > 0) last_message = now;
    if (flags.until_caught_up && (*source)->CaughtUp()) {
      spdlog::info("run: input drained");
      break;
    }
    // Caught up and quiet: the wall clock closes minutes, so insights end on time when
    // traffic stops. Never while behind: buffered records would become late. Never while
    // no partition is held: the quiet is then this instance's, not the trails', and judging
    // silence from it would raise a false silent-source alert for every region it knows.
    if (now - last_message >= config.kafka.idle_after &&
        now - last_idle_tick >= config.kafka.idle_after && assignments.held() > 0 &&
        (*source)->Lag() == 0) {
      detectors.OnIdle(WallClock());
      last_idle_tick = now;
    }
    if (now - last_snapshot >= config.state.snapshot_interval) {
      const Clock::time_point capture_start = Clock::now();
      if (checkpointer.Begin()) metrics.ObserveSnapshotCapture(Clock::now() - capture_start);
      last_snapshot = now;
    }
    checkpointer.TryComplete();
    metrics.Update(now, **source, detectors, **publisher,
                   tamper.counters().alerts + detectors.counters().alerts, checkpointer.completed(),
                   assignments.held());
    if (changelog_writer) metrics.UpdateChangelog(*changelog_writer, detectors.restores());
    health.Tick(now, assignments.held() > 0);
  }

  spdlog::info("run: stopping: flushing findings and taking a final snapshot");
  health.MarkStopping();
  const bool completed = checkpointer.CompleteNow();
  const std::size_t keys = detectors.key_count();  // before Close() drops partitions' state
  (*source)->Close();
  const detector::DetectorCounters counts = detectors.counters();
  spdlog::info("run: {} events, {} late dropped, {} keys, {} findings, {} alerts, {} snapshots",
               counts.events, counts.late_dropped, keys, counts.findings, tamper.counters().alerts,
               checkpointer.completed());
  return completed ? 0 : 1;
}

}  // namespace trailsight::app
