#pragma once

#include <optional>

#include "models/count_baseline.h"

namespace trailsight::models {

// Where the people behind a week of calls keep their weekend: the UTC offset, in whole
// hours, at which their local Saturday and Sunday are the quietest 48 hours of the week.
// CloudTrail records carry no time zone, and a UTC weekend holds the Friday evening of an
// account west of UTC and the Monday morning of one east of it.
//
// Contract: from a week of hourly calls (week[0] at hour of the week `first_hour_of_week`,
// as CountBaseline reads it), returns the offset from kMinOffset to kMaxOffset whose local
// weekend holds the fewest calls; where several are about as quiet (nights lie at both
// ends of a weekend), the middle of them. Returns nullopt when the week keeps no weekend:
// its quietest 48 hours hold neither less than a quarter of its busiest 48 (a team that
// rests) nor kSignificance standard deviations less (a team under machine traffic), or
// the busiest hold fewer than kLeastCalls calls, or the hour of the week is unknown
// (kNoWeekdays). Pure: the same week gives the same offset.
inline constexpr int kMinOffset = -12;
inline constexpr int kMaxOffset = 12;
std::optional<int> LocalWeekendOffset(const WeekOfHours& week, int first_hour_of_week);

}  // namespace trailsight::models
