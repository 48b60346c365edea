#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace trailsight::common {

// Lets through at most `burst` events in each `period`, so that a broker outage logs a few
// lines instead of one per reconnect attempt; it counts what it refuses so the next line let
// through can say how many were suppressed.
//
// Thread safety: Allow() may be called from any thread (librdkafka logs from its own threads).
class RateLimiter {
 public:
  RateLimiter(std::size_t burst, std::chrono::steady_clock::duration period)
      : burst_(burst), period_(period) {}

  // Returns true when the caller may log now, and sets `suppressed` to the number of events
  // refused since the last one let through; returns false (and counts it) otherwise.
  bool Allow(std::uint64_t& suppressed) {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    if (now - window_start_ >= period_) {
      window_start_ = now;
      allowed_in_window_ = 0;
    }
    if (allowed_in_window_ >= burst_) {
      ++suppressed_;
      return false;
    }
    ++allowed_in_window_;
    suppressed = suppressed_;
    suppressed_ = 0;
    return true;
  }

 private:
  const std::size_t burst_;
  const std::chrono::steady_clock::duration period_;
  std::mutex mutex_;  // guards the fields below
  std::chrono::steady_clock::time_point window_start_{};
  std::size_t allowed_in_window_ = 0;
  std::uint64_t suppressed_ = 0;
};

}  // namespace trailsight::common
