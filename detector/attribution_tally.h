#pragma once

#include <cstdint>
#include <vector>

#include "common/interner.h"

namespace trailsight::detector {

// The three attributes AWS attributes an insight to.
enum class Attribute : std::uint8_t { kUserIdentityArn, kUserAgent, kErrorCode };
inline constexpr int kAttributeCount = 3;

struct TallyEntry {
  Attribute attribute;
  common::Symbol value;
  std::uint32_t count;
};

// Counts how often each value of each attribute occurred, for one key over some span
// (an open minute, a day, an insight).
//
// Bound: at most `cap` distinct values per attribute. Beyond it the Space-Saving rule
// applies: a new value replaces the entry with the smallest count (ties: the entry added
// first) and inherits that count, so heavy hitters are kept and counts are upper bounds.
// Exact while a key has at most `cap` distinct values, which is the common case.
//
// Thread safety: none; owned by one detector.
class AttributionTally {
 public:
  // Adds `count` occurrences of `value` for `attribute`.
  void Add(Attribute attribute, common::Symbol value, std::uint32_t count, std::size_t cap);
  // Adds every entry of `other`.
  void Merge(const AttributionTally& other, std::size_t cap);
  // Forgets all entries but keeps the memory, so a reused tally does not allocate.
  void Clear() { entries_.clear(); }
  bool empty() const { return entries_.empty(); }
  // The entries in the order they were first added; for compact copies (KeyHistory).
  const std::vector<TallyEntry>& entries() const { return entries_; }

  // Returns up to `limit` entries of `attribute`, by count descending, ties by the
  // resolved value ascending so that output never depends on interning order.
  std::vector<TallyEntry> Top(Attribute attribute, std::size_t limit,
                              const common::StringInterner& interner) const;

 private:
  friend class StateCodec;  // saves and restores entries_ verbatim
  std::vector<TallyEntry> entries_;
};

}  // namespace trailsight::detector
