// Micro-benchmarks of the detector: minute close over N keys (every key had one call in the
// minute; one event past the lateness closes it) and model update (KeyHistory::AddMinute,
// what a closed minute writes into a key's history).
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "common/interner.h"
#include "detector/detector.h"
#include "detector/key_history.h"

namespace trailsight::bench {
namespace {

using namespace std::chrono_literals;

class DiscardingSink final : public common::FindingSink {
 public:
  common::Status Publish(const common::Finding& /*finding*/) override { return common::Ok(); }
  common::Status Flush() override { return common::Ok(); }
};

// Times the close of one minute in which each of state.range(0) keys had one call: the
// event that moves the watermark past the minute is what pays for it.
void BM_DetectorMinuteClose(benchmark::State& state) {
  const auto keys = static_cast<std::size_t>(state.range(0));
  common::StringInterner interner;
  DiscardingSink sink;
  detector::Detector detector({}, interner, sink);
  std::vector<common::Event> calls(keys);
  for (std::size_t key = 0; key < keys; ++key) {
    common::Event& event = calls[key];
    event.account = interner.Intern("123456789012");
    event.region = interner.Intern("us-east-1");
    event.source = interner.Intern("ec2.amazonaws.com");
    event.name = interner.Intern("Api" + std::to_string(key));
    event.principal = interner.Intern("arn:aws:iam::123456789012:role/Ops");
    event.user_agent = interner.Intern("aws-cli/2.15");
  }
  common::Seconds minute = common::Seconds{std::chrono::sys_days{2024y / 3 / 4}};
  for (auto _ : state) {
    state.PauseTiming();
    for (common::Event& event : calls) {
      event.time = minute;
      detector.OnEvent(event);
    }
    common::Event closer = calls.front();
    closer.time = minute + 6min;  // past the default 5-minute lateness
    state.ResumeTiming();
    detector.OnEvent(closer);
    minute += 6min;
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));  // key-minutes closed
}
BENCHMARK(BM_DetectorMinuteClose)->Arg(1'000)->Arg(100'000)->Unit(benchmark::kMicrosecond);

void BM_KeyHistoryAddMinute(benchmark::State& state) {
  detector::KeyHistory history;
  detector::AttributionTally tally;
  tally.Add(detector::Attribute::kUserIdentityArn, 1, 3, 64);
  tally.Add(detector::Attribute::kUserAgent, 2, 3, 64);
  tally.Add(detector::Attribute::kErrorCode, 3, 3, 64);
  common::Minute minute = common::Minute{std::chrono::sys_days{2024y / 3 / 4}};
  for (auto _ : state) {
    history.AddMinute(minute, 3, 3, tally, 64);
    minute += 1min;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KeyHistoryAddMinute);

}  // namespace
}  // namespace trailsight::bench
