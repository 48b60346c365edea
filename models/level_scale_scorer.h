#pragma once

#include <boost/accumulators/accumulators.hpp>
#include <boost/accumulators/statistics/rolling_window.hpp>
#include <boost/accumulators/statistics/stats.hpp>
#include <cstddef>
#include <span>
#include <vector>

namespace trailsight::models {

struct LevelScaleOptions {
  std::size_t window = 60;       // values before the judged one that its level and scale come from
  std::size_t min_history = 10;  // values scored 0 until the window holds this many
  double calm_z = 3.0;  // a value this many robust scales from the level, or closer, scores 0
  double fire_z = 6.0;  // this many or more scores 1; between the two, the score rises linearly
};

// Scores each value of a numeric series that is not a series of counts (negative or
// fractional values, or magnitudes such as bytes written) against the robust level and
// scale of the values just before it: the median of the last `window` values, and 1.4826
// times their median absolute deviation from it (the standard deviation, for Gaussian
// noise). The median and the deviation are robust: a spike inside the window moves neither,
// so it does not hide the next one and leaves no echo.
//
// Contract: Observe() scores the value against the values observed before it, then adds it
// to them, so a spike cannot hide itself. Scores are in [0, 1], in both directions (a fall
// counts as much as a rise), and depend only on the values' order, never on their
// timestamps or their unit: multiplying every value by a positive number or adding a
// constant to all of them leaves the scores unchanged (up to rounding), so 5 and 5e7 a step
// are judged alike and take the same time. When the window's values mostly repeat (their
// median deviation is 0) the scale is their root mean square deviation from the level; when
// they are all equal, any other value scores 1.
//
// Cost: O(window) per value, no allocation after the first `window` values. State: the
// last `window` values (Boost.Accumulators' rolling window) and one scratch buffer of the
// same size.
//
// Thread safety: none; one owner calls it.
class LevelScaleScorer {
 public:
  // A `window` of 0 is taken as 1; with `fire_z` at or below `calm_z`, any value beyond
  // `calm_z` scores 1.
  explicit LevelScaleScorer(LevelScaleOptions options);

  // Returns the score of `value` against the values observed before it (0 until
  // `min_history` of them), then adds it to the window. `value` must be finite.
  double Observe(double value);

 private:
  using Window = boost::accumulators::accumulator_set<
      double, boost::accumulators::stats<boost::accumulators::tag::rolling_window>>;

  const LevelScaleOptions options_;
  Window recent_;
  std::size_t observed_ = 0;
  std::vector<double> scratch_;  // the window's values, reordered to find medians
};

}  // namespace trailsight::models
