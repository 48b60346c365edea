#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "models/count_baseline.h"

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
// `points` must be in increasing time order. Pure: the same input gives the same scores.
std::vector<double> ScoreSeries(std::span<const SeriesPoint> points,
                                const CountBaselineOptions& options);

}  // namespace trailsight::models
