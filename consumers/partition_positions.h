#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace trailsight::consumers {

// An offset that is not known (yet): a partition nothing has been read from.
inline constexpr std::int64_t kUnknownOffset = -1;

// A partition of a topic and an offset in it: the next offset to read (not the last one read),
// which is also what Kafka commits for a group.
struct PartitionOffset {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;  // next offset to read; kUnknownOffset when not known
  // Committed with the offset as Kafka's offset metadata: a repartition partition's
  // handed-over table (SourceStreams::HandedOver); empty for every other partition.
  std::string metadata{};
  bool operator==(const PartitionOffset&) const = default;
};

// The next offset to read in each partition a consumer is assigned, advanced only once the
// messages before it have been handed over. Lookups cost a comparison with the partition of
// the previous lookup, else a linear scan: a consumer has tens of partitions, not thousands.
//
// Thread safety: none; the consumer's thread owns it.
class PartitionPositions {
 public:
  // Adds `partitions` (an offset of kUnknownOffset: not known until a message arrives), or
  // replaces the offset of those already present.
  void Add(const std::vector<PartitionOffset>& partitions);
  // Removes `partitions` (their offsets are ignored); unknown ones are skipped.
  void Remove(const std::vector<PartitionOffset>& partitions);
  void Clear() {
    entries_.clear();
    at_end_.clear();
  }

  // Records that everything before `next_offset` in the partition has been handled. Offsets
  // only move forward; a partition that is not assigned is ignored.
  void Advance(std::string_view topic, std::int32_t partition, std::int64_t next_offset);
  // Like Advance, for the partition's end: `next_offset` is where the next message will be.
  // The partition counts as at its end until Advance moves it again or it is re-added.
  void AdvanceToEnd(std::string_view topic, std::int32_t partition, std::int64_t next_offset);

  // Returns true when at least one partition is assigned and every one is at its end.
  bool AllAtEnd() const;

  // Returns the assigned partitions whose offset is known, in assignment order.
  std::vector<PartitionOffset> Known() const;
  // Returns every assigned partition, with kUnknownOffset where the offset is not known.
  const std::vector<PartitionOffset>& all() const { return entries_; }

 private:
  // Advance() or AdvanceToEnd(), as `at_end` says.
  void Move(std::string_view topic, std::int32_t partition, std::int64_t next_offset, bool at_end);
  // Returns the index of the partition in entries_, or entries_.size() when not assigned.
  std::size_t Find(std::string_view topic, std::int32_t partition);

  std::vector<PartitionOffset> entries_;
  std::vector<bool> at_end_;  // per entry: its end was the last thing read
  std::size_t last_ = 0;      // index of the previous lookup's hit
};

}  // namespace trailsight::consumers
