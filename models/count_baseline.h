#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace trailsight::models {

// One hour of one key's history: how many calls, and the busiest minute within it.
struct HourSummary {
  std::uint32_t calls = 0;
  std::uint32_t peak_minute = 0;
};

// A week of hourly summaries ending just before the hour being judged:
// week[167] is the hour before it, week[0] the same hour seven days earlier.
inline constexpr std::size_t kHoursPerWeek = 168;
using WeekOfHours = std::array<HourSummary, kHoursPerWeek>;

struct CountBaselineOptions {
  double p_value = 1e-6;        // false-alarm probability per key-minute under the Poisson model
  double calm_p_value = 1e-3;   // a minute this unlikely or more still counts as unusual
  std::uint32_t min_calls = 5;  // never fire on fewer calls in a minute than this
  double peak_margin = 1.5;     // how far above the usual busiest minute a count must go
  int window_days = 7;          // days of history used, 1 to 7
};

// The levels one key is judged against for one minute.
struct Thresholds {
  double expected = 0.0;         // calls per minute expected at this time of day
  std::uint32_t fire_at = 1;     // a minute with at least this many calls is anomalous
  std::uint32_t calm_below = 1;  // an insight ends once minutes fall below this
};

// Count-aware, time-of-day-aware baseline for per-minute API call counts.
//
// Contract: from a week of hourly history it derives, for a minute in hour-of-day `h`,
// - `expected`: the median per-minute rate of hours h-1, h, h+1 over the window's days, so
//   a single anomalous day cannot move it;
// - `fire_at`: the largest of `min_calls`, the Poisson upper quantile of `expected` at
//   `p_value` (count statistics, so a 0.03/min API and a 300/min API are judged alike), and
//   `peak_margin` times the second-busiest daily peak minute around hour h (scheduled
//   automation bursts seen on more than one day are normal; one attack is not);
// - `calm_below`: the Poisson quantile at `calm_p_value`, above the robust peak (a minute
//   as busy as a usual peak is calm), and never above `fire_at`.
// Pure math: no I/O, no clock, no state; the same history always gives the same levels.
class CountBaseline {
 public:
  explicit CountBaseline(CountBaselineOptions options) : options_(options) {}

  // Returns the levels for a minute in the hour that follows the last entry of `week` by
  // `hours_ahead` hours (0: the next hour; 1: the one after). Only the newest
  // `days_observed` days of `week` (at least 1, at most options.window_days) hold history;
  // older entries are ignored, so a young key is judged on what it has.
  Thresholds Compute(const WeekOfHours& week, int hours_ahead, int days_observed) const;

  const CountBaselineOptions& options() const { return options_; }

 private:
  CountBaselineOptions options_;
};

// Returns the smallest k with P(X >= k) <= tail for X ~ Poisson(mean); 1 when mean is 0.
std::uint32_t PoissonUpperQuantile(double mean, double tail);

}  // namespace trailsight::models
