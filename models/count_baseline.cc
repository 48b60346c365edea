#include "models/count_baseline.h"

#include <Eigen/Core>
#include <algorithm>
#include <bit>
#include <boost/math/distributions/poisson.hpp>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <vector>

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

// Whether an hour's busiest minute is far beyond what its own Poisson rate gives: a
// scheduled burst rather than steady traffic (about 4.5 standard deviations, plus slack for
// the smallest rates).
bool Clumpy(std::uint32_t calls, std::uint32_t peak) {
  const double rate = calls / kMinutesPerHour;
  return peak > rate + 4.5 * std::sqrt(rate) + 3.0;
}

// Of one value per day, the second largest with three days or more (one anomalous day does
// not count), else the largest.
template <typename T>
T Robust(std::vector<T>& daily) {
  if (daily.empty()) return T{};
  std::sort(daily.begin(), daily.end(), std::greater<>());
  return daily.size() >= 3 ? daily[1] : daily[0];
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

Thresholds CountBaseline::Compute(const WeekOfHours& week, int hours_ahead,
                                  int days_observed) const {
  const int days = std::clamp(std::min(days_observed, options_.window_days), 1, 7);
  constexpr int kWeek = static_cast<int>(kHoursPerWeek);
  // Columns of the week as two arrays, one value per hour.
  using HourArray = Eigen::Array<std::uint32_t, kHoursPerWeek, 1>;
  const Eigen::Map<const HourArray, 0, Eigen::InnerStride<3>> calls(&week[0].calls);
  const Eigen::Map<const HourArray, 0, Eigen::InnerStride<3>> peaks(&week[0].peak_minute);

  // The judged hour sits at index kWeek + hours_ahead; the same hour of day k days earlier
  // at that index minus 24 k. Each day contributes that hour and its two neighbours.
  const int target = kWeek + hours_ahead;
  std::vector<double> rates, daily_rates;
  std::vector<std::uint32_t> daily_peaks;
  std::array<std::vector<std::uint32_t>, kWindowCount> daily_clumps;
  rates.reserve(3 * static_cast<std::size_t>(days));
  double week_ago_rate = -1.0;  // the same hours seven days earlier, when observed
  for (int day = 1; day <= days; ++day) {
    const int first = std::max(target - kHoursPerDay * day - 1, kWeek - kHoursPerDay * days);
    const int last = std::min(target - kHoursPerDay * day + 1, kWeek - 1);
    if (first > last) continue;
    const int span = last - first + 1;
    const auto day_calls = calls.segment(first, span).cast<double>();
    for (int i = 0; i < span; ++i) rates.push_back(day_calls(i) / kMinutesPerHour);
    daily_rates.push_back(day_calls.maxCoeff() / kMinutesPerHour);
    if (day == 7) week_ago_rate = day_calls.mean() / kMinutesPerHour;
    daily_peaks.push_back(peaks.segment(first, span).maxCoeff());
    // What the day's clumps could put in one window: all of a clumpy hour's calls, at most
    // the window's length times its busiest minute.
    for (std::size_t w = 1; w < kWindowCount; ++w) {
      std::uint32_t clump = 0;
      for (int i = first; i <= last; ++i) {
        if (!Clumpy(calls(i), peaks(i))) continue;
        const auto window = static_cast<std::uint32_t>(kWindowMinutes[w]);
        clump = std::max(clump, std::min(calls(i), window * peaks(i)));
      }
      daily_clumps[w].push_back(clump);
    }
  }

  Thresholds levels;
  if (!rates.empty()) {
    auto middle = rates.begin() + static_cast<std::ptrdiff_t>(rates.size() / 2);
    std::nth_element(rates.begin(), middle, rates.end());
    levels.expected = *middle;
  }
  // Busiest minute around this hour on a typical day: with three or more days, the
  // second-busiest day, so one anomalous day (an attack) does not become the norm.
  const std::uint32_t robust_peak = Robust(daily_peaks);
  const double robust_rate = std::max(levels.expected, Robust(daily_rates));

  WindowLevels& minute = levels.windows[0];
  minute.expected = levels.expected;
  const auto peak_guard =
      static_cast<std::uint32_t>(std::floor(options_.peak_margin * robust_peak)) + 1;
  minute.fire_at = std::max(
      {options_.min_calls, PoissonUpperQuantile(levels.expected, options_.p_value), peak_guard});
  minute.calm_below =
      std::max({std::uint32_t{1}, PoissonUpperQuantile(levels.expected, options_.calm_p_value),
                robust_peak + 1});
  minute.calm_below = std::min(minute.calm_below, minute.fire_at);

  for (std::size_t w = 1; w < kWindowCount; ++w) {
    WindowLevels& window = levels.windows[w];
    const double length = kWindowMinutes[w];
    window.expected = levels.expected * length;
    const double steady = robust_rate * length;
    const auto floor_calls =
        static_cast<std::uint32_t>(std::ceil(options_.min_calls * kMinimumFactor[w]));
    const auto clump_guard = static_cast<std::uint32_t>(
        std::floor(options_.peak_margin * Robust(daily_clumps[w]) + steady));
    window.fire_at =
        std::max({floor_calls, PoissonUpperQuantile(steady, options_.p_value), clump_guard + 1});
    window.calm_below =
        std::min(std::max(std::uint32_t{1}, PoissonUpperQuantile(steady, options_.calm_p_value)),
                 window.fire_at);
  }

  // A drop needs the same day a week earlier: without it a weekend looks like a drop.
  const double drop_rate = std::min(levels.expected, week_ago_rate);
  if (week_ago_rate >= 0.0 && drop_rate * kMinutesPerHour >= kDropMinimum) {
    levels.drop_below = PoissonLowerBound(drop_rate * kMinutesPerHour, options_.p_value);
  }
  return levels;
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
