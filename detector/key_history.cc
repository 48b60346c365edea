#include "detector/key_history.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace trailsight::detector {
namespace {

constexpr std::size_t kAllValues = std::numeric_limits<std::size_t>::max();

std::size_t Slot(std::int64_t index, int size) {
  return static_cast<std::size_t>(((index % size) + size) % size);
}

std::size_t HourSlot(common::Hour hour) {
  return Slot(hour.time_since_epoch().count(), KeyHistory::kHours);
}

constexpr int kHoursPerWeek = static_cast<int>(models::kHoursPerWeek);
constexpr std::size_t kNotWeekend = std::numeric_limits<std::size_t>::max();

// The slot of `hour` in the earlier weekend, or kNotWeekend outside the weekend span.
std::size_t WeekendSlot(common::Hour hour) {
  const std::size_t slot =
      Slot(common::HourOfWeek(hour) - KeyHistory::kWeekendFirstHour, kHoursPerWeek);
  return slot < KeyHistory::kWeekendHours ? slot : kNotWeekend;
}

// The fewest bits of 1, 2, 4, 8, 16 or 32 that hold `value`.
std::uint8_t BitsFor(std::uint32_t value) {
  if (value <= 1) return 1;
  if (value <= 3) return 2;
  if (value <= 0xF) return 4;
  if (value <= 0xFF) return 8;
  if (value <= 0xFFFF) return 16;
  return 32;
}

// LEB128: seven bits a byte, low bits first.
void PutVarint(std::vector<std::uint8_t>& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(value));
}

// Reads what PutVarint wrote; `packed_` is only ever written by this file, so it is trusted.
std::uint64_t GetVarint(const std::uint8_t*& in) {
  std::uint64_t value = 0;
  for (int shift = 0;; shift += 7) {
    const std::uint8_t byte = *in++;
    value |= std::uint64_t{byte & 0x7Fu} << shift;
    if ((byte & 0x80) == 0) return value;
  }
}

// A value and its attribute as one number: the symbol above two attribute bits.
std::uint64_t Tag(const TallyEntry& entry) {
  return (std::uint64_t{entry.value} << 2) | static_cast<std::uint64_t>(entry.attribute);
}

// Days are stored as zigzag varints of days since the Unix epoch.
std::uint64_t ZigZag(common::Day day) {
  const std::int64_t count = day.time_since_epoch().count();
  return (static_cast<std::uint64_t>(count) << 1) ^ static_cast<std::uint64_t>(count >> 63);
}

common::Day UnZigZag(std::uint64_t value) {
  const auto count = static_cast<std::int64_t>(value >> 1) ^ -static_cast<std::int64_t>(value & 1);
  return common::Day{std::chrono::days{count}};
}

// Returns the top kDayTopValues entries of each attribute, by count descending, ties by the
// smaller symbol, grouped by attribute.
std::vector<TallyEntry> TopOfDay(const std::vector<TallyEntry>& entries) {
  std::vector<TallyEntry> sorted = entries;
  std::sort(sorted.begin(), sorted.end(), [](const TallyEntry& a, const TallyEntry& b) {
    if (a.attribute != b.attribute) return a.attribute < b.attribute;
    if (a.count != b.count) return a.count > b.count;
    return a.value < b.value;
  });
  std::vector<TallyEntry> top;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    kept = (i > 0 && sorted[i].attribute == sorted[i - 1].attribute) ? kept + 1 : 0;
    if (kept < KeyHistory::kDayTopValues) top.push_back(sorted[i]);
  }
  return top;
}

}  // namespace

std::size_t KeyHistory::HourBytes() const { return kCountsKept * bits_ / 8; }

std::uint32_t KeyHistory::Get(std::size_t index) const {
  if (bits_ == 0) return 0;  // nothing recorded yet
  if (bits_ < 8) {
    const std::size_t bit = index * bits_;
    return (packed_[bit / 8] >> (bit % 8)) & ((1u << bits_) - 1);
  }
  if (bits_ == 8) return packed_[index];
  if (bits_ == 16) {
    std::uint16_t value;
    std::memcpy(&value, &packed_[2 * index], sizeof value);
    return value;
  }
  std::uint32_t value;
  std::memcpy(&value, &packed_[4 * index], sizeof value);
  return value;
}

void KeyHistory::Set(std::size_t index, std::uint32_t value) {
  if (BitsFor(value) > bits_) WidenFor(value);
  if (bits_ < 8) {
    const std::size_t bit = index * bits_;
    const unsigned mask = ((1u << bits_) - 1) << (bit % 8);
    std::uint8_t& byte = packed_[bit / 8];
    byte = static_cast<std::uint8_t>((byte & ~mask) | (value << (bit % 8)));
  } else if (bits_ == 8) {
    packed_[index] = static_cast<std::uint8_t>(value);
  } else if (bits_ == 16) {
    const auto narrow = static_cast<std::uint16_t>(value);
    std::memcpy(&packed_[2 * index], &narrow, sizeof narrow);
  } else {
    std::memcpy(&packed_[4 * index], &value, sizeof value);
  }
}

// Re-packs the ring at the width `value` needs, keeping the past days behind it. Happens
// at most five times in a key's life.
void KeyHistory::WidenFor(std::uint32_t value) {
  KeyHistory wider;
  wider.bits_ = BitsFor(value);
  wider.packed_.assign(wider.HourBytes() + (packed_.size() - HourBytes()), 0);
  for (std::size_t index = 0; index < kCountsKept; ++index) {
    if (const std::uint32_t old = Get(index); old != 0) wider.Set(index, old);
  }
  std::copy(packed_.begin() + static_cast<std::ptrdiff_t>(HourBytes()), packed_.end(),
            wider.packed_.begin() + static_cast<std::ptrdiff_t>(wider.HourBytes()));
  packed_ = std::move(wider.packed_);
  bits_ = wider.bits_;
}

void KeyHistory::AddMinute(common::Minute minute, std::uint32_t count, std::uint32_t quarter,
                           const AttributionTally& tally, std::size_t cap) {
  const auto hour = std::chrono::floor<std::chrono::hours>(minute);
  if (empty_ || hour > newest_hour_) {
    if (bits_ == 0) WidenFor(0);  // the first minute: a ring of zeros at the narrowest width
    if (!empty_) KeepLeavingWeekend(hour);
    // Clear the slots of the hours skipped since the newest one (all of them after a gap).
    const std::int64_t skipped =
        empty_ ? kHours : std::min<std::int64_t>((hour - newest_hour_).count(), kHours);
    for (std::int64_t i = 0; i < skipped; ++i) {
      const std::size_t slot = HourSlot(hour - std::chrono::hours{i});
      Set(slot, 0);
      Set(kHours + slot, 0);
      Set(2 * kHours + slot, 0);
    }
    newest_hour_ = hour;
    empty_ = false;
  }
  const std::size_t slot = HourSlot(hour);
  Set(slot, Get(slot) + count);
  if (count > Get(kHours + slot)) Set(kHours + slot, count);
  if (quarter > Get(2 * kHours + slot)) Set(2 * kHours + slot, quarter);

  if (tally.empty()) return;
  const auto day = std::chrono::floor<std::chrono::days>(minute);
  if (!today_.empty() && day != today_day_) CloseToday(day);
  today_day_ = day;
  today_.Merge(tally, cap);
}

void KeyHistory::CloseToday(common::Day next_day) {
  std::vector<PastDay> days = DecodePastDays();
  days.push_back({today_day_, TopOfDay(today_.entries())});
  EncodePastDays(days, next_day - std::chrono::days{kDays - 1});
  today_.Clear();
}

std::vector<KeyHistory::PastDay> KeyHistory::DecodePastDays() const {
  std::vector<PastDay> days;
  if (packed_.size() <= HourBytes()) return days;
  const std::uint8_t* in = packed_.data() + HourBytes();
  const std::uint8_t* const end = packed_.data() + packed_.size();
  std::vector<std::uint64_t> values(GetVarint(in));
  for (std::uint64_t& tag : values) tag = GetVarint(in);
  while (in < end) {
    PastDay& day = days.emplace_back();
    day.day = UnZigZag(GetVarint(in));
    const std::uint64_t entries = GetVarint(in);
    for (std::uint64_t i = 0; i < entries; ++i) {
      const std::uint64_t tag = values[GetVarint(in)];
      day.entries.push_back({static_cast<Attribute>(tag & 3), static_cast<common::Symbol>(tag >> 2),
                             static_cast<std::uint32_t>(GetVarint(in))});
    }
  }
  return days;
}

void KeyHistory::EncodePastDays(const std::vector<PastDay>& days, common::Day oldest) {
  std::vector<std::uint64_t> values;  // the value table: each kept (attribute, value) once
  for (const PastDay& day : days) {
    if (day.day < oldest) continue;
    for (const TallyEntry& entry : day.entries) {
      if (std::find(values.begin(), values.end(), Tag(entry)) == values.end()) {
        values.push_back(Tag(entry));
      }
    }
  }
  std::vector<std::uint8_t> packed(packed_.begin(),
                                   packed_.begin() + static_cast<std::ptrdiff_t>(HourBytes()));
  if (!values.empty()) {
    PutVarint(packed, values.size());
    for (std::uint64_t tag : values) PutVarint(packed, tag);
    for (const PastDay& day : days) {
      if (day.day < oldest) continue;
      PutVarint(packed, ZigZag(day.day));
      PutVarint(packed, day.entries.size());
      for (const TallyEntry& entry : day.entries) {
        PutVarint(packed,
                  static_cast<std::uint64_t>(std::find(values.begin(), values.end(), Tag(entry)) -
                                             values.begin()));
        PutVarint(packed, entry.count);
      }
    }
  }
  packed.shrink_to_fit();
  packed_ = std::move(packed);
}

bool KeyHistory::Holds(common::Hour hour) const {
  return !empty_ && hour <= newest_hour_ && hour > newest_hour_ - std::chrono::hours{kHours};
}

void KeyHistory::KeepLeavingWeekend(common::Hour hour) {
  // Hours (newest_hour_ - kHours, hour - kHours] leave the ring; of them only the last
  // week's can be held, and those after newest_hour_ were never recorded (their calls: 0).
  const common::Hour last = hour - std::chrono::hours{kHours};
  const common::Hour first = std::max(newest_hour_ - std::chrono::hours{kHours - 1},
                                      last - std::chrono::hours{kHoursPerWeek - 1});
  for (common::Hour leaving = first; leaving <= last; leaving += std::chrono::hours{1}) {
    const std::size_t weekend = WeekendSlot(leaving);
    if (weekend == kNotWeekend) continue;
    const std::size_t slot = HourSlot(leaving);
    const bool recorded = leaving <= newest_hour_;
    for (std::size_t value = 0; value < kRingValues; ++value) {
      Set(kEarlier + value * kWeekendHours + weekend, recorded ? Get(value * kHours + slot) : 0);
    }
  }
}

void KeyHistory::WeekBefore(common::Hour epoch, models::WeekOfHours& week) const {
  FillFromRing(epoch, week);
}

void KeyHistory::FortnightBefore(common::Hour epoch, models::FortnightOfHours& fortnight) const {
  FillFromRing(epoch, fortnight);
  if (empty_) return;
  const common::Hour first = epoch - std::chrono::hours{models::kHoursPerFortnight};
  const common::Hour left = newest_hour_ - std::chrono::hours{kHours};
  const common::Hour from = std::max(first, left - std::chrono::hours{kHoursPerWeek - 1});
  const common::Hour to = std::min(epoch, left + std::chrono::hours{1});
  for (common::Hour hour = from; hour < to; hour += std::chrono::hours{1}) {
    const std::size_t weekend = WeekendSlot(hour);
    if (weekend == kNotWeekend) continue;
    fortnight[static_cast<std::size_t>((hour - first).count())] = {
        Get(kEarlier + weekend), Get(kEarlier + kWeekendHours + weekend),
        Get(kEarlier + 2 * kWeekendHours + weekend)};
  }
}

void KeyHistory::FillFromRing(common::Hour epoch, std::span<models::HourSummary> out) const {
  // Called at every threshold refresh: the kept hours are read with one width test for
  // the whole span and a running slot, not per hour.
  std::fill(out.begin(), out.end(), models::HourSummary{});
  const common::Hour first = epoch - std::chrono::hours{out.size()};
  if (empty_) return;
  const common::Hour from = std::max(first, newest_hour_ - std::chrono::hours{kHours - 1});
  const common::Hour to = std::min(epoch, newest_hour_ + std::chrono::hours{1});
  if (from >= to) return;
  auto fill = [&](auto read) {
    std::size_t slot = HourSlot(from);
    for (auto i = static_cast<std::size_t>((from - first).count());
         i < static_cast<std::size_t>((to - first).count()); ++i) {
      out[i] = {read(slot), read(kHours + slot), read(2 * kHours + slot)};
      if (++slot == kHours) slot = 0;
    }
  };
  const std::uint8_t* packed = packed_.data();
  switch (bits_) {
    case 1:
      fill([packed](std::size_t index) { return (packed[index / 8] >> (index % 8)) & 1u; });
      break;
    case 2:
      fill([packed](std::size_t index) { return (packed[index / 4] >> (2 * (index % 4))) & 3u; });
      break;
    case 4:
      fill([packed](std::size_t index) { return (packed[index / 2] >> (4 * (index % 2))) & 0xFu; });
      break;
    case 8:
      fill([packed](std::size_t index) { return std::uint32_t{packed[index]}; });
      break;
    default:
      fill([this](std::size_t index) { return Get(index); });
      break;
  }
}

std::uint64_t KeyHistory::CallsBetween(common::Hour from, common::Hour to) const {
  std::uint64_t calls = 0;
  for (common::Hour hour = from; hour < to; hour += std::chrono::hours{1}) {
    if (Holds(hour)) calls += Get(HourSlot(hour));
  }
  return calls;
}

void KeyHistory::TallyBetween(common::Day from, common::Day to, AttributionTally& out,
                              std::size_t cap) const {
  if (packed_.size() > HourBytes()) {
    const std::uint8_t* in = packed_.data() + HourBytes();
    const std::uint8_t* const end = packed_.data() + packed_.size();
    std::vector<std::uint64_t> values(GetVarint(in));  // at a Start only: not per event
    for (std::uint64_t& tag : values) tag = GetVarint(in);
    while (in < end) {
      const common::Day day = UnZigZag(GetVarint(in));
      const std::uint64_t entries = GetVarint(in);
      for (std::uint64_t i = 0; i < entries; ++i) {
        const std::uint64_t tag = values[GetVarint(in)];
        const auto count = static_cast<std::uint32_t>(GetVarint(in));
        if (day >= from && day <= to) {
          out.Add(static_cast<Attribute>(tag & 3), static_cast<common::Symbol>(tag >> 2), count,
                  cap);
        }
      }
    }
  }
  if (!today_.empty() && today_day_ >= from && today_day_ <= to) out.Merge(today_, cap);
}

std::size_t KeyHistory::heap_bytes() const {
  return packed_.capacity() + today_.entries().capacity() * sizeof(TallyEntry);
}

void KeyHistory::SetSlotSummary(std::size_t slot, models::HourSummary summary) {
  if (bits_ == 0 && summary.calls == 0 && summary.peak_minute == 0 && summary.peak_quarter == 0) {
    return;
  }
  if (bits_ == 0) WidenFor(0);
  Set(slot, summary.calls);
  Set(kHours + slot, summary.peak_minute);
  Set(2 * kHours + slot, summary.peak_quarter);
}

void KeyHistory::RestoreDay(common::Day day, const AttributionTally& tally) {
  if (tally.empty()) return;
  if (today_.empty() || day > today_day_) {
    if (!today_.empty()) CloseToday(day);
    today_day_ = day;
    today_.Merge(tally, kAllValues);
    return;
  }
  if (day == today_day_) {
    today_.Merge(tally, kAllValues);
    return;
  }
  std::vector<PastDay> days = DecodePastDays();
  days.push_back({day, TopOfDay(tally.entries())});
  std::stable_sort(days.begin(), days.end(),
                   [](const PastDay& a, const PastDay& b) { return a.day < b.day; });
  EncodePastDays(days, today_day_ - std::chrono::days{kDays - 1});
}

KeyHistory::PackedParts KeyHistory::Parts() const {
  PackedParts parts;
  const std::span<const std::uint8_t> packed(packed_);
  parts.ring = packed.first(HourBytes());
  if (packed_.size() <= HourBytes()) return parts;
  const std::uint8_t* in = packed_.data() + HourBytes();
  parts.tags.resize(GetVarint(in));
  for (std::uint64_t& tag : parts.tags) tag = GetVarint(in);
  parts.days = packed.subspan(static_cast<std::size_t>(in - packed_.data()));
  return parts;
}

bool KeyHistory::RestoreParts(std::uint8_t bits, std::span<const std::uint8_t> ring,
                              const std::vector<std::uint64_t>& tags,
                              std::span<const std::uint8_t> day_bytes) {
  constexpr std::uint8_t kWidths[] = {0, 1, 2, 4, 8, 16, 32};  // BitsFor's, and 0 while empty
  if (std::find(std::begin(kWidths), std::end(kWidths), bits) == std::end(kWidths)) return false;
  // Rings of version 3 and 4 end where the version's counts do; the counts after them start
  // at zero.
  const bool without_quarters = ring.size() == kOlderRingValues * kHours * bits / 8;
  const bool without_weekend = ring.size() == kEarlier * bits / 8;
  if (ring.size() != kCountsKept * bits / 8 && !without_quarters && !without_weekend) {
    return false;
  }
  if (tags.empty() && !day_bytes.empty()) return false;  // days name their values in the table
  // The days' bytes are read unchecked later (GetVarint): walk them once, checked, here.
  std::size_t at = 0;
  const auto varint = [&](std::uint64_t& value) {
    value = 0;
    for (int shift = 0; shift < 64 && at < day_bytes.size(); shift += 7) {
      const std::uint8_t byte = day_bytes[at++];
      value |= std::uint64_t{byte & 0x7fu} << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  };
  while (at < day_bytes.size()) {
    std::uint64_t day = 0, entries = 0;
    if (!varint(day) || !varint(entries) || entries > day_bytes.size() - at) return false;
    for (std::uint64_t i = 0; i < entries; ++i) {
      std::uint64_t index = 0, count = 0;
      if (!varint(index) || index >= tags.size() || !varint(count)) return false;
    }
  }
  std::vector<std::uint8_t> packed(ring.begin(), ring.end());
  packed.resize(kCountsKept * bits / 8);
  if (!tags.empty()) {
    PutVarint(packed, tags.size());
    for (std::uint64_t tag : tags) PutVarint(packed, tag);
    packed.insert(packed.end(), day_bytes.begin(), day_bytes.end());
  }
  packed.shrink_to_fit();
  packed_ = std::move(packed);
  bits_ = bits;
  if (without_quarters) {
    for (std::size_t slot = 0; slot < kHours; ++slot) {
      Set(2 * kHours + slot, QuarterBound(Get(slot), Get(kHours + slot)));
    }
  }
  return true;
}

}  // namespace trailsight::detector
