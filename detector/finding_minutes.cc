// The minute counts a finding carries (Finding::minute_counts), read from the key's recent
// closed minutes and its open cells. Split from detector.cc, which holds counting, windows
// and the insight lifecycle.
#include <algorithm>

#include "detector/detector.h"

namespace trailsight::detector {

using std::chrono::minutes;

common::MinuteCounts Detector::MinutesAround(std::uint32_t key_index, common::Minute start,
                                             common::Minute last) const {
  const KeyState& key = keys_[key_index];
  common::MinuteCounts counts;
  counts.first = std::max(start - kMinutesBeforeStart, last - minutes{kMaxFindingMinutes - 1});
  counts.counts.reserve(static_cast<std::size_t>((last - counts.first).count() + 1));
  // A minute is in the recent minutes once the key's close added it, and in a live cell
  // until then; never in both: a closing slot stops being live before its keys close, so
  // the minute being closed (an End's last) is read from the recent minutes.
  for (common::Minute minute = counts.first; minute <= last; minute += minutes{1}) {
    std::uint32_t calls = key.recent.Sum(minute, minute);
    if (const OpenCell* cell = FindCell(key_index, minute)) calls += cell->count - cell->muted;
    counts.counts.push_back(calls);
  }
  return counts;
}

}  // namespace trailsight::detector
