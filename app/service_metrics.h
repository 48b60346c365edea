#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "alerts/kafka_publisher.h"
#include "app/partition_detectors.h"
#include "app/rekeyer.h"
#include "consumers/kafka_source.h"
#include "detector/detector.h"
#include "kafka/state_changelog.h"
#include "ops/metrics.h"

namespace trailsight::app {

// Forwards rebalance callbacks to `next` (the Checkpointer) and keeps how many partitions
// the consumer holds, for the metrics and /healthz. Counts what each callback names, so it
// is right for eager (everything revoked, then the new set assigned) and cooperative
// (increments) rebalancing alike. Called on the service thread, as KafkaSource promises.
class AssignmentCounter final : public consumers::RebalanceListener {
 public:
  explicit AssignmentCounter(consumers::RebalanceListener& next) : next_(next) {}

  std::vector<consumers::PartitionOffset> OnAssign(
      const std::vector<consumers::PartitionOffset>& partitions) override {
    held_ += partitions.size();
    return next_.OnAssign(partitions);
  }
  void OnRevoke(const std::vector<consumers::PartitionOffset>& partitions) override {
    next_.OnRevoke(partitions);
    held_ -= std::min(held_, partitions.size());
  }

  std::size_t held() const { return held_; }

 private:
  consumers::RebalanceListener& next_;  // outlives this listener: both live in RunService
  std::size_t held_ = 0;
};

// The numbers of `trailsight run` as Prometheus metrics (docs/operations.md lists them),
// and where each is read from. The components keep their own plain counters; the service
// loop calls Update() once per iteration, which copies a few dozen numbers into the
// registry's atomics: no work per event, and nothing the components must know about.
//
// Thread safety: Update() and ObserveSnapshotCapture() on the service thread; registry()
// is rendered by the HTTP endpoint's threads.
class ServiceMetrics final : public detector::CloseListener {
 public:
  using Clock = std::chrono::steady_clock;

  // Registers every metric. Until the first snapshot completes, the snapshot age counts
  // from `started`.
  explicit ServiceMetrics(Clock::time_point started);

  const ops::MetricsRegistry& registry() const { return registry_; }

  // Copies the components' counters and gauges in. `input` reads the input topics and
  // `keyed` the topic the state is kept for: the same source for an input keyed by account
  // and region, else the re-keying consumer and the repartition topic's. The messages, bad
  // records and dead letters are the input's, the events those handed to the detectors, and
  // the partitions' lags and late records both's. `alerts_published` counts the alerts
  // raised so far, `snapshots_completed` the snapshots written (a rise restarts the
  // snapshot age at `now`), `partitions_held` the keyed partitions held, and
  // `dead_letter_file_lost` the dead letters the dead-letter file did not take
  // (FileDeadLetterSink::lost()).
  void Update(Clock::time_point now, const consumers::KafkaSource& input,
              const consumers::KafkaSource& keyed, const PartitionDetectors& detectors,
              const alerts::KafkaFindingPublisher& publisher, std::uint64_t alerts_published,
              std::uint64_t snapshots_completed, std::size_t partitions_held,
              std::uint64_t dead_letter_file_lost);

  // Copies the state changelog's counters in, and how many partitions are restoring.
  void UpdateChangelog(const kafka::ChangelogWriter& writer,
                       const PartitionDetectors::RestoreCounters& restores, std::size_t restoring);

  // Copies the re-keying's counters in (an input not declared keyed).
  void UpdateRekeying(const RekeyerCounters& rekeying);

  // Records how long capturing a snapshot's state took: the loop stands still meanwhile.
  void ObserveSnapshotCapture(Clock::duration took);

  // Times each minute close of the detector (set with Detector::SetCloseListener): one
  // clock read at each end of a close, none per event.
  void OnCloseBegin() override { close_started_ = Clock::now(); }
  void OnCloseEnd(std::size_t /*keys*/) override {
    minute_close_.Observe(std::chrono::duration<double>(Clock::now() - close_started_).count());
  }

 private:
  ops::MetricsRegistry registry_;
  ops::Histogram& minute_close_;
  Clock::time_point close_started_{};
  // Input (consumers::KafkaSourceCounters).
  ops::Counter& messages_in_;
  ops::Counter& events_in_;
  ops::Counter& parse_errors_;
  ops::Counter& future_events_;
  ops::Counter& early_events_;
  ops::Counter& oversized_fields_;
  ops::Counter& values_cut_;
  ops::Counter& dead_letters_lost_;
  ops::Counter& broker_errors_;
  ops::Counter& commit_errors_;
  ops::Counter& fetch_wakes_;
  ops::Gauge& consumer_lag_;
  ops::GaugeFamily& partition_lag_;
  ops::GaugeFamily& partition_late_;
  ops::Gauge& held_records_;
  ops::Gauge& paused_partitions_;
  ops::Counter& misrouted_;
  ops::Counter& handed_before_;
  ops::Gauge& partitions_;
  // Detection (detector::Detector).
  ops::Counter& late_dropped_;
  ops::Counter& far_ahead_held_;
  ops::Counter& far_ahead_dropped_;
  ops::Gauge& active_keys_;
  ops::Gauge& open_insights_;
  // Output (alerts::KafkaFindingPublisher, the alert sources).
  ops::Counter& findings_published_;
  ops::Counter& findings_acknowledged_;
  ops::Counter& publish_errors_;
  ops::Counter& publish_retries_;
  ops::Counter& producer_restarts_;
  ops::Gauge& findings_unacknowledged_;
  ops::Counter& alerts_published_;
  // State (the Checkpointer).
  ops::Counter& snapshots_;
  ops::Gauge& snapshot_age_;
  ops::Histogram& snapshot_capture_;
  // The state changelog (kafka::ChangelogWriter, PartitionDetectors::restores()).
  ops::Counter& changelog_transactions_;
  ops::Counter& changelog_failed_;
  ops::Counter& changelog_records_;
  ops::Counter& changelog_bytes_;
  ops::Counter& restored_from_cache_;
  ops::Counter& restored_from_changelog_;
  ops::Gauge& changelog_restore_seconds_;
  ops::Gauge& partitions_restoring_;
  // Re-keying (Rekeyer).
  ops::Counter& rekeyed_records_;
  ops::Counter& rekey_failed_commits_;

  std::uint64_t snapshots_seen_ = 0;
  Clock::time_point last_snapshot_;
  std::vector<consumers::PartitionLag> lags_, input_lags_;  // reused by Update()
  std::array<char, 16> partition_text_{};                   // a partition number, as a label value
};

}  // namespace trailsight::app
