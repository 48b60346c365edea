#include "app/service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>
#include <utility>

#include "alerts/kafka_publisher.h"
#include "alerts/ocsf_sink.h"
#include "app/checkpointer.h"
#include "app/config_reload.h"
#include "app/dead_letters.h"
#include "app/global_table.h"
#include "app/partition_detectors.h"
#include "app/rekey_ceiling.h"
#include "app/rekeyer.h"
#include "app/service_metrics.h"
#include "app/service_parts.h"
#include "app/service_topics.h"
#include "app/snapshot_store.h"
#include "consumers/dead_letter_file.h"
#include "consumers/encoded_event.h"
#include "consumers/kafka_source.h"
#include "detector/detector.h"
#include "detector/pipeline.h"
#include "detector/tamper_rules.h"
#include "kafka/state_changelog.h"
#include "ops/health.h"
#include "ops/http_endpoint.h"

namespace trailsight::app {
// The rest of the service's own parts (app/service_parts.h has the adapters).
namespace service_parts {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kPollTimeout{100};
constexpr std::chrono::seconds kGlobalLoadTimeout{60};  // reading the global table at start

common::Seconds WallClock() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

// Whether `source` has read every partition of `topic` up to `ends` (the high watermarks
// asked once the last re-keyed records were committed): the re-keyed input is drained.
bool ReachedEnds(const consumers::KafkaSource& source, const std::vector<std::int64_t>& ends) {
  std::vector<std::int64_t> reached(ends.size(), 0);
  for (const consumers::PartitionOffset& position : source.Positions()) {
    if (position.partition >= 0 && static_cast<std::size_t>(position.partition) < ends.size()) {
      reached[static_cast<std::size_t>(position.partition)] = position.offset;
    }
  }
  for (std::size_t partition = 0; partition < ends.size(); ++partition) {
    if (reached[partition] < ends[partition]) return false;
  }
  return true;
}

// Whether another process took the transactional id of `writer` (the `name` one): it owns
// what this instance was writing now, so the service must stop. Logged once, here.
bool Fenced(const kafka::ChangelogWriter& writer, std::string_view name) {
  if (!writer.fenced()) return false;
  spdlog::error("run: the {} writer was fenced by a newer instance; stopping", name);
  return true;
}

// Partitions are read a minute at a time (the detector's unit), or in half the allowed
// lateness when that is shorter, so that no partition can make another's records late.
consumers::AlignmentOptions AlignmentFor(const config::Config& config, bool idle_at_end) {
  const std::chrono::seconds half_lateness = config.detector.allowed_lateness / 2;
  return {.step = std::clamp<std::chrono::seconds>(half_lateness, std::chrono::seconds{1},
                                                   std::chrono::minutes{1}),
          .idle_timeout = config.kafka.partition_idle_timeout,
          .idle_at_end = idle_at_end,
          .max_time_jump = config.detector.max_time_jump};
}

}  // namespace service_parts

using service_parts::AlignmentFor;
using service_parts::Clock;
using service_parts::Fenced;
using service_parts::KafkaChangelog;
using service_parts::KafkaRekeyCommitter;
using service_parts::kGlobalLoadTimeout;
using service_parts::kPollTimeout;
using service_parts::ReachedEnds;
using service_parts::RekeyInput;
using service_parts::ServiceFeed;
using service_parts::ServiceState;
using service_parts::WallClock;

// Every part of the service, declared in the order Start() builds them: destroyed in reverse,
// the consumer (whose Close() runs the last revoke's checkpoint) before what it uses.
struct Service::Parts {
  config::Config config;
  bool until_caught_up = false;
  std::unique_ptr<ConfigReloader> reloader;
  std::unique_ptr<SnapshotStore> store;
  std::unique_ptr<ServiceMetrics> metrics;
  std::unique_ptr<ops::ServiceHealth> health;
  std::unique_ptr<ops::HttpEndpoint> endpoint;
  std::unique_ptr<consumers::FileDeadLetterSink> dead_letters;
  std::unique_ptr<alerts::KafkaFindingPublisher> publisher;
  std::unique_ptr<alerts::KafkaFindingPublisher> alerts_publisher;  // tamper alerts, OCSF mirrors
  std::unique_ptr<alerts::OcsfKafkaSink> ocsf;
  std::unique_ptr<alerts::MirroredFindingSink> findings;
  std::unique_ptr<kafka::ChangelogWriter> changelog_writer;  // keyed input only
  std::unique_ptr<KafkaChangelog> changelog;
  std::unique_ptr<common::StringInterner> interner;
  std::unique_ptr<detector::TamperRules> tamper;
  std::unique_ptr<detector::AccountFacts> account_facts;  // the global table shares them
  std::unique_ptr<detector::NoveltyRules> novelty;
  std::unique_ptr<PartitionDetectors> detectors;
  std::unique_ptr<kafka::ChangelogTail> global_tail;  // keyed input only
  std::unique_ptr<GlobalTable> global;
  std::unique_ptr<ServiceState> state;
  std::unique_ptr<KafkaOutput> insights_output;
  std::unique_ptr<KafkaOutput> alerts_output;
  std::unique_ptr<Checkpointer> checkpointer;
  std::unique_ptr<AssignmentCounter> assignments;  // counts partitions, then the Checkpointer
  std::unique_ptr<consumers::KafkaSource> source;
  std::unique_ptr<KafkaInput> input;
  // Re-keying, for an input not declared keyed by (account, region): its own consumer in the
  // group, reading the input, and its own transactional writer to the repartition topic.
  // `source` then reads the repartition topic.
  std::unique_ptr<kafka::ChangelogWriter> rekey_writer;
  std::unique_ptr<KafkaRekeyCommitter> rekey_committer;
  std::unique_ptr<RekeyInput> rekey_input;
  std::unique_ptr<Rekeyer> rekeyer;
  std::unique_ptr<consumers::KafkaSource> rekey_source;
  std::unique_ptr<RekeyCeiling> rekey_ceiling;
  std::vector<consumers::SourceMark> rekey_marks;       // reused by SetRekeyCeiling
  std::vector<consumers::SourcePartition> rekey_owned;  // reused by SetRekeyCeiling
  std::optional<std::vector<std::int64_t>> drain_ends;  // until_caught_up: the keyed topic's
  bool busy = false;  // the last turn handled messages: poll without waiting
  std::unique_ptr<detector::Pipeline> pipeline;
  std::unique_ptr<ServiceFeed> feed;
  Clock::time_point last_message, last_idle_tick, last_snapshot;

  int keyed_partitions = 0;  // partitions of the topic the state is kept for

  common::Status Build(detector::CompiledTuning tuning);
  common::Status BuildChangelog();
  common::Status BuildRekeying(std::size_t input_partitions);
  void SetRekeyCeiling();
  bool Drained();
  std::vector<consumers::PartitionOffset> LoadSnapshot();
  common::Status BuildGlobalTable();
};

Service::Service(Options options) : parts_(std::make_unique<Parts>()) {
  parts_->config = std::move(options.config);
  parts_->until_caught_up = options.until_caught_up;
  parts_->reloader = std::move(options.reloader);
}

Service::~Service() = default;

common::Result<std::unique_ptr<Service>> Service::Start(Options options) {
  detector::CompiledTuning tuning = std::move(options.tuning);
  std::unique_ptr<Service> service(new Service(std::move(options)));
  if (common::Status built = service->parts_->Build(std::move(tuning)); !built) {
    return built.error();
  }
  return service;
}

common::Status Service::Parts::Build(detector::CompiledTuning tuning) {
  // First, so that a second instance on the same state folder is refused before it binds a
  // port or touches a topic.
  auto opened = SnapshotStore::Open(config.state.dir, config.state.keep);
  if (!opened) return opened.error();
  store = *std::move(opened);

  // Serves from here on, so /healthz says "starting" while the state loads.
  metrics = std::make_unique<ServiceMetrics>(Clock::now());
  health = std::make_unique<ops::ServiceHealth>();
  if (config.metrics.enabled) {
    auto started = ops::HttpEndpoint::Start(
        {.host = config.metrics.bind.host, .port = config.metrics.bind.port}, metrics->registry(),
        *health);
    if (!started) return started.error();
    endpoint = *std::move(started);
    spdlog::info("metrics: serving /metrics and /healthz on http://{}", endpoint->address());
  }

  // Production brokers create no topic on first use: the outputs are created here.
  common::Result<ServiceTopics> topics = EnsureServiceTopics(config);
  if (!topics) return topics.error();
  keyed_partitions = topics->keyed_partitions;
  auto letters = consumers::FileDeadLetterSink::Create(config.input.dead_letter_path,
                                                       DeadLetterFileOptionsFor(config.input));
  if (!letters) return letters.error();
  dead_letters = *std::move(letters);
  for (auto [topic, out] : {std::pair{&config.kafka.insights_topic, &publisher},
                            std::pair{&config.kafka.alerts_topic, &alerts_publisher}}) {
    auto created = alerts::KafkaFindingPublisher::Create(
        {.brokers = config.kafka.brokers, .topic = *topic, .properties = config.kafka.properties});
    if (!created) return created.error();
    *out = *std::move(created);
  }
  ocsf = std::make_unique<alerts::OcsfKafkaSink>(*alerts_publisher);
  findings = std::make_unique<alerts::MirroredFindingSink>(*publisher, *ocsf);
  if (common::Status built = BuildChangelog(); !built) return built;

  interner = std::make_unique<common::StringInterner>(
      common::InternerLimits{.max_strings = config.input.max_interned_strings,
                             .max_bytes = config.input.max_interned_bytes});
  tamper = std::make_unique<detector::TamperRules>(config.tamper, *interner);
  account_facts = std::make_unique<detector::AccountFacts>(*interner);
  novelty = std::make_unique<detector::NoveltyRules>(config.novelty, *interner, *account_facts);
  // One detector per partition of the keyed topic (restored when assigned).
  detectors = std::make_unique<PartitionDetectors>(
      PartitionDetectors::Wiring{.options = config.detector,
                                 .interner = interner.get(),
                                 .findings = findings.get(),
                                 .alerts = ocsf.get(),  // silent sources
                                 .close_listener = metrics.get(),
                                 .changelog = changelog.get()},
      std::move(tuning));
  std::vector<consumers::PartitionOffset> resume = LoadSnapshot();
  if (common::Status built = BuildGlobalTable(); !built) return built;

  state = std::make_unique<ServiceState>(*detectors, *tamper, global.get());
  insights_output = std::make_unique<KafkaOutput>(*publisher);
  alerts_output = std::make_unique<KafkaOutput>(*alerts_publisher);
  checkpointer = std::make_unique<Checkpointer>(
      *state, std::vector<CheckpointedOutput*>{insights_output.get(), alerts_output.get()}, *store,
      std::move(resume), changelog.get());
  assignments = std::make_unique<AssignmentCounter>(*checkpointer);
  const bool rekeying = !config.kafka.input_keyed_by_account_region;
  consumers::AlignmentOptions keyed_alignment = AlignmentFor(config, until_caught_up || rekeying);
  if (rekeying) {
    // Each repartition partition is read as the input partitions its records came from.
    keyed_alignment.merge_sources = true;
    keyed_alignment.sources = std::move(topics->inputs);
  }
  auto created = consumers::KafkaSource::Create(
      {.brokers = config.kafka.brokers,
       .group_id = config.kafka.group_id,
       .topics = rekeying ? std::vector<std::string>{config.kafka.repartition_topic}
                          : config.kafka.topics,
       .dead_letter_topic = config.kafka.dead_letter_topic,
       .properties = config.kafka.properties,
       .max_record_bytes = config.input.max_record_bytes,
       .dead_letter_redact = config.input.dead_letter_redact,
       .future_skew = config.kafka.future_skew,
       .min_event_time = config.input.min_event_time,
       // Re-keyed: every (account, region) is on one repartition partition, merged there
       // from its input partitions by their source marks, so a partition read to its end
       // holds the others back only as its sources do: many pairs hash to few partitions,
       // and an empty one would stop the rest for the idle timeout.
       .alignment = keyed_alignment,
       .keyed_by_account_region = true,
       .encoded_events = rekeying},
      *interner, *dead_letters, *assignments);
  if (!created) return created.error();
  source = *std::move(created);
  input = std::make_unique<KafkaInput>(*source);
  checkpointer->set_input(input.get());
  changelog->set_source(source.get());
  if (rekeying) {
    if (common::Status built = BuildRekeying(keyed_alignment.sources.size()); !built) return built;
  }
  spdlog::info("run: consuming {} from {}{}", fmt::join(config.kafka.topics, ","),
               config.kafka.brokers,
               rekeying ? fmt::format(", re-keyed through {}", config.kafka.repartition_topic)
                        : std::string(" (keyed by account and region)"));

  pipeline = std::make_unique<detector::Pipeline>(*interner, tamper.get(), novelty.get(),
                                                  /*detector=*/nullptr, *ocsf);
  feed = std::make_unique<ServiceFeed>(*pipeline, *detectors, *source);
  last_message = last_idle_tick = last_snapshot = Clock::now();
  return common::Ok();
}

// The state moves with its partitions through the changelog.
common::Status Service::Parts::BuildChangelog() {
  common::Result<std::string> instance = store->InstanceId();
  if (!instance) return instance.error();
  auto writer =
      kafka::ChangelogWriter::Create({.brokers = config.kafka.brokers,
                                      .topic = config.kafka.changelog_topic,
                                      .transactional_id = config.kafka.group_id + "-" + *instance,
                                      .properties = config.kafka.properties});
  if (!writer) return writer.error();
  changelog_writer = *std::move(writer);
  changelog = std::make_unique<KafkaChangelog>(
      *changelog_writer, kafka::ChangelogReadOptions{.brokers = config.kafka.brokers,
                                                     .topic = config.kafka.changelog_topic,
                                                     .properties = config.kafka.properties});
  return common::Ok();
}

// The input's own consumer and the transactional writer that re-key it.
common::Status Service::Parts::BuildRekeying(std::size_t input_partitions) {
  common::Result<std::string> instance = store->InstanceId();
  if (!instance) return instance.error();
  auto writer = kafka::ChangelogWriter::Create(
      {.brokers = config.kafka.brokers,
       .topic = config.kafka.repartition_topic,
       .transactional_id = config.kafka.group_id + "-" + *instance + "-rekey",
       .properties = config.kafka.properties});
  if (!writer) return writer.error();
  rekey_writer = *std::move(writer);
  rekey_committer = std::make_unique<KafkaRekeyCommitter>(*rekey_writer);
  rekey_input = std::make_unique<RekeyInput>();
  // What a repartition partition buffers before it is paused (PartitionAligner::PausesDue).
  rekey_ceiling = std::make_unique<RekeyCeiling>(
      consumers::AlignmentOptions{}.pause_above * std::max<std::size_t>(input_partitions, 1),
      keyed_partitions);
  rekeyer = std::make_unique<Rekeyer>(
      Rekeyer::Options{.topic = config.kafka.repartition_topic,
                       .partitions = keyed_partitions,
                       .marks_refresh = std::chrono::duration_cast<std::chrono::milliseconds>(
                           config.kafka.partition_idle_timeout / 3)},
      *interner, *rekey_committer, *rekey_input);
  auto created =
      consumers::KafkaSource::Create({.brokers = config.kafka.brokers,
                                      .group_id = config.kafka.group_id,
                                      .topics = config.kafka.topics,
                                      .dead_letter_topic = config.kafka.dead_letter_topic,
                                      .properties = config.kafka.properties,
                                      .max_record_bytes = config.input.max_record_bytes,
                                      .dead_letter_redact = config.input.dead_letter_redact,
                                      .future_skew = config.kafka.future_skew,
                                      .min_event_time = config.input.min_event_time,
                                      .alignment = AlignmentFor(config, until_caught_up)},
                                     *interner, *dead_letters, *rekeyer);
  if (!created) return created.error();
  rekey_source = *std::move(created);
  rekey_committer->set_source(rekey_source.get());
  rekey_input->set_source(rekey_source.get());
  return common::Ok();
}

// The newest snapshot's state, a cache of each partition's (used when the partition is
// assigned at the offset it was kept at). Returns no offsets: each partition's are with its
// state.
std::vector<consumers::PartitionOffset> Service::Parts::LoadSnapshot() {
  std::optional<Snapshot> snapshot = store->LoadNewest();
  if (!snapshot) {
    spdlog::info("state: no snapshot in {}; starting fresh", config.state.dir);
    return {};
  }
  for (const std::string& bucket : snapshot->trail_buckets) tamper->Learn(bucket);
  if (snapshot->partitions.empty() && !snapshot->detector_state.empty()) {
    // One state for a whole input (`trailsight replay --state-out`): split by the pairs'
    // repartition partitions, a seed for each that nobody has read yet.
    if (config.kafka.input_keyed_by_account_region) {
      spdlog::warn(
          "state: the snapshot in {} holds one state for a whole input, which cannot be split "
          "by the partitions of an input keyed by its producer; starting fresh",
          config.state.dir);
      return {};
    }
    common::Result<std::size_t> seeded =
        detectors->SeedWhole(snapshot->detector_state, config.kafka.repartition_topic,
                             [this](std::string_view account, std::string_view region) {
                               return consumers::RepartitionOf(account, region, keyed_partitions);
                             });
    if (!seeded) {
      spdlog::warn("state: {}; starting fresh", seeded.error().message);
      return {};
    }
    spdlog::info(
        "state: {} learned trail buckets and one state for the whole input, split into seeds "
        "for {} partitions of {}, each used if the group has not read its partition yet",
        snapshot->trail_buckets.size(), *seeded, config.kafka.repartition_topic);
    return {};
  }
  spdlog::info(
      "state: {} learned trail buckets and the state of {} partitions, each "
      "restored when it is assigned",
      snapshot->trail_buckets.size(), snapshot->partitions.size());
  detectors->Seed(std::move(snapshot->partitions));
  return {};
}

// Trail buckets learned on any instance are known to all.
common::Status Service::Parts::BuildGlobalTable() {
  auto tail = kafka::ChangelogTail::Open({.brokers = config.kafka.brokers,
                                          .topic = config.kafka.global_topic,
                                          .properties = config.kafka.properties},
                                         0);
  if (!tail) return tail.error();
  global_tail = *std::move(tail);
  global = std::make_unique<GlobalTable>(
      config.kafka.global_topic,
      [this](std::chrono::milliseconds timeout,
             const GlobalTable::Visit& visit) -> common::Result<std::size_t> {
        common::Result<kafka::ChangelogReadStats> read = global_tail->Read(timeout, visit);
        if (!read) return read.error();
        return read->records;
      },
      *tamper, account_facts.get());
  return global->Load(kGlobalLoadTimeout);
}

// The input is re-keyed at most a drift past the slowest input partition (app/rekey_ceiling.h).
void Service::Parts::SetRekeyCeiling() {
  rekey_source->SourceMarks(rekey_marks);
  rekey_owned.clear();
  for (const consumers::SourceMark& mark : rekey_marks) {
    rekey_owned.push_back({std::string(mark.topic), mark.partition});
  }
  rekey_source->SetCeiling(rekey_ceiling->Compute(rekey_marks, source->SlowestSource(rekey_owned),
                                                  rekeyer->counters().records));
}

// The re-keyed input is drained once the input is read to its end and committed, and the
// repartition topic is read to where that commit left it.
bool Service::Parts::Drained() {
  if (!source->CaughtUp()) return false;
  if (rekey_source == nullptr) return true;
  if (!rekey_source->CaughtUp() || rekeyer->pending()) {
    drain_ends.reset();
    return false;
  }
  if (!drain_ends) {
    common::Result<std::vector<std::int64_t>> ends = source->EndOffsets(
        config.kafka.repartition_topic, keyed_partitions, std::chrono::seconds{10});
    if (!ends) {
      spdlog::warn("run: {}; asking again", ends.error().message);
      return false;
    }
    drain_ends = *std::move(ends);
  }
  return ReachedEnds(*source, *drain_ends);
}

Service::Step Service::RunOnce(bool reload) {
  Parts& p = *parts_;
  std::size_t handled = 0;
  if (p.rekey_source != nullptr) {
    p.SetRekeyCeiling();
    // Each consumer waits only while the other has nothing either: the re-keyed records come
    // back only once committed, so waiting for them while the input has more would throttle
    // both to one poll timeout per turn.
    handled +=
        p.rekey_source->Poll(*p.rekeyer, p.busy ? std::chrono::milliseconds{0} : kPollTimeout / 2);
    p.rekeyer->CommitIfDue(Clock::now());
    if (const std::optional<common::Error>& failed = p.rekeyer->failure()) {
      spdlog::error("run: {}; stopping without a checkpoint", failed->message);
      return Step::kFailed;
    }
    if (Fenced(*p.rekey_writer, "re-keying")) return Step::kFailed;
  }
  const std::uint64_t marks_before = p.source->counters().source_marks;
  handled += p.source->Poll(*p.feed, p.rekey_source == nullptr ? kPollTimeout
                                     : handled > 0             ? std::chrono::milliseconds{0}
                                                               : kPollTimeout / 2);
  p.busy = handled > 0;
  // Source marks (written again while an instance re-keys, app/rekeyer.h) are no traffic.
  const std::uint64_t marks = p.source->counters().source_marks - marks_before;
  if (p.global) p.global->Poll();  // facts other instances learned
  p.checkpointer->PollRestores();  // partitions whose state is loaded go on
  if (const std::optional<common::Error>& failed = p.checkpointer->restore_error()) {
    // Stop as a crash would: the partition's state is unknown, nothing is checkpointed.
    spdlog::error("run: {}; stopping without a checkpoint", failed->message);
    return Step::kFailed;
  }
  if (Fenced(*p.changelog_writer, "state changelog")) return Step::kFailed;
  p.publisher->Poll();
  p.alerts_publisher->Poll();
  const Clock::time_point now = Clock::now();
  if (std::optional<AcceptedReload> reloaded = p.reloader->Poll(reload, now)) {
    p.detectors->Retune(reloaded->tuning);  // baselines and open insights are kept
    if (reloaded->tamper) p.tamper->Reconfigure(*std::move(reloaded->tamper));  // learned kept
    if (reloaded->novelty) p.novelty->Reconfigure(*reloaded->novelty);          // facts kept
  }
  if (handled > marks) p.last_message = now;
  if (p.until_caught_up && p.Drained()) {
    spdlog::info("run: input drained");
    return Step::kDrained;
  }
  // Caught up and quiet: the wall clock closes minutes, so insights end on time when
  // traffic stops. Never while behind: buffered records would become late. Never while
  // no partition is held: the quiet is then this instance's, not the trails', and judging
  // silence from it would raise a false silent-source alert for every region it knows.
  if (now - p.last_message >= p.config.kafka.idle_after &&
      now - p.last_idle_tick >= p.config.kafka.idle_after && p.assignments->held() > 0 &&
      p.source->Lag() == 0 &&
      (p.rekey_source == nullptr || (p.rekey_source->Lag() == 0 && !p.rekeyer->pending()))) {
    p.detectors->OnIdle(WallClock());
    p.last_idle_tick = now;
  }
  if (now - p.last_snapshot >= p.config.state.snapshot_interval) {
    const Clock::time_point capture_start = Clock::now();
    if (p.checkpointer->Begin()) p.metrics->ObserveSnapshotCapture(Clock::now() - capture_start);
    p.last_snapshot = now;
  }
  p.checkpointer->TryComplete();
  p.metrics->Update(
      now, p.rekey_source != nullptr ? *p.rekey_source : *p.source, *p.source, *p.detectors,
      *p.publisher,
      p.tamper->counters().alerts + p.novelty->counters().alerts + p.detectors->counters().alerts,
      p.checkpointer->completed(), p.assignments->held(), p.dead_letters->lost());
  p.metrics->UpdateChangelog(*p.changelog_writer, p.detectors->restores(),
                             p.detectors->restoring());
  if (p.rekeyer != nullptr) p.metrics->UpdateRekeying(p.rekeyer->counters());
  p.health->Tick(now, p.assignments->held() > 0);
  return Step::kRunning;
}

int Service::Stop() {
  Parts& p = *parts_;
  spdlog::info("run: stopping: flushing findings and taking a final snapshot");
  p.health->MarkStopping();
  bool completed = true;
  if (p.rekeyer != nullptr) {
    // The records re-keyed so far, with the input offsets they reach; then the input's
    // partitions go (their revoke finds nothing left to commit).
    if (common::Status committed = p.rekeyer->Commit(); !committed) {
      spdlog::error("run: {}", committed.error().message);
      completed = false;
    }
    p.rekey_source->Close();
  }
  completed = p.checkpointer->CompleteNow() && completed;
  const std::size_t keys = p.detectors->key_count();  // before Close() drops partitions' state
  p.source->Close();
  const detector::DetectorCounters counts = p.detectors->counters();
  spdlog::info("run: {} events, {} late dropped, {} keys, {} findings, {} alerts, {} snapshots",
               counts.events, counts.late_dropped, keys, counts.findings,
               p.tamper->counters().alerts + p.novelty->counters().alerts + counts.alerts,
               p.checkpointer->completed());
  return completed ? 0 : 1;
}

}  // namespace trailsight::app
