#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "common/event.h"
#include "common/finding.h"
#include "common/interner.h"

namespace trailsight::eval {

struct NaiveOptions {
  std::vector<double> ks = {3, 4, 5, 6};       // one detector per k, sharing the counts
  std::chrono::minutes window{7 * 24 * 60};    // trailing minutes the mean and sd cover
  std::chrono::seconds allowed_lateness{300};  // as the real detector: minutes close behind
  int end_after_quiet_minutes = 2;             // consecutive minutes at or under the threshold
};

// The comparison every detection claim is measured against: "mean + k standard deviations
// over the last 7 days", per key and minute, with nothing learned about time of day, sparse
// counts or scheduled jobs. Keys are the real detector's: call rate counts write management
// events per (account, region, eventSource, eventName); error rate counts read and write
// management events per errorCode as well.
//
// For each key, every closed minute (zeros included, from the region's first minute on) is
// judged against the mean and population standard deviation of the key's minutes in the
// trailing window before it: a Start when the count is >= 1 and > mean + k sd; an End after
// `end_after_quiet_minutes` minutes back at or under it. The window is kept as a ring of
// counts with exact running sums, so a minute costs O(keys of its region), never a rescan.
// Minutes close behind a per-(account, region) watermark (newest event time minus the
// lateness); a Start's fired_at is the event time that closed its minute.
//
// Bound: one ring of `window` 16-bit counts per key ever seen.
// Thread safety: none; one thread feeds events in input order.
class NaiveDetector {
 public:
  // `interner` resolves the events' symbols and must outlive the detector.
  NaiveDetector(NaiveOptions options, const common::StringInterner& interner);

  void OnEvent(const common::Event& event);
  // Closes every region's minutes through its last event's minute; open insights stay open.
  void FinishInput();

  const NaiveOptions& options() const { return options_; }
  // Start and End records of the detector with threshold options().ks[k_index].
  const std::vector<common::Finding>& findings(std::size_t k_index) const {
    return findings_[k_index];
  }

 private:
  struct Episode {
    bool open = false;
    common::Minute start{};
    int quiet_minutes = 0;
  };
  struct Key {
    common::InsightType type = common::InsightType::kApiCallRate;
    common::Symbol source = common::kNoSymbol, name = common::kNoSymbol,
                   error_code = common::kNoSymbol;
    std::uint32_t region = 0;
    std::vector<std::uint16_t> ring;  // the window's minute counts
    std::size_t next = 0;             // ring slot of the next closed minute
    std::uint64_t length = 0;         // minutes in the window so far
    std::uint64_t sum = 0, sum_squares = 0;
    std::vector<std::uint32_t> open;  // counts of open minutes, by minute modulo its size
    std::vector<common::Minute> open_minute;
    std::vector<Episode> episodes;  // one per k
  };
  struct Region {
    common::Symbol account = common::kNoSymbol, region = common::kNoSymbol;
    common::Seconds newest{};
    common::Minute next_close{};  // oldest open minute
    std::uint64_t closed = 0;     // minutes closed so far
    std::vector<std::uint32_t> keys;
  };

  std::uint32_t RegionFor(const common::Event& event);
  std::uint32_t KeyFor(std::uint32_t region, common::InsightType type, const common::Event& event);
  void Count(std::uint32_t key, common::Minute minute);
  void Advance(std::uint32_t region, common::Seconds watermark);
  void CloseMinute(std::uint32_t region, common::Minute minute);
  common::Finding NewFinding(const Key& key, common::InsightState state, common::Minute start,
                             common::Minute time, double mean, std::uint32_t count) const;

  const NaiveOptions options_;
  const common::StringInterner& interner_;  // outlives the detector
  const std::size_t open_slots_;
  std::vector<Region> regions_;
  std::unordered_map<std::uint64_t, std::uint32_t> region_index_;
  std::vector<Key> keys_;
  struct KeyHash {
    std::size_t operator()(const std::array<std::uint32_t, 5>& id) const {
      std::uint64_t hash = 0xcbf29ce484222325ULL;
      for (std::uint32_t part : id) hash = (hash ^ part) * 0x100000001b3ULL;
      return static_cast<std::size_t>(hash);
    }
  };
  std::unordered_map<std::array<std::uint32_t, 5>, std::uint32_t, KeyHash> key_index_;
  std::vector<std::vector<common::Finding>> findings_;  // per k
};

}  // namespace trailsight::eval
