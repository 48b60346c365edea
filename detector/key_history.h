#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "common/time.h"
#include "detector/attribution_tally.h"
#include "models/count_baseline.h"

namespace trailsight::detector {

// What one key did in its closed minutes: hourly call counts, busiest minutes and busiest
// quarters (15 minutes ending in the hour) over the last eight days (enough for a 7-day baseline
// floored to UTC midnight), the same for the weekend hours of the week before (so that a
// weekend hour is judged on two weekends), and who called (the attribution tally) on each of
// the last nine days.
//
// Contract: minutes are added in increasing order, each once, only once closed. Reads
// return zeros for hours never recorded. Hourly counts are exact. The current day's tally
// is exact up to `cap` values per attribute (Space-Saving beyond, see AttributionTally);
// when a day is over, only its kDayTopValues most frequent values per attribute are kept
// (ties: the smaller symbol), so baseline attributions are exact for keys with at most
// that many values of an attribute a day, and beyond it miss only values that were never
// among a day's top ones.
//
// The earlier weekend: an hour of the weekend span (kWeekendFirstHour and the kWeekendHours
// after it in the week: the Saturday and Sunday of every time zone from UTC-12 to UTC+12)
// is kept once more when it leaves the ring, until the same hour of the next week leaves it.
// So the ring and the earlier weekend together hold every weekend hour of the last two
// weeks.
//
// Memory, the bound that lets a process hold millions of keys (bench/key_memory): one
// heap block holds the hour ring and the earlier weekend, 3 x (192 + 72) counts packed in
// the fewest of 1, 2, 4, 8, 16 or 32 bits that fit the largest count so far (99 bytes
// while a key makes at most one call an hour, 396 up to 15 in a quarter, 792 up to 255;
// widened when a count needs it, never narrowed), followed by the past days' kept values
// as varints, each distinct value stored once. The current day's tally is a second block
// of at most 3 x `cap` entries.
//
// Thread safety: none; owned by one Detector.
class KeyHistory {
 public:
  static constexpr int kHours = 192;
  // The weekend span, as hours of the week (common::HourOfWeek): Friday 12:00 UTC to
  // Monday 12:00 UTC.
  static constexpr int kWeekendFirstHour = models::kFirstWeekendHour - 12;
  static constexpr int kWeekendHours = 72;
  static constexpr std::size_t kRingValues = 3;       // calls, busiest minute, busiest quarter
  static constexpr std::size_t kOlderRingValues = 2;  // states of version 3 keep no quarter
  static constexpr int kDays = 9;
  static constexpr std::size_t kDayTopValues = 8;  // kept per attribute for each past day

  // What the busiest quarter of an hour can have held, for states that kept none: all of the
  // hour's calls, at most fifteen busiest minutes. An upper bound, so that no recurring
  // clump of the week before an upgrade is taken for a new one after it.
  static std::uint32_t QuarterBound(std::uint32_t calls, std::uint32_t peak_minute) {
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(calls, 15ull * peak_minute));
  }

  // Records a closed minute's count, the calls of the 15 minutes that end with it (the
  // minute's own included) and its attribution tally.
  void AddMinute(common::Minute minute, std::uint32_t count, std::uint32_t quarter,
                 const AttributionTally& tally, std::size_t cap);
  // Fills `week` with the 168 hours that end just before `epoch`.
  void WeekBefore(common::Hour epoch, models::WeekOfHours& week) const;
  // Fills `fortnight` with the 336 hours that end just before `epoch`, as far as they are
  // kept: the ring's eight days and the earlier weekend; every other hour is 0.
  void FortnightBefore(common::Hour epoch, models::FortnightOfHours& fortnight) const;
  // Returns the calls recorded in hours [from, to).
  std::uint64_t CallsBetween(common::Hour from, common::Hour to) const;
  // Merges the daily tallies of days [from, to] into `out`.
  void TallyBetween(common::Day from, common::Day to, AttributionTally& out, std::size_t cap) const;

  // Returns an upper bound on every count the hour ring holds (calls, busiest minute and
  // busiest quarter of any hour): the largest its width can hold, 0 while nothing is kept.
  std::uint32_t CountBound() const {
    return bits_ >= 32 ? UINT32_MAX : (std::uint32_t{1} << bits_) - 1;
  }

  // Returns the bytes this history holds on the heap, beyond sizeof(KeyHistory).
  std::size_t heap_bytes() const;

 private:
  friend class StateCodec;  // saves and restores through the private functions below

  // One past day as decoded from `packed_`.
  struct PastDay {
    common::Day day;
    std::vector<TallyEntry> entries;
  };

  // The packed bytes in three parts, as StateCodec saves them: the hour ring and the past
  // days' bytes hold no symbol and are saved as they are; the days' value table holds tags
  // (attribute | symbol << 2) of process-local symbols, which StateCodec translates.
  struct PackedParts {
    std::span<const std::uint8_t> ring;
    std::vector<std::uint64_t> tags;
    std::span<const std::uint8_t> days;
  };
  PackedParts Parts() const;
  // Replaces the packed bytes with saved parts (`tags` holding this process's symbols) for
  // a ring of `bits` per count: of kRingValues per hour with the earlier weekend after it
  // (version 5), or without it (version 4: the earlier weekend starts empty), or of
  // kOlderRingValues per hour (version 3: the busiest quarters then become their upper
  // bound from the hour's calls and busiest minute).
  // Returns false, changing nothing, when they do not fit together: a width the ring never
  // has, a ring of another size, days' bytes that end inside a value or name a tag the table
  // does not have.
  bool RestoreParts(std::uint8_t bits, std::span<const std::uint8_t> ring,
                    const std::vector<std::uint64_t>& tags,
                    std::span<const std::uint8_t> day_bytes);

  // Snapshot access by ring slot (slot = hour mod kHours), for states of format version 2.
  void SetSlotSummary(std::size_t slot, models::HourSummary summary);
  // Adds the tally of `day`, in any order of days; a past day keeps its top values. For
  // states of format version 2.
  void RestoreDay(common::Day day, const AttributionTally& tally);

  std::size_t HourBytes() const;
  // index: slot (calls), kHours + slot (busiest minute), 2 kHours + slot (busiest quarter);
  // then the earlier weekend from kEarlier on, laid out the same way by weekend slot.
  static constexpr std::size_t kEarlier = kRingValues * kHours;
  static constexpr std::size_t kCountsKept = kRingValues * (kHours + kWeekendHours);
  std::uint32_t Get(std::size_t index) const;
  void Set(std::size_t index, std::uint32_t value);
  void WidenFor(std::uint32_t value);
  bool Holds(common::Hour hour) const;
  // Keeps the weekend-span hours that leave the ring when `hour` becomes the newest.
  void KeepLeavingWeekend(common::Hour hour);
  // Fills `out` with the hours that end just before `epoch`, from the ring.
  void FillFromRing(common::Hour epoch, std::span<models::HourSummary> out) const;
  std::vector<PastDay> DecodePastDays() const;
  // Re-encodes `days` (sorted by day) after the hour ring, dropping days before `oldest`.
  void EncodePastDays(const std::vector<PastDay>& days, common::Day oldest);
  // Moves today's tally, trimmed to its top values, into the past days.
  void CloseToday(common::Day next_day);

  std::vector<std::uint8_t> packed_;  // hour ring, then the past days (see the class comment)
  common::Hour newest_hour_{};        // the newest hour written; slots after it are stale
  AttributionTally today_;            // the tally of `today_day_`, exact up to `cap`
  common::Day today_day_{};           // meaningful while today_ is not empty
  std::uint8_t bits_ = 0;             // bits per count in the hour ring; 0 while empty
  bool empty_ = true;
};

}  // namespace trailsight::detector
