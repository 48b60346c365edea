#include "eval/naive_detector.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace trailsight::eval {
namespace {

constexpr std::chrono::minutes kOneMinute{1};

}  // namespace

NaiveDetector::NaiveDetector(NaiveOptions options, const common::StringInterner& interner)
    : options_(std::move(options)),
      interner_(interner),
      open_slots_(static_cast<std::size_t>((options_.allowed_lateness.count() + 59) / 60 + 2)),
      findings_(options_.ks.size()) {}

void NaiveDetector::OnEvent(const common::Event& event) {
  const std::uint32_t region_index = RegionFor(event);
  if (event.time > regions_[region_index].newest) {
    regions_[region_index].newest = event.time;
    Advance(region_index, event.time - options_.allowed_lateness);
  }
  const common::Minute minute = common::FloorMinute(event.time);
  if (minute < regions_[region_index].next_close) return;  // late: its minute has closed
  if (event.category != common::EventCategory::kManagement) return;
  if (!event.read_only)
    Count(KeyFor(region_index, common::InsightType::kApiCallRate, event), minute);
  if (event.error_code != common::kNoSymbol) {
    Count(KeyFor(region_index, common::InsightType::kApiErrorRate, event), minute);
  }
}

void NaiveDetector::FinishInput() {
  for (std::uint32_t index = 0; index < regions_.size(); ++index) {
    Advance(index, common::FloorMinute(regions_[index].newest) + kOneMinute);
  }
}

std::uint32_t NaiveDetector::RegionFor(const common::Event& event) {
  const std::uint64_t id = (std::uint64_t{event.account} << 32) | event.region;
  auto [it, inserted] = region_index_.try_emplace(id, static_cast<std::uint32_t>(regions_.size()));
  if (inserted) {
    Region& region = regions_.emplace_back();
    region.account = event.account;
    region.region = event.region;
    region.newest = event.time;
    region.next_close = common::FloorMinute(event.time - options_.allowed_lateness);
  }
  return it->second;
}

std::uint32_t NaiveDetector::KeyFor(std::uint32_t region, common::InsightType type,
                                    const common::Event& event) {
  const bool errors = type == common::InsightType::kApiErrorRate;
  const std::array<std::uint32_t, 5> id = {region, errors ? 1U : 0U, event.source, event.name,
                                           errors ? event.error_code : common::kNoSymbol};
  auto [it, inserted] = key_index_.try_emplace(id, static_cast<std::uint32_t>(keys_.size()));
  if (inserted) {
    Key& key = keys_.emplace_back();
    key.type = type;
    key.source = event.source;
    key.name = event.name;
    key.error_code = id[4];
    key.region = region;
    const auto window = static_cast<std::size_t>(options_.window.count());
    key.ring.assign(window, 0);
    // Every minute the region closed before the key appeared held zero calls of it.
    key.length = std::min<std::uint64_t>(regions_[region].closed, window);
    key.open.assign(open_slots_, 0);
    key.open_minute.assign(open_slots_, common::Minute{});
    key.episodes.resize(options_.ks.size());
    regions_[region].keys.push_back(it->second);
  }
  return it->second;
}

void NaiveDetector::Count(std::uint32_t key_index, common::Minute minute) {
  Key& key = keys_[key_index];
  const auto slot = static_cast<std::size_t>(minute.time_since_epoch().count()) % open_slots_;
  if (key.open_minute[slot] != minute) {
    key.open_minute[slot] = minute;
    key.open[slot] = 0;
  }
  ++key.open[slot];
}

void NaiveDetector::Advance(std::uint32_t region_index, common::Seconds watermark) {
  while (regions_[region_index].next_close + kOneMinute <= watermark) {
    CloseMinute(region_index, regions_[region_index].next_close);
    regions_[region_index].next_close += kOneMinute;
    ++regions_[region_index].closed;
  }
}

void NaiveDetector::CloseMinute(std::uint32_t region_index, common::Minute minute) {
  const Region& region = regions_[region_index];
  const auto slot = static_cast<std::size_t>(minute.time_since_epoch().count()) % open_slots_;
  for (std::uint32_t key_index : region.keys) {
    Key& key = keys_[key_index];
    const std::uint32_t count = key.open_minute[slot] == minute ? key.open[slot] : 0;
    if (key.length > 0) {
      const double n = static_cast<double>(key.length);
      const double mean = static_cast<double>(key.sum) / n;
      const double variance = static_cast<double>(key.sum_squares) / n - mean * mean;
      const double sd = std::sqrt(std::max(0.0, variance));
      for (std::size_t k = 0; k < options_.ks.size(); ++k) {
        const bool above = static_cast<double>(count) > mean + options_.ks[k] * sd;
        Episode& episode = key.episodes[k];
        if (!episode.open) {
          if (count >= 1 && above) {
            episode = Episode{.open = true, .start = minute, .quiet_minutes = 0};
            findings_[k].push_back(
                NewFinding(key, common::InsightState::kStart, minute, minute, mean, count));
            findings_[k].back().fired_at = region.newest;
          }
        } else if (above) {
          episode.quiet_minutes = 0;
        } else if (++episode.quiet_minutes >= options_.end_after_quiet_minutes) {
          findings_[k].push_back(NewFinding(key, common::InsightState::kEnd, episode.start,
                                            minute + kOneMinute, mean, count));
          findings_[k].back().fired_at = region.newest;
          episode.open = false;
        }
      }
    }
    // Slide the window: the minute joins, the oldest leaves once the window is full.
    const auto stored = static_cast<std::uint16_t>(
        std::min<std::uint32_t>(count, std::numeric_limits<std::uint16_t>::max()));
    if (key.length == key.ring.size()) {
      const std::uint64_t old = key.ring[key.next];
      key.sum -= old;
      key.sum_squares -= old * old;
    } else {
      ++key.length;
    }
    key.ring[key.next] = stored;
    key.sum += stored;
    key.sum_squares += std::uint64_t{stored} * stored;
    key.next = (key.next + 1) % key.ring.size();
  }
}

common::Finding NaiveDetector::NewFinding(const Key& key, common::InsightState state,
                                          common::Minute start, common::Minute time, double mean,
                                          std::uint32_t count) const {
  const Region& region = regions_[key.region];
  common::Finding finding;
  finding.key.type = key.type;
  finding.key.account = interner_.Resolve(region.account);
  finding.key.region = interner_.Resolve(region.region);
  finding.key.event_source = interner_.Resolve(key.source);
  finding.key.event_name = interner_.Resolve(key.name);
  finding.key.error_code = interner_.Resolve(key.error_code);
  finding.state = state;
  finding.start = start;
  finding.event_time = time;
  finding.baseline_average = mean;
  finding.insight_average = count;
  return finding;
}

}  // namespace trailsight::eval
