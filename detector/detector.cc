#include "detector/detector.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace trailsight::detector {
namespace {

using std::chrono::days;
using std::chrono::floor;
using std::chrono::hours;
using std::chrono::minutes;

constexpr std::size_t kTopValues = 5;  // AWS lists the top five per attribute
constexpr minutes kOneMinute{1};
constexpr std::size_t kHourWindow = 3;  // index of the 60-minute window in kWindowMinutes

bool CountsTowardCallRate(const common::Event& event, const Tuning& tuning) {
  if (!tuning.call_rate || (event.read_only && !tuning.read_call_rate)) return false;
  return event.category == common::EventCategory::kManagement ||
         (event.category == common::EventCategory::kData && tuning.data_events);
}

bool CountsTowardErrorRate(const common::Event& event, const Tuning& tuning) {
  return tuning.error_rate && event.error_code != common::kNoSymbol &&
         (event.category == common::EventCategory::kManagement ||
          (event.category == common::EventCategory::kData && tuning.data_events));
}

CompiledTuning DefaultTuning(const models::CountBaselineOptions& baseline) {
  Tuning tuning;
  tuning.p_value = baseline.p_value;
  tuning.min_calls = baseline.min_calls;
  common::Result<CompiledTuning> compiled = CompiledTuning::Compile(std::move(tuning));
  if (!compiled) throw std::invalid_argument(compiled.error().message);
  return std::move(*compiled);
}

// The attributes an insight of `type` lists: error-rate insights leave out errorCode.
std::size_t AttributeCount(common::InsightType type) {
  return type == common::InsightType::kApiErrorRate ? 2 : 3;
}

}  // namespace

Detector::Detector(DetectorOptions options, common::StringInterner& interner,
                   common::FindingSink& sink)
    : options_(options),
      baseline_(options.baseline),
      interner_(interner),
      sink_(sink),
      null_symbol_(interner.Intern("null")),
      open_slots_(static_cast<std::size_t>((options.allowed_lateness.count() + 59) / 60 + 2)),
      tuning_(DefaultTuning(options.baseline)) {}

void Detector::Retune(CompiledTuning tuning) {
  tuning_ = std::move(tuning);
  exclusion_cache_.clear();
  for (KeyState& key : keys_) {
    key.tuning = TuningFor(key);
    key.cache_valid = false;
  }
}

models::CountBaselineOptions Detector::BaselineFor(const KeyState& key) const {
  models::CountBaselineOptions options = options_.baseline;
  options.p_value = key.tuning.p_value;
  options.min_calls = key.tuning.min_calls;
  return options;
}

KeyTuning Detector::TuningFor(const KeyState& key) const {
  return tuning_.ForKey(interner_.Resolve(key.source), interner_.Resolve(key.name),
                        interner_.Resolve(key.account), interner_.Resolve(key.region));
}

std::optional<ExclusionMode> Detector::ExclusionFor(const common::Event& event) {
  if (tuning_.tuning().exclusions.empty()) return std::nullopt;
  const std::uint64_t caller = (std::uint64_t{event.principal} << 32) | event.user_agent;
  auto [it, inserted] = exclusion_cache_.try_emplace(caller, 0);
  if (inserted) {
    const std::optional<ExclusionMode> mode =
        tuning_.ForCaller(interner_.Resolve(event.principal), interner_.Resolve(event.user_agent));
    it->second = mode ? static_cast<std::uint8_t>(1 + static_cast<int>(*mode)) : 0;
  }
  if (it->second == 0) return std::nullopt;
  return static_cast<ExclusionMode>(it->second - 1);
}

void Detector::OnEvent(const common::Event& event) {
  ++counters_.events;
  if (timeline_ && event.time > *timeline_ + options_.max_time_jump) {
    // Far ahead: counted only if a held event lands at most max_time_jump before it (time
    // jumped: two records say so), with it.
    const bool corroborated = std::any_of(held_.begin(), held_.end(), [&](const common::Event& h) {
      return h.time <= event.time && event.time - h.time <= options_.max_time_jump;
    });
    if (!corroborated) {
      Hold(event);
      return;
    }
  }
  ReleaseHeld(event.time);  // they come first, as if they had arrived in time order
  const std::uint32_t region_index = RegionFor(event);
  timeline_ = std::max({timeline_.value_or(event.time), event.time, regions_[region_index].newest});
  Accept(region_index, event);
}

void Detector::Accept(std::uint32_t region_index, const common::Event& event) {
  MarkRegionChanged(region_index);
  const common::Minute minute = common::FloorMinute(event.time);
  {
    Region& region = regions_[region_index];
    if (event.time > region.newest) {
      if (event.time - region.newest >= options_.silent_after) CheckSilence(region, event.time);
      region.newest = event.time;
      AdvanceWatermark(region, event.time - options_.allowed_lateness);
    }
  }
  Region& region = regions_[region_index];
  if (minute < region.next_close) {
    ++counters_.late_dropped;
    return;
  }
  region.first_minute = std::min(region.first_minute, minute);
  ++region.totals[Slot(minute)];
  const bool call_rate = CountsTowardCallRate(event, tuning_.tuning());
  const bool error_rate = CountsTowardErrorRate(event, tuning_.tuning());
  if (!call_rate && !error_rate) {
    ++counters_.out_of_scope;
    return;
  }
  const std::optional<ExclusionMode> exclusion = ExclusionFor(event);
  if (exclusion == ExclusionMode::kNotCounted) {
    ++counters_.excluded;
    return;
  }
  ++counters_.counted;
  const bool muted = exclusion == ExclusionMode::kNotAlerted;
  if (call_rate) {
    Count(KeyFor(event, region_index, common::InsightType::kApiCallRate), event, minute, muted);
  }
  if (error_rate) {
    Count(KeyFor(event, region_index, common::InsightType::kApiErrorRate), event, minute, muted);
  }
}

void Detector::Count(std::uint32_t key_index, const common::Event& event, common::Minute minute,
                     bool muted) {
  if (key_index == kNoKey) return;
  MarkKeyChanged(key_index);
  KeyState& key = keys_[key_index];
  OpenCell& cell = CellFor(key_index, minute);
  ++cell.count;
  if (muted) {
    ++cell.muted;
  } else {
    ++key.open_calls;
  }
  const std::size_t cap = options_.attribution_values;
  cell.tally.Add(Attribute::kUserIdentityArn, event.principal, 1, cap);
  cell.tally.Add(Attribute::kUserAgent, event.user_agent, 1, cap);
  if (key.type == common::InsightType::kApiCallRate) {
    cell.tally.Add(Attribute::kErrorCode,
                   event.error_code == common::kNoSymbol ? null_symbol_ : event.error_code, 1, cap);
  }
  if (!key.insight_open && !muted) MaybeStart(key_index, minute, event.time);
}

void Detector::OnIdle(common::Seconds wall_clock) {
  ReleaseHeld(wall_clock);  // the wall clock has passed them: they are where time is
  for (Region& region : regions_) {
    if (wall_clock - region.newest >= options_.silent_after) CheckSilence(region, wall_clock);
    AdvanceWatermark(region, wall_clock - options_.allowed_lateness);
  }
}

void Detector::FinishInput() {
  // What no later event reached stays uncounted: one call makes no insight, and a forged
  // far-future one would close every minute up to its date, ending in drops.
  counters_.far_ahead_dropped += held_.size();
  held_.clear();
  for (std::uint32_t index = 0; index < regions_.size(); ++index) {
    Region& region = regions_[index];
    // Close through the minute of the last event: as if the watermark stood at its end.
    AdvanceWatermark(region, common::FloorMinute(region.newest) + kOneMinute);
  }
  if (common::Status status = sink_.Flush(); !status) {
    ++counters_.publish_errors;
    spdlog::error("insight sink: {}", status.error().message);
  }
}

std::uint32_t Detector::RegionFor(const common::Event& event) {
  const std::uint64_t id = (std::uint64_t{event.account} << 32) | event.region;
  auto [it, inserted] = region_index_.try_emplace(id, static_cast<std::uint32_t>(regions_.size()));
  if (inserted) {
    Region& region = regions_.emplace_back();
    region.account = event.account;
    region.region = event.region;
    region.newest = event.time;
    region.first_minute = common::FloorMinute(event.time);
    region.next_close = common::FloorMinute(event.time - options_.allowed_lateness);
    region.slot_minute.resize(open_slots_);
    region.cells.resize(open_slots_);
    region.live.resize(open_slots_);
    region.cell_of.resize(open_slots_);
    region.totals.resize(open_slots_);
  }
  return it->second;
}

std::uint32_t Detector::KeyFor(const common::Event& event, std::uint32_t region_index,
                               common::InsightType type) {
  const common::Symbol error_code =
      type == common::InsightType::kApiErrorRate ? event.error_code : common::kNoSymbol;
  const KeyId id{region_index, event.source, event.name, error_code};
  if (keys_.size() >= options_.max_keys) {
    auto found = key_index_.find(id);
    if (found != key_index_.end()) return found->second;
    ReportKeyCap(event);
    return kNoKey;
  }
  auto [it, inserted] = key_index_.try_emplace(id, static_cast<std::uint32_t>(keys_.size()));
  if (inserted) {
    KeyState& key = keys_.emplace_back();
    key.type = type;
    key.error_code = error_code;
    key.account = event.account;
    key.region = event.region;
    key.source = event.source;
    key.name = event.name;
    key.region_index = region_index;
    key.tuning = TuningFor(key);
    regions_[region_index].keys.push_back(it->second);
  }
  return it->second;
}

std::size_t Detector::Slot(common::Minute minute) const {
  return static_cast<std::size_t>(minute.time_since_epoch().count()) % open_slots_;
}

const Detector::OpenCell* Detector::FindCell(std::uint32_t key_index, common::Minute minute) const {
  const Region& region = regions_[keys_[key_index].region_index];
  const std::size_t slot = Slot(minute);
  if (region.live[slot] == 0 || region.slot_minute[slot] != minute) return nullptr;
  const auto found = region.cell_of[slot].find(key_index);
  return found == region.cell_of[slot].end() ? nullptr : &region.cells[slot][found->second];
}

Detector::OpenCell& Detector::CellFor(std::uint32_t key_index, common::Minute minute) {
  if (const OpenCell* found = FindCell(key_index, minute)) return const_cast<OpenCell&>(*found);
  Region& region = regions_[keys_[key_index].region_index];
  const std::size_t slot = Slot(minute);
  // Open minutes map to distinct slots, so an empty slot is the only case for a new minute.
  if (region.live[slot] == 0) region.slot_minute[slot] = minute;
  std::vector<OpenCell>& cells = region.cells[slot];
  const std::uint32_t index = region.live[slot]++;
  if (index == cells.size()) cells.emplace_back();
  region.cell_of[slot].emplace(key_index, index);
  OpenCell& cell = cells[index];
  cell.key = key_index;
  cell.count = 0;
  cell.muted = 0;
  cell.tally.Clear();
  return cell;
}

void Detector::CloseMinute(std::uint32_t region_index, common::Minute minute) {
  if (close_listener_ != nullptr) close_listener_->OnCloseBegin();
  MarkRegionChanged(region_index);
  const std::size_t slot = Slot(minute);
  {
    Region& region = regions_[region_index];
    scratch_.Clear();
    // A region's rate is all that is read of its history: its quarters are left as minutes.
    region.history.AddMinute(minute, region.totals[slot], region.totals[slot], scratch_, 0);
    region.totals[slot] = 0;
  }
  // Keys with events in the minute, then keys with an open insight and no event in it.
  // The slot stops being live first: window sums then read the minute from the history.
  Region& region = regions_[region_index];
  const std::uint32_t live = std::exchange(region.live[slot], 0);
  const std::vector<OpenCell>& cells = region.cells[slot];  // CloseKeyMinute adds no cell
  for (std::uint32_t i = 0; i < live; ++i) {
    CloseKeyMinute(cells[i].key, minute, cells[i].count, cells[i].muted, cells[i].tally);
  }
  // Keep cells for reuse only as many as the slot has lately needed: a slot that once held
  // every key of a busy minute gives that memory back when its minutes turn quiet.
  Region& closed = regions_[region_index];
  closed.cell_of[slot].clear();
  if (std::vector<OpenCell>& pool = closed.cells[slot]; live < pool.size() / 4) {
    pool.resize(2 * static_cast<std::size_t>(live));
    pool.shrink_to_fit();
    closed.cell_of[slot].rehash(0);
  }
  active_scratch_ = regions_[region_index].active;  // closing may end (erase) insights
  scratch_.Clear();
  for (std::uint32_t key_index : active_scratch_) {
    if (keys_[key_index].last_closed != minute) CloseKeyMinute(key_index, minute, 0, 0, scratch_);
  }
  if (floor<hours>(minute + kOneMinute) == minute + kOneMinute) CheckDrops(region_index, minute);
  if (close_listener_ != nullptr) close_listener_->OnCloseEnd(live + active_scratch_.size());
}

void Detector::CheckDrops(std::uint32_t region_index, common::Minute minute) {
  // Once an hour, every key of the region that can drop: a key whose traffic fell away gets
  // no event to judge it by.
  static const AttributionTally kNoCalls;
  const Region& region = regions_[region_index];
  if (!Warm(region, minute)) return;
  for (std::uint32_t key_index : region.drop_keys) {
    KeyState& key = keys_[key_index];
    if (key.insight_open || key.tuning.disabled || (key.tuning.window_mask & 8) == 0) continue;
    if (minute - minutes{59} < key.rearmed) continue;  // a whole hour since the last insight
    const std::uint32_t drop_below = DropBelowFor(key, minute);
    if (drop_below == 0) continue;
    const std::uint32_t calls = WindowCalls(key_index, minute, kHourWindow);
    if (calls < drop_below) {
      Start(key_index, minute, kHourWindow, calls, minute + kOneMinute, kNoCalls);
      episodes_.at(key_index).drop = true;
    }
  }
}

void Detector::CloseKeyMinute(std::uint32_t key_index, common::Minute minute, std::uint32_t count,
                              std::uint32_t muted, const AttributionTally& tally) {
  MarkKeyChanged(key_index);
  KeyState& key = keys_[key_index];
  // Baselines see every counted call; windows only those that may start an insight.
  const std::uint32_t quarter = key.recent.Sum(minute - minutes{14}, minute - kOneMinute) + count;
  const std::uint32_t bound = key.history.CountBound();
  key.history.AddMinute(minute, count, quarter, tally, options_.attribution_values);
  if (key.history.CountBound() != bound) ListIfDropPossible(key_index);
  key.recent.Add(minute, count - muted);
  key.open_calls -= count - muted;
  count -= muted;
  key.last_closed = minute;
  if (!key.insight_open) {
    if (observer_ != nullptr) Observe(key_index, minute, count);
    return;
  }
  Episode& episode = episodes_.at(key_index);
  if (minute < episode.start) {  // an earlier minute, still open when a later one fired
    if (observer_ != nullptr) Observe(key_index, minute, count);
    return;
  }
  episode.tally.Merge(tally, options_.attribution_values);
  const std::size_t window = episode.window;
  const std::uint32_t window_calls = window == 0 ? count : WindowCalls(key_index, minute, window);
  const models::Thresholds& levels = ThresholdsFor(key, minute);
  const bool unusual = episode.drop ? window_calls < levels.drop_below
                                    : window_calls >= levels.windows[window].calm_below;
  if (unusual) {
    episode.calls_through_last += episode.calls_pending + count;
    episode.calls_pending = 0;
    episode.quiet_minutes = 0;
    episode.last_unusual = minute;
  } else {
    episode.calls_pending += count;
    if (++episode.quiet_minutes >= options_.end_after_quiet_minutes) {
      const Episode ended = std::move(episode);
      episodes_.erase(key_index);
      key.insight_open = false;
      key.rearmed = minute + kOneMinute;
      std::vector<std::uint32_t>& active = regions_[key.region_index].active;
      active.erase(std::find(active.begin(), active.end(), key_index));
      EndEpisode(key_index, ended);
    }
  }
  if (observer_ != nullptr) Observe(key_index, minute, count);
}

void Detector::Observe(std::uint32_t key_index, common::Minute minute, std::uint32_t count) {
  KeyState& key = keys_[key_index];
  const models::Thresholds& levels = ThresholdsFor(key, minute);
  MinuteJudgement judgement;
  judgement.type = key.type;
  judgement.account = interner_.Resolve(key.account);
  judgement.region = interner_.Resolve(key.region);
  judgement.event_source = interner_.Resolve(key.source);
  judgement.event_name = interner_.Resolve(key.name);
  if (key.error_code != common::kNoSymbol) judgement.error_code = interner_.Resolve(key.error_code);
  judgement.minute = minute;
  judgement.calls = count;
  judgement.warm = Warm(regions_[key.region_index], minute);
  judgement.insight_open = key.insight_open;
  judgement.calm_below = levels.windows[0].calm_below;
  const models::CountBaseline scorer(BaselineFor(key));
  for (std::size_t w = 0; w < models::kWindowCount; ++w) {
    WindowJudgement& out = judgements_[w];
    out.minutes = models::kWindowMinutes[w];
    out.calls = w == 0 ? count : WindowCalls(key_index, minute, w);
    out.expected = levels.windows[w].expected;
    out.fire_at = levels.windows[w].fire_at;
    out.score = scorer.Score(levels.windows[w], out.calls);
    judgement.score = std::max(judgement.score, out.score);
  }
  judgement.windows = judgements_;
  observer_->OnMinuteClosed(judgement);
}

std::uint32_t Detector::WindowCalls(std::uint32_t key_index, common::Minute minute,
                                    std::size_t window) const {
  const KeyState& key = keys_[key_index];
  // An ended insight's minutes never count toward the next one.
  const common::Minute from =
      std::max(minute - minutes{models::kWindowMinutes[window] - 1}, key.rearmed);
  std::uint32_t calls = key.recent.Sum(from, minute);
  const common::Minute oldest_open = std::max(from, regions_[key.region_index].next_close);
  for (common::Minute open = oldest_open; open <= minute; open += kOneMinute) {
    if (const OpenCell* cell = FindCell(key_index, open)) calls += cell->count - cell->muted;
  }
  return calls;
}

void Detector::MaybeStart(std::uint32_t key_index, common::Minute minute, common::Seconds time) {
  KeyState& key = keys_[key_index];
  if (key.tuning.disabled || !Warm(regions_[key.region_index], minute)) return;
  const std::uint8_t mask = key.tuning.window_mask;
  const OpenCell& cell = *FindCell(key_index, minute);  // the event's own: live
  if (!CouldFire(key, cell.count - cell.muted)) return;
  const models::Thresholds& levels = ThresholdsFor(key, minute);
  if ((mask & 1) != 0 && cell.count - cell.muted >= levels.windows[0].fire_at) {
    Start(key_index, minute, 0, cell.count - cell.muted, time, cell.tally);
    return;
  }
  // Longer windows, only when the key's recent calls could reach the lowest of their levels.
  std::uint32_t lowest = UINT32_MAX;
  for (std::size_t w = 1; w < models::kWindowCount; ++w) {
    if ((mask >> w & 1) != 0) lowest = std::min(lowest, levels.windows[w].fire_at);
  }
  if (key.open_calls + key.recent.RecentTotal() < lowest) return;
  for (std::size_t w = 1; w < models::kWindowCount; ++w) {
    if ((mask >> w & 1) == 0) continue;
    const std::uint32_t calls = WindowCalls(key_index, minute, w);
    if (calls >= levels.windows[w].fire_at) {
      Start(key_index, minute, w, calls, time, cell.tally);
      return;
    }
  }
}

void Detector::Start(std::uint32_t key_index, common::Minute minute, std::size_t window,
                     std::uint32_t calls, common::Seconds time, const AttributionTally& tally) {
  MarkKeyChanged(key_index);
  KeyState& key = keys_[key_index];
  const Region& region = regions_[key.region_index];
  Episode& episode = episodes_[key_index];
  // Inside a suppression window the episode runs silently: no Start, no End, and no
  // re-firing on its tail.
  if (!tuning_.tuning().suppressions.empty()) {
    const std::vector<TallyEntry> top = tally.Top(Attribute::kUserIdentityArn, 1, interner_);
    const std::string_view principal =
        top.empty() ? std::string_view{} : interner_.Resolve(top.front().value);
    episode.suppressed = tuning_.Suppressed(
        interner_.Resolve(key.source), interner_.Resolve(key.name), interner_.Resolve(key.account),
        interner_.Resolve(key.region), principal, time);
    if (episode.suppressed) ++counters_.suppressed;
  }
  key.insight_open = true;
  episode.start = minute;
  episode.last_unusual = minute;
  episode.window = window;
  // The baseline window: AWS's seven days floored to UTC midnight, up to the last hour
  // whose minutes are all closed, and never before the region's first event.
  const common::Hour epoch = Epoch(minute);
  const common::Day window_day = floor<days>(minute - days{7});
  const common::Hour window_start =
      std::max(common::Hour{window_day}, floor<hours>(region.first_minute));
  const double window_minutes =
      static_cast<double>(std::max(minutes{1}, minutes{epoch - window_start}).count());
  episode.baseline_average =
      static_cast<double>(key.history.CallsBetween(window_start, epoch)) / window_minutes;
  episode.baseline_duration = static_cast<int>((minute - window_day).count());
  scratch_.Clear();
  key.history.TallyBetween(window_day, floor<days>(minute), scratch_, options_.attribution_values);
  for (std::size_t i = 0; i < AttributeCount(key.type); ++i) {
    common::Attribution& attribution = episode.baseline_attributions.emplace_back();
    attribution.baseline = Values(scratch_, static_cast<Attribute>(i), window_minutes);
  }
  regions_[key.region_index].active.push_back(key_index);

  common::Finding start = NewFinding(key, episode, common::InsightState::kStart);
  start.fired_at = time;
  start.insight_average =
      static_cast<double>(calls) / static_cast<double>(models::kWindowMinutes[window]);
  for (std::size_t i = 0; i < start.attributions.size(); ++i) {
    start.attributions[i].insight = Values(tally, static_cast<Attribute>(i), 1.0);
  }
  start.minute_counts = MinutesAround(key_index, minute, minute);
  if (!episode.suppressed) Publish(start);
}

void Detector::EndEpisode(std::uint32_t key_index, const Episode& episode) {
  const KeyState& key = keys_[key_index];
  common::Finding end = NewFinding(key, episode, common::InsightState::kEnd);
  const common::Minute back_to_normal = episode.last_unusual + kOneMinute;
  const minutes duration = back_to_normal - episode.start;
  end.event_time = back_to_normal;
  end.fired_at = regions_[key.region_index].newest;
  end.insight_duration_minutes = static_cast<int>(duration.count());
  end.insight_average =
      static_cast<double>(episode.calls_through_last) / static_cast<double>(duration.count());
  for (std::size_t i = 0; i < end.attributions.size(); ++i) {
    end.attributions[i].insight =
        Values(episode.tally, static_cast<Attribute>(i), static_cast<double>(duration.count()));
  }
  end.minute_counts = MinutesAround(key_index, episode.start, key.last_closed);
  if (!episode.suppressed) Publish(end);
}

bool Detector::Warm(const Region& region, common::Minute minute) const {
  return Epoch(minute) - floor<hours>(region.first_minute) >= options_.warmup;
}

common::Hour Detector::Epoch(common::Minute minute) const {
  // The newest hour boundary before which every minute is closed whenever `minute` can be
  // judged: minutes before (minute - lateness) have closed by then.
  return floor<hours>(minute - options_.allowed_lateness);
}

common::Finding Detector::NewFinding(const KeyState& key, const Episode& episode,
                                     common::InsightState state) const {
  common::Finding finding;
  finding.key.type = key.type;
  finding.severity = key.tuning.severity;
  if (key.error_code != common::kNoSymbol)
    finding.key.error_code = interner_.Resolve(key.error_code);
  finding.key.account = interner_.Resolve(key.account);
  finding.key.region = interner_.Resolve(key.region);
  finding.key.event_source = interner_.Resolve(key.source);
  finding.key.event_name = interner_.Resolve(key.name);
  finding.state = state;
  finding.start = episode.start;
  finding.event_time = episode.start;
  finding.baseline_average = episode.baseline_average;
  finding.baseline_duration_minutes = episode.baseline_duration;
  finding.insight_duration_minutes = 1;
  static constexpr const char* kNames[] = {"userIdentityArn", "userAgent", "errorCode"};
  for (std::size_t i = 0; i < episode.baseline_attributions.size(); ++i) {
    common::Attribution attribution = episode.baseline_attributions[i];
    attribution.attribute = kNames[i];
    finding.attributions.push_back(std::move(attribution));
  }
  return finding;
}

std::vector<common::AttributionValue> Detector::Values(const AttributionTally& tally,
                                                       Attribute attribute,
                                                       double minutes_spanned) const {
  std::vector<common::AttributionValue> values;
  for (const TallyEntry& entry : tally.Top(attribute, kTopValues, interner_)) {
    values.push_back({std::string(interner_.Resolve(entry.value)),
                      static_cast<double>(entry.count) / minutes_spanned});
  }
  return values;
}

void Detector::Publish(const common::Finding& finding) {
  ++counters_.findings;
  if (common::Status status = sink_.Publish(finding); !status) {
    ++counters_.publish_errors;
    spdlog::error("insight sink: {}", status.error().message);
  }
}

}  // namespace trailsight::detector
