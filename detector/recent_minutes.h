#pragma once

#include <array>
#include <cstdint>

#include "common/time.h"

namespace trailsight::detector {

// The calls of one key's last 64 closed minutes, for window sums up to an hour.
//
// Contract: minutes are added in increasing order, each at most once; minutes skipped
// between two additions count as zero, and so does every minute not kept (older than the
// 64 newest, or not yet added). Counts saturate at 65535. Fixed size: 136 bytes.
class RecentMinutes {
 public:
  static constexpr int kMinutes = 64;

  void Add(common::Minute minute, std::uint32_t count);
  // Returns the calls of the kept minutes in [from, to].
  std::uint32_t Sum(common::Minute from, common::Minute to) const;
  // Returns the calls of the newest 59 minutes kept: an upper bound on what closed minutes
  // add to any window of up to 60 minutes that ends after the newest minute.
  std::uint32_t RecentTotal() const { return recent_total_; }
  common::Minute newest() const { return newest_; }

 private:
  friend class StateCodec;
  static std::size_t Slot(common::Minute minute) {
    return static_cast<std::size_t>(minute.time_since_epoch().count()) % kMinutes;
  }

  std::array<std::uint16_t, kMinutes> counts_{};
  common::Minute newest_{};
  std::uint32_t recent_total_ = 0;  // sum over (newest - 59 min, newest]
};

}  // namespace trailsight::detector
