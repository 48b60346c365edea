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

bool CountsTowardCallRate(const common::Event& event) {
  return !event.read_only && event.category == common::EventCategory::kManagement;
}

}  // namespace

Detector::Detector(DetectorOptions options, common::StringInterner& interner,
                   common::FindingSink& sink)
    : options_(options),
      baseline_(options.baseline),
      interner_(interner),
      sink_(sink),
      null_symbol_(interner.Intern("null")),
      open_slots_(static_cast<std::size_t>((options.allowed_lateness.count() + 59) / 60 + 2)) {}

void Detector::OnEvent(const common::Event& event) {
  ++counters_.events;
  const std::uint32_t region_index = RegionFor(event);
  const common::Minute minute = common::FloorMinute(event.time);
  {
    Region& region = regions_[region_index];
    if (event.time > region.newest) {
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
  if (!CountsTowardCallRate(event)) {
    ++counters_.out_of_scope;
    return;
  }
  ++counters_.counted;

  const std::uint32_t key_index = KeyFor(event, region_index);
  const std::size_t slot = Slot(minute);
  OpenCell& cell = keys_[key_index].open[slot];
  if (!cell.used || cell.minute != minute) {
    cell.minute = minute;
    cell.count = 0;
    cell.used = true;
    cell.tally.Clear();
    region.touched[slot].push_back(key_index);
  }
  ++cell.count;
  const std::size_t cap = options_.attribution_values;
  cell.tally.Add(Attribute::kUserIdentityArn, event.principal, 1, cap);
  cell.tally.Add(Attribute::kUserAgent, event.user_agent, 1, cap);
  cell.tally.Add(Attribute::kErrorCode,
                 event.error_code == common::kNoSymbol ? null_symbol_ : event.error_code, 1, cap);
  if (minute == region.next_close) MaybeStart(key_index, minute);
}

void Detector::OnIdle(common::Seconds wall_clock) {
  for (Region& region : regions_) AdvanceWatermark(region, wall_clock - options_.allowed_lateness);
}

void Detector::FinishInput() {
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
    region.touched.resize(open_slots_);
  }
  return it->second;
}

std::uint32_t Detector::KeyFor(const common::Event& event, std::uint32_t region_index) {
  auto [it, inserted] = key_index_.try_emplace(KeyId{region_index, event.source, event.name},
                                               static_cast<std::uint32_t>(keys_.size()));
  if (inserted) {
    KeyState& key = keys_.emplace_back();
    key.account = event.account;
    key.region = event.region;
    key.source = event.source;
    key.name = event.name;
    key.region_index = region_index;
    key.open.resize(open_slots_);
  }
  return it->second;
}

std::size_t Detector::Slot(common::Minute minute) const {
  return static_cast<std::size_t>(minute.time_since_epoch().count()) % open_slots_;
}

void Detector::AdvanceWatermark(Region& region, common::Seconds watermark) {
  const auto region_index = static_cast<std::uint32_t>(&region - regions_.data());
  while (region.next_close + kOneMinute <= watermark) {
    const common::Minute closing = region.next_close;
    CloseMinute(region_index, closing);
    regions_[region_index].next_close = closing + kOneMinute;
    // Every minute before the new oldest open minute is closed: it may start an insight.
    for (std::uint32_t key_index : regions_[region_index].touched[Slot(closing + kOneMinute)]) {
      MaybeStart(key_index, closing + kOneMinute);
    }
  }
}

void Detector::CloseMinute(std::uint32_t region_index, common::Minute minute) {
  const std::size_t slot = Slot(minute);
  // Keys with events in the minute, then keys with an open insight and no event in it.
  std::vector<std::uint32_t>& touched = regions_[region_index].touched[slot];
  for (std::uint32_t key_index : touched) {
    OpenCell& cell = keys_[key_index].open[slot];
    CloseKeyMinute(key_index, minute, cell.count, cell.tally);
    cell.used = false;
  }
  touched.clear();
  active_scratch_ = regions_[region_index].active;  // closing may end (erase) insights
  scratch_.Clear();
  for (std::uint32_t key_index : active_scratch_) {
    if (keys_[key_index].last_closed != minute) CloseKeyMinute(key_index, minute, 0, scratch_);
  }
}

void Detector::CloseKeyMinute(std::uint32_t key_index, common::Minute minute, std::uint32_t count,
                              const AttributionTally& tally) {
  KeyState& key = keys_[key_index];
  key.history.AddMinute(minute, count, tally, options_.attribution_values);
  key.last_closed = minute;
  auto it = episodes_.find(key_index);
  if (it == episodes_.end()) return;

  Episode& episode = it->second;
  episode.tally.Merge(tally, options_.attribution_values);
  if (count >= ThresholdsFor(key, minute).calm_below) {
    episode.calls_through_last += episode.calls_pending + count;
    episode.calls_pending = 0;
    episode.quiet_minutes = 0;
    episode.last_unusual = minute;
    return;
  }
  episode.calls_pending += count;
  if (++episode.quiet_minutes < options_.end_after_quiet_minutes) return;
  const Episode ended = std::move(episode);
  episodes_.erase(it);
  std::vector<std::uint32_t>& active = regions_[key.region_index].active;
  active.erase(std::find(active.begin(), active.end(), key_index));
  EndEpisode(key_index, ended);
}

void Detector::MaybeStart(std::uint32_t key_index, common::Minute minute) {
  KeyState& key = keys_[key_index];
  const OpenCell& cell = key.open[Slot(minute)];
  if (!cell.used || cell.minute != minute || episodes_.contains(key_index)) return;
  const Region& region = regions_[key.region_index];
  if (!Warm(region, minute) || cell.count < ThresholdsFor(key, minute).fire_at) return;

  Episode& episode = episodes_[key_index];
  episode.start = minute;
  episode.last_unusual = minute;
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
  for (Attribute attribute :
       {Attribute::kUserIdentityArn, Attribute::kUserAgent, Attribute::kErrorCode}) {
    common::Attribution& attribution = episode.baseline_attributions.emplace_back();
    attribution.baseline = Values(scratch_, attribute, window_minutes);
  }
  regions_[key.region_index].active.push_back(key_index);

  common::Finding start = NewFinding(key, episode, common::InsightState::kStart);
  start.insight_average = cell.count;
  for (std::size_t i = 0; i < start.attributions.size(); ++i) {
    start.attributions[i].insight = Values(cell.tally, static_cast<Attribute>(i), 1.0);
  }
  Publish(start);
}

void Detector::EndEpisode(std::uint32_t key_index, const Episode& episode) {
  const KeyState& key = keys_[key_index];
  common::Finding end = NewFinding(key, episode, common::InsightState::kEnd);
  const common::Minute back_to_normal = episode.last_unusual + kOneMinute;
  const minutes duration = back_to_normal - episode.start;
  end.event_time = back_to_normal;
  end.insight_duration_minutes = static_cast<int>(duration.count());
  end.insight_average =
      static_cast<double>(episode.calls_through_last) / static_cast<double>(duration.count());
  for (std::size_t i = 0; i < end.attributions.size(); ++i) {
    end.attributions[i].insight =
        Values(episode.tally, static_cast<Attribute>(i), static_cast<double>(duration.count()));
  }
  Publish(end);
}

const models::Thresholds& Detector::ThresholdsFor(KeyState& key, common::Minute minute) {
  const common::Hour epoch = Epoch(minute);
  const common::Hour hour = floor<hours>(minute);
  if (key.cache_valid && key.cache_epoch == epoch && key.cache_hour == hour) return key.cache;
  const Region& region = regions_[key.region_index];
  const auto observed = floor<days>(epoch - floor<hours>(region.first_minute)).count();
  key.history.WeekBefore(epoch, week_);
  key.cache = baseline_.Compute(week_, static_cast<int>((hour - epoch).count()),
                                static_cast<int>(std::max<std::int64_t>(1, observed)));
  key.cache_valid = true;
  key.cache_epoch = epoch;
  key.cache_hour = hour;
  return key.cache;
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
  finding.key.type = common::InsightType::kApiCallRate;
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
