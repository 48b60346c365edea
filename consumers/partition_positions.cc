#include "consumers/partition_positions.h"

#include <algorithm>
#include <utility>

namespace trailsight::consumers {

void PartitionPositions::Add(const std::vector<PartitionOffset>& partitions) {
  for (const PartitionOffset& partition : partitions) {
    if (const std::size_t i = Find(partition.topic, partition.partition); i < entries_.size()) {
      entries_[i].offset = partition.offset;
      at_end_[i] = false;
    } else {
      entries_.push_back(partition);
      at_end_.push_back(false);
    }
  }
}

void PartitionPositions::Remove(const std::vector<PartitionOffset>& partitions) {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const bool gone =
        std::any_of(partitions.begin(), partitions.end(), [&](const PartitionOffset& removed) {
          return removed.partition == entries_[i].partition && removed.topic == entries_[i].topic;
        });
    if (gone) continue;
    if (kept != i) {
      entries_[kept] = std::move(entries_[i]);
      at_end_[kept] = at_end_[i];
    }
    ++kept;
  }
  entries_.resize(kept);
  at_end_.resize(kept);
  last_ = 0;
}

void PartitionPositions::Advance(std::string_view topic, std::int32_t partition,
                                 std::int64_t next_offset) {
  Move(topic, partition, next_offset, /*at_end=*/false);
}

void PartitionPositions::AdvanceToEnd(std::string_view topic, std::int32_t partition,
                                      std::int64_t next_offset) {
  Move(topic, partition, next_offset, /*at_end=*/true);
}

void PartitionPositions::Move(std::string_view topic, std::int32_t partition,
                              std::int64_t next_offset, bool at_end) {
  const std::size_t i = Find(topic, partition);
  if (i == entries_.size()) return;
  if (next_offset > entries_[i].offset) entries_[i].offset = next_offset;
  at_end_[i] = at_end;
}

bool PartitionPositions::AllAtEnd() const {
  return !entries_.empty() &&
         std::all_of(at_end_.begin(), at_end_.end(), [](bool end) { return end; });
}

std::vector<PartitionOffset> PartitionPositions::Known() const {
  std::vector<PartitionOffset> known;
  known.reserve(entries_.size());
  for (const PartitionOffset& entry : entries_) {
    if (entry.offset >= 0) known.push_back(entry);
  }
  return known;
}

std::size_t PartitionPositions::Find(std::string_view topic, std::int32_t partition) {
  auto matches = [&](const PartitionOffset& entry) {
    return entry.partition == partition && entry.topic == topic;
  };
  if (last_ < entries_.size() && matches(entries_[last_])) return last_;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (matches(entries_[i])) {
      last_ = i;
      return i;
    }
  }
  return entries_.size();
}

}  // namespace trailsight::consumers
