// The detector's handling of event time at its edges: records far ahead of the time counted
// so far are held until time reaches them, and stretches of quiet minutes close at once
// (detector.h, OnEvent and AdvanceWatermark).
#include <algorithm>
#include <chrono>
#include <vector>

#include "detector/detector.h"

namespace trailsight::detector {
namespace {

using std::chrono::floor;
using std::chrono::hours;
using std::chrono::minutes;

// The fewest quiet minutes in a row closed at once (Detector::QuietUntil); shorter stretches
// close a minute at a time, as minutes with calls do.
constexpr minutes kQuietStretchMinimum{15};

}  // namespace

void Detector::Hold(const common::Event& event) {
  ++counters_.far_ahead_held;
  const auto at = std::upper_bound(
      held_.begin(), held_.end(), event.time,
      [](common::Seconds time, const common::Event& other) { return time < other.time; });
  held_.insert(at, event);
  if (held_.size() > kMaxHeld) {
    held_.pop_back();  // the furthest ahead
    ++counters_.far_ahead_dropped;
  }
}

void Detector::ReleaseHeld(common::Seconds until) {
  if (held_.empty() || held_.front().time > until) return;
  std::vector<common::Event> held = std::move(held_);
  held_.clear();
  std::size_t released = 0;
  for (; released < held.size() && held[released].time <= until; ++released) {
    const std::uint32_t region_index = RegionFor(held[released]);
    timeline_ = std::max(timeline_.value_or(held[released].time), held[released].time);
    Accept(region_index, held[released]);
  }
  held_.assign(held.begin() + static_cast<std::ptrdiff_t>(released), held.end());
}

void Detector::AdvanceWatermark(Region& region, common::Seconds watermark) {
  const auto region_index = static_cast<std::uint32_t>(&region - regions_.data());
  // Minutes before this one may close: those that end by the watermark.
  const common::Minute limit = common::FloorMinute(watermark);
  while (regions_[region_index].next_close < limit) {
    const common::Minute closing = regions_[region_index].next_close;
    if (const common::Minute quiet_end = QuietUntil(region_index, limit); quiet_end > closing) {
      if (close_listener_ != nullptr) close_listener_->OnCloseBegin();
      MarkRegionChanged(region_index);
      regions_[region_index].next_close = quiet_end;
      if (close_listener_ != nullptr) close_listener_->OnCloseEnd(0);
      continue;
    }
    CloseMinute(region_index, closing);
    regions_[region_index].next_close = closing + minutes{1};
  }
}

common::Minute Detector::QuietUntil(std::uint32_t region_index, common::Minute limit) const {
  const Region& region = regions_[region_index];
  const common::Minute from = region.next_close;
  if (!region.active.empty() || region.totals[Slot(from)] != 0) return from;
  // The open minutes are [from, from + open_slots_), a slot each: the first with an event
  // ends the stretch.
  common::Minute end = limit;
  const std::size_t first = Slot(from);
  for (std::size_t slot = 0; slot < open_slots_; ++slot) {
    if (region.totals[slot] == 0) continue;
    end = std::min(end, from + minutes{(slot + open_slots_ - first) % open_slots_});
  }
  if (end - from < kQuietStretchMinimum) return from;
  // While a call is within the baseline's reach (the region's kept hours), a key may drop at
  // an hour's last minute: that minute closes on its own, the hour's others in bulk.
  const common::Hour hour = floor<hours>(from);
  if (region.history.CallsBetween(hour - hours{KeyHistory::kHours}, hour + hours{1}) != 0) {
    end = std::min(end, hour + hours{1} - minutes{1});
  }
  return end - from < kQuietStretchMinimum ? from : end;
}

}  // namespace trailsight::detector
