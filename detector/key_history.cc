#include "detector/key_history.h"

#include <algorithm>

namespace trailsight::detector {
namespace {

std::size_t Slot(std::int64_t index, int size) {
  return static_cast<std::size_t>(((index % size) + size) % size);
}

}  // namespace

void KeyHistory::AddMinute(common::Minute minute, std::uint32_t count,
                           const AttributionTally& tally, std::size_t cap) {
  const auto hour = std::chrono::floor<std::chrono::hours>(minute);
  if (empty_ || hour > newest_hour_) {
    // Clear the slots of the hours skipped since the newest one (all of them after a gap).
    const std::int64_t skipped =
        empty_ ? kHours : std::min<std::int64_t>((hour - newest_hour_).count(), kHours);
    for (std::int64_t i = 0; i < skipped; ++i) {
      hours_[Slot((hour - std::chrono::hours{i}).time_since_epoch().count(), kHours)] = {};
    }
    newest_hour_ = hour;
    empty_ = false;
  }
  models::HourSummary& slot = hours_[Slot(hour.time_since_epoch().count(), kHours)];
  slot.calls += count;
  slot.peak_minute = std::max(slot.peak_minute, count);

  if (tally.empty()) return;
  const auto day = std::chrono::floor<std::chrono::days>(minute);
  const std::size_t day_slot = Slot(day.time_since_epoch().count(), kDays);
  if (day_tags_[day_slot] != day) {
    days_[day_slot].Clear();
    day_tags_[day_slot] = day;
  }
  days_[day_slot].Merge(tally, cap);
}

const models::HourSummary* KeyHistory::Find(common::Hour hour) const {
  if (empty_ || hour > newest_hour_ || hour <= newest_hour_ - std::chrono::hours{kHours}) {
    return nullptr;
  }
  return &hours_[Slot(hour.time_since_epoch().count(), kHours)];
}

void KeyHistory::WeekBefore(common::Hour epoch, models::WeekOfHours& week) const {
  for (std::size_t i = 0; i < models::kHoursPerWeek; ++i) {
    const common::Hour hour =
        epoch - std::chrono::hours{static_cast<std::int64_t>(models::kHoursPerWeek - i)};
    const models::HourSummary* summary = Find(hour);
    week[i] = summary != nullptr ? *summary : models::HourSummary{};
  }
}

std::uint64_t KeyHistory::CallsBetween(common::Hour from, common::Hour to) const {
  std::uint64_t calls = 0;
  for (common::Hour hour = from; hour < to; hour += std::chrono::hours{1}) {
    if (const models::HourSummary* summary = Find(hour)) calls += summary->calls;
  }
  return calls;
}

void KeyHistory::TallyBetween(common::Day from, common::Day to, AttributionTally& out,
                              std::size_t cap) const {
  for (std::size_t i = 0; i < kDays; ++i) {
    if (days_[i].empty() || day_tags_[i] < from || day_tags_[i] > to) continue;
    out.Merge(days_[i], cap);
  }
}

}  // namespace trailsight::detector
