#include "app/service_metrics.h"

#include <fmt/format.h>

#include <limits>
#include <string_view>

namespace trailsight::app {

ServiceMetrics::ServiceMetrics(Clock::time_point started)
    : minute_close_(registry_.AddHistogram(
          "trailsight_minute_close_duration_seconds",
          "Time to close one account and region's minute: judge its keys, end insights.",
          {0.0001, 0.0005, 0.002, 0.01, 0.05, 0.25, 1})),
      messages_in_(registry_.AddCounter(
          "trailsight_messages_in_total",
          "Kafka messages read from the input topics (one may hold a batch of records).")),
      events_in_(registry_.AddCounter("trailsight_events_in_total",
                                      "CloudTrail records read and handed to the detector.")),
      parse_errors_(registry_.AddCounter(
          "trailsight_parse_errors_total",
          "Messages, or records in a batch, that could not be parsed; each was dead-lettered.")),
      future_events_(registry_.AddCounter(
          "trailsight_future_events_total",
          "Records dated beyond the wall clock plus kafka.future_skew_seconds; dead-lettered.")),
      early_events_(
          registry_.AddCounter("trailsight_early_events_total",
                               "Records dated before input.min_event_time; dead-lettered.")),
      oversized_fields_(registry_.AddCounter(
          "trailsight_oversized_field_records_total",
          "Records with an account, region, eventSource, eventName, errorCode or principal "
          "longer than its bound (docs/config.md, Field bounds); dead-lettered.")),
      values_cut_(registry_.AddCounter(
          "trailsight_field_values_cut_total",
          "userAgent values cut to their bound, and bucket names beyond theirs left out, "
          "before interning.")),
      dead_letters_lost_(registry_.AddCounter(
          "trailsight_dead_letters_lost_total",
          "Dead letters not kept: each one the dead-letter file could not be written with, "
          "and each one the dead-letter topic did not take.")),
      broker_errors_(registry_.AddCounter("trailsight_broker_errors_total",
                                          "Errors librdkafka reported while consuming.")),
      commit_errors_(registry_.AddCounter("trailsight_commit_errors_total",
                                          "Offset commits for the consumer group that failed.")),
      fetch_wakes_(registry_.AddCounter(
          "trailsight_fetch_wakeups_total",
          "Times fetching that librdkafka had parked on a full queue was woken up.")),
      consumer_lag_(registry_.AddGauge(
          "trailsight_consumer_lag",
          "Messages behind the high watermarks, summed over the assigned partitions; NaN "
          "while an offset or a watermark is unknown.")),
      partition_lag_(registry_.AddGaugeFamily(
          "trailsight_consumer_partition_lag",
          "Messages behind the high watermark in one assigned partition; NaN while its offset "
          "or watermark is unknown.",
          {"topic", "partition"})),
      partition_late_(registry_.AddGaugeFamily(
          "trailsight_consumer_partition_late_events",
          "Events of one assigned partition dropped as late (beyond the allowed lateness on "
          "their own account and region's timeline) since it was assigned to this instance.",
          {"topic", "partition"})),
      held_records_(registry_.AddGauge(
          "trailsight_consumer_held_records",
          "Records read but held back until the slower partitions catch up in event time.")),
      paused_partitions_(registry_.AddGauge(
          "trailsight_consumer_paused_partitions",
          "Assigned partitions paused because they are ahead in event time with a full buffer.")),
      misrouted_(registry_.AddCounter(
          "trailsight_consumer_misrouted_records_total",
          "Records found on another partition than their (account, region)'s earlier records, "
          "while kafka.input_keyed_by_account_region declares the input keyed that way.")),
      handed_before_(registry_.AddCounter(
          "trailsight_consumer_handed_before_total",
          "Re-keyed records read again after a restart or a move that were handed over before "
          "it, by the offset commit's metadata, and skipped.")),
      partitions_(registry_.AddGauge("trailsight_assigned_partitions",
                                     "Input partitions this instance holds.")),
      late_dropped_(registry_.AddCounter(
          "trailsight_late_events_dropped_total",
          "Events that arrived after their minute had closed (beyond the allowed lateness).")),
      far_ahead_held_(registry_.AddCounter(
          "trailsight_far_ahead_events_total",
          "Events dated more than 6 hours ahead of their (account, region)'s newest, held "
          "until its timeline reached them.")),
      far_ahead_dropped_(
          registry_.AddCounter("trailsight_far_ahead_events_dropped_total",
                               "Of those, dropped: more held in one region than it may hold.")),
      active_keys_(registry_.AddGauge(
          "trailsight_active_keys",
          "Keys (account, region, eventSource, eventName[, errorCode]) with state.")),
      open_insights_(
          registry_.AddGauge("trailsight_open_insights", "Insights started and not yet ended.")),
      findings_published_(registry_.AddCounter(
          "trailsight_findings_published_total",
          "Insight records (Start and End) handed to the insights topic's producer.")),
      findings_acknowledged_(
          registry_.AddCounter("trailsight_findings_acknowledged_total",
                               "Insight records Kafka acknowledged (each counted once).")),
      publish_errors_(registry_.AddCounter(
          "trailsight_publish_errors_total",
          "Final delivery failures of insight records; each is re-produced until delivered.")),
      publish_retries_(
          registry_.AddCounter("trailsight_publish_retries_total",
                               "Insight records re-produced after a delivery failure.")),
      producer_restarts_(registry_.AddCounter(
          "trailsight_producer_restarts_total",
          "Insights producers re-created after a fatal idempotent-producer error.")),
      findings_unacknowledged_(
          registry_.AddGauge("trailsight_findings_unacknowledged",
                             "Insight records published and not yet acknowledged by Kafka.")),
      alerts_published_(registry_.AddCounter(
          "trailsight_alerts_published_total",
          "Immediate alerts (tamper rules, silent sources) handed to the alerts sink.")),
      snapshots_(registry_.AddCounter("trailsight_snapshots_total",
                                      "Snapshots completed: written, then offsets committed.")),
      snapshot_age_(registry_.AddGauge(
          "trailsight_snapshot_age_seconds",
          "Seconds since the newest snapshot completed (since start, before the first).")),
      snapshot_capture_(registry_.AddHistogram(
          "trailsight_snapshot_capture_duration_seconds",
          "Time to capture the detector's state for a snapshot; consumption pauses meanwhile.",
          {0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10})),
      changelog_transactions_(registry_.AddCounter(
          "trailsight_changelog_transactions_total",
          "Checkpoint transactions committed: changed state records and input offsets together.")),
      changelog_failed_(registry_.AddCounter(
          "trailsight_changelog_failed_transactions_total",
          "Checkpoint transactions that failed (aborted); the next one writes the whole state.")),
      changelog_records_(registry_.AddCounter("trailsight_changelog_records_total",
                                              "State records written to the changelog.")),
      changelog_bytes_(registry_.AddCounter(
          "trailsight_changelog_bytes_total",
          "Bytes (keys and values, before compression) written to the changelog.")),
      restored_from_cache_(registry_.AddCounter(
          "trailsight_partitions_restored_from_cache_total",
          "Assigned partitions restored from the local snapshot, which was current.")),
      restored_from_changelog_(
          registry_.AddCounter("trailsight_partitions_restored_from_changelog_total",
                               "Assigned partitions restored by reading their changelog.")),
      changelog_restore_seconds_(registry_.AddGauge(
          "trailsight_changelog_restore_seconds",
          "Seconds from the start to the end of each changelog restore, summed; the partitions "
          "held are read meanwhile.")),
      partitions_restoring_(registry_.AddGauge(
          "trailsight_partitions_restoring",
          "Assigned partitions whose state is being read from the changelog; their records "
          "wait.")),
      rekeyed_records_(registry_.AddCounter(
          "trailsight_rekeyed_records_total",
          "Input records sent on to the repartition topic (an input not declared keyed).")),
      rekey_failed_commits_(registry_.AddCounter(
          "trailsight_rekey_failed_commits_total",
          "Re-keying transactions that failed; their records are sent again with the next.")),
      last_snapshot_(started) {}

void ServiceMetrics::Update(Clock::time_point now, const consumers::KafkaSource& input_source,
                            const consumers::KafkaSource& keyed,
                            const PartitionDetectors& detectors,
                            const alerts::KafkaFindingPublisher& publisher,
                            std::uint64_t alerts_published, std::uint64_t snapshots_completed,
                            std::size_t partitions_held, std::uint64_t dead_letter_file_lost) {
  const consumers::KafkaSourceCounters& input = input_source.counters();
  const bool rekeyed = &input_source != &keyed;
  messages_in_.Set(input.messages);
  events_in_.Set(keyed.counters().records);
  parse_errors_.Set(input.malformed);
  future_events_.Set(input.future_dated);
  early_events_.Set(input.early_dated);
  oversized_fields_.Set(input.oversized_fields);
  values_cut_.Set(input.values_cut);
  // The file's and each source's topic producer's (the re-keying source's and the keyed
  // topic's, when the input is re-keyed).
  dead_letters_lost_.Set(dead_letter_file_lost + input.dead_letters_lost +
                         (rekeyed ? keyed.counters().dead_letters_lost : 0));
  broker_errors_.Set(input.broker_errors + (rekeyed ? keyed.counters().broker_errors : 0));
  commit_errors_.Set(keyed.counters().commit_errors);
  fetch_wakes_.Set(input.fetch_wakes + (rekeyed ? keyed.counters().fetch_wakes : 0));
  misrouted_.Set(keyed.counters().misrouted);
  handed_before_.Set(keyed.counters().handed_before);
  // One look at the watermarks per update: the total is the partitions' sum, unknown when
  // any of them is.
  constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();
  double total_lag = 0;
  partition_lag_.BeginRound();
  partition_late_.BeginRound();
  keyed.PartitionLags(lags_);
  if (rekeyed) {
    input_source.PartitionLags(input_lags_);
    lags_.insert(lags_.end(), input_lags_.begin(), input_lags_.end());
  }
  for (const consumers::PartitionLag& partition : lags_) {
    total_lag += partition.messages < 0 ? kUnknown : static_cast<double>(partition.messages);
    const auto end =
        fmt::format_to_n(partition_text_.data(), partition_text_.size(), "{}", partition.partition);
    const std::string_view number(partition_text_.data(), end.out - partition_text_.data());
    const std::array<std::string_view, 2> labels = {partition.topic, number};
    partition_lag_.Set(labels,
                       partition.messages < 0 ? kUnknown : static_cast<double>(partition.messages));
    partition_late_.Set(labels, static_cast<double>(partition.late));
  }
  partition_lag_.EndRound();
  partition_late_.EndRound();
  consumer_lag_.Set(total_lag);
  held_records_.Set(
      static_cast<double>(keyed.held_records() + (rekeyed ? input_source.held_records() : 0)));
  paused_partitions_.Set(static_cast<double>(keyed.paused_partitions() +
                                             (rekeyed ? input_source.paused_partitions() : 0)));
  partitions_.Set(static_cast<double>(partitions_held));

  late_dropped_.Set(detectors.counters().late_dropped);
  far_ahead_held_.Set(detectors.counters().far_ahead_held);
  far_ahead_dropped_.Set(detectors.counters().far_ahead_dropped);
  active_keys_.Set(static_cast<double>(detectors.key_count()));
  open_insights_.Set(static_cast<double>(detectors.open_insights()));

  const alerts::PublisherCounters& output = publisher.counters();
  findings_published_.Set(output.published);
  findings_acknowledged_.Set(output.delivered);
  publish_errors_.Set(output.delivery_errors);
  publish_retries_.Set(output.retries);
  producer_restarts_.Set(output.producer_restarts);
  findings_unacknowledged_.Set(static_cast<double>(publisher.unacknowledged()));
  alerts_published_.Set(alerts_published);

  if (snapshots_completed > snapshots_seen_) {
    snapshots_seen_ = snapshots_completed;
    last_snapshot_ = now;
  }
  snapshots_.Set(snapshots_completed);
  snapshot_age_.Set(std::chrono::duration<double>(now - last_snapshot_).count());
}

void ServiceMetrics::UpdateChangelog(const kafka::ChangelogWriter& writer,
                                     const PartitionDetectors::RestoreCounters& restores,
                                     std::size_t restoring) {
  changelog_transactions_.Set(writer.committed_transactions());
  changelog_failed_.Set(writer.failed_transactions());
  changelog_records_.Set(writer.committed_records());
  changelog_bytes_.Set(writer.committed_bytes());
  restored_from_cache_.Set(restores.from_cache);
  restored_from_changelog_.Set(restores.from_changelog);
  changelog_restore_seconds_.Set(restores.changelog_seconds);
  partitions_restoring_.Set(static_cast<double>(restoring));
}

void ServiceMetrics::UpdateRekeying(const RekeyerCounters& rekeying) {
  rekeyed_records_.Set(rekeying.records);
  rekey_failed_commits_.Set(rekeying.failed_commits);
}

void ServiceMetrics::ObserveSnapshotCapture(Clock::duration took) {
  snapshot_capture_.Observe(std::chrono::duration<double>(took).count());
}

}  // namespace trailsight::app
