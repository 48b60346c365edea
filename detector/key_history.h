#pragma once

#include <array>
#include <cstdint>

#include "common/time.h"
#include "detector/attribution_tally.h"
#include "models/count_baseline.h"

namespace trailsight::detector {

// What one key did in its closed minutes: hourly call counts and busiest minutes over the
// last eight days (enough for a 7-day baseline floored to UTC midnight), and the
// attribution tally of each of the last nine days.
//
// Contract: minutes are added in increasing order, each once, only once closed. Reads
// return zeros for hours never recorded. Bound: fixed size per key (plus tallies capped by
// the detector's `attribution_values`).
class KeyHistory {
 public:
  static constexpr int kHours = 192;
  static constexpr int kDays = 9;

  // Records a closed minute's count and its attribution tally.
  void AddMinute(common::Minute minute, std::uint32_t count, const AttributionTally& tally,
                 std::size_t cap);
  // Fills `week` with the 168 hours that end just before `epoch`.
  void WeekBefore(common::Hour epoch, models::WeekOfHours& week) const;
  // Returns the calls recorded in hours [from, to).
  std::uint64_t CallsBetween(common::Hour from, common::Hour to) const;
  // Merges the daily tallies of days [from, to] into `out`.
  void TallyBetween(common::Day from, common::Day to, AttributionTally& out, std::size_t cap) const;

 private:
  friend class StateCodec;  // saves and restores the fields below verbatim
  const models::HourSummary* Find(common::Hour hour) const;

  std::array<models::HourSummary, kHours> hours_{};
  common::Hour newest_hour_{};  // the newest hour written; slots after it are stale
  bool empty_ = true;
  std::array<AttributionTally, kDays> days_;
  std::array<common::Day, kDays> day_tags_{};
};

}  // namespace trailsight::detector
