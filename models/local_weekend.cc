#include "models/local_weekend.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace trailsight::models {
namespace {

constexpr int kWeek = static_cast<int>(kHoursPerWeek);
constexpr int kWeekendHours = 48;
// A weekend is kept when the quietest 48 hours hold less than kRestingShare of the
// busiest, or fall below them by kSignificance standard deviations of a Poisson count at
// the busiest's mean (a week of steady traffic varies by about 2 to 4; a team under machine
// traffic that rests on weekends by tens), and the busiest hold kLeastCalls or more.
constexpr double kRestingShare = 0.25;
constexpr double kLeastCalls = 20.0;
constexpr double kSignificance = 8.0;
// Offsets whose weekend holds at most this many standard deviations more than the
// quietest are as quiet: the middle of them is taken.
constexpr double kAsQuiet = 2.0;

}  // namespace

std::optional<int> LocalWeekendOffset(const WeekOfHours& week, int first_hour_of_week) {
  if (first_hour_of_week == kNoWeekdays) return std::nullopt;
  // Calls by hour of the week, twice over, so that a weekend may wrap past Sunday.
  std::array<double, 2 * kWeek + 1> prefix{};
  int index = (kWeek - first_hour_of_week % kWeek) % kWeek;  // week[] of hour of the week 0
  for (int i = 0; i < 2 * kWeek; ++i) {
    prefix[static_cast<std::size_t>(i + 1)] =
        prefix[static_cast<std::size_t>(i)] + week[static_cast<std::size_t>(index)].calls;
    index = index == kWeek - 1 ? 0 : index + 1;
  }
  // The calls of the 48 hours from hour of the week `start`.
  const auto held = [&](int start) {
    return prefix[static_cast<std::size_t>(start + kWeekendHours)] -
           prefix[static_cast<std::size_t>(start)];
  };
  double busiest = 0.0;
  for (int start = 0; start < kWeek; ++start) busiest = std::max(busiest, held(start));

  // Local Saturday 00:00 at offset o is UTC hour of the week kFirstWeekendHour - o.
  constexpr int kOffsets = kMaxOffset - kMinOffset + 1;
  std::array<double, kOffsets> weekend{};
  int quietest = 0;
  for (int i = 0; i < kOffsets; ++i) {
    weekend[static_cast<std::size_t>(i)] =
        held((kFirstWeekendHour - (kMinOffset + i) + kWeek) % kWeek);
    if (weekend[static_cast<std::size_t>(i)] < weekend[static_cast<std::size_t>(quietest)]) {
      quietest = i;
    }
  }
  const double least = weekend[static_cast<std::size_t>(quietest)];
  const bool resting = least < kRestingShare * busiest;
  const bool below_traffic = busiest - least >= kSignificance * std::sqrt(busiest);
  if (busiest < kLeastCalls || !(resting || below_traffic)) return std::nullopt;

  const double as_quiet = least + kAsQuiet * std::sqrt(std::max(least, 1.0));
  int first = quietest, last = quietest;
  while (first > 0 && weekend[static_cast<std::size_t>(first - 1)] <= as_quiet) --first;
  while (last + 1 < kOffsets && weekend[static_cast<std::size_t>(last + 1)] <= as_quiet) ++last;
  return kMinOffset + (first + last) / 2;
}

}  // namespace trailsight::models
