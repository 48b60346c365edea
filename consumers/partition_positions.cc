#include "consumers/partition_positions.h"

#include <algorithm>

namespace trailsight::consumers {

void PartitionPositions::Add(const std::vector<PartitionOffset>& partitions) {
  for (const PartitionOffset& partition : partitions) {
    if (PartitionOffset* entry = Find(partition.topic, partition.partition)) {
      entry->offset = partition.offset;
    } else {
      entries_.push_back(partition);
    }
  }
}

void PartitionPositions::Remove(const std::vector<PartitionOffset>& partitions) {
  std::erase_if(entries_, [&](const PartitionOffset& entry) {
    return std::any_of(partitions.begin(), partitions.end(), [&](const PartitionOffset& gone) {
      return gone.partition == entry.partition && gone.topic == entry.topic;
    });
  });
  last_ = 0;
}

void PartitionPositions::Advance(std::string_view topic, std::int32_t partition,
                                 std::int64_t next_offset) {
  PartitionOffset* entry = Find(topic, partition);
  if (entry != nullptr && next_offset > entry->offset) entry->offset = next_offset;
}

std::vector<PartitionOffset> PartitionPositions::Known() const {
  std::vector<PartitionOffset> known;
  known.reserve(entries_.size());
  for (const PartitionOffset& entry : entries_) {
    if (entry.offset >= 0) known.push_back(entry);
  }
  return known;
}

PartitionOffset* PartitionPositions::Find(std::string_view topic, std::int32_t partition) {
  auto matches = [&](const PartitionOffset& entry) {
    return entry.partition == partition && entry.topic == topic;
  };
  if (last_ < entries_.size() && matches(entries_[last_])) return &entries_[last_];
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (matches(entries_[i])) {
      last_ = i;
      return &entries_[i];
    }
  }
  return nullptr;
}

}  // namespace trailsight::consumers
