// Micro-benchmark: the cost per record of reading partitions in step by event time
// (PartitionAligner: buffer, judge against the slowest partition, hand over), against
// BM_DecodeMessage's cost per message, which it adds to in the Kafka service.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "consumers/partition_alignment.h"

namespace trailsight::bench {
namespace {

class CountingOutput final : public consumers::AlignedOutput {
 public:
  void OnAlignedEvent(std::size_t /*partition*/, const common::Event& event) override {
    benchmark::DoNotOptimize(event.time);
    ++records;
  }
  void OnHandled(std::size_t /*partition*/, std::int64_t /*next_offset*/,
                 bool /*at_end*/) override {}
  std::int64_t records = 0;
};

// Arg: partitions. Each round reads 100 one-record messages per partition, one second apart
// and interleaved as a live topic's are, then releases them.
void BM_AlignAndRelease(benchmark::State& state) {
  const auto partitions = static_cast<std::size_t>(state.range(0));
  constexpr int kPerRound = 100;
  consumers::PartitionAligner aligner({});
  const auto now = consumers::PartitionAligner::Clock::now();
  for (std::size_t p = 0; p < partitions; ++p)
    aligner.Assign("cloudtrail", static_cast<int>(p), now);
  CountingOutput output;
  common::Event event;
  event.time = common::Seconds{std::chrono::seconds{1'700'000'000}};
  std::vector<std::int64_t> offsets(partitions, 0);
  for (auto _ : state) {
    for (int i = 0; i < kPerRound; ++i) {
      event.time += std::chrono::seconds{1};
      for (std::size_t p = 0; p < partitions; ++p) {
        aligner.Buffer(p, event);
        aligner.EndOfMessage(p, ++offsets[p], now);
      }
    }
    aligner.Release(output, now);
  }
  if (aligner.buffered() > partitions) state.SkipWithError("records were held back");
  state.SetItemsProcessed(output.records);
}
BENCHMARK(BM_AlignAndRelease)->Arg(1)->Arg(6)->Arg(32);

}  // namespace
}  // namespace trailsight::bench
