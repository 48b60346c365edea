#include "consumers/partition_alignment.h"

#include <algorithm>
#include <tuple>

namespace trailsight::consumers {
namespace {

// Returns the last second of the step of length `step` (from the epoch) that holds `time`.
common::Seconds EndOfStep(common::Seconds time, std::chrono::seconds step) {
  std::chrono::seconds into = time.time_since_epoch() % step;
  if (into.count() < 0) into += step;
  return time - into + step - std::chrono::seconds{1};
}

}  // namespace

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
  entry.reported = -1;
  entry.reported_at_end = false;
  if (options_.merge_sources) {
    if (entry.sources == nullptr)
      entry.sources =
          std::make_unique<SourceStreams>(options_.idle_timeout, options_.max_time_jump);
    entry.sources->Reset(options_.sources, now);
  }
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

bool PartitionAligner::BufferFrom(std::size_t index, EventSource source, const common::Event& event,
                                  std::int64_t offset, Clock::time_point now) {
  return partitions_[index].sources->Buffer(source, event, offset, now);
}

void PartitionAligner::Mark(std::size_t index, const SourceMark& mark, Clock::time_point now) {
  partitions_[index].sources->Mark(mark, now);
}

common::Status PartitionAligner::SkipHandedOver(std::size_t index, std::string_view table,
                                                std::int64_t position) {
  Partition& partition = partitions_[index];
  if (partition.sources == nullptr) return common::Ok();
  return partition.sources->SkipHandedOver(table, position);
}

std::string PartitionAligner::HandedOver(std::size_t index, std::int64_t position) const {
  const Partition& partition = partitions_[index];
  return partition.sources != nullptr ? partition.sources->HandedOver(position) : std::string{};
}

void PartitionAligner::EndOfMessage(std::size_t index, std::int64_t next_offset,
                                    Clock::time_point now) {
  Partition& partition = partitions_[index];
  partition.last_message = now;
  partition.end_offset = -1;  // more came after the end last read
  partition.reported_at_end = false;
  if (partition.sources != nullptr) {
    partition.sources->ReadTo(next_offset);
  } else if (partition.records.empty()) {
    partition.pending_offset = std::max(partition.pending_offset, next_offset);
  } else {
    partition.records.back().next_offset = next_offset;
  }
}

void PartitionAligner::EndOfPartition(std::size_t index, std::int64_t next_offset) {
  Partition& partition = partitions_[index];
  partition.end_offset = next_offset;
  if (partition.sources != nullptr) {
    partition.sources->ReadTo(next_offset);
  } else if (partition.records.empty()) {
    partition.pending_offset = std::max(partition.pending_offset, next_offset);
  }
}

std::optional<common::Seconds> PartitionAligner::TimeOf(std::size_t index) const {
  return TimeOf(partitions_[index], Clock::now());
}

std::optional<common::Seconds> PartitionAligner::TimeOf(const Partition& partition,
                                                        Clock::time_point now) const {
  const bool read_to_end = partition.end_offset >= 0;
  if (partition.sources != nullptr) return partition.sources->Time(now, read_to_end);
  return StandingTime(partition.records, partition.time,
                      !read_to_end && now - partition.last_message < options_.idle_timeout,
                      options_.max_time_jump);
}

bool PartitionAligner::Holding(std::size_t index, Clock::time_point now) const {
  return !partitions_[index].restoring && Holds(partitions_[index], now);
}

bool PartitionAligner::Holds(const Partition& partition, Clock::time_point now) const {
  if (partition.sources != nullptr) return partition.sources->Holds(now);
  if (!partition.records.empty()) return true;
  if (options_.idle_at_end && partition.end_offset >= 0) return false;
  if (partition.paused) return true;  // quiet because paused (SetPaused)
  return now - partition.last_message < options_.idle_timeout;
}

std::size_t PartitionAligner::Release(AlignedOutput& output, Clock::time_point now) {
  for (std::size_t i = 0; i < partitions_.size(); ++i) {
    Partition& partition = partitions_[i];
    if (partition.sources != nullptr) ReportPosition(i, output);
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
      std::optional<common::Seconds> time = TimeOf(partition, now);
      if (!time) return released;  // holds everything until it brings a record or idles
      if (!slowest || *time < *slowest) slowest = time;
    }
    if (!slowest) return released;
    common::Seconds bound = EndOfStep(*slowest, options_.step);
    if (ceiling_ && *ceiling_ < bound) bound = *ceiling_;
    std::size_t pass = 0;
    for (std::size_t i = 0; i < partitions_.size(); ++i) {
      Partition& partition = partitions_[i];
      if (partition.sources != nullptr) {
        if (partition.restoring) continue;
        pass += partition.sources->Release(
            bound, [&](const common::Event& event) { output.OnAlignedEvent(i, event); });
        ReportPosition(i, output);
        continue;
      }
      while (!partition.restoring && !partition.records.empty()) {
        const common::Seconds time = HeadTime(partition.records);
        if (time > bound) break;
        if (!partition.time || *partition.time < time) partition.time = time;
        const BufferedEvent& entry = partition.records.front();
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

void PartitionAligner::ReportPosition(std::size_t index, AlignedOutput& output) {
  Partition& partition = partitions_[index];
  const std::int64_t position = partition.sources->Position();
  if (position < 0) return;
  const bool at_end = partition.sources->buffered() == 0 && partition.end_offset >= 0 &&
                      position >= partition.end_offset;
  if (position <= partition.reported && (!at_end || partition.reported_at_end)) return;
  partition.reported = std::max(partition.reported, position);
  partition.reported_at_end = at_end;
  output.OnHandled(index, partition.reported, at_end);
}

PartitionAligner::SlowestSourceTime PartitionAligner::SlowestSource(
    const std::vector<SourcePartition>& except, Clock::time_point now) const {
  marked_.clear();
  for (const Partition& partition : partitions_) {
    if (partition.sources != nullptr) partition.sources->AddMarkedTimes(marked_, now);
  }
  // Each source's latest mark over the partitions (first: none sorts last), then the slowest.
  std::sort(marked_.begin(), marked_.end(), [](const auto& a, const auto& b) {
    return std::tie(a.source->topic, a.source->partition, b.time) <
           std::tie(b.source->topic, b.source->partition, a.time);
  });
  SlowestSourceTime slowest;
  std::optional<common::Seconds> time;
  for (std::size_t i = 0; i < marked_.size(); ++i) {
    if (i > 0 && *marked_[i].source == *marked_[i - 1].source) continue;  // an older mark
    if (std::find(except.begin(), except.end(), *marked_[i].source) != except.end()) continue;
    slowest.known = true;
    if (!marked_[i].time) {
      slowest.holds_everything = true;
    } else if (!time || *marked_[i].time < *time) {
      time = marked_[i].time;
    }
  }
  if (time) slowest.time = *time;
  return slowest;
}

void PartitionAligner::SetPaused(std::size_t index, bool paused, Clock::time_point now) {
  Partition& partition = partitions_[index];
  if (partition.paused && !paused) partition.last_message = std::max(partition.last_message, now);
  if (partition.sources != nullptr) partition.sources->SetPaused(paused, now);
  partition.paused = paused;
}

void PartitionAligner::PausesDue(Clock::time_point now, std::vector<std::size_t>& pause,
                                 std::vector<std::size_t>& resume) const {
  pause.clear();
  resume.clear();
  for (std::size_t i = 0; i < partitions_.size(); ++i) {
    // A re-keyed partition buffers for each of its sources.
    const bool merged = partitions_[i].sources != nullptr;
    const std::size_t size =
        merged ? partitions_[i].sources->buffered() : partitions_[i].records.size();
    const std::size_t limit =
        options_.pause_above * (merged ? std::max<std::size_t>(1, options_.sources.size()) : 1);
    // A re-keyed partition is read on while a source that holds has nothing buffered: that
    // source's next records lie further on in it, and paused, it would wait for them forever.
    const bool starved = merged && partitions_[i].sources->Starved(now);
    if (!partitions_[i].paused && size >= limit && !starved) pause.push_back(i);
    if (partitions_[i].paused && (size <= limit / 2 || starved)) resume.push_back(i);
  }
}

std::uint64_t PartitionAligner::LateOf(std::string_view topic, std::int32_t partition) const {
  std::optional<std::size_t> index = Find(topic, partition);
  return index ? partitions_[*index].late : 0;
}

std::size_t PartitionAligner::buffered() const {
  std::size_t total = 0;
  for (const Partition& partition : partitions_) {
    total +=
        partition.sources != nullptr ? partition.sources->buffered() : partition.records.size();
  }
  return total;
}

}  // namespace trailsight::consumers
