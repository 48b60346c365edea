// Micro-benchmark: CountBaseline::Compute on a week of hourly history, the cost of a key's
// threshold refresh (once per key and hour, when the key's cache expires).
#include <benchmark/benchmark.h>

#include "models/count_baseline.h"

namespace trailsight::bench {
namespace {

void BM_CountBaselineCompute(benchmark::State& state) {
  const models::CountBaseline baseline({});
  models::WeekOfHours week{};
  for (std::size_t hour = 0; hour < week.size(); ++hour) {
    // Office hours busier than nights, with a daily automation clump.
    const std::uint32_t calls = (hour % 24 >= 8 && hour % 24 < 18) ? 240 : 30;
    const std::uint32_t peak = hour % 24 == 2 ? 40u : calls / 30 + 3;
    week[hour] = {calls, peak, hour % 24 == 2 ? 120u : calls / 4 + 3 * peak};
  }
  int hours_ahead = 0;
  constexpr int kWednesdayNoon = 2 * 24 + 12;  // the hour of the week of week[0]
  for (auto _ : state) {
    models::Thresholds thresholds = baseline.Compute(week, hours_ahead, 7, kWednesdayNoon);
    benchmark::DoNotOptimize(thresholds);
    hours_ahead ^= 1;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CountBaselineCompute);

}  // namespace
}  // namespace trailsight::bench
