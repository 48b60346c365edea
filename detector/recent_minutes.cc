#include "detector/recent_minutes.h"

#include <algorithm>

namespace trailsight::detector {

using std::chrono::minutes;

void RecentMinutes::Add(common::Minute minute, std::uint32_t count) {
  const auto saturated = static_cast<std::uint16_t>(std::min<std::uint32_t>(count, 0xFFFF));
  if (newest_ == common::Minute{} || minute - newest_ >= minutes{kMinutes}) {
    counts_.fill(0);
    recent_total_ = 0;
  } else {
    // Minutes leaving the 59-minute total first, then the skipped minutes become zeros:
    // in this order, since their slots may coincide.
    for (common::Minute m = newest_ - minutes{58}; m <= minute - minutes{59}; m += minutes{1}) {
      recent_total_ -= counts_[Slot(m)];
    }
    for (common::Minute m = newest_ + minutes{1}; m < minute; m += minutes{1}) {
      counts_[Slot(m)] = 0;
    }
  }
  counts_[Slot(minute)] = saturated;
  recent_total_ += saturated;
  newest_ = minute;
}

std::uint32_t RecentMinutes::Sum(common::Minute from, common::Minute to) const {
  if (newest_ == common::Minute{}) return 0;
  from = std::max(from, newest_ - minutes{kMinutes - 1});
  to = std::min(to, newest_);
  std::uint32_t sum = 0;
  for (common::Minute m = from; m <= to; m += minutes{1}) sum += counts_[Slot(m)];
  return sum;
}

}  // namespace trailsight::detector
