// Benchmark (not a test): resident memory per active key, through the real Detector.
//
// For each key count (default 100000 and 1000000), a fresh child process builds an
// interner and a Detector, feeds every key a write call every 12 hours for 8 days (so each
// key has a full week of hourly history and nine days of attribution tallies, and no key
// ever fires), and reports the growth of resident memory (/proc/self/statm) divided by the
// number of keys. Every key has its own eventName, so interned strings are included at
// their worst: one new string per key. Accounts, regions, sources, principals and user
// agents come from small shared pools, as in a real organisation.
//
//   key_memory [KEYS...]
//
// Prints two lines per count: keys, resident growth, bytes per key, and the findings raised
// (0: no key has an open insight); then the size of the saved state per key and the time to
// save it (a checkpoint's pause in the service) and to load it into a fresh Detector.
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bench/key_traffic.h"
#include "bench/resident_memory.h"
#include "common/interner.h"
#include "detector/detector.h"

namespace trailsight::bench {
namespace {

using namespace std::chrono_literals;

constexpr std::chrono::hours kStep{12};
constexpr std::chrono::days kSpan{8};

class CountingSink final : public common::FindingSink {
 public:
  common::Status Publish(const common::Finding& /*finding*/) override {
    ++findings;
    return common::Ok();
  }
  common::Status Flush() override { return common::Ok(); }
  std::size_t findings = 0;
};

struct Measurement {
  std::size_t keys = 0;
  std::size_t resident_growth = 0;
  std::size_t interned_strings = 0;
  std::size_t findings = 0;
  double save_seconds = 0;  // Detector::SaveState(): the service's pause at a checkpoint
  double load_seconds = 0;  // Detector::LoadState() into a fresh Detector
  std::size_t state_bytes = 0;
};

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Measurement Measure(std::size_t keys) {
  ReleaseFreeHeap();
  const std::size_t before = ResidentBytes();
  auto interner = std::make_unique<common::StringInterner>();
  auto sink = std::make_unique<CountingSink>();
  auto detector =
      std::make_unique<detector::Detector>(detector::DetectorOptions{}, *interner, *sink);
  {
    const KeyTraffic traffic(*interner, keys);
    const common::Seconds start = KeyTraffic::Start();
    for (common::Seconds step = start; step < start + kSpan; step += kStep) {
      traffic.CallEveryKey(*detector, step, static_cast<std::size_t>((step - start) / kStep));
    }
    detector->OnIdle(start + kSpan + 1h);  // close every minute: all history is in place
  }  // the traffic's pools and names are the benchmark's, not the detector's: freed here
  ReleaseFreeHeap();
  const std::size_t after = ResidentBytes();
  Measurement measured{.keys = detector->key_count(),
                       .resident_growth = after > before ? after - before : 0,
                       .interned_strings = interner->size(),
                       .findings = sink->findings};
  auto started = std::chrono::steady_clock::now();
  const std::string state = detector->SaveState();
  measured.save_seconds = SecondsSince(started);
  measured.state_bytes = state.size();
  common::StringInterner restored_interner;
  detector::Detector restored(detector::DetectorOptions{}, restored_interner, *sink);
  started = std::chrono::steady_clock::now();
  if (!restored.LoadState(state) || restored.key_count() != measured.keys) measured.keys = 0;
  measured.load_seconds = SecondsSince(started);
  return measured;
}

// Measures in a child process, so each count starts from a clean heap.
bool MeasureInChild(std::size_t keys) {
  std::fflush(stdout);
  const pid_t child = fork();
  if (child < 0) return false;
  if (child == 0) {
    const Measurement m = Measure(keys);
    fmt::print(
        "key_memory: {:>8} keys  {:>8.1f} MB resident growth  {:>7.1f} bytes/key  "
        "({} interned strings, {} findings)\n"
        "key_memory: {:>8} keys  state {:.1f} bytes/key, saved in {:.2f} s ({:.2f} us/key), "
        "loaded in {:.2f} s\n",
        m.keys, static_cast<double>(m.resident_growth) / 1e6,
        static_cast<double>(m.resident_growth) / static_cast<double>(m.keys), m.interned_strings,
        m.findings, m.keys, static_cast<double>(m.state_bytes) / static_cast<double>(m.keys),
        m.save_seconds, m.save_seconds * 1e6 / static_cast<double>(m.keys), m.load_seconds);
    std::fflush(stdout);
    _exit(m.keys == keys ? 0 : 1);
  }
  int status = 0;
  return waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace
}  // namespace trailsight::bench

int main(int argc, char** argv) {
  std::vector<std::size_t> counts;
  for (int i = 1; i < argc; ++i) {
    const std::string_view text = argv[i];
    std::size_t keys = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), keys);
    if (error != std::errc{} || end != text.data() + text.size() || keys == 0) {
      fmt::print(stderr, "key_memory: {} is not a key count (usage: key_memory [KEYS...])\n", text);
      return 2;
    }
    counts.push_back(keys);
  }
  if (counts.empty()) counts = {100'000, 1'000'000};
  for (std::size_t keys : counts) {
    if (!trailsight::bench::MeasureInChild(keys)) {
      fmt::print(stderr, "key_memory: the measurement of {} keys failed\n", keys);
      return 1;
    }
  }
  return 0;
}
