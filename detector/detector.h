#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/alert.h"
#include "common/event.h"
#include "common/finding.h"
#include "common/interner.h"
#include "detector/attribution_tally.h"
#include "detector/key_history.h"
#include "detector/minute_observer.h"
#include "detector/options.h"
#include "detector/recent_minutes.h"
#include "detector/tuning.h"
#include "models/count_baseline.h"

namespace trailsight::detector {

struct DetectorCounters {
  std::uint64_t events = 0;          // every event handed to OnEvent
  std::uint64_t counted = 0;         // events counted into at least one key
  std::uint64_t out_of_scope = 0;    // successful reads, data events: they only move the watermark
  std::uint64_t excluded = 0;        // calls of callers excluded from counting
  std::uint64_t suppressed = 0;      // Starts withheld by a suppression window
  std::uint64_t keys_refused = 0;    // counts not kept because `max_keys` was reached
  std::uint64_t late_dropped = 0;    // arrived after their minute had closed
  std::uint64_t far_ahead_held = 0;  // held far ahead of the time counted so far
  std::uint64_t far_ahead_dropped = 0;  // of those, dropped: never reached, or too many
  std::uint64_t findings = 0;           // Start and End records handed to the sink
  std::uint64_t alerts = 0;             // alerts handed to the alert sink
  std::uint64_t publish_errors = 0;
};

// Receives the detection state as changelog records (Detector::SaveChangedRecords): a
// compaction key and a value, both valid only during the call.
class StateRecordReceiver {
 public:
  virtual ~StateRecordReceiver() = default;
  virtual void OnRecord(std::string_view key, std::string_view value) = 0;
};

// A record as read back from a changelog: its compaction key and value.
struct StateRecord {
  std::string_view key, value;
};

// The (account, region) a state record's compaction key belongs to; nullopt for a key that is
// not one (detector/state_records.cc has the layout).
std::optional<std::pair<std::string, std::string>> StateRecordPair(std::string_view key);
// Whether a state record's compaction key is a region's (whose record must be loaded before
// its keys'; Detector::LoadRecordsInOrder).
bool IsRegionRecordKey(std::string_view key);

// The engine for call-rate and error-rate insights. Call rate counts write management
// events per (account, region, eventSource, eventName); error rate counts management events
// that failed, reads included, per (account, region, eventSource, eventName, errorCode).
// Each key's event-time minutes close behind a per-(account, region) watermark and are
// judged against the key's CountBaseline over windows of 1, 5, 15 and 60 minutes.
//
// Time: event time only. An (account, region)'s watermark is its newest event time minus
// `allowed_lateness`; a minute closes once the watermark passes its end, and events for a
// closed minute are counted in `late_dropped` and dropped. One region's watermark never
// touches another's.
//
// Firing is early and driven by events: counts only grow, so the moment a window ending in
// an event's minute reaches its `fire_at` (the minute's running count, or that plus the
// key's preceding minutes), the Start is published, dated at that minute and carrying the
// window's mean rate. An insight ends after `end_after_quiet_minutes` closed minutes whose
// firing window is below its `calm_below`; the End is dated at the minute after the last
// unusual one and carries the episode's mean and duration.
//
// Every finding carries the key's minute counts around its episode (Finding::minute_counts):
// from kMinutesBeforeStart before the episode's start through the minute the finding is made,
// at most kMaxFindingMinutes minutes, the newest kept; the calls that may fire (muted callers
// left out), saturated at 65535 as RecentMinutes keeps them. A Start's minutes still open
// hold their running counts when it fired: like its attributions, they follow arrival order.
//
// Silence: an (account, region) whose traffic stops for `silent_after` while its baseline
// expected plenty raises a kSilentSource alert, when its traffic resumes or, live, when
// an idle tick shows the gap.
//
// Thread safety: none. One thread owns a Detector and calls it with events in input order.
class Detector {
 public:
  // `interner` resolves the events' symbols and must outlive the Detector, as must `sink`.
  Detector(DetectorOptions options, common::StringInterner& interner, common::FindingSink& sink);

  // Counts one event, closing minutes and publishing findings as its time allows.
  //
  // An event more than max_time_jump ahead of the newest event counted (of any region)
  // is held, not counted: its time would close every minute of its region before it, and
  // the region's next records, dated where time really is, would all be late. A held event
  // is counted once time reaches it, in time order: when an event dated at or after it is
  // counted (a sparse region's first call after a gap, at a time others have reached), when
  // a second event far ahead lands at most max_time_jump after it (time jumped, as after a
  // gap in the whole input: both are counted), or when the wall clock passes it (OnIdle). A lone
  // forged event far ahead waits, harmless, and is dropped at the end of input (FinishInput) and
  // counted there. The first event sets the time: it cannot be judged. At most kMaxHeld are held;
  // beyond, the one furthest ahead is dropped and counted. Held events are not in the saved state.
  void OnEvent(const common::Event& event);

  // Idle tick from a live service: moves every region's watermark up to `wall_clock`
  // minus the allowed lateness, so minutes of quiet regions close and an insight ends on
  // time when traffic stops. The caller decides when input is truly idle (caught up);
  // records older than the new watermark are then late.
  void OnIdle(common::Seconds wall_clock);

  // End of input: drops the held events (OnEvent), closes every region's minutes up to
  // and including its last event's minute, then flushes the sink. Insights still open stay open: no
  // End is invented.
  void FinishInput();

  // Applies new thresholds, overrides, exclusions and suppressions from the next event on,
  // keeping every baseline and open insight. Until called, the Detector uses the default
  // Tuning with `options.baseline`'s p_value and min_calls.
  void Retune(CompiledTuning tuning);

  // Optional receivers, set before the first event; each must outlive the Detector.
  // Alerts (silent sources) go to `alerts`; every closed key-minute is shown to `observer`.
  void SetAlertSink(common::AlertSink* alerts) { alerts_ = alerts; }
  void SetMinuteObserver(MinuteObserver* observer) { observer_ = observer; }
  void SetCloseListener(CloseListener* listener) { close_listener_ = listener; }

  // Returns the whole detection state (baselines, open minutes, open insights, watermarks)
  // as self-describing bytes, for a snapshot taken between two OnEvent calls.
  std::string SaveState() const;
  // Restores state saved by SaveState(), possibly by another process with other options.
  // Only on a Detector that has seen no event yet. Fails with kInvalidArgument, saying why,
  // on bytes that are corrupt, foreign, or of another format version; the Detector is then
  // left as it was.
  common::Status LoadState(std::string_view bytes);

  // The state as records for a compacted changelog (DESIGN.md "Delivery and state"; encoding
  // in detector/state_records.cc): one per (account, region) (its watermark, open minutes'
  // totals and history) and one per key (its history, open minutes and open insight), so a
  // checkpoint writes what changed and compaction keeps the newest of each.
  //
  // Hands `receiver` the record of every region and key changed since the last call, each
  // region before its keys, then counts them unchanged; between two OnEvent calls. A fresh
  // or restored (LoadState, LoadRecords) Detector starts with nothing changed.
  void SaveChangedRecords(StateRecordReceiver& receiver);
  // Counts every region and key as changed: the next SaveChangedRecords hands over the whole
  // state (after a checkpoint that could not write the changes it took, say).
  void MarkAllChanged();
  // Restores the state from records, the newest of each compaction key, in any order. Only
  // on a Detector that has seen no event and holds no state; fails with kInvalidArgument
  // naming the record and saying why (corrupt, a key whose region is missing, a compaction
  // key that does not match its value), the Detector then left as it was.
  common::Status LoadRecords(std::span<const StateRecord> records);
  // Loads `records` in the order given, as one of several calls that together restore a
  // state in pieces (a restore bounded per call): every region's record must come before the
  // keys' records that name it. Only before the first event; fails as LoadRecords does,
  // naming the record within this call, and the Detector is then cleared.
  common::Status LoadRecordsInOrder(std::span<const StateRecord> records);
  // Regions and keys changed since the last SaveChangedRecords.
  std::size_t changed_records() const { return changed_regions_.size() + changed_keys_.size(); }

  static constexpr std::chrono::minutes kMinutesBeforeStart{30};
  static constexpr int kMaxFindingMinutes = RecentMinutes::kMinutes;  // what a key keeps

  const DetectorCounters& counters() const { return counters_; }
  std::size_t key_count() const { return keys_.size(); }
  std::size_t open_insights() const { return episodes_.size(); }

 private:
  friend class StateCodec;  // detector/state_codec.{h,cc}, state_records.cc
  // One key's calls in one open minute. Cells live in their region, per open slot, and
  // are reused minute after minute, so a key holds no cell memory between its events.
  struct OpenCell {
    std::uint32_t key = 0;
    std::uint32_t count = 0;
    std::uint32_t muted = 0;  // calls of callers counted but never alerted on
    AttributionTally tally;
  };
  // Fields ordered for size: a million keys are a million of these.
  struct KeyState {
    common::Symbol account, region, source, name;
    common::Symbol error_code = common::kNoSymbol;  // error-rate keys only
    std::uint32_t region_index = 0;
    std::uint32_t open_calls = 0;  // calls in the open cells
    common::InsightType type = common::InsightType::kApiCallRate;
    bool insight_open = false;
    bool changed = false;  // since the last SaveChangedRecords
    bool cache_valid = false;
    std::int8_t cache_ahead = 0;  // the cache's hour minus its epoch hour
    KeyTuning tuning{};           // from tuning_, refreshed on Retune
    common::Minute rearmed{};     // windows count minutes from here: after the last insight
    common::Minute last_closed{};
    KeyHistory history;
    RecentMinutes recent;
    common::Hour cache_hour{};  // the levels in `cache` are for this hour
    models::Thresholds cache;
  };
  struct Episode {
    common::Minute start, last_unusual;
    std::size_t window = 0;   // index into models::kWindowMinutes of the window that fired
    bool suppressed = false;  // started inside a suppression window: publishes nothing
    bool drop = false;        // a fall below the baseline, judged on the 60-minute window
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
    common::Minute next_close{};  // oldest open minute
    // Per open slot: the minute it holds, its cells (the first `live` are in use; the rest
    // are kept for reuse) and how many are live.
    std::vector<common::Minute> slot_minute;
    std::vector<std::vector<OpenCell>> cells;
    std::vector<std::uint32_t> live;
    // Per open slot: key index -> index of its live cell. Memory follows the keys with
    // calls in open minutes, not every key.
    std::vector<std::unordered_map<std::uint32_t, std::uint32_t>> cell_of;
    std::vector<std::uint32_t> active;  // keys with an open insight
    std::vector<std::uint32_t> keys;    // every key of the region
    // The keys whose history may hold an hour of CountBaseline::kDropMinimum calls, the only
    // ones that can drop (ListIfDropPossible); in index order, as `keys`.
    std::vector<std::uint32_t> drop_keys;
    std::vector<std::uint32_t> totals;  // per open slot: every event of the minute
    KeyHistory history;                 // the totals of closed minutes
    // Where the region's weekend lies (models::LocalWeekendOffset of its week before
    // `weekend_day`, 0 when it keeps none), in hours from UTC, for the keys that show no
    // weekend of their own: learned once a day from `history`, so it is never saved and a
    // restored region learns the same. `weekend_day` starts at the Unix epoch, a day no
    // region is judged on (a region has a week of history first).
    common::Day weekend_day{};
    std::int8_t weekend_offset = 0;
    common::Seconds silence_reported{};  // newest event when silence was last alerted
    bool changed = false;                // since the last SaveChangedRecords
  };

  static constexpr std::size_t kMaxHeld = 64;

  std::uint32_t RegionFor(const common::Event& event);
  // Counts `event` of region `region_index`, which is not held.
  void Accept(std::uint32_t region_index, const common::Event& event);
  // Holds `event`, far ahead of the time counted so far (OnEvent).
  void Hold(const common::Event& event);
  // Counts, in time order, the held events dated at most `until`.
  void ReleaseHeld(common::Seconds until);
  void MarkRegionChanged(std::uint32_t region_index) {
    if (!std::exchange(regions_[region_index].changed, true)) {
      changed_regions_.push_back(region_index);
    }
  }
  void MarkKeyChanged(std::uint32_t key_index) {
    if (!std::exchange(keys_[key_index].changed, true)) changed_keys_.push_back(key_index);
  }
  void ClearState();  // forgets every region, key and episode
  std::uint32_t KeyFor(const common::Event& event, std::uint32_t region_index,
                       common::InsightType type);
  void Count(std::uint32_t key_index, const common::Event& event, common::Minute minute,
             bool muted);
  std::optional<ExclusionMode> ExclusionFor(const common::Event& event);
  KeyTuning TuningFor(const KeyState& key) const;
  models::CountBaselineOptions BaselineFor(const KeyState& key) const;
  std::size_t Slot(common::Minute minute) const;
  const OpenCell* FindCell(std::uint32_t key_index, common::Minute minute) const;
  OpenCell& CellFor(std::uint32_t key_index, common::Minute minute);
  // Closes the region's minutes that end by `watermark`. Quiet minutes (no event, no open
  // insight) cost nothing to close beyond moving next_close: their zeros are what a
  // history reads for minutes never recorded. So a stretch of them closes at once, and a gap
  // of any length costs time in proportion to the region's keys, not to its minutes.
  void AdvanceWatermark(Region& region, common::Seconds watermark);
  // The end of the stretch of quiet minutes from the region's next_close that may close at
  // once (before `limit`, the first minute not to close); next_close when there is none of
  // at least 15. An hour's last minute within the baseline's reach of a call
  // closes on its own: CheckDrops judges the hour there.
  common::Minute QuietUntil(std::uint32_t region_index, common::Minute limit) const;
  void CloseMinute(std::uint32_t region_index, common::Minute minute);
  void CloseKeyMinute(std::uint32_t key_index, common::Minute minute, std::uint32_t count,
                      std::uint32_t muted, const AttributionTally& tally);
  void Observe(std::uint32_t key_index, common::Minute minute, std::uint32_t count);
  std::uint32_t WindowCalls(std::uint32_t key_index, common::Minute minute,
                            std::size_t window) const;
  void MaybeStart(std::uint32_t key_index, common::Minute minute, common::Seconds time);
  // Returns false when no window of `key` can fire whatever its levels: `minute_calls` (the
  // calls that may fire in the event's minute) and its other recent calls are below every
  // window's floor. MaybeStart then needs no levels.
  bool CouldFire(const KeyState& key, std::uint32_t minute_calls) const;
  void Start(std::uint32_t key_index, common::Minute minute, std::size_t window,
             std::uint32_t calls, common::Seconds time, const AttributionTally& tally);
  void CheckDrops(std::uint32_t region_index, common::Minute minute);
  // Adds `key_index` to its region's drop_keys, where it stays, once its history's counts may
  // reach CountBaseline::kDropMinimum (KeyHistory::CountBound). Call whenever the bound grew.
  void ListIfDropPossible(std::uint32_t key_index);
  void CheckSilence(Region& region, common::Seconds now);
  void ReportKeyCap(const common::Event& event);
  void PublishAlert(const common::Alert& alert);  // to `alerts_`, which must be set
  void EndEpisode(std::uint32_t key_index, const Episode& episode);
  // Where a minute of `region` is judged: the hour of its levels and the history before.
  struct JudgedHour {
    common::Hour epoch;  // Epoch(minute): the history ends before it
    common::Hour hour;   // the minute's hour
    std::int8_t ahead;   // hour - epoch, in hours: 0 or 1
    int days_observed;   // whole days of the region's history before the epoch, at least 1
  };
  JudgedHour JudgedAt(const Region& region, common::Minute minute) const;
  // Where the key keeps its weekend, in hours from UTC, for the levels of `judged`: as its
  // own week before the epoch (`key_week`) shows it, else as its region's does, else 0
  // (UTC); 0 until the region has a whole week of history.
  int WeekendOffset(const KeyState& key, const models::WeekOfHours& key_week,
                    const JudgedHour& judged);
  // Whether the key's cached levels are those of the judged hour.
  static bool LevelsCached(const KeyState& key, const JudgedHour& judged);
  const models::Thresholds& ThresholdsFor(KeyState& key, common::Minute minute);
  // ThresholdsFor(key, minute).drop_below, from the cache when it holds that hour's levels,
  // else from the rates alone (the cache is left as it is).
  std::uint32_t DropBelowFor(KeyState& key, common::Minute minute);
  double RegionRate(const Region& region, common::Minute minute);
  double RegionRate(const Region& region, common::Seconds time);
  bool Warm(const Region& region, common::Minute minute) const;
  common::Hour Epoch(common::Minute minute) const;
  common::Finding NewFinding(const KeyState& key, const Episode& episode,
                             common::InsightState state) const;
  std::vector<common::AttributionValue> Values(const AttributionTally& tally, Attribute attribute,
                                               double minutes) const;
  void Publish(const common::Finding& finding);
  // Returns the key's counts of the minutes from kMinutesBeforeStart before `start` through
  // `last`, at most kMaxFindingMinutes of them (the newest); `last` is the minute being judged
  // (closed just now, or open). Defined in finding_minutes.cc.
  common::MinuteCounts MinutesAround(std::uint32_t key_index, common::Minute start,
                                     common::Minute last) const;

  const DetectorOptions options_;
  const models::CountBaseline baseline_;
  common::StringInterner& interner_;  // outlives the Detector; see app/replay.cc
  common::FindingSink& sink_;         // outlives the Detector
  common::AlertSink* alerts_ = nullptr;
  MinuteObserver* observer_ = nullptr;
  CloseListener* close_listener_ = nullptr;
  const common::Symbol null_symbol_;  // "null": AWS's errorCode value for calls without error
  const std::size_t open_slots_;
  CompiledTuning tuning_;
  // ForCaller() answers per (principal, user agent) symbol pair; 0 none, 1 + ExclusionMode.
  std::unordered_map<std::uint64_t, std::uint8_t> exclusion_cache_;
  static constexpr std::uint32_t kNoKey = UINT32_MAX;  // KeyFor() at the key cap
  common::Hour cap_reported_{};                        // the event hour of the last cap alert

  std::vector<Region> regions_;
  std::unordered_map<std::uint64_t, std::uint32_t> region_index_;
  // The newest event counted (or restored, for the regions seen since); none before the first.
  std::optional<common::Seconds> timeline_;
  std::vector<common::Event> held_;  // far ahead of timeline_ (OnEvent), in time order
  std::deque<KeyState> keys_;        // a deque: grows without copying or doubling its memory
  struct KeyId {
    std::uint32_t region_index;
    common::Symbol source, name;
    common::Symbol error_code;  // kNoSymbol for call rate; error-rate keys always have one
    bool operator==(const KeyId&) const = default;
  };
  struct KeyIdHash {
    std::size_t operator()(const KeyId& id) const {
      const std::uint64_t high = (std::uint64_t{id.region_index} << 32) | id.source;
      const std::uint64_t low = (std::uint64_t{id.error_code} << 32) | id.name;
      return std::hash<std::uint64_t>{}(high * 0x9E3779B97F4A7C15ULL ^ low);
    }
  };
  std::unordered_map<KeyId, std::uint32_t, KeyIdHash> key_index_;
  std::unordered_map<std::uint32_t, Episode> episodes_;
  std::vector<std::uint32_t> changed_regions_;  // indexes whose `changed` is set
  std::vector<std::uint32_t> changed_keys_;
  AttributionTally scratch_;  // reused, so minute close does not allocate
  std::vector<std::uint32_t> active_scratch_;
  models::WeekOfHours week_{};
  models::FortnightOfHours fortnight_{};  // a weekend hour's history
  models::WeekOfHours region_week_{};     // a region's week, for its weekend
  std::array<WindowJudgement, models::kWindowCount> judgements_{};
  DetectorCounters counters_;
};

}  // namespace trailsight::detector
