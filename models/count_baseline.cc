#include "models/count_baseline.h"

#include <Eigen/Core>
#include <algorithm>
#include <boost/math/distributions/poisson.hpp>
#include <cmath>
#include <vector>

namespace trailsight::models {
namespace {

constexpr int kHoursPerDay = 24;
constexpr double kMinutesPerHour = 60.0;

// P(X >= k) for X ~ Poisson(mean), mean > 0.
double UpperTail(const boost::math::poisson_distribution<double>& poisson, std::uint32_t k) {
  if (k == 0) return 1.0;
  return boost::math::cdf(boost::math::complement(poisson, static_cast<double>(k - 1)));
}

}  // namespace

std::uint32_t PoissonUpperQuantile(double mean, double tail) {
  if (mean <= 0.0) return 1;
  const boost::math::poisson_distribution<double> poisson(mean);
  // Start from the normal approximation and walk to the exact answer: a few steps at most.
  const double guess = mean + 5.0 * std::sqrt(mean);
  auto k = static_cast<std::uint32_t>(std::max(1.0, std::floor(guess)));
  while (k > 1 && UpperTail(poisson, k - 1) <= tail) --k;
  while (UpperTail(poisson, k) > tail) ++k;
  return k;
}

Thresholds CountBaseline::Compute(const WeekOfHours& week, int hours_ahead,
                                  int days_observed) const {
  const int days = std::clamp(std::min(days_observed, options_.window_days), 1, 7);
  constexpr int kWeek = static_cast<int>(kHoursPerWeek);
  // Columns of the week as two arrays, one value per hour.
  using HourArray = Eigen::Array<std::uint32_t, kHoursPerWeek, 1>;
  const Eigen::Map<const HourArray, 0, Eigen::InnerStride<2>> calls(&week[0].calls);
  const Eigen::Map<const HourArray, 0, Eigen::InnerStride<2>> peaks(&week[0].peak_minute);

  // The judged hour sits at index kWeek + hours_ahead; the same hour of day k days earlier
  // at that index minus 24 k. Each day contributes that hour and its two neighbours.
  const int target = kWeek + hours_ahead;
  std::vector<double> rates;
  std::vector<std::uint32_t> daily_peaks;
  rates.reserve(3 * static_cast<std::size_t>(days));
  daily_peaks.reserve(static_cast<std::size_t>(days));
  for (int day = 1; day <= days; ++day) {
    const int first = std::max(target - kHoursPerDay * day - 1, kWeek - kHoursPerDay * days);
    const int last = std::min(target - kHoursPerDay * day + 1, kWeek - 1);
    if (first > last) continue;
    const int span = last - first + 1;
    for (int i = first; i <= last; ++i) rates.push_back(calls(i) / kMinutesPerHour);
    daily_peaks.push_back(peaks.segment(first, span).maxCoeff());
  }

  Thresholds levels;
  if (!rates.empty()) {
    auto middle = rates.begin() + static_cast<std::ptrdiff_t>(rates.size() / 2);
    std::nth_element(rates.begin(), middle, rates.end());
    levels.expected = *middle;
  }
  // Busiest minute around this hour on a typical day: with three or more days, the
  // second-busiest day, so one anomalous day (an attack) does not become the norm.
  std::uint32_t robust_peak = 0;
  if (!daily_peaks.empty()) {
    std::sort(daily_peaks.begin(), daily_peaks.end(), std::greater<>());
    robust_peak = daily_peaks.size() >= 3 ? daily_peaks[1] : daily_peaks[0];
  }

  const auto peak_guard =
      static_cast<std::uint32_t>(std::floor(options_.peak_margin * robust_peak)) + 1;
  levels.fire_at = std::max(
      {options_.min_calls, PoissonUpperQuantile(levels.expected, options_.p_value), peak_guard});
  levels.calm_below =
      std::max({std::uint32_t{1}, PoissonUpperQuantile(levels.expected, options_.calm_p_value),
                robust_peak + 1});
  levels.calm_below = std::min(levels.calm_below, levels.fire_at);
  return levels;
}

}  // namespace trailsight::models
