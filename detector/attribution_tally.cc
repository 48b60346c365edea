#include "detector/attribution_tally.h"

#include <algorithm>

namespace trailsight::detector {

void AttributionTally::Add(Attribute attribute, common::Symbol value, std::uint32_t count,
                           std::size_t cap) {
  std::size_t distinct = 0;
  TallyEntry* smallest = nullptr;
  for (TallyEntry& entry : entries_) {
    if (entry.attribute != attribute) continue;
    if (entry.value == value) {
      entry.count += count;
      return;
    }
    ++distinct;
    if (smallest == nullptr || entry.count < smallest->count) smallest = &entry;
  }
  if (distinct < cap || smallest == nullptr) {
    entries_.push_back({attribute, value, count});
    return;
  }
  smallest->value = value;  // Space-Saving: inherit the evicted count as an upper bound
  smallest->count += count;
}

void AttributionTally::Merge(const AttributionTally& other, std::size_t cap) {
  for (const TallyEntry& entry : other.entries_)
    Add(entry.attribute, entry.value, entry.count, cap);
}

std::vector<TallyEntry> AttributionTally::Top(Attribute attribute, std::size_t limit,
                                              const common::StringInterner& interner) const {
  std::vector<TallyEntry> top;
  for (const TallyEntry& entry : entries_) {
    if (entry.attribute == attribute) top.push_back(entry);
  }
  std::sort(top.begin(), top.end(), [&](const TallyEntry& a, const TallyEntry& b) {
    if (a.count != b.count) return a.count > b.count;
    return interner.Resolve(a.value) < interner.Resolve(b.value);
  });
  if (top.size() > limit) top.resize(limit);
  return top;
}

}  // namespace trailsight::detector
