#include "models/series_scorer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace trailsight::models {
namespace {

constexpr std::int64_t kSecondsPerHour = 3600;
// CountBaseline reads an hour's calls divided by 60 as the rate per step (minute).
constexpr std::uint64_t kStepsPerHourSummary = 60;

// The points that fell in one hour.
struct HourTally {
  std::uint64_t sum = 0;
  std::uint64_t steps = 0;
  std::uint32_t peak = 0;
  std::uint32_t peak_quarter = 0;  // the most of 15 consecutive points ending in the hour
};

HourSummary Summarize(const HourTally& tally) {
  if (tally.steps == 0) return {};
  const std::uint64_t scaled = (tally.sum * kStepsPerHourSummary + tally.steps / 2) / tally.steps;
  return {static_cast<std::uint32_t>(
              std::min<std::uint64_t>(scaled, std::numeric_limits<std::uint32_t>::max())),
          tally.peak, tally.peak_quarter};
}

std::int64_t MedianGapSeconds(std::span<const SeriesPoint> points) {
  std::vector<std::int64_t> gaps;
  gaps.reserve(points.size());
  for (std::size_t i = 1; i < points.size(); ++i) {
    const std::int64_t gap = (points[i].time - points[i - 1].time).count();
    if (gap > 0) gaps.push_back(gap);
  }
  if (gaps.empty()) return 60;
  auto middle = gaps.begin() + static_cast<std::ptrdiff_t>(gaps.size() / 2);
  std::nth_element(gaps.begin(), middle, gaps.end());
  return *middle;
}

std::int64_t FloorDiv(std::int64_t value, std::int64_t divisor) {
  const std::int64_t quotient = value / divisor;
  return (value % divisor != 0 && value < 0) ? quotient - 1 : quotient;
}

// Returns the levels for the hour at `index`, from the complete hours before it; hours
// before the first are filled with the average complete hour.
Thresholds LevelsFor(const std::vector<HourTally>& hours, std::size_t index,
                     const CountBaseline& baseline, WeekOfHours& week) {
  std::uint64_t calls = 0;
  std::vector<std::uint32_t> peaks, quarters;
  peaks.reserve(index);
  quarters.reserve(index);
  for (std::size_t i = 0; i < index; ++i) {
    const HourSummary summary = Summarize(hours[i]);
    calls += summary.calls;
    peaks.push_back(summary.peak_minute);
    quarters.push_back(summary.peak_quarter);
  }
  const auto median = [](std::vector<std::uint32_t>& values) {
    auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
    std::nth_element(values.begin(), middle, values.end());
    return *middle;
  };
  const HourSummary typical{static_cast<std::uint32_t>(calls / index), median(peaks),
                            median(quarters)};

  const auto judged = static_cast<std::int64_t>(index);
  for (std::size_t slot = 0; slot < kHoursPerWeek; ++slot) {
    const std::int64_t hour = judged - static_cast<std::int64_t>(kHoursPerWeek - slot);
    week[slot] = hour >= 0 ? Summarize(hours[static_cast<std::size_t>(hour)]) : typical;
  }
  const auto days_observed = static_cast<int>(std::max<std::int64_t>(1, judged / 24));
  return baseline.Compute(week, 0, days_observed);
}

// The newest points, for the window sums: slot i % kLongest holds point i.
constexpr auto kLongest = static_cast<std::size_t>(kWindowMinutes[kWindowCount - 1]);
struct RecentSteps {
  std::array<std::uint32_t, kLongest> counts{};
  std::array<double, kLongest> expected{};        // negative: the point was not judged
  std::array<std::uint32_t, kLongest> fire_at{};  // its one-step firing level; 0: not judged
};

// Returns the largest window score of point `i`; see ScoreSeries for the rule. A window's
// expected count is the sum of its points' own expected counts, so on the falling side of
// a daily cycle the busier hours before are not mistaken for a rise; and each point counts
// in it at most as its own one-step firing level, so a spike, which scores 1 by itself,
// does not make the ordinary points after it score 1 too.
double WindowScore(const CountBaseline& baseline, const Thresholds& levels,
                   const RecentSteps& recent, std::size_t i) {
  const std::uint32_t count = recent.counts[i % kLongest];
  double score = baseline.Score(levels.minute(), count);
  if (count <= levels.expected) return score;
  const auto counted = [&](std::size_t slot) {
    const std::uint32_t cap =
        recent.fire_at[slot] > 0 ? recent.fire_at[slot] : levels.minute().fire_at;
    return std::min(recent.counts[slot], cap);
  };
  std::uint64_t sum = counted(i % kLongest);
  double expected = levels.expected;
  std::size_t summed = 1;
  for (std::size_t w = 1; w < kWindowCount; ++w) {
    const auto length = static_cast<std::size_t>(kWindowMinutes[w]);
    for (; summed < length && summed <= i; ++summed) {
      const std::size_t slot = (i - summed) % kLongest;
      sum += counted(slot);
      expected += recent.expected[slot] >= 0.0 ? recent.expected[slot] : levels.expected;
    }
    // Where the window reaches into busier hours, its firing level rises by as much.
    WindowLevels window = levels.windows[w];
    const double busier = expected - window.expected;
    if (busier > 0.0) window.fire_at += static_cast<std::uint32_t>(std::ceil(busier));
    window.expected = expected;
    const auto calls = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(sum, std::numeric_limits<std::uint32_t>::max()));
    score = std::max(score, baseline.Score(window, calls));
  }
  return score;
}

}  // namespace

std::vector<double> ScoreSeries(std::span<const SeriesPoint> points,
                                const CountBaselineOptions& options) {
  std::vector<double> scores;
  scores.reserve(points.size());
  if (points.empty()) return scores;

  const bool real_hours = MedianGapSeconds(points) <= kSecondsPerHour;
  const auto hour_of = [&](std::size_t i) {
    return real_hours ? FloorDiv(points[i].time.time_since_epoch().count(), kSecondsPerHour)
                      : static_cast<std::int64_t>(i);
  };
  const std::int64_t first_hour = hour_of(0);
  const CountBaseline baseline(options);
  std::vector<HourTally> hours(1);
  WeekOfHours week{};
  Thresholds levels;
  std::size_t levels_index = 0;  // 0: none yet (the first hour is never judged)

  RecentSteps recent;

  for (std::size_t i = 0; i < points.size(); ++i) {
    recent.counts[i % kLongest] = points[i].count;
    recent.expected[i % kLongest] = -1.0;
    recent.fire_at[i % kLongest] = 0;
    // A point out of order joins the newest hour rather than rewriting history.
    const auto index =
        std::max(static_cast<std::size_t>(std::max<std::int64_t>(0, hour_of(i) - first_hour)),
                 hours.size() - 1);
    if (index >= hours.size()) hours.resize(index + 1);
    if (index == 0) {
      scores.push_back(0.0);
    } else {
      if (index != levels_index) {
        levels = LevelsFor(hours, index, baseline, week);
        levels_index = index;
      }
      recent.expected[i % kLongest] = levels.expected;
      recent.fire_at[i % kLongest] = levels.minute().fire_at;
      scores.push_back(WindowScore(baseline, levels, recent, i));
    }
    HourTally& tally = hours[index];
    tally.sum += points[i].count;
    ++tally.steps;
    tally.peak = std::max(tally.peak, points[i].count);
    std::uint64_t quarter = 0;
    for (std::size_t back = 0; back < 15 && back <= i; ++back) {
      quarter += recent.counts[(i - back) % kLongest];
    }
    tally.peak_quarter = static_cast<std::uint32_t>(std::max<std::uint64_t>(
        tally.peak_quarter,
        std::min<std::uint64_t>(quarter, std::numeric_limits<std::uint32_t>::max())));
  }
  return scores;
}

SeriesModel ModelFor(std::span<const SeriesValue> values) {
  const bool counts = std::all_of(values.begin(), values.end(), [](const SeriesValue& row) {
    return row.value >= 0.0 && row.value <= kLargestCount && std::floor(row.value) == row.value;
  });
  return counts ? SeriesModel::kCount : SeriesModel::kContinuous;
}

std::vector<double> ScoreValues(std::span<const SeriesValue> values, SeriesModel model,
                                const CountBaselineOptions& counts,
                                const LevelScaleOptions& levels) {
  if (model == SeriesModel::kContinuous) {
    LevelScaleScorer scorer(levels);
    std::vector<double> scores;
    scores.reserve(values.size());
    for (const SeriesValue& row : values) scores.push_back(scorer.Observe(row.value));
    return scores;
  }
  std::vector<SeriesPoint> points;
  points.reserve(values.size());
  for (const SeriesValue& row : values) {
    const double count = std::round(std::clamp(row.value, 0.0, kLargestCount));
    points.push_back({row.time, static_cast<std::uint32_t>(count)});
  }
  return ScoreSeries(points, counts);
}

}  // namespace trailsight::models
