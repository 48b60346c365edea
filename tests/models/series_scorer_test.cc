#include "models/series_scorer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace trailsight::models {
namespace {

using std::chrono::minutes;
using std::chrono::sys_seconds;

constexpr int kMinutesPerDay = 24 * 60;
const sys_seconds kStart{std::chrono::sys_days{std::chrono::November / 2 / 2026}};

// `days` of one point a minute, each with the count `count_at(minute index)`.
template <typename CountAt>
std::vector<SeriesPoint> MinuteSeries(int days, CountAt count_at) {
  std::vector<SeriesPoint> points;
  for (int i = 0; i < days * kMinutesPerDay; ++i) {
    points.push_back({kStart + minutes{i}, count_at(i)});
  }
  return points;
}

double MaxScore(const std::vector<double>& scores, std::size_t from, std::size_t to) {
  return *std::max_element(scores.begin() + static_cast<std::ptrdiff_t>(from),
                           scores.begin() + static_cast<std::ptrdiff_t>(to));
}

TEST(ScoreSeriesTest, GivesOneScoreInRangePerPoint) {
  const auto points = MinuteSeries(2, [](int i) { return static_cast<std::uint32_t>(i % 7); });

  const std::vector<double> scores = ScoreSeries(points, {});

  ASSERT_EQ(scores.size(), points.size());
  for (double score : scores) {
    EXPECT_GE(score, 0.0);
    EXPECT_LE(score, 1.0);
  }
}

TEST(ScoreSeriesTest, FlatSeriesScoresLowFromTheStart) {
  const auto points = MinuteSeries(3, [](int) { return 10u; });

  const std::vector<double> scores = ScoreSeries(points, {});

  EXPECT_LT(MaxScore(scores, 0, scores.size()), 0.1);
}

TEST(ScoreSeriesTest, SpikeScoresOneAtTheSpikeOnly) {
  const int spike = 2 * kMinutesPerDay + 14 * 60 + 7;
  const auto points = MinuteSeries(3, [&](int i) { return i == spike ? 200u : 10u; });

  const std::vector<double> scores = ScoreSeries(points, {});

  EXPECT_EQ(scores[spike], 1.0);
  EXPECT_LT(MaxScore(scores, 0, spike), 0.1);
  EXPECT_LT(MaxScore(scores, spike + 1, scores.size()), 0.1);
}

TEST(ScoreSeriesTest, SustainedModerateRiseScoresOneWithoutASpike) {
  const int rise = 2 * kMinutesPerDay + 10 * 60;
  const auto points =
      MinuteSeries(3, [&](int i) { return i >= rise && i < rise + 30 ? 17u : 10u; });

  const std::vector<double> scores = ScoreSeries(points, {});

  EXPECT_LT(scores[rise], 0.5);  // no single minute of it is remarkable
  EXPECT_EQ(MaxScore(scores, rise, rise + 30), 1.0);
  EXPECT_LT(MaxScore(scores, 0, rise), 0.1);
}

TEST(ScoreSeriesTest, SpikeOnTheFirstDayScoresAgainstWhatExists) {
  const int spike = 3 * 60;  // three hours in: no earlier day to compare with
  const auto points = MinuteSeries(1, [&](int i) { return i == spike ? 200u : 10u; });

  const std::vector<double> scores = ScoreSeries(points, {});

  EXPECT_EQ(scores[spike], 1.0);
  EXPECT_LT(MaxScore(scores, 0, spike), 0.1);
}

TEST(ScoreSeriesTest, DailyCyclePeaksAreNormalAfterAFewDays) {
  // 5 to 45 calls a minute, peaking at 14:00 every day, with a little deterministic jitter.
  const auto daily = [](int i) {
    const double phase = 2.0 * std::numbers::pi * ((i % kMinutesPerDay) / 60.0 - 8.0) / 24.0;
    return static_cast<std::uint32_t>(std::lround(25.0 + 20.0 * std::sin(phase) + (i * 7 % 5)));
  };
  const auto points = MinuteSeries(6, daily);

  const std::vector<double> scores = ScoreSeries(points, {});

  EXPECT_LT(MaxScore(scores, 3 * kMinutesPerDay, scores.size()), 0.3);
}

TEST(ScoreSeriesTest, StepsOfFiveMinutesKeepTheirScale) {
  std::vector<SeriesPoint> points;
  for (int i = 0; i < 3 * 288; ++i) points.push_back({kStart + minutes{5 * i}, 100});
  points[2 * 288 + 100].count = 300;

  const std::vector<double> scores = ScoreSeries(points, {});

  EXPECT_LT(MaxScore(scores, 0, 2 * 288 + 100), 0.1);
  EXPECT_EQ(scores[2 * 288 + 100], 1.0);
}

TEST(ScoreSeriesTest, FiveMinuteDailyCycleScoresOnlyItsSpikeAfterTheFirstDay) {
  // 30 to 70 a step, a day of 288 steps; long windows span hours of the cycle.
  constexpr int kStepsPerDay = 288;
  std::vector<SeriesPoint> points;
  for (int i = 0; i < 5 * kStepsPerDay; ++i) {
    const double phase = 2.0 * std::numbers::pi * i / kStepsPerDay;
    const auto count = static_cast<std::uint32_t>(std::lround(50.0 + 20.0 * std::sin(phase)));
    points.push_back({kStart + minutes{5 * i}, count + static_cast<std::uint32_t>(i * 7 % 5)});
  }
  const int spike = 3 * kStepsPerDay + 136;  // late morning, on the falling side
  points[spike].count = 400;

  const std::vector<double> scores = ScoreSeries(points, {});

  EXPECT_EQ(scores[spike], 1.0);
  EXPECT_LT(MaxScore(scores, kStepsPerDay, spike), 0.5);
  EXPECT_LT(MaxScore(scores, spike + 1, scores.size()), 0.5);  // no echo of the spike
}

TEST(ScoreSeriesTest, DailyStepsAreJudgedAgainstTheirRecentLevel) {
  std::vector<SeriesPoint> points;
  for (int day = 0; day < 60; ++day) {
    points.push_back({kStart + std::chrono::days{day}, day == 50 ? 400u : 100u + day % 3});
  }

  const std::vector<double> scores = ScoreSeries(points, {});

  EXPECT_EQ(scores[50], 1.0);
  EXPECT_LT(MaxScore(scores, 0, 50), 0.1);
}

TEST(ScoreSeriesTest, RepeatedAndEarlierTimestampsKeepOneScorePerPointInOrder) {
  // Three days of minutes; at 02:00 on the third day the clock goes back an hour (the
  // daylight-saving repeat), and two later rows are swapped.
  std::vector<SeriesPoint> points;
  for (int i = 0; i < 3 * kMinutesPerDay; ++i) {
    const int clock = i < 2 * kMinutesPerDay + 120 ? i : i - 60;
    points.push_back({kStart + minutes{clock}, 10u});
  }
  const int swapped = 2 * kMinutesPerDay + 600;
  std::swap(points[swapped].time, points[swapped + 1].time);
  const int spike = 2 * kMinutesPerDay + 150;  // inside the repeated hour
  points[spike].count = 200;

  const std::vector<double> scores = ScoreSeries(points, {});

  ASSERT_EQ(scores.size(), points.size());
  EXPECT_EQ(scores[spike], 1.0);
  EXPECT_LT(MaxScore(scores, 0, spike), 0.1);
  EXPECT_LT(MaxScore(scores, spike + 1, scores.size()), 0.1);
}

std::vector<SeriesValue> Values(std::initializer_list<double> values) {
  std::vector<SeriesValue> rows;
  for (double value : values) rows.push_back({kStart + minutes{rows.size()}, value});
  return rows;
}

TEST(ModelForTest, TakesWholeValuesFromZeroToTheLargestCountAsCounts) {
  EXPECT_EQ(ModelFor(Values({0.0, 3.0, 17.0, kLargestCount})), SeriesModel::kCount);
  EXPECT_EQ(ModelFor(Values({})), SeriesModel::kCount);
}

TEST(ModelForTest, TakesNegativeFractionalOrLargerValuesAsContinuous) {
  EXPECT_EQ(ModelFor(Values({3.0, -1.0, 4.0})), SeriesModel::kContinuous);
  EXPECT_EQ(ModelFor(Values({3.0, 2.5, 4.0})), SeriesModel::kContinuous);
  EXPECT_EQ(ModelFor(Values({3.0, kLargestCount + 1.0})), SeriesModel::kContinuous);
  EXPECT_EQ(ModelFor(Values({5e7, 5.1e7})), SeriesModel::kContinuous);
}

TEST(ScoreValuesTest, CountModelScoresAsScoreSeries) {
  const auto points = MinuteSeries(2, [](int i) { return i == 2000 ? 300u : 20u + i % 3; });
  std::vector<SeriesValue> values;
  for (const SeriesPoint& point : points) values.push_back({point.time, double(point.count)});

  const std::vector<double> scores = ScoreValues(values, SeriesModel::kCount, {}, {});

  EXPECT_EQ(scores, ScoreSeries(points, {}));
  EXPECT_EQ(scores[2000], 1.0);
}

TEST(ScoreValuesTest, ContinuousModelScoresLargeMagnitudesInInputOrder) {
  // Bytes written a minute: around 5e7, timestamps repeating in pairs.
  std::vector<SeriesValue> values;
  for (int i = 0; i < 4000; ++i) {
    const double bytes = 5e7 + 1e5 * (i * 7 % 5) + (i == 3000 ? 4e7 : 0.0);
    values.push_back({kStart + minutes{i / 2}, bytes});
  }

  const std::vector<double> scores = ScoreValues(values, ModelFor(values), {}, LevelScaleOptions{});

  ASSERT_EQ(scores.size(), values.size());
  EXPECT_EQ(scores[3000], 1.0);
  EXPECT_EQ(MaxScore(scores, 0, 3000), 0.0);
  EXPECT_EQ(MaxScore(scores, 3001, scores.size()), 0.0);
}

}  // namespace
}  // namespace trailsight::models
