#include "consumers/partition_alignment.h"

#include <algorithm>
#include <array>

namespace trailsight::consumers {
namespace {

constexpr std::size_t kNeighbours = 5;      // records a partition's next record is judged against
constexpr std::size_t kFirstCapacity = 64;  // a ring's first storage, in records

// Returns the last second of the step of length `step` (from the epoch) that holds `time`.
common::Seconds EndOfStep(common::Seconds time, std::chrono::seconds step) {
  std::chrono::seconds into = time.time_since_epoch() % step;
  if (into.count() < 0) into += step;
  return time - into + step - std::chrono::seconds{1};
}

}  // namespace

void PartitionAligner::Ring::push_back(const Entry& entry) {
  if (size_ == slots_.size()) {
    std::vector<Entry> grown(std::max(kFirstCapacity, slots_.size() * 2));
    for (std::size_t i = 0; i < size_; ++i) grown[i] = at(i);
    slots_ = std::move(grown);
    head_ = 0;
  }
  slots_[(head_ + size_) % slots_.size()] = entry;
  ++size_;
}

void PartitionAligner::Ring::pop_front() {
  head_ = (head_ + 1) % slots_.size();
  --size_;
}

std::size_t PartitionAligner::Assign(std::string_view topic, std::int32_t partition,
                                     Clock::time_point now) {
  std::size_t index = Find(topic, partition).value_or(partitions_.size());
  if (index == partitions_.size()) partitions_.emplace_back();
  Partition& entry = partitions_[index];
  entry.topic = topic;
  entry.partition = partition;
  entry.records.clear();
  entry.pending_offset = -1;
  entry.end_offset = -1;
  entry.time.reset();
  entry.last_message = now;
  entry.late = 0;
  entry.paused = false;
  entry.restoring = false;
  return index;
}

void PartitionAligner::Revoke(std::string_view topic, std::int32_t partition) {
  if (std::optional<std::size_t> index = Find(topic, partition)) {
    partitions_.erase(partitions_.begin() + static_cast<std::ptrdiff_t>(*index));
  }
}

std::optional<std::size_t> PartitionAligner::Find(std::string_view topic,
                                                  std::int32_t partition) const {
  for (std::size_t i = 0; i < partitions_.size(); ++i) {
    if (partitions_[i].partition == partition && partitions_[i].topic == topic) return i;
  }
  return std::nullopt;
}

void PartitionAligner::Buffer(std::size_t index, const common::Event& event) {
  partitions_[index].records.push_back({event, -1});
}

void PartitionAligner::EndOfMessage(std::size_t index, std::int64_t next_offset,
                                    Clock::time_point now) {
  Partition& partition = partitions_[index];
  partition.last_message = now;
  partition.end_offset = -1;  // more came after the end last read
  if (partition.records.empty()) {
    partition.pending_offset = std::max(partition.pending_offset, next_offset);
  } else {
    partition.records.back().next_offset = next_offset;
  }
}

void PartitionAligner::EndOfPartition(std::size_t index, std::int64_t next_offset) {
  Partition& partition = partitions_[index];
  partition.end_offset = next_offset;
  if (partition.records.empty()) {
    partition.pending_offset = std::max(partition.pending_offset, next_offset);
  }
}

common::Seconds PartitionAligner::HeadTime(const Partition& partition) const {
  std::array<common::Seconds, kNeighbours> samples;
  const std::size_t count = std::min(kNeighbours, partition.records.size());
  for (std::size_t i = 0; i < count; ++i) samples[i] = partition.records.at(i).event.time;
  auto middle = samples.begin() + static_cast<std::ptrdiff_t>((count - 1) / 2);  // lower median
  std::nth_element(samples.begin(), middle, samples.begin() + static_cast<std::ptrdiff_t>(count));
  return std::min(partition.records.at(0).event.time, *middle);
}

std::optional<common::Seconds> PartitionAligner::TimeOf(std::size_t index) const {
  const Partition& partition = partitions_[index];
  if (!partition.records.empty()) return HeadTime(partition);
  return partition.time;
}

bool PartitionAligner::Holds(const Partition& partition, Clock::time_point now) const {
  if (!partition.records.empty()) return true;
  if (options_.idle_at_end && partition.end_offset >= 0) return false;
  return now - partition.last_message < options_.idle_timeout;
}

std::size_t PartitionAligner::Release(AlignedOutput& output, Clock::time_point now) {
  for (std::size_t i = 0; i < partitions_.size(); ++i) {
    Partition& partition = partitions_[i];
    if (partition.pending_offset < 0) continue;
    output.OnHandled(i, partition.pending_offset,
                     partition.records.empty() && partition.end_offset == partition.pending_offset);
    partition.pending_offset = -1;
  }
  std::size_t released = 0;
  for (;;) {
    // The slowest partition that holds the others back sets how far the rest may go.
    std::optional<common::Seconds> slowest;
    for (const Partition& partition : partitions_) {
      if (partition.restoring || !Holds(partition, now)) continue;
      std::optional<common::Seconds> time =
          partition.records.empty() ? partition.time : HeadTime(partition);
      if (!time) return released;  // holds everything until it brings a record or idles
      if (!slowest || *time < *slowest) slowest = time;
    }
    if (!slowest) return released;
    const common::Seconds bound = EndOfStep(*slowest, options_.step);
    std::size_t pass = 0;
    for (std::size_t i = 0; i < partitions_.size(); ++i) {
      Partition& partition = partitions_[i];
      while (!partition.restoring && !partition.records.empty()) {
        const common::Seconds time = HeadTime(partition);
        if (time > bound) break;
        if (!partition.time || *partition.time < time) partition.time = time;
        const Entry& entry = partition.records.front();
        output.OnAlignedEvent(i, entry.event);
        const std::int64_t next_offset = entry.next_offset;
        partition.records.pop_front();
        ++pass;
        if (next_offset >= 0) {
          // A partition read to its end is there once its last record is handed over: what
          // lies between them (a transaction's commit marker) is no record.
          const bool at_end = partition.records.empty() && partition.end_offset >= next_offset;
          output.OnHandled(i, at_end ? partition.end_offset : next_offset, at_end);
        }
      }
    }
    if (pass == 0) return released;
    released += pass;
  }
}

void PartitionAligner::PausesDue(std::vector<std::size_t>& pause,
                                 std::vector<std::size_t>& resume) const {
  pause.clear();
  resume.clear();
  for (std::size_t i = 0; i < partitions_.size(); ++i) {
    const std::size_t size = partitions_[i].records.size();
    if (!partitions_[i].paused && size >= options_.pause_above) pause.push_back(i);
    if (partitions_[i].paused && size <= options_.pause_above / 2) resume.push_back(i);
  }
}

std::uint64_t PartitionAligner::LateOf(std::string_view topic, std::int32_t partition) const {
  std::optional<std::size_t> index = Find(topic, partition);
  return index ? partitions_[*index].late : 0;
}

std::size_t PartitionAligner::buffered() const {
  std::size_t total = 0;
  for (const Partition& partition : partitions_) total += partition.records.size();
  return total;
}

}  // namespace trailsight::consumers
