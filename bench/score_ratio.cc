// Benchmark (not a test): `trailsight score`'s models on large values against the same
// series scaled down.
//
// Two series of 4,000 one-minute steps: bytes written around 5e7 a step (a daily swing, noise
// and a few bursts, whole numbers), and the same series divided by 1e7, around 5 a step. Both
// go through what `trailsight score` runs after reading its CSV: models::ModelFor picks the
// model, models::ScoreValues scores every row. They alternate kRounds times and the medians
// are printed, by wall clock and by this thread's CPU time (the fair one on a shared
// machine), with the ratio large / small: a model whose cost follows the values' magnitude
// shows it here. Target: ratio <= 1.5.
//
// A second line does the same for the count model, which keeps whole numbers up to
// models::kLargestCount: counts around 5 against counts around that bound (Poisson-like
// noise of sqrt(level)). Its exact Poisson tests cost more as counts grow; no target.
//
//   score_ratio [ROWS]
#include <fmt/format.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <numbers>
#include <random>
#include <vector>

#include "models/series_scorer.h"

namespace trailsight::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kRounds = 21;
constexpr int kDefaultRows = 4000;

struct Timing {
  double wall_ms = 0.0;
  double cpu_ms = 0.0;
  double checksum = 0.0;  // the scores' sum: keeps the work live and shows both agree
};

double ThreadCpuMs() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

// Bytes written a minute: 5e7 on average, a daily swing of 1e7, noise of 1e6, and a burst
// of twice the level every 997 minutes.
std::vector<models::SeriesValue> BytesWritten(int rows) {
  const std::chrono::sys_seconds start{std::chrono::sys_days{std::chrono::November / 2 / 2026}};
  std::mt19937 random(7);
  std::normal_distribution<double> noise(0.0, 1e6);
  std::vector<models::SeriesValue> series;
  series.reserve(static_cast<std::size_t>(rows));
  for (int i = 0; i < rows; ++i) {
    const double swing = 1e7 * std::sin(2.0 * std::numbers::pi * i / 1440.0);
    const double burst = i % 997 == 500 ? 5e7 : 0.0;
    series.push_back(
        {start + std::chrono::minutes{i}, std::round(5e7 + swing + noise(random) + burst)});
  }
  return series;
}

// Counts a minute around `level`, with noise of sqrt(level), never below 0.
std::vector<models::SeriesValue> CountsAround(double level, int rows) {
  const std::chrono::sys_seconds start{std::chrono::sys_days{std::chrono::November / 2 / 2026}};
  std::mt19937 random(11);
  std::normal_distribution<double> noise(0.0, std::sqrt(level));
  std::vector<models::SeriesValue> series;
  series.reserve(static_cast<std::size_t>(rows));
  for (int i = 0; i < rows; ++i) {
    const double count = std::clamp(std::round(level + noise(random)), 0.0, models::kLargestCount);
    series.push_back({start + std::chrono::minutes{i}, count});
  }
  return series;
}

Timing Score(const std::vector<models::SeriesValue>& series) {
  const Clock::time_point wall_start = Clock::now();
  const double cpu_start = ThreadCpuMs();
  const std::vector<double> scores =
      models::ScoreValues(series, models::ModelFor(series), {}, models::LevelScaleOptions{});
  Timing timing;
  timing.cpu_ms = ThreadCpuMs() - cpu_start;
  timing.wall_ms = std::chrono::duration<double, std::milli>(Clock::now() - wall_start).count();
  for (double score : scores) timing.checksum += score;
  return timing;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// Times `small` and `large` alternately and prints the medians and their ratios under
// `label`.
void Compare(const char* label, const char* small_name, const char* large_name,
             const std::vector<models::SeriesValue>& small,
             const std::vector<models::SeriesValue>& large) {
  std::vector<double> large_wall, large_cpu, small_wall, small_cpu;
  for (int round = 0; round < kRounds; ++round) {
    const Timing small_timing = Score(small);
    const Timing large_timing = Score(large);
    small_wall.push_back(small_timing.wall_ms);
    small_cpu.push_back(small_timing.cpu_ms);
    large_wall.push_back(large_timing.wall_ms);
    large_cpu.push_back(large_timing.cpu_ms);
  }
  fmt::print(
      "score_ratio: {} model, {} rows, medians of {}  values ~{} {:.2f} ms ({:.2f} ms CPU)   "
      "values ~{} {:.2f} ms ({:.2f} ms CPU)   ratio {:.2f} (wall)   ratio {:.2f} (CPU time)\n",
      label, small.size(), kRounds, small_name, Median(small_wall), Median(small_cpu), large_name,
      Median(large_wall), Median(large_cpu), Median(large_wall) / Median(small_wall),
      Median(large_cpu) / Median(small_cpu));
}

int Run(int rows) {
  const std::vector<models::SeriesValue> large = BytesWritten(rows);
  std::vector<models::SeriesValue> small = large;
  for (models::SeriesValue& row : small) row.value /= 1e7;
  if (models::ModelFor(small) != models::SeriesModel::kContinuous ||
      models::ModelFor(large) != models::SeriesModel::kContinuous) {
    fmt::print(stderr, "score_ratio: the scaled series should both be continuous\n");
    return 1;
  }
  const Timing small_check = Score(small);
  const Timing large_check = Score(large);
  fmt::print("score_ratio: scaled series scored alike: score sums {:.4f} (~5) and {:.4f} (~5e7)\n",
             small_check.checksum, large_check.checksum);
  Compare("continuous", "5", "5e7", small, large);

  const std::vector<models::SeriesValue> few = CountsAround(5.0, rows);
  const std::vector<models::SeriesValue> many = CountsAround(models::kLargestCount, rows);
  if (models::ModelFor(few) != models::SeriesModel::kCount ||
      models::ModelFor(many) != models::SeriesModel::kCount) {
    fmt::print(stderr, "score_ratio: the count series should both be counts\n");
    return 1;
  }
  Compare("count", "5", "1e5", few, many);
  return 0;
}

}  // namespace
}  // namespace trailsight::bench

int main(int argc, char** argv) {
  const int rows = argc > 1 ? std::atoi(argv[1]) : trailsight::bench::kDefaultRows;
  if (rows < 1) {
    fmt::print(stderr, "usage: score_ratio [ROWS]  (ROWS a positive number, default {})\n",
               trailsight::bench::kDefaultRows);
    return 2;
  }
  return trailsight::bench::Run(rows);
}
