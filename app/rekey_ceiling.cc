#include "app/rekey_ceiling.h"

#include <algorithm>

namespace trailsight::app {

std::optional<common::Seconds> RekeyCeiling::Compute(
    const std::vector<consumers::SourceMark>& own,
    const consumers::PartitionAligner::SlowestSourceTime& others, std::uint64_t rekeyed) {
  std::optional<common::Seconds> own_slowest;
  for (const consumers::SourceMark& mark : own) {
    if (mark.holds && mark.time && (!own_slowest || *mark.time < *own_slowest)) {
      own_slowest = mark.time;
    }
  }
  if (own_slowest) {
    if (!first_time_) {
      first_time_ = own_slowest;
      first_rekeyed_ = rekeyed;
    }
    const auto minutes =
        std::chrono::duration_cast<std::chrono::minutes>(*own_slowest - *first_time_).count();
    const std::uint64_t records = rekeyed - first_rekeyed_;
    if (minutes > 0 && records > 0) {
      // Records per event-time minute that reach one repartition partition from here.
      const double per_partition = static_cast<double>(records) / static_cast<double>(minutes) /
                                   static_cast<double>(std::max(keyed_partitions_, 1));
      const double budget_minutes = static_cast<double>(buffer_budget_) / 2.0 / per_partition;
      drift_ = std::chrono::minutes{static_cast<std::int64_t>(
          std::clamp(budget_minutes, static_cast<double>(kMinDrift.count()),
                     static_cast<double>(kMaxDrift.count())))};
    }
  }
  if (others.holds_everything) return common::Seconds{std::chrono::seconds::min()};
  std::optional<common::Seconds> slowest = own_slowest;
  if (others.known && (!slowest || others.time < *slowest)) slowest = others.time;
  if (!slowest) return std::nullopt;
  return *slowest + drift_;
}

}  // namespace trailsight::app
