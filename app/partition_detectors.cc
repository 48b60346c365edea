#include "app/partition_detectors.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>

namespace trailsight::app {
namespace {

void AddCounters(detector::DetectorCounters& total, const detector::DetectorCounters& more) {
  total.events += more.events;
  total.counted += more.counted;
  total.out_of_scope += more.out_of_scope;
  total.excluded += more.excluded;
  total.suppressed += more.suppressed;
  total.keys_refused += more.keys_refused;
  total.late_dropped += more.late_dropped;
  total.far_ahead_held += more.far_ahead_held;
  total.far_ahead_dropped += more.far_ahead_dropped;
  total.findings += more.findings;
  total.alerts += more.alerts;
  total.publish_errors += more.publish_errors;
}

// Whether `a` and `b` name the same partition (each has `topic` and `partition`).
template <class A, class B>
bool SamePartition(const A& a, const B& b) {
  return a.partition == b.partition && a.topic == b.topic;
}

// A changelog record's key: the input topic, a NUL (which no topic name holds), then the
// detector's record key.
constexpr char kTopicEnd = '\0';

// Collects a Detector's changed records as changelog records of one input partition.
class ChangeCollector final : public detector::StateRecordReceiver {
 public:
  ChangeCollector(std::string_view topic, std::int32_t partition,
                  std::vector<kafka::ChangelogRecord>& changes)
      : topic_(topic), partition_(partition), changes_(changes) {}
  void OnRecord(std::string_view key, std::string_view value) override {
    kafka::ChangelogRecord& record = changes_.emplace_back();
    record.partition = partition_;
    record.key.reserve(topic_.size() + 1 + key.size());
    record.key.append(topic_).push_back(kTopicEnd);
    record.key.append(key);
    record.value = value;
  }

 private:
  std::string_view topic_;
  std::int32_t partition_;
  std::vector<kafka::ChangelogRecord>& changes_;
};

}  // namespace

PartitionDetectors::PartitionDetectors(Wiring wiring, detector::CompiledTuning tuning)
    : wiring_(std::move(wiring)), tuning_(std::move(tuning)) {}

std::unique_ptr<detector::Detector> PartitionDetectors::NewDetector() const {
  auto detector =
      std::make_unique<detector::Detector>(wiring_.options, *wiring_.interner, *wiring_.findings);
  detector->SetAlertSink(wiring_.alerts);
  detector->SetCloseListener(wiring_.close_listener);
  detector->Retune(tuning_);
  return detector;
}

void PartitionDetectors::Seed(std::vector<PartitionState> states) { kept_ = std::move(states); }

common::Result<std::size_t> PartitionDetectors::SeedWhole(std::string_view detector_state,
                                                          const std::string& topic,
                                                          const PartitionOf& partition_of) {
  auto whole = NewDetector();
  if (common::Status loaded = whole->LoadState(detector_state); !loaded) return loaded.error();
  // The whole state as records, each to its pair's partition.
  class Splitter final : public detector::StateRecordReceiver {
   public:
    explicit Splitter(const PartitionOf& partition_of) : partition_of_(partition_of) {}
    void OnRecord(std::string_view key, std::string_view value) override {
      std::optional<std::pair<std::string, std::string>> pair = detector::StateRecordPair(key);
      if (!pair) return;
      records[partition_of_(pair->first, pair->second)].emplace_back(key, value);
    }
    std::map<std::int32_t, std::vector<std::pair<std::string, std::string>>> records;

   private:
    const PartitionOf& partition_of_;
  } splitter(partition_of);
  whole->MarkAllChanged();
  whole->SaveChangedRecords(splitter);
  std::vector<PartitionState> seeds;
  for (const auto& [partition, records] : splitter.records) {
    std::vector<detector::StateRecord> views;
    views.reserve(records.size());
    for (const auto& [key, value] : records) views.push_back({key, value});
    auto detector = NewDetector();
    if (common::Status loaded = detector->LoadRecords(views); !loaded) return loaded.error();
    seeds.push_back({topic, partition, kSeedOffset, detector->SaveState(), false});
  }
  const std::size_t seeded = seeds.size();
  Seed(std::move(seeds));
  return seeded;
}

PartitionDetectors::Held* PartitionDetectors::Find(std::string_view topic, std::int32_t partition) {
  if (last_hit_ < held_.size() && held_[last_hit_].partition == partition &&
      held_[last_hit_].topic == topic) {
    return &held_[last_hit_];
  }
  for (std::size_t i = 0; i < held_.size(); ++i) {
    if (held_[i].partition == partition && held_[i].topic == topic) {
      last_hit_ = i;
      return &held_[i];
    }
  }
  return nullptr;
}

detector::Detector& PartitionDetectors::For(std::string_view topic, std::int32_t partition) {
  if (Held* held = Find(topic, partition)) return *held->detector;
  held_.push_back({std::string(topic), partition, NewDetector()});
  last_hit_ = held_.size() - 1;
  return *held_.back().detector;
}

void PartitionDetectors::OnIdle(common::Seconds wall_clock) {
  for (Held& held : held_) held.detector->OnIdle(wall_clock);
}

void PartitionDetectors::Retune(const detector::CompiledTuning& tuning) {
  tuning_ = tuning;
  for (Held& held : held_) held.detector->Retune(tuning_);
}

void PartitionDetectors::Capture(Snapshot& snapshot, bool with_held) const {
  // With a changelog a periodic capture leaves the held partitions to it: its pause then
  // follows the changes (CaptureChanges), not the state's size.
  if (with_held || wiring_.changelog == nullptr) {
    for (const Held& held : held_) {
      auto position = std::find_if(snapshot.offsets.begin(), snapshot.offsets.end(),
                                   [&](const consumers::PartitionOffset& candidate) {
                                     return SamePartition(candidate, held);
                                   });
      const std::int64_t offset =
          position != snapshot.offsets.end() ? position->offset : consumers::kUnknownOffset;
      snapshot.partitions.push_back({held.topic, held.partition, offset, held.detector->SaveState(),
                                     wiring_.changelog != nullptr});
    }
  }
  snapshot.partitions.insert(snapshot.partitions.end(), kept_.begin(), kept_.end());
}

void PartitionDetectors::CaptureChanges(std::vector<kafka::ChangelogRecord>& changes) {
  for (Held& held : held_) {
    ChangeCollector collector(held.topic, held.partition, changes);
    held.detector->SaveChangedRecords(collector);
  }
}

void PartitionDetectors::ChangesLost() {
  for (Held& held : held_) held.detector->MarkAllChanged();
}

void PartitionDetectors::QueueChangelogRead(const std::string& topic, std::int32_t partition) {
  Restoring& restoring = restoring_.emplace_back();
  restoring.topic = topic;
  restoring.partition = partition;
  restoring.started = std::chrono::steady_clock::now();
}

void PartitionDetectors::StartQueuedReads() {
  std::size_t running = 0;
  for (const Restoring& restoring : restoring_) running += restoring.read.valid() ? 1 : 0;
  for (Restoring& restoring : restoring_) {
    if (running >= kConcurrentReads) return;
    if (restoring.read.valid() || restoring.records) continue;  // reading, or read
    ++running;
    // The thread touches the changelog reader and its own copies only: no interner, no
    // Detector.
    restoring.read =
        std::async(std::launch::async,
                   [reader = wiring_.changelog, prefix = restoring.topic + kTopicEnd,
                    partition = restoring.partition]() -> common::Result<ChangelogState> {
                     std::unordered_map<std::string, std::string> newest;
                     common::Status read =
                         reader->Read(partition, [&](std::string_view key, std::string_view value) {
                           if (key.starts_with(prefix))
                             newest[std::string(key.substr(prefix.size()))] = value;
                         });
                     if (!read) return read.error();
                     // Regions first: a key's record names its region.
                     ChangelogState records;
                     records.reserve(newest.size());
                     for (bool regions : {true, false}) {
                       for (auto& [key, value] : newest) {
                         if (detector::IsRegionRecordKey(key) == regions) {
                           records.emplace_back(key, std::move(value));
                         }
                       }
                     }
                     return records;
                   });
  }
}

common::Result<bool> PartitionDetectors::Install(Restoring& restoring, std::size_t& budget) {
  if (!restoring.records) {
    common::Result<ChangelogState> newest = restoring.read.get();
    if (!newest) return newest.error();
    restoring.records = *std::move(newest);
    restoring.detector = NewDetector();
  }
  const ChangelogState& records = *restoring.records;
  const std::size_t count = std::min(budget, records.size() - restoring.loaded);
  chunk_.clear();
  for (std::size_t i = restoring.loaded; i < restoring.loaded + count; ++i) {
    chunk_.push_back({records[i].first, records[i].second});
  }
  if (common::Status loaded = restoring.detector->LoadRecordsInOrder(chunk_); !loaded) {
    return loaded.error();
  }
  restoring.loaded += count;
  budget -= count;
  if (restoring.loaded < records.size()) return false;
  restoring.detector->Retune(tuning_);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - restoring.started).count();
  ++restores_.from_changelog;
  restores_.changelog_seconds += seconds;
  spdlog::info("state: {}/{} restored from the changelog in {:.2f} s ({} keys)", restoring.topic,
               restoring.partition, seconds, restoring.detector->key_count());
  held_.push_back({restoring.topic, restoring.partition, std::move(restoring.detector)});
  return true;
}

common::Result<std::vector<consumers::PartitionOffset>> PartitionDetectors::FinishRestores(
    bool wait) {
  // A read is ready when it ran and finished (or, when `wait`, once it finishes).
  const auto ready = [wait](const std::future<common::Result<ChangelogState>>& read) {
    return read.valid() &&
           (wait || read.wait_for(std::chrono::seconds{0}) == std::future_status::ready);
  };
  std::erase_if(abandoned_, ready);  // waits for each when `wait`
  std::vector<consumers::PartitionOffset> finished;
  std::size_t budget = wait ? SIZE_MAX : wiring_.load_chunk;
  do {
    StartQueuedReads();
    for (auto it = restoring_.begin(); it != restoring_.end();) {
      if (!it->records && !ready(it->read)) {
        ++it;
        continue;
      }
      common::Result<bool> installed = Install(*it, budget);
      if (installed && !*installed) {
        ++it;  // more to load at the next call
        continue;
      }
      if (!installed) {
        const std::string where = fmt::format("{}/{}", it->topic, it->partition);
        restoring_.erase(it);
        return common::Error{common::ErrorCode::kIo,
                             fmt::format("state: {}: restoring from the changelog: {}", where,
                                         installed.error().message)};
      }
      finished.push_back({it->topic, it->partition, consumers::kUnknownOffset});
      it = restoring_.erase(it);
    }
  } while (wait && !restoring_.empty());
  StartQueuedReads();  // in the places of those finished
  return finished;
}

common::Result<PartitionDetectors::RestoreStart> PartitionDetectors::Restore(
    const std::vector<consumers::PartitionOffset>& partitions,
    const std::vector<consumers::PartitionOffset>& committed) {
  RestoreStart start;
  if (partitions.empty()) return start;
  std::size_t keys = 0;
  for (const consumers::PartitionOffset& partition : partitions) {
    if (Find(partition.topic, partition.partition) != nullptr) continue;  // still current
    if (std::any_of(restoring_.begin(), restoring_.end(), [&](const Restoring& candidate) {
          return SamePartition(candidate, partition);
        })) {
      continue;  // being restored already
    }
    auto detector = NewDetector();
    auto kept = std::find_if(kept_.begin(), kept_.end(), [&](const PartitionState& candidate) {
      return SamePartition(candidate, partition);
    });
    auto group = std::find_if(committed.begin(), committed.end(),
                              [&](const consumers::PartitionOffset& candidate) {
                                return SamePartition(candidate, partition);
                              });
    // With a changelog, kept state is current only if nobody read the partition since; a
    // seed, only if nobody has read the partition at all.
    const bool never_read = group == committed.end() || group->offset < 0;
    const bool seed = kept != kept_.end() && kept->offset == kSeedOffset && never_read;
    const bool current = seed || (kept != kept_.end() && kept->offset >= 0 &&
                                  (wiring_.changelog == nullptr ||
                                   (group != committed.end() && group->offset == kept->offset)));
    bool from_kept = false;
    if (current) {
      if (common::Status loaded = detector->LoadState(kept->detector_state); loaded) {
        if (wiring_.changelog != nullptr && !kept->in_changelog) detector->MarkAllChanged();
        // A seed starts where the group does (auto.offset.reset): it has no offset.
        if (!seed) start.resumed.push_back({partition.topic, partition.partition, kept->offset});
        from_kept = true;
        ++restores_.from_cache;
      } else {
        spdlog::warn("state: {}/{}: {}", partition.topic, partition.partition,
                     loaded.error().message);
        detector = NewDetector();
      }
    }
    if (kept != kept_.end()) {
      if (!from_kept && wiring_.changelog == nullptr) {
        spdlog::warn("state: {}/{}: kept state unusable; starting it fresh", partition.topic,
                     partition.partition);
      }
      kept_.erase(kept);
    }
    if (!from_kept && wiring_.changelog != nullptr) {
      QueueChangelogRead(partition.topic, partition.partition);
      start.restoring.push_back({partition.topic, partition.partition, consumers::kUnknownOffset});
      continue;
    }
    detector->Retune(tuning_);
    keys += detector->key_count();
    held_.push_back({partition.topic, partition.partition, std::move(detector)});
  }
  StartQueuedReads();
  spdlog::info(
      "state: {} assigned partitions: {} restored from kept state ({} keys), {} being read from "
      "the changelog",
      partitions.size(), start.resumed.size(), keys, start.restoring.size());
  return start;
}

bool PartitionDetectors::Drop(const std::vector<consumers::PartitionOffset>& partitions) {
  std::size_t keys = 0;
  for (const consumers::PartitionOffset& partition : partitions) {
    auto restoring = std::find_if(restoring_.begin(), restoring_.end(),
                                  [&](const Restoring& r) { return SamePartition(r, partition); });
    if (restoring != restoring_.end()) {
      if (restoring->read.valid()) abandoned_.push_back(std::move(restoring->read));
      restoring_.erase(restoring);
      continue;
    }
    Held* held = Find(partition.topic, partition.partition);
    if (held == nullptr) continue;
    keys += held->detector->key_count();
    AddCounters(dropped_, held->detector->counters());
    if (partition.offset >= 0) {
      kept_.push_back({held->topic, held->partition, partition.offset, held->detector->SaveState(),
                       wiring_.changelog != nullptr});
    }
    held_.erase(held_.begin() + (held - held_.data()));
  }
  last_hit_ = 0;
  spdlog::info("state: dropped {} revoked partitions ({} keys), their state kept",
               partitions.size(), keys);
  return true;
}

detector::DetectorCounters PartitionDetectors::counters() const {
  detector::DetectorCounters total = dropped_;
  for (const Held& held : held_) AddCounters(total, held.detector->counters());
  return total;
}

std::size_t PartitionDetectors::key_count() const {
  std::size_t keys = 0;
  for (const Held& held : held_) keys += held.detector->key_count();
  return keys;
}

std::size_t PartitionDetectors::open_insights() const {
  std::size_t open = 0;
  for (const Held& held : held_) open += held.detector->open_insights();
  return open;
}

}  // namespace trailsight::app
