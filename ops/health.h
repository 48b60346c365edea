#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace trailsight::ops {

// What /healthz answers: whether the service is doing its work. The service loop reports
// each iteration (Tick) and when it starts shutting down (MarkStopping); the HTTP endpoint
// asks Problem(). Healthy means all of:
//   - the loop has ticked at least once, and within the last `stall_after`;
//   - at its last tick the consumer held at least one partition;
//   - the service is not stopping.
//
// Thread safety: Tick and MarkStopping from the service thread, Problem from any thread;
// all are relaxed atomic operations (a reader may see a tick without its partition state
// for one tick; the next read is consistent).
class ServiceHealth {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kDefaultStallAfter{30};

  explicit ServiceHealth(Clock::duration stall_after = kDefaultStallAfter)
      : stall_after_(stall_after) {}

  // Records one iteration of the service loop at `now`, and whether the consumer held at
  // least one partition then.
  void Tick(Clock::time_point now, bool partitions_assigned) {
    partitions_assigned_.store(partitions_assigned, std::memory_order_relaxed);
    last_tick_.store(now.time_since_epoch().count(), std::memory_order_relaxed);
  }

  // Records that shutdown began: /healthz fails from now on, so load balancers and
  // orchestrators stop counting on this instance while it flushes.
  void MarkStopping() { stopping_.store(true, std::memory_order_relaxed); }

  // Returns an empty string when healthy at `now`, else one sentence saying why not.
  std::string Problem(Clock::time_point now) const;

 private:
  static constexpr Clock::rep kNoTick = INT64_MIN;

  const Clock::duration stall_after_;
  std::atomic<Clock::rep> last_tick_{kNoTick};
  std::atomic<bool> partitions_assigned_{false};
  std::atomic<bool> stopping_{false};
};

}  // namespace trailsight::ops
