#include "models/level_scale_scorer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <vector>

namespace trailsight::models {
namespace {

// A deterministic jitter in {0, 1, 2, 3, 4}, every value equally often.
double Jitter(int i) { return static_cast<double>(i * 7 % 5); }

std::vector<double> ScoreAll(const std::vector<double>& values, LevelScaleOptions options = {}) {
  LevelScaleScorer scorer(options);
  std::vector<double> scores;
  for (double value : values) scores.push_back(scorer.Observe(value));
  return scores;
}

std::vector<double> Series(int length, const std::function<double(int)>& value_at) {
  std::vector<double> values;
  for (int i = 0; i < length; ++i) values.push_back(value_at(i));
  return values;
}

double MaxScore(const std::vector<double>& scores, std::size_t from, std::size_t to) {
  return *std::max_element(scores.begin() + static_cast<std::ptrdiff_t>(from),
                           scores.begin() + static_cast<std::ptrdiff_t>(to));
}

TEST(LevelScaleScorerTest, NoisyFlatSeriesScoresZero) {
  const auto values = Series(500, [](int i) { return 12.5 + 0.1 * Jitter(i); });

  const std::vector<double> scores = ScoreAll(values);

  EXPECT_EQ(MaxScore(scores, 0, scores.size()), 0.0);
}

TEST(LevelScaleScorerTest, SpikeScoresOneAndLeavesNoEcho) {
  constexpr int kSpike = 300;
  const auto values =
      Series(500, [](int i) { return i == kSpike ? 80.0 : 12.5 + 0.1 * Jitter(i); });

  const std::vector<double> scores = ScoreAll(values);

  EXPECT_EQ(scores[kSpike], 1.0);
  EXPECT_EQ(MaxScore(scores, 0, kSpike), 0.0);
  EXPECT_EQ(MaxScore(scores, kSpike + 1, scores.size()), 0.0);
}

TEST(LevelScaleScorerTest, FallOfNegativeValuesScoresAsHighAsARise) {
  constexpr int kFall = 250;
  const auto values =
      Series(400, [](int i) { return i == kFall ? -95.0 : -20.0 - 0.5 * Jitter(i); });

  const std::vector<double> scores = ScoreAll(values);

  EXPECT_EQ(scores[kFall], 1.0);
  EXPECT_EQ(MaxScore(scores, 0, kFall), 0.0);
}

TEST(LevelScaleScorerTest, ModerateDeviationScoresBetweenZeroAndOne) {
  // The window's values are 0..4 (median 2, median deviation 1): 2 + 4.5 scales sits midway
  // between calm_z = 3 and fire_z = 6.
  constexpr int kJudged = 200;
  constexpr double kScale = 1.4826;
  const auto values =
      Series(kJudged + 1, [](int i) { return i == kJudged ? 2.0 + 4.5 * kScale : Jitter(i); });

  const std::vector<double> scores = ScoreAll(values);

  EXPECT_NEAR(scores[kJudged], 0.5, 1e-9);
}

TEST(LevelScaleScorerTest, ScoresDoNotDependOnTheUnitOrOffset) {
  const auto small = Series(
      1000, [](int i) { return i % 97 == 60 ? 9.0 : 5.0 + 0.01 * Jitter(i) + 0.002 * (i % 13); });
  std::vector<double> large;
  for (double value : small) large.push_back(value * 1e7 - 3e6);

  const std::vector<double> small_scores = ScoreAll(small);
  const std::vector<double> large_scores = ScoreAll(large);

  ASSERT_EQ(large_scores.size(), small_scores.size());
  for (std::size_t i = 0; i < small_scores.size(); ++i) {
    EXPECT_NEAR(large_scores[i], small_scores[i], 1e-6) << "value " << i;
  }
  EXPECT_EQ(large_scores[60 + 97 * 5], 1.0);
}

TEST(LevelScaleScorerTest, ChangeAfterARepeatedValueScoresOne) {
  const auto values = Series(100, [](int i) { return i < 80 ? 3.0 : 3.25; });

  const std::vector<double> scores = ScoreAll(values);

  EXPECT_EQ(MaxScore(scores, 0, 80), 0.0);
  EXPECT_EQ(scores[80], 1.0);
}

TEST(LevelScaleScorerTest, RegularlyRepeatedStepUpIsNotAnomalous) {
  // Every fifth value is 11, the rest 10: the median deviation is 0, the spread is not.
  const auto values = Series(300, [](int i) { return i % 5 == 0 ? 11.0 : 10.0; });

  const std::vector<double> scores = ScoreAll(values);

  EXPECT_EQ(MaxScore(scores, 0, scores.size()), 0.0);
}

TEST(LevelScaleScorerTest, ScoresNothingBeforeItsMinimumHistory) {
  const std::vector<double> values = {1.0, 1000.0, -1000.0, 1.0, 2.0, 1.0, 7e9, 1.0};

  const std::vector<double> scores = ScoreAll(values, {.min_history = 8});

  EXPECT_EQ(MaxScore(scores, 0, scores.size()), 0.0);
}

TEST(LevelScaleScorerTest, ForgetsValuesOlderThanItsWindow) {
  // A level of 100 for a while, then 0 to 4: once the window holds only the new level, a
  // return to 100 is a spike.
  const auto values = Series(200, [](int i) { return i < 100 ? 100.0 : Jitter(i); });
  std::vector<double> with_return = values;
  with_return.push_back(100.0);

  const std::vector<double> scores = ScoreAll(with_return, {.window = 30});

  EXPECT_EQ(scores.back(), 1.0);
}

}  // namespace
}  // namespace trailsight::models
