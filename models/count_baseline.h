#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <utility>

namespace trailsight::models {

// One hour of one key's history: how many calls, the busiest minute within it, and the most
// calls of 15 consecutive minutes ending within it (the window may reach into the hour
// before, so it can exceed `calls`).
struct HourSummary {
  std::uint32_t calls = 0;
  std::uint32_t peak_minute = 0;
  std::uint32_t peak_quarter = 0;
};

// A week of hourly summaries ending just before the hour being judged:
// week[167] is the hour before it, week[0] the same hour seven days earlier.
inline constexpr std::size_t kHoursPerWeek = 168;
using WeekOfHours = std::array<HourSummary, kHoursPerWeek>;

// Two weeks of hourly summaries, laid out the same way: fortnight[335] is the hour before
// the judged one. Of the older week, the baseline reads the hours of weekend days only.
inline constexpr std::size_t kHoursPerFortnight = 2 * kHoursPerWeek;
using FortnightOfHours = std::array<HourSummary, kHoursPerFortnight>;

// The hour of the week of a WeekOfHours' first entry (0: Monday 00:00, 167: Sunday 23:00,
// in UTC or in the time the key keeps its weekend by, see local_weekend.h), which tells
// weekdays from weekends; kNoWeekdays judges every day alike.
inline constexpr int kNoWeekdays = -1;

// The first hour of the week of the weekend (Saturday 00:00); it runs to the week's end.
inline constexpr int kFirstWeekendHour = 5 * 24;
inline constexpr bool IsWeekend(int hour_of_week) { return hour_of_week >= kFirstWeekendHour; }

struct CountBaselineOptions {
  double p_value = 1e-6;        // false-alarm probability per key-minute under the Poisson model
  double calm_p_value = 1e-3;   // a minute this unlikely or more still counts as unusual
  std::uint32_t min_calls = 5;  // never fire on fewer calls in a minute than this
  double peak_margin = 1.5;     // how far above the usual busiest minute a count must go
  int window_days = 7;          // days of history used, 1 to 7 (twice as many for weekends)
};

// The windows every key is judged over, in minutes: a one-minute spike, and rises sustained
// over 5, 15 and 60 minutes that no single minute reveals.
inline constexpr std::size_t kWindowCount = 4;
inline constexpr std::array<int, kWindowCount> kWindowMinutes = {1, 5, 15, 60};

// The levels of one window: the sum of its minutes' calls is compared with them.
struct WindowLevels {
  double expected = 0.0;         // calls expected in the window
  std::uint32_t fire_at = 1;     // a window with at least this many calls is anomalous
  std::uint32_t calm_below = 1;  // an insight fired on this window calms below this
};

// The levels one key is judged against for one minute.
struct Thresholds {
  double expected = 0.0;  // calls per minute expected at this time of day
  std::array<WindowLevels, kWindowCount> windows{};  // in kWindowMinutes order
  // A 60-minute window with fewer calls than this is a meaningful drop; 0 when the
  // baseline is too thin for any drop to mean something.
  std::uint32_t drop_below = 0;

  const WindowLevels& minute() const { return windows[0]; }
};

// Count-aware, time-of-day-aware baseline for per-minute API call counts.
//
// Contract: from a week of hourly history it derives, for a minute in hour-of-day `h`,
// - `expected`: the median per-minute rate of hours h-1, h, h+1 over the window's days, so
//   a single anomalous day cannot move it;
// - the days whose peaks and clumps it learns from: for a weekend hour (when the week's
//   hours of the week are known and the window holds a weekend day), the weekend days, of
//   two weeks when given a fortnight, so the bursts of a key busy on weekdays only do not
//   raise its levels on a Sunday; for a weekday hour, every day of the week (a weekend
//   clump only makes a weekday quieter). The expected rate comes from the weekend days too
//   when there are at least three of them (two weekends: with one, a quiet weekend day
//   would halve it), else from every day of the week; the busy-day rate always from every
//   day of the week (four days are too few to bound a key's day-to-day swings, and a UTC
//   weekend day holds the Friday evening of accounts west of UTC);
// - one-minute `fire_at`: the largest of `min_calls`, the Poisson upper quantile of
//   `expected` at `p_value` (count statistics, so a 0.03/min API and a 300/min API are
//   judged alike), and `peak_margin` times the second-busiest daily peak minute around
//   hour h (scheduled automation bursts seen on more than one day are normal; one attack
//   is not);
// - for the 5, 15 and 60 minute windows: the Poisson quantile of the window's expected
//   calls at the rate of the second-busiest day around hour h (day-to-day swings and
//   organic growth are normal), never below `min_calls` times a floor that grows with the
//   window, and above `peak_margin` times the clump that the second-busiest day put in
//   such a window around hour h, plus the steady calls: a clump is a window (measured by
//   the hour's busiest 15 minutes) holding far more than the median rate gives, so a job
//   that runs over several minutes at about the same time on two or more days is normal
//   there, and a clump of its size at an hour it never ran is not;
// - a bursty key, whose clumps came at several hours of the day (`kBurstyClumps`,
//   `kBurstyHours`) on days of the judged kind, is judged at every hour against its usual
//   clump too: the second-busiest day's largest clump, times `kBurstyMargin` (two of its
//   clumps may come together), plus the steady calls; one-minute: that day's largest 5
//   minutes, as a clump of a few minutes may come all in one. Clumps of its usual size are
//   normal at any hour, a clump several times larger is not. With `days_observed` (of the
//   key's region) under `kKnownDays`, a key is bursty as soon as it has a clump: a day or
//   two cannot tell a job that recurs at its hour (a night's jitter may move it out of the
//   hours seen) from a team's work at random hours, so the keys of a new account or region
//   are not flagged for repeating their clumps at a new hour;
// - the 1, 5 and 15 minute windows inside a clump: above the Poisson quantile at `p_value`
//   of their share of the next larger window's clump (the second-busiest day's, around
//   hour h). A job that spreads 30 calls over 10 minutes holds a busiest minute and a
//   busiest 5 minutes that swing from night to night like Poisson counts at the job's own
//   rate, which one day's busiest minute does not bound;
// - `calm_below` per window: the Poisson quantile at `calm_p_value` (above the robust peak
//   for one minute), and never above the window's `fire_at`;
// - `drop_below`: the Poisson lower bound at `p_value` of the 60-minute window at the
//   smaller of the median rate and the rate of the same hours a week earlier (a quiet
//   weekday is compared with its kind), when that expects at least `kDropMinimum` calls.
// Pure math: no I/O, no clock, no state; the same history always gives the same levels.
class CountBaseline {
 public:
  // Fewest calls a 60-minute window must expect before a drop below it is meaningful.
  static constexpr double kDropMinimum = 300.0;
  // A key is bursty at any hour when its days of the judged kind had at least kBurstyClumps
  // hours with a clump, at kBurstyHours or more different hours of the day: a job run at
  // one time of day, give or take its jitter, shows at two.
  static constexpr int kBurstyClumps = 4;
  static constexpr int kBurstyHours = 3;
  // How far above its usual clump a bursty key's window must go: its clumps come at random
  // times, so two of them now and then fall in one window.
  static constexpr double kBurstyMargin = 2.0;
  // Days of the region's history from which a key's clumps are judged by their hours of
  // the day.
  static constexpr int kKnownDays = 3;

  explicit CountBaseline(CountBaselineOptions options) : options_(options) {}

  // Returns the levels for a minute in the hour that follows the last entry of `week` by
  // `hours_ahead` hours (0: the next hour; 1: the one after). Only the newest
  // `days_observed` days of `week` (at least 1, at most options.window_days) hold history;
  // older entries are ignored, so a young key is judged on what it has. `first_hour_of_week`
  // is the hour of the week of week[0], or kNoWeekdays.
  Thresholds Compute(const WeekOfHours& week, int hours_ahead, int days_observed,
                     int first_hour_of_week = kNoWeekdays) const;
  // The same for a weekend hour, judged on the weekend days of two weeks (at most
  // 2 x options.window_days days of history). For a weekday hour, or with kNoWeekdays, the
  // older week is not read and the levels are those of the newer week.
  Thresholds Compute(const FortnightOfHours& fortnight, int hours_ahead, int days_observed,
                     int first_hour_of_week) const;

  // Returns Compute(week, hours_ahead, days_observed).drop_below, at the cost of the rates
  // alone: what the hourly drop check of a quiet key needs. It is 0 whenever no hour of
  // `week` holds kDropMinimum calls or more, so a caller that knows as much may skip it.
  std::uint32_t DropBelow(const WeekOfHours& week, int hours_ahead, int days_observed) const;

  // Returns a lower bound on windows[window].fire_at of every Thresholds that Compute()
  // returns with these options, whatever the history: `min_calls` scaled to the window, at
  // least 1. A window holding fewer calls cannot fire, so a caller may skip Compute().
  std::uint32_t FireAtLeast(std::size_t window) const;

  // Scores `calls` in a window against its levels: 0 for what the baseline expects or
  // less, rising with the Poisson improbability of the count (log scale, relative to that
  // of `fire_at`), below 1 for any count under `fire_at` and 1 from `fire_at` on.
  double Score(const WindowLevels& levels, std::uint32_t calls) const;

  const CountBaselineOptions& options() const { return options_; }

 private:
  // The rates around the judged hour over the window's days, per minute: their median, the
  // second-busiest day's busiest hour, and the same hours a week earlier (-1 when unseen).
  struct RatesAround {
    double expected = 0.0;
    double robust = 0.0;
    double week_ago = -1.0;
  };
  // The days before the judged hour a baseline reads (1: the day before), and the oldest
  // index of the history they may reach.
  struct Days {
    std::array<std::int8_t, 14> day{};
    std::size_t count = 0;
    int oldest = 0;
  };
  // Every day of the week before the judged hour in a history of `size` hours, as far as
  // `days_observed` and options.window_days reach.
  Days EveryDay(int size, int days_observed) const;
  static std::pair<int, int> DaySpan(int target, int oldest, int day, int size);
  static RatesAround Rates(std::span<const HourSummary> history, int target, const Days& days);
  Thresholds ComputeOver(std::span<const HourSummary> history, int hours_ahead, int days_observed,
                         int first_hour_of_week) const;
  std::uint32_t DropBelowOf(const RatesAround& rates) const;

  CountBaselineOptions options_;
};

// Returns the smallest k with P(X >= k) <= tail for X ~ Poisson(mean); 1 when mean is 0.
std::uint32_t PoissonUpperQuantile(double mean, double tail);

// Returns how many of the counts 0, 1, 2, ... have P(X <= k) <= tail for X ~ Poisson(mean):
// a count below the result is improbably low. 0 when even P(X = 0) exceeds `tail`.
std::uint32_t PoissonLowerBound(double mean, double tail);

}  // namespace trailsight::models
