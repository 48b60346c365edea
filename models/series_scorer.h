#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "models/count_baseline.h"
#include "models/level_scale_scorer.h"

namespace trailsight::models {

// One step of a numeric series: the count observed in the step that starts at `time`.
struct SeriesPoint {
  std::chrono::sys_seconds time;
  std::uint32_t count = 0;
};

// Scores any series of counts with the detector's CountBaseline, for analysts and public
// benchmarks (`trailsight score`).
//
// Contract: returns one score in [0, 1] per point, judged against a baseline learned from
// the hours before the point's own, so a spike cannot hide itself and no score depends on
// later points. Like the detector's minutes, a point is judged over windows of 1, 5, 15 and
// 60 steps ending at it (CountBaseline::Score of each, the largest wins), so a sustained
// moderate rise scores as well as a spike. So that the echo of an earlier spike does not
// linger, the longer windows count only while the point itself is above its expected
// count, and each point adds to a window at most its own one-step firing level. A window's
// expected count and firing level follow its points' own hours. The step is the median gap
// between consecutive points:
// - a step of at most an hour keeps real time: the points of each UTC hour become one
//   HourSummary (their mean per step, scaled to 60 steps, and their largest count), so the
//   baseline sees the same time of day on other days as the detector does for minutes;
// - a longer step puts one point in each hour, in order, so the baseline's "time of day"
//   is a cycle of 24 steps.
// Before a day of history, hours before the first point are taken to be like the average
// hour seen so far, so early points are scored against what exists; the points of the
// first hour score 0 (nothing to compare with). Hours without points count as zero calls.
// Points may repeat a timestamp or go back in time (a daylight-saving hour, a clock step):
// such a point joins the newest hour so far rather than rewriting history, and its score is
// still at its own index. Pure: the same input gives the same scores.
std::vector<double> ScoreSeries(std::span<const SeriesPoint> points,
                                const CountBaselineOptions& options);

// One row of any numeric series: the value of the step that starts at `time`.
struct SeriesValue {
  std::chrono::sys_seconds time;
  double value = 0.0;
};

// The model a whole series is scored with.
enum class SeriesModel {
  kCount,       // CountBaseline through ScoreSeries: counts of events per step
  kContinuous,  // LevelScaleScorer: any other numeric series
};

// The largest value a count series may hold. Poisson noise around a count n is sqrt(n), a
// third of a percent of n at 100,000: counted series that large swing far more than that,
// so larger whole numbers are taken as measurements (bytes, milliseconds), which the
// continuous model judges by their own spread. The count model's exact tests also cost
// more as counts grow (4,000 steps: 0.03 s around 20 a step, 0.3 s around 100,000, 0.8 s
// around a million), where the continuous model's cost does not depend on the values.
inline constexpr double kLargestCount = 100'000.0;

// Returns kCount when every value is a whole number from 0 to kLargestCount (a series of
// counts, as the detector's minutes are), else kContinuous (negative or fractional values,
// or larger magnitudes). An empty series is a count series.
SeriesModel ModelFor(std::span<const SeriesValue> values);

// Scores `values` with `model`: one score in [0, 1] per value, in the input's order, whatever
// the timestamps' order. kCount scores as ScoreSeries does, after clamping each value to
// [0, kLargestCount] and rounding it (which changes nothing in a series ModelFor takes as
// counts); kContinuous as LevelScaleScorer does, on the values in input order. Pure.
std::vector<double> ScoreValues(std::span<const SeriesValue> values, SeriesModel model,
                                const CountBaselineOptions& counts,
                                const LevelScaleOptions& levels);

}  // namespace trailsight::models
