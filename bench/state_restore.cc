// Benchmark (not a test): a partition's state on the changelog topic, on a real broker.
//
// For each key count (default 100000), builds a Detector holding that many keys with eight
// days of history (bench/key_traffic.h), writes its records to a fresh compacted changelog
// topic of one partition (kafka::ChangelogWriter, transactions of 20000 records), then runs
// twelve more hours of traffic in which each key calls once, at its own minute, with a
// checkpoint every minute: the records changed since the last one are captured
// (Detector::SaveChangedRecords, the main loop's pause) and committed in one transaction.
// Then it restores the partition into a fresh Detector twice and times each:
// - from the changelog alone: read_committed from the beginning
//   (kafka::ReadChangelogPartition), the newest record per key, Detector::LoadRecords; the
//   service reads on a thread of its own and loads on its own thread, whose pause that
//   load is (timed apart), in chunks of PartitionDetectors' load_chunk records between polls
//   (Detector::LoadRecordsInOrder; the longest chunk is the service thread's pause);
// - from the local cache: Detector::LoadState of the whole state's bytes;
// against `kcat -C` reading the same partition to its end (the reference: reading the bytes
// and nothing else). The capture pauses are compared with a whole-state save, each
// checkpoint's pause without a changelog.
//
//   state_restore --brokers HOST:PORT [KEYS...]
//
// Prints, per count: the changelog's records and bytes per key, bytes written per key-hour,
// the checkpoint capture pauses (p50, p99, max over the 720 checkpoints), and both restores
// with their ratio to kcat's read.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "app/partition_detectors.h"
#include "bench/key_traffic.h"
#include "common/interner.h"
#include "detector/detector.h"
#include "kafka/state_changelog.h"
#include "kafka/topic_admin.h"

namespace trailsight::bench {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kRecordsPerTransaction = 20000;
constexpr int kCheckpointMinutes = 12 * 60;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

class NoFindings final : public common::FindingSink {
 public:
  common::Status Publish(const common::Finding& /*finding*/) override { return common::Ok(); }
  common::Status Flush() override { return common::Ok(); }
};

// Collects a Detector's records as changelog records of partition 0.
class Records final : public detector::StateRecordReceiver {
 public:
  void OnRecord(std::string_view key, std::string_view value) override {
    records.push_back({0, std::string(key), std::string(value)});
    bytes += key.size() + value.size();
  }
  std::vector<kafka::ChangelogRecord> records;
  std::size_t bytes = 0;
};

bool Commit(kafka::ChangelogWriter& writer, std::vector<kafka::ChangelogRecord>& records) {
  for (std::size_t at = 0; at < records.size(); at += kRecordsPerTransaction) {
    const std::vector<kafka::ChangelogRecord> batch(
        records.begin() + static_cast<std::ptrdiff_t>(at),
        records.begin() +
            static_cast<std::ptrdiff_t>(std::min(records.size(), at + kRecordsPerTransaction)));
    if (common::Status committed = writer.Commit(batch, {}, nullptr); !committed) {
      fmt::print(stderr, "state_restore: {}\n", committed.error().message);
      return false;
    }
  }
  records.clear();
  return true;
}

bool Measure(const std::string& brokers, std::size_t keys) {
  common::StringInterner interner;
  NoFindings sink;
  detector::Detector detector({}, interner, sink);
  const KeyTraffic traffic(interner, keys);
  const common::Seconds start = KeyTraffic::Start();
  for (common::Seconds step = start; step < start + 8 * 24h; step += 12h) {
    traffic.CallEveryKey(detector, step, static_cast<std::size_t>((step - start) / 12h));
  }
  const common::Seconds end = start + 8 * 24h + 1h;
  detector.OnIdle(end);

  const std::string topic = fmt::format("trailsight-bench-changelog-{}-{}", ::getpid(), keys);
  auto admin = kafka::TopicAdmin::Create({.brokers = brokers, .properties = {}});
  if (!admin || !(*admin)->Ensure(
                    {.name = topic, .partitions = 1, .configs = {{"cleanup.policy", "compact"}}})) {
    fmt::print(stderr, "state_restore: cannot create {} on {}\n", topic, brokers);
    return false;
  }
  auto writer = kafka::ChangelogWriter::Create(
      {.brokers = brokers, .topic = topic, .transactional_id = topic, .properties = {}});
  if (!writer) {
    fmt::print(stderr, "state_restore: {}\n", writer.error().message);
    return false;
  }
  Records all;
  detector.SaveChangedRecords(all);
  const std::size_t first_records = all.records.size();
  const std::size_t first_bytes = all.bytes;
  if (!Commit(**writer, all.records)) return false;

  // Twelve hours, a checkpoint a minute; key k calls once, at minute k % 720.
  std::vector<double> pauses;
  std::size_t hour_bytes = 0;
  for (int minute = 0; minute < kCheckpointMinutes; ++minute) {
    const common::Seconds at = end + std::chrono::minutes{minute};
    for (std::size_t key = static_cast<std::size_t>(minute); key < keys;
         key += kCheckpointMinutes) {
      traffic.Call(detector, key, at + 1s, 17);
    }
    detector.OnIdle(at + 1min);
    Records changed;
    const Clock::time_point captured = Clock::now();
    detector.SaveChangedRecords(changed);
    pauses.push_back(SecondsSince(captured));
    hour_bytes += changed.bytes;
    if (!Commit(**writer, changed.records)) return false;
  }
  std::sort(pauses.begin(), pauses.end());

  // From the changelog alone.
  Clock::time_point started = Clock::now();
  std::unordered_map<std::string, std::string> newest;
  common::Result<kafka::ChangelogReadStats> read = kafka::ReadChangelogPartition(
      {.brokers = brokers, .topic = topic, .properties = {}, .timeout = 120s}, 0,
      [&](std::string_view key, std::string_view value) { newest[std::string(key)] = value; });
  if (!read) {
    fmt::print(stderr, "state_restore: {}\n", read.error().message);
    return false;
  }
  // What the service thread does once the read (on a thread of its own) is done.
  const Clock::time_point load_started = Clock::now();
  std::vector<detector::StateRecord> records;
  records.reserve(newest.size());
  for (const auto& [key, value] : newest) records.push_back({key, value});
  common::StringInterner changelog_interner;
  detector::Detector from_changelog({}, changelog_interner, sink);
  const common::Status loaded = from_changelog.LoadRecords(records);
  const double changelog_seconds = SecondsSince(started);
  const double load_seconds = SecondsSince(load_started);
  if (!loaded || from_changelog.key_count() != keys) {
    fmt::print(stderr, "state_restore: restored {} of {} keys: {}\n", from_changelog.key_count(),
               keys, loaded ? "" : loaded.error().message);
    return false;
  }
  // The same load as the service does it: regions first, a chunk between two polls.
  std::vector<detector::StateRecord> ordered;
  ordered.reserve(records.size());
  for (bool regions : {true, false}) {
    for (const detector::StateRecord& record : records) {
      if (detector::IsRegionRecordKey(record.key) == regions) ordered.push_back(record);
    }
  }
  const std::size_t chunk = app::PartitionDetectors::kLoadChunk;
  common::StringInterner chunked_interner;
  detector::Detector chunked({}, chunked_interner, sink);
  double longest_chunk = 0;
  for (std::size_t at = 0; at < ordered.size(); at += chunk) {
    const Clock::time_point chunk_started = Clock::now();
    const std::span<const detector::StateRecord> piece(ordered.data() + at,
                                                       std::min(chunk, ordered.size() - at));
    if (!chunked.LoadRecordsInOrder(piece)) return false;
    longest_chunk = std::max(longest_chunk, SecondsSince(chunk_started));
  }
  if (chunked.key_count() != keys) return false;

  // From the local cache.
  started = Clock::now();
  const std::string state = detector.SaveState();
  const double whole_save_seconds = SecondsSince(started);
  started = Clock::now();
  common::StringInterner cache_interner;
  detector::Detector from_cache({}, cache_interner, sink);
  if (!from_cache.LoadState(state) || from_cache.key_count() != keys) return false;
  const double cache_seconds = SecondsSince(started);

  // The reference: kcat reading the same partition to its end.
  started = Clock::now();
  const int status = std::system(
      fmt::format("kcat -C -b '{}' -t '{}' -p 0 -o beginning -e -q -f '%k%s' > /dev/null 2>&1",
                  brokers, topic)
          .c_str());
  const double kcat_seconds = SecondsSince(started);
  if (status != 0) {
    fmt::print(stderr, "state_restore: kcat failed (status {})\n", status);
    return false;
  }

  const auto per_key = [&](double value) { return value / static_cast<double>(keys); };
  fmt::print(
      "state_restore: {:>8} keys  changelog {} records, {:.1f} bytes/key at first; "
      "{:.1f} bytes per key-hour after\n"
      "state_restore: {:>8} keys  checkpoint capture pause p50 {:.2f} ms, p99 {:.2f} ms, "
      "max {:.2f} ms (720 checkpoints, ~{} keys changed each); a whole-state save (each "
      "checkpoint's pause without a changelog) {:.0f} ms, ratio p99/whole {:.3f}\n"
      "state_restore: {:>8} keys  restore from the changelog alone {:.2f} s ({} records read; "
      "the load, the service thread's part, {:.2f} s, in chunks of {} records: longest "
      "{:.1f} ms), from the local cache {:.2f} s; kcat reads the partition in {:.2f} s (ratio "
      "changelog/kcat {:.2f})\n",
      keys, first_records, per_key(static_cast<double>(first_bytes)),
      per_key(static_cast<double>(hour_bytes)) / 12.0, keys, pauses[pauses.size() / 2] * 1e3,
      pauses[pauses.size() * 99 / 100] * 1e3, pauses.back() * 1e3, keys / kCheckpointMinutes,
      whole_save_seconds * 1e3, pauses[pauses.size() * 99 / 100] / whole_save_seconds, keys,
      changelog_seconds, read->records, load_seconds, chunk, longest_chunk * 1e3, cache_seconds,
      kcat_seconds, changelog_seconds / kcat_seconds);
  std::fflush(stdout);  // each count's lines as soon as they are measured
  return true;
}

}  // namespace
}  // namespace trailsight::bench

int main(int argc, char** argv) {
  std::string brokers;
  std::vector<std::size_t> counts;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--brokers" && i + 1 < argc) {
      brokers = argv[++i];
      continue;
    }
    std::size_t keys = 0;
    const auto [end, error] = std::from_chars(arg.data(), arg.data() + arg.size(), keys);
    if (error != std::errc{} || end != arg.data() + arg.size() || keys == 0) {
      fmt::print(stderr, "usage: state_restore --brokers HOST:PORT [KEYS...]\n");
      return 2;
    }
    counts.push_back(keys);
  }
  if (brokers.empty()) {
    fmt::print(stderr, "usage: state_restore --brokers HOST:PORT [KEYS...]\n");
    return 2;
  }
  if (counts.empty()) counts = {100'000};
  for (std::size_t keys : counts) {
    if (!trailsight::bench::Measure(brokers, keys)) return 1;
  }
  return 0;
}
