#include "ops/health.h"

#include <fmt/format.h>

namespace trailsight::ops {

std::string ServiceHealth::Problem(Clock::time_point now) const {
  if (stopping_.load(std::memory_order_relaxed)) return "stopping: flushing findings and state";
  const Clock::rep last_tick = last_tick_.load(std::memory_order_relaxed);
  if (last_tick == kNoTick) return "starting: the service loop has not run yet";
  const Clock::duration since = now - Clock::time_point(Clock::duration(last_tick));
  if (since > stall_after_) {
    return fmt::format("stalled: the service loop last ran {} s ago (limit {} s)",
                       std::chrono::duration_cast<std::chrono::seconds>(since).count(),
                       std::chrono::duration_cast<std::chrono::seconds>(stall_after_).count());
  }
  if (!partitions_assigned_.load(std::memory_order_relaxed)) {
    return "no partitions assigned: waiting for the consumer group (or more instances than "
           "partitions)";
  }
  return "";
}

}  // namespace trailsight::ops
