#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/event.h"
#include "common/finding.h"
#include "common/interner.h"
#include "detector/attribution_tally.h"
#include "detector/key_history.h"
#include "detector/options.h"
#include "models/count_baseline.h"

namespace trailsight::detector {

struct DetectorCounters {
  std::uint64_t events = 0;        // every event handed to OnEvent
  std::uint64_t counted = 0;       // write management events counted into a key
  std::uint64_t out_of_scope = 0;  // reads, data events: they only move the watermark
  std::uint64_t late_dropped = 0;  // arrived after their minute had closed
  std::uint64_t findings = 0;      // Start and End records handed to the sink
  std::uint64_t publish_errors = 0;
};

// The engine for call-rate insights: counts write management events per
// (account, region, eventSource, eventName) and event-time minute, closes minutes behind
// a per-(account, region) watermark, judges each minute against the key's CountBaseline
// and runs the Start/End lifecycle, handing findings to a FindingSink.
//
// Time: event time only. An (account, region)'s watermark is its newest event time minus
// `allowed_lateness`; a minute closes once the watermark passes its end, and events for a
// closed minute are counted in `late_dropped` and dropped. One region's watermark never
// touches another's.
//
// Firing: a minute may start an insight once every earlier minute of its region has
// closed; from then on, the Start is published the moment its running count reaches
// `fire_at`, so it carries the count at that moment. Waiting for the earlier minutes
// makes the start minute independent of arrival order within the lateness: reordering
// records never moves, adds or removes an insight. An insight ends after
// `end_after_quiet_minutes` closed minutes below `calm_below`; the End is dated at the
// minute after the last unusual one and carries the episode's mean and duration.
//
// Thread safety: none. One thread owns a Detector and calls it with events in input order.
class Detector {
 public:
  // `interner` resolves the events' symbols and must outlive the Detector, as must `sink`.
  Detector(DetectorOptions options, common::StringInterner& interner, common::FindingSink& sink);

  // Counts one event, closing minutes and publishing findings as its time allows.
  void OnEvent(const common::Event& event);

  // Idle tick from a live service: moves every region's watermark up to `wall_clock`
  // minus the allowed lateness, so minutes of quiet regions close and an insight ends on
  // time when traffic stops. The caller decides when input is truly idle (caught up);
  // records older than the new watermark are then late.
  void OnIdle(common::Seconds wall_clock);

  // End of input: closes every region's minutes up to and including its last event's
  // minute, then flushes the sink. Insights still open stay open: no End is invented.
  void FinishInput();

  // Returns the whole detection state (baselines, open minutes, open insights, watermarks)
  // as self-describing bytes, for a snapshot taken between two OnEvent calls.
  std::string SaveState() const;
  // Restores state saved by SaveState(), possibly by another process with other options.
  // Only on a Detector that has seen no event yet. Fails with kInvalidArgument, saying why,
  // on bytes that are corrupt, foreign, or of another format version; the Detector is then
  // left as it was.
  common::Status LoadState(std::string_view bytes);

  const DetectorCounters& counters() const { return counters_; }
  std::size_t key_count() const { return keys_.size(); }

 private:
  friend class StateCodec;  // detector/state_codec.cc: SaveState and LoadState
  struct OpenCell {
    common::Minute minute{};
    std::uint32_t count = 0;
    bool used = false;
    AttributionTally tally;
  };
  struct KeyState {
    common::Symbol account, region, source, name;
    std::uint32_t region_index = 0;
    common::Minute last_closed{};
    KeyHistory history;
    std::vector<OpenCell> open;  // ring over the region's open minutes
    bool cache_valid = false;
    common::Hour cache_epoch{}, cache_hour{};
    models::Thresholds cache;
  };
  struct Episode {
    common::Minute start, last_unusual;
    int quiet_minutes = 0;
    std::uint64_t calls_through_last = 0;  // calls from start through last_unusual
    std::uint64_t calls_pending = 0;       // calls in the quiet minutes since
    double baseline_average = 0.0;
    int baseline_duration = 0;
    std::vector<common::Attribution> baseline_attributions;  // insight lists left empty
    AttributionTally tally;
  };
  struct Region {
    common::Symbol account, region;
    common::Seconds newest{};
    common::Minute first_minute{};
    common::Minute next_close{};                      // oldest open minute
    std::vector<std::vector<std::uint32_t>> touched;  // per open slot: keys with events
    std::vector<std::uint32_t> active;                // keys with an open insight
  };

  std::uint32_t RegionFor(const common::Event& event);
  std::uint32_t KeyFor(const common::Event& event, std::uint32_t region_index);
  std::size_t Slot(common::Minute minute) const;
  void AdvanceWatermark(Region& region, common::Seconds watermark);
  void CloseMinute(std::uint32_t region_index, common::Minute minute);
  void CloseKeyMinute(std::uint32_t key_index, common::Minute minute, std::uint32_t count,
                      const AttributionTally& tally);
  void MaybeStart(std::uint32_t key_index, common::Minute minute);
  void EndEpisode(std::uint32_t key_index, const Episode& episode);
  const models::Thresholds& ThresholdsFor(KeyState& key, common::Minute minute);
  bool Warm(const Region& region, common::Minute minute) const;
  common::Hour Epoch(common::Minute minute) const;
  common::Finding NewFinding(const KeyState& key, const Episode& episode,
                             common::InsightState state) const;
  std::vector<common::AttributionValue> Values(const AttributionTally& tally, Attribute attribute,
                                               double minutes) const;
  void Publish(const common::Finding& finding);

  const DetectorOptions options_;
  const models::CountBaseline baseline_;
  common::StringInterner& interner_;  // outlives the Detector; see app/replay.cc
  common::FindingSink& sink_;         // outlives the Detector
  const common::Symbol null_symbol_;  // "null": AWS's errorCode value for calls without error
  const std::size_t open_slots_;

  std::vector<Region> regions_;
  std::unordered_map<std::uint64_t, std::uint32_t> region_index_;
  std::vector<KeyState> keys_;
  struct KeyId {
    std::uint32_t region_index;
    common::Symbol source, name;
    bool operator==(const KeyId&) const = default;
  };
  struct KeyIdHash {
    std::size_t operator()(const KeyId& id) const {
      const std::uint64_t high = (std::uint64_t{id.region_index} << 32) | id.source;
      return std::hash<std::uint64_t>{}(high * 0x9E3779B97F4A7C15ULL ^ id.name);
    }
  };
  std::unordered_map<KeyId, std::uint32_t, KeyIdHash> key_index_;
  std::unordered_map<std::uint32_t, Episode> episodes_;
  AttributionTally scratch_;  // reused, so minute close does not allocate
  std::vector<std::uint32_t> active_scratch_;
  models::WeekOfHours week_{};
  DetectorCounters counters_;
};

}  // namespace trailsight::detector
