#include "models/level_scale_scorer.h"

#include <algorithm>
#include <cmath>

namespace trailsight::models {
namespace {

namespace acc = boost::accumulators;

// The median absolute deviation times this is the standard deviation of Gaussian noise.
constexpr double kMadToSigma = 1.4826;

// Returns the median of `values`, reordering them; `values` must not be empty.
double MedianOf(std::span<double> values) {
  const std::size_t middle = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(middle),
                   values.end());
  const double upper = values[middle];
  if (values.size() % 2 == 1) return upper;
  // Even count: the lower middle is the largest value of the half before `middle`.
  const double lower =
      *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(middle));
  return lower + (upper - lower) / 2.0;  // no overflow near the largest doubles
}

}  // namespace

LevelScaleScorer::LevelScaleScorer(LevelScaleOptions options)
    : options_([&] {
        options.window = std::max<std::size_t>(options.window, 1);
        return options;
      }()),
      recent_(acc::tag::rolling_window::window_size = options_.window) {
  scratch_.reserve(options_.window);
}

double LevelScaleScorer::Observe(double value) {
  double score = 0.0;
  if (observed_ >= std::max<std::size_t>(options_.min_history, 1)) {
    // rolling_window() of Boost 1.74 does not compile under GCC 12 (its result() names an
    // extractor that two-phase lookup cannot find), so the window is read from the buffer
    // beneath it, which holds one value more once full.
    auto window = acc::rolling_window_plus1(recent_);
    if (static_cast<std::size_t>(window.size()) > options_.window) window.advance_begin(1);
    scratch_.assign(window.begin(), window.end());
    const double level = MedianOf(scratch_);
    double squared_deviations = 0.0;
    for (double& held : scratch_) {
      held = std::abs(held - level);
      squared_deviations += held * held;
    }
    double scale = kMadToSigma * MedianOf(scratch_);
    // Mostly repeated values: their median deviation is 0, so fall back on the root mean
    // square deviation from the level.
    if (scale == 0.0) scale = std::sqrt(squared_deviations / static_cast<double>(scratch_.size()));
    const double deviation = std::abs(value - level);
    if (scale > 0.0) {
      const double z = deviation / scale;
      if (z >= options_.fire_z) {
        score = 1.0;
      } else if (z > options_.calm_z) {
        score = (z - options_.calm_z) / (options_.fire_z - options_.calm_z);
      }
    } else {
      score = deviation > 0.0 ? 1.0 : 0.0;  // the window is one value repeated
    }
  }
  recent_(value);
  ++observed_;
  return std::clamp(score, 0.0, 1.0);
}

}  // namespace trailsight::models
