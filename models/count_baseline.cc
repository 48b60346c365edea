#include "models/count_baseline.h"

#include <Eigen/Core>
#include <algorithm>
#include <bit>
#include <bitset>
#include <boost/math/distributions/poisson.hpp>
#include <cmath>
#include <limits>
#include <unordered_map>

namespace trailsight::models {
namespace {

constexpr int kHoursPerDay = 24;
constexpr double kMinutesPerHour = 60.0;
// Minimum calls of each window, in multiples of `min_calls`: a handful of calls spread over
// an hour is not a rise, whatever the baseline.
constexpr std::array<double, kWindowCount> kMinimumFactor = {1.0, 3.0, 4.0, 8.0};

// P(X >= k) for X ~ Poisson(mean), mean > 0.
double UpperTail(const boost::math::poisson_distribution<double>& poisson, std::uint32_t k) {
  if (k == 0) return 1.0;
  return boost::math::cdf(boost::math::complement(poisson, static_cast<double>(k - 1)));
}

// What one window of `w` (an index into kWindowMinutes) can have held around an hour, from
// its summary: the busiest minute; at most five busiest minutes, and at most the busiest
// quarter; the busiest quarter; the hour or that quarter, whichever is more.
std::uint32_t WindowPeak(const HourSummary& hour, std::size_t w) {
  switch (w) {
    case 0:
      return hour.peak_minute;
    case 1:
      return static_cast<std::uint32_t>(
          std::min<std::uint64_t>(hour.peak_quarter, std::uint64_t{5} * hour.peak_minute));
    case 2:
      return hour.peak_quarter;
    default:
      return std::max(hour.calls, hour.peak_quarter);
  }
}

// The most calls a window that usually holds `mean` calls holds without a clump: beyond it
// (about 4.5 standard deviations, plus a quarter for day-to-day swings and slack for the
// smallest means) lies scheduled or batched work, never steady traffic.
double ClumpAbove(double mean) { return 1.25 * mean + 4.5 * std::sqrt(mean) + 3.0; }

// Up to two weeks of values, one a day, and how many there are.
template <typename T>
struct Daily {
  std::array<T, 14> values{};
  std::size_t count = 0;

  void Add(T value) { values[count++] = value; }
};

// One count of every hour of a history of HourSummary, as an array.
using Column =
    Eigen::Map<const Eigen::Array<std::uint32_t, Eigen::Dynamic, 1>, 0, Eigen::InnerStride<3>>;

// Of one value per day, the second largest with three days or more (one anomalous day does
// not count), else the largest; without sorting or allocating.
template <typename T>
T Robust(const Daily<T>& daily) {
  T first{}, second{};
  for (std::size_t i = 0; i < daily.count; ++i) {
    if (daily.values[i] > first) {
      second = first;
      first = daily.values[i];
    } else if (daily.values[i] > second) {
      second = daily.values[i];
    }
  }
  return daily.count >= 3 ? second : first;
}

std::uint32_t ExactUpperQuantile(double mean, double tail);
std::uint32_t ExactLowerBound(double mean, double tail);

// Exact quantiles, remembered: baselines ask for the same (mean, tail) pairs again and
// again (means are integer hour counts over 60, times a window length), and each answer
// costs several incomplete-gamma evaluations. Per thread, so the functions stay safe to
// call from any thread; cleared when full, so memory stays bounded.
template <typename Compute>
std::uint32_t Remembered(bool upper, double mean, double tail, Compute compute) {
  struct Key {
    double mean, tail;
    bool upper;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& key) const {
      const auto bits = std::bit_cast<std::uint64_t>(key.mean) * 0x9E3779B97F4A7C15ULL;
      return static_cast<std::size_t>(bits ^ std::bit_cast<std::uint64_t>(key.tail) ^ key.upper);
    }
  };
  constexpr std::size_t kCapacity = 1 << 16;
  thread_local std::unordered_map<Key, std::uint32_t, KeyHash> memo;
  const Key key{mean, tail, upper};
  if (auto it = memo.find(key); it != memo.end()) return it->second;
  if (memo.size() >= kCapacity) memo.clear();
  const std::uint32_t k = compute();
  memo.emplace(key, k);
  return k;
}

}  // namespace

std::uint32_t PoissonUpperQuantile(double mean, double tail) {
  if (mean <= 0.0) return 1;
  return Remembered(true, mean, tail, [&] { return ExactUpperQuantile(mean, tail); });
}

std::uint32_t PoissonLowerBound(double mean, double tail) {
  if (mean <= 0.0) return 0;
  return Remembered(false, mean, tail, [&] { return ExactLowerBound(mean, tail); });
}

namespace {

// Returns the smallest k >= least for which `holds(k)`, given that `holds` is false up to
// some k and true from there on, in O(log distance) calls from `guess`: gallops away from
// the guess to bracket the answer, then bisects. Each call is an incomplete-gamma
// evaluation whose cost grows with the mean, so walking one k at a time (about sqrt(mean)
// calls) would take seconds for one baseline at a million calls a minute.
template <typename Holds>
std::uint32_t SmallestHolding(Holds holds, std::int64_t guess, std::int64_t least) {
  constexpr std::int64_t kLargest = std::numeric_limits<std::uint32_t>::max();
  guess = std::clamp(guess, least, kLargest);
  std::int64_t low = least - 1;  // the largest k known not to hold (least - 1: none known)
  std::int64_t high = kLargest;  // a k known to hold, or the largest representable
  if (holds(static_cast<std::uint32_t>(guess))) {
    high = guess;
    for (std::int64_t step = 1; high > least; step *= 2) {
      const std::int64_t below = std::max(high - step, least);
      if (!holds(static_cast<std::uint32_t>(below))) {
        low = below;
        break;
      }
      high = below;
    }
  } else {
    low = guess;
    for (std::int64_t step = 1; low < kLargest; step *= 2) {
      const std::int64_t above = std::min(low + step, kLargest);
      if (holds(static_cast<std::uint32_t>(above))) {
        high = above;
        break;
      }
      low = above;
    }
  }
  while (high - low > 1) {
    const std::int64_t middle = low + (high - low) / 2;
    (holds(static_cast<std::uint32_t>(middle)) ? high : low) = middle;
  }
  return static_cast<std::uint32_t>(high);
}

std::uint32_t ExactUpperQuantile(double mean, double tail) {
  const boost::math::poisson_distribution<double> poisson(mean);
  // Start from the normal approximation (about 5 standard deviations up).
  const auto guess = static_cast<std::int64_t>(std::floor(mean + 5.0 * std::sqrt(mean)));
  return SmallestHolding([&](std::uint32_t k) { return UpperTail(poisson, k) <= tail; }, guess, 1);
}

std::uint32_t ExactLowerBound(double mean, double tail) {
  const boost::math::poisson_distribution<double> poisson(mean);
  const auto guess = static_cast<std::int64_t>(std::floor(mean - 5.0 * std::sqrt(mean)));
  // The smallest k with P(X <= k) > tail: then P(X <= k - 1) <= tail < P(X <= k).
  return SmallestHolding(
      [&](std::uint32_t k) { return boost::math::cdf(poisson, static_cast<double>(k)) > tail; },
      guess, 0);
}

}  // namespace

namespace {

// Where a key's clumps came, on the days of the judged kind, and how large they usually were.
struct Burstiness {
  bool bursty = false;  // see CountBaseline::kBurstyClumps and kBurstyHours
  // Per window, the second-busiest day's largest clump (one minute: the busiest minute of a
  // clump), as Robust() picks it.
  std::array<std::uint32_t, kWindowCount> usual{};
};

// Calls of an hour outside its busiest quarter: its traffic other than its clump.
std::uint32_t Rest(const HourSummary& hour) {
  return hour.calls > hour.peak_quarter ? hour.calls - hour.peak_quarter : 0;
}

// For each hour of a week: its hour of the day, or kOtherKind when its day is not of the
// judged kind.
constexpr std::int8_t kOtherKind = -1;
using DayHours = std::array<std::int8_t, kHoursPerFortnight>;

// Reads hours [oldest, history.size()) of `history` whose day is of the judged kind. An hour
// holds a clump when its busiest quarter is one against what the rest of that hour of the
// day usually holds, a third of its median over those days: steady traffic, which neither
// the key's clumps (they are in the quarter) nor one sparse hour (whose few calls all fit
// in a quarter) can make look small.
Burstiness BurstinessOf(std::span<const HourSummary> history, int oldest,
                        const DayHours& day_hours) {
  const int size = static_cast<int>(history.size());
  // Each hour of the day occurs once a day: at most fourteen values per hour of the day.
  std::array<std::array<std::uint32_t, 14>, kHoursPerDay> rests{};
  std::array<std::size_t, kHoursPerDay> seen{};
  for (int i = oldest; i < size; ++i) {
    const int hour = day_hours[static_cast<std::size_t>(i)];
    if (hour == kOtherKind) continue;
    rests[hour][seen[hour]++] = Rest(history[static_cast<std::size_t>(i)]);
  }
  std::array<double, kHoursPerDay> clump_above{};  // by hour of the day
  for (int hour = 0; hour < kHoursPerDay; ++hour) {
    if (seen[hour] == 0) continue;
    const auto begin = rests[hour].begin();
    const auto middle = begin + static_cast<std::ptrdiff_t>(seen[hour] / 2);
    std::nth_element(begin, middle, begin + static_cast<std::ptrdiff_t>(seen[hour]));
    clump_above[hour] = ClumpAbove(*middle / 3.0);
  }

  std::bitset<kHoursPerDay> clump_hours;
  int clumps = 0;  // hours with a clump
  std::array<Daily<std::uint32_t>, kWindowCount> daily;
  for (int day_end = size; day_end > oldest; day_end -= kHoursPerDay) {
    bool of_kind = false;
    std::array<std::uint32_t, kWindowCount> largest{};
    for (int i = day_end - kHoursPerDay; i < day_end; ++i) {
      const int hour = day_hours[static_cast<std::size_t>(i)];
      if (hour == kOtherKind) continue;
      of_kind = true;
      const HourSummary& summary = history[static_cast<std::size_t>(i)];
      if (summary.peak_quarter <= clump_above[hour]) continue;
      clump_hours.set(static_cast<std::size_t>(hour));
      ++clumps;
      for (std::size_t w = 0; w < kWindowCount; ++w) {
        largest[w] = std::max(largest[w], WindowPeak(summary, w));
      }
    }
    if (!of_kind) continue;
    for (std::size_t w = 0; w < kWindowCount; ++w) daily[w].Add(largest[w]);
  }
  Burstiness result;
  result.bursty = clumps >= CountBaseline::kBurstyClumps &&
                  static_cast<int>(clump_hours.count()) >= CountBaseline::kBurstyHours;
  for (std::size_t w = 0; w < kWindowCount; ++w) result.usual[w] = Robust(daily[w]);
  return result;
}

}  // namespace

// Hours [first, last] of the day `day` days before the judged hour `target`: the same hour
// of the day and its two neighbours, within the history of `size` hours from `oldest` on
// (empty when first > last).
std::pair<int, int> CountBaseline::DaySpan(int target, int oldest, int day, int size) {
  return {std::max(target - kHoursPerDay * day - 1, oldest),
          std::min(target - kHoursPerDay * day + 1, size - 1)};
}

CountBaseline::Days CountBaseline::EveryDay(int size, int days_observed) const {
  const int week_days = std::clamp(std::min(days_observed, options_.window_days), 1, 7);
  Days every;
  every.oldest = size - kHoursPerDay * week_days;
  for (int day = 1; day <= week_days; ++day) {
    every.day[every.count++] = static_cast<std::int8_t>(day);
  }
  return every;
}

CountBaseline::RatesAround CountBaseline::Rates(std::span<const HourSummary> history, int target,
                                                const Days& days) {
  const int size = static_cast<int>(history.size());
  const Column calls(&history[0].calls, size);
  std::array<double, 3 * 14> rates;  // three hours a day, at most fourteen days
  Daily<double> daily;
  std::size_t count = 0;
  RatesAround result;
  for (std::size_t d = 0; d < days.count; ++d) {
    const int day = days.day[d];
    const auto [first, last] = DaySpan(target, days.oldest, day, size);
    if (first > last) continue;
    const auto day_calls = calls.segment(first, last - first + 1).cast<double>();
    for (int i = 0; i <= last - first; ++i) rates[count++] = day_calls(i) / kMinutesPerHour;
    daily.Add(day_calls.maxCoeff() / kMinutesPerHour);
    if (day == 7) result.week_ago = day_calls.mean() / kMinutesPerHour;
  }
  if (count > 0) {
    const auto middle = rates.begin() + static_cast<std::ptrdiff_t>(count / 2);
    std::nth_element(rates.begin(), middle, rates.begin() + static_cast<std::ptrdiff_t>(count));
    result.expected = *middle;
  }
  result.robust = Robust(daily);
  return result;
}

Thresholds CountBaseline::Compute(const WeekOfHours& week, int hours_ahead, int days_observed,
                                  int first_hour_of_week) const {
  return ComputeOver(week, hours_ahead, days_observed, first_hour_of_week);
}

Thresholds CountBaseline::Compute(const FortnightOfHours& fortnight, int hours_ahead,
                                  int days_observed, int first_hour_of_week) const {
  return ComputeOver(fortnight, hours_ahead, days_observed, first_hour_of_week);
}

Thresholds CountBaseline::ComputeOver(std::span<const HourSummary> history, int hours_ahead,
                                      int days_observed, int first_hour_of_week) const {
  constexpr int kWeek = static_cast<int>(kHoursPerWeek);
  const int size = static_cast<int>(history.size());
  const Column peaks(&history[0].peak_minute, size);

  // The judged hour sits at index size + hours_ahead; the same hour of day k days earlier
  // at that index minus 24 k. Only hours from a day set's `oldest` on hold history.
  const int target = size + hours_ahead;
  const bool weekdays_known = first_hour_of_week != kNoWeekdays;
  const auto weekend = [&](int index) { return IsWeekend((first_hour_of_week + index) % kWeek); };
  const auto hour_of_day = [&](int index) {
    return weekdays_known ? (first_hour_of_week + index) % kHoursPerDay
                          : ((index - target) % kHoursPerDay + kHoursPerDay) % kHoursPerDay;
  };
  const Days every = EveryDay(size, days_observed);
  // A weekend hour's peaks and clumps come from the weekend days of the history when it
  // holds one, so weekday work does not hide a Sunday burst. A weekday hour's come from
  // every day: a weekend clump only makes it quieter.
  Days kind = every;
  bool by_kind = false;
  if (weekdays_known && weekend(target)) {
    const int span =
        std::clamp(std::min(days_observed, 2 * options_.window_days), 1, size / kHoursPerDay);
    Days weekends;
    weekends.oldest = size - kHoursPerDay * span;
    for (int day = 1; day <= span; ++day) {
      if (weekend(target - kHoursPerDay * day)) {
        weekends.day[weekends.count++] = static_cast<std::int8_t>(day);
      }
    }
    by_kind = weekends.count > 0;
    if (by_kind) kind = weekends;
  }

  // Each day of the judged kind contributes the judged hour and its two neighbours to the
  // peaks and clumps, and to the expected rate when there are three such days or more (two
  // weekends; with one, a quiet day would halve it). The busy-day rate that the longer
  // windows allow for comes from every day of the week: four days are too few to bound a
  // key's day-to-day swings, and a UTC weekend day holds the Friday evening or Monday
  // morning of accounts far from UTC.
  RatesAround rates = Rates(history, target, every);
  if (by_kind && kind.count >= 3) rates.expected = Rates(history, target, kind).expected;
  Daily<std::uint32_t> daily_peaks;
  Daily<std::pair<int, int>> spans;  // [first, last] of each day of the judged kind
  for (std::size_t d = 0; d < kind.count; ++d) {
    const auto [first, last] = DaySpan(target, kind.oldest, kind.day[d], size);
    if (first > last) continue;
    daily_peaks.Add(peaks.segment(first, last - first + 1).maxCoeff());
    spans.Add({first, last});
  }

  Thresholds levels;
  levels.expected = rates.expected;
  const double robust_rate = std::max(levels.expected, rates.robust);
  // The clumps each day put in each window around this hour. A window counts as a clump
  // above ClumpAbove() of the median rate, or, where that lies higher, above the calm
  // quantile of the busy-day rate: more than steady traffic gives, and never above what the
  // window fires at, so work that would fire is learned where it recurs (a release adding
  // half again to a busy key's hour is no ClumpAbove() clump, yet clears its 60-minute
  // level).
  std::array<Daily<std::uint32_t>, kWindowCount> daily_clumps;
  for (std::size_t w = 1; w < kWindowCount; ++w) {
    const double clump_above =
        std::min(ClumpAbove(levels.expected * kWindowMinutes[w]),
                 static_cast<double>(
                     PoissonUpperQuantile(robust_rate * kWindowMinutes[w], options_.calm_p_value)));
    for (std::size_t day = 0; day < spans.count; ++day) {
      std::uint32_t clump = 0;
      for (int i = spans.values[day].first; i <= spans.values[day].second; ++i) {
        const std::uint32_t held = WindowPeak(history[static_cast<std::size_t>(i)], w);
        if (held > clump_above) clump = std::max(clump, held);
      }
      daily_clumps[w].Add(clump);
    }
  }
  // The hours of the window by hour of the day, walked without a division per hour.
  DayHours day_hours;
  int hour = hour_of_day(kind.oldest);
  int hour_of_week = weekdays_known ? (first_hour_of_week + kind.oldest) % kWeek : 0;
  for (int i = kind.oldest; i < size; ++i) {
    const bool of_kind = !by_kind || IsWeekend(hour_of_week);
    day_hours[static_cast<std::size_t>(i)] = of_kind ? static_cast<std::int8_t>(hour) : kOtherKind;
    hour = hour == kHoursPerDay - 1 ? 0 : hour + 1;
    hour_of_week = hour_of_week == kWeek - 1 ? 0 : hour_of_week + 1;
  }
  Burstiness bursty = BurstinessOf(history, kind.oldest, day_hours);
  // Too few days of the region to tell a job's hour from a team's random ones: any clump
  // counts as bursty.
  if (days_observed < kKnownDays) {
    bursty.bursty = bursty.bursty || std::any_of(bursty.usual.begin(), bursty.usual.end(),
                                                 [](std::uint32_t clump) { return clump > 0; });
  }

  // Within the clump the next larger window usually holds here, a window's share of it is a
  // Poisson count at the clump's rate.
  std::array<std::uint32_t, kWindowCount> inside_clump{};
  for (std::size_t w = 0; w + 1 < kWindowCount; ++w) {
    const std::uint32_t clump = Robust(daily_clumps[w + 1]);
    if (clump == 0) continue;
    const double share = static_cast<double>(kWindowMinutes[w]) / kWindowMinutes[w + 1];
    inside_clump[w] = PoissonUpperQuantile(clump * share, options_.p_value);
  }

  // Busiest minute around this hour on a typical day: with three or more days, the
  // second-busiest day, so one anomalous day (an attack) does not become the norm.
  const std::uint32_t robust_peak = Robust(daily_peaks);

  WindowLevels& minute = levels.windows[0];
  minute.expected = levels.expected;
  auto peak_guard = static_cast<std::uint32_t>(std::floor(options_.peak_margin * robust_peak)) + 1;
  if (bursty.bursty) {
    // A bursty key's usual clump of a few minutes may come all in one.
    const std::uint32_t usual = std::max(bursty.usual[0], bursty.usual[1]);
    peak_guard = std::max(peak_guard, static_cast<std::uint32_t>(kBurstyMargin * usual) + 1);
  }
  minute.fire_at =
      std::max({options_.min_calls, PoissonUpperQuantile(levels.expected, options_.p_value),
                peak_guard, inside_clump[0]});
  minute.calm_below =
      std::max({std::uint32_t{1}, PoissonUpperQuantile(levels.expected, options_.calm_p_value),
                robust_peak + 1});
  minute.calm_below = std::min(minute.calm_below, minute.fire_at);

  for (std::size_t w = 1; w < kWindowCount; ++w) {
    WindowLevels& window = levels.windows[w];
    const double length = kWindowMinutes[w];
    window.expected = levels.expected * length;
    const double steady = robust_rate * length;
    auto clump_guard = static_cast<std::uint32_t>(
        std::floor(options_.peak_margin * Robust(daily_clumps[w]) + steady));
    if (bursty.bursty) {
      clump_guard = std::max(
          clump_guard,
          static_cast<std::uint32_t>(std::floor(kBurstyMargin * bursty.usual[w] + steady)));
    }
    window.fire_at = std::max({FireAtLeast(w), PoissonUpperQuantile(steady, options_.p_value),
                               clump_guard + 1, inside_clump[w]});
    window.calm_below =
        std::min(std::max(std::uint32_t{1}, PoissonUpperQuantile(steady, options_.calm_p_value)),
                 window.fire_at);
  }

  levels.drop_below = DropBelowOf(rates);
  return levels;
}

std::uint32_t CountBaseline::DropBelow(const WeekOfHours& week, int hours_ahead,
                                       int days_observed) const {
  constexpr int kWeek = static_cast<int>(kHoursPerWeek);
  return DropBelowOf(Rates(week, kWeek + hours_ahead, EveryDay(kWeek, days_observed)));
}

std::uint32_t CountBaseline::FireAtLeast(std::size_t window) const {
  // Compute() takes fire_at as the largest of terms that include this floor (min_calls
  // itself for one minute) and a Poisson quantile, which is at least 1.
  const double floor_calls = std::ceil(options_.min_calls * kMinimumFactor[window]);
  return std::max(std::uint32_t{1}, static_cast<std::uint32_t>(floor_calls));
}

std::uint32_t CountBaseline::DropBelowOf(const RatesAround& rates) const {
  // A drop needs the same day a week earlier: without it a weekend looks like a drop.
  const double drop_rate = std::min(rates.expected, rates.week_ago);
  if (rates.week_ago < 0.0 || drop_rate * kMinutesPerHour < kDropMinimum) return 0;
  return PoissonLowerBound(drop_rate * kMinutesPerHour, options_.p_value);
}

double CountBaseline::Score(const WindowLevels& levels, std::uint32_t calls) const {
  if (calls >= levels.fire_at) return 1.0;
  if (levels.expected <= 0.0) return 0.5 * calls / levels.fire_at;
  if (calls <= levels.expected) return 0.0;
  // The count's improbability on a log scale, where the improbability of `fire_at` is 1:
  // monotone in the count, and 1 exactly where the window fires.
  const boost::math::poisson_distribution<double> poisson(levels.expected);
  const double tail = std::max(UpperTail(poisson, calls), 1e-300);
  const double firing_tail = std::max(UpperTail(poisson, levels.fire_at), 1e-300);
  return std::clamp(std::log(tail) / std::log(firing_tail), 0.0, 0.999);
}

}  // namespace trailsight::models
