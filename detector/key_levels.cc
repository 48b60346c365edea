// The levels a key's minutes are judged against: the baseline of its history, computed once
// per key and hour and cached in the key, and only for keys whose calls could reach them. Split
// from detector.cc, which holds counting, windows and the insight lifecycle.
#include <algorithm>

#include "detector/detector.h"
#include "models/local_weekend.h"

namespace trailsight::detector {

using std::chrono::days;
using std::chrono::floor;
using std::chrono::hours;

Detector::JudgedHour Detector::JudgedAt(const Region& region, common::Minute minute) const {
  JudgedHour judged;
  judged.epoch = Epoch(minute);
  judged.hour = floor<hours>(minute);
  judged.ahead = static_cast<std::int8_t>((judged.hour - judged.epoch).count());
  const auto observed = floor<days>(judged.epoch - floor<hours>(region.first_minute)).count();
  judged.days_observed = static_cast<int>(std::max<std::int64_t>(1, observed));
  return judged;
}

int Detector::WeekendOffset(const KeyState& key, const models::WeekOfHours& key_week,
                            const JudgedHour& judged) {
  // A week that the region's history does not fill would show a weekend where it began.
  if (judged.days_observed < 8) return 0;
  if (const std::optional<int> own =
          models::LocalWeekendOffset(key_week, common::HourOfWeek(judged.epoch))) {
    return *own;
  }
  Region& region = regions_[key.region_index];
  const common::Day day = floor<days>(judged.epoch);
  if (region.weekend_day != day) {
    region.history.WeekBefore(common::Hour{day}, region_week_);
    const std::optional<int> offset =
        models::LocalWeekendOffset(region_week_, common::HourOfWeek(common::Hour{day}));
    region.weekend_offset = static_cast<std::int8_t>(offset.value_or(0));
    region.weekend_day = day;
  }
  return region.weekend_offset;
}

bool Detector::LevelsCached(const KeyState& key, const JudgedHour& judged) {
  return key.cache_valid && key.cache_hour == judged.hour && key.cache_ahead == judged.ahead;
}

const models::Thresholds& Detector::ThresholdsFor(KeyState& key, common::Minute minute) {
  const JudgedHour judged = JudgedAt(regions_[key.region_index], minute);
  if (LevelsCached(key, judged)) return key.cache;
  const models::CountBaseline baseline(BaselineFor(key));
  // Days are of the kind they are where the key keeps its weekend. A weekend hour is judged
  // on the weekends of two weeks (the history's earlier weekend holds every local weekend
  // from UTC-12 to UTC+12).
  key.history.WeekBefore(judged.epoch, week_);
  const hours offset{WeekendOffset(key, week_, judged)};
  const int first_hour_of_week = common::HourOfWeek(judged.epoch + offset);
  if (models::IsWeekend(common::HourOfWeek(judged.hour + offset))) {
    key.history.FortnightBefore(judged.epoch, fortnight_);
    key.cache =
        baseline.Compute(fortnight_, judged.ahead, judged.days_observed, first_hour_of_week);
  } else {
    key.cache = baseline.Compute(week_, judged.ahead, judged.days_observed, first_hour_of_week);
  }
  key.cache_valid = true;
  key.cache_ahead = judged.ahead;
  key.cache_hour = judged.hour;
  return key.cache;
}

std::uint32_t Detector::DropBelowFor(KeyState& key, common::Minute minute) {
  // No hour of the week can hold the calls a drop needs: most keys, every hour.
  if (key.history.CountBound() < models::CountBaseline::kDropMinimum) return 0;
  const JudgedHour judged = JudgedAt(regions_[key.region_index], minute);
  if (LevelsCached(key, judged)) return key.cache.drop_below;
  // A quiet key's hourly check needs no levels but this one: they are computed when the key
  // next has calls to judge.
  key.history.WeekBefore(judged.epoch, week_);
  return models::CountBaseline(BaselineFor(key))
      .DropBelow(week_, judged.ahead, judged.days_observed);
}

bool Detector::CouldFire(const KeyState& key, std::uint32_t minute_calls) const {
  // Every window's level is at least its floor (CountBaseline::FireAtLeast), and the
  // longer windows hold at most the key's open calls and its recent closed ones.
  const models::CountBaseline baseline(BaselineFor(key));
  const std::uint8_t mask = key.tuning.window_mask;
  if ((mask & 1) != 0 && minute_calls >= baseline.FireAtLeast(0)) return true;
  const std::uint32_t recent = key.open_calls + key.recent.RecentTotal();
  for (std::size_t w = 1; w < models::kWindowCount; ++w) {
    if ((mask >> w & 1) != 0 && recent >= baseline.FireAtLeast(w)) return true;
  }
  return false;
}

void Detector::ListIfDropPossible(std::uint32_t key_index) {
  const KeyState& key = keys_[key_index];
  if (key.history.CountBound() < models::CountBaseline::kDropMinimum) return;
  std::vector<std::uint32_t>& listed = regions_[key.region_index].drop_keys;
  const auto at = std::lower_bound(listed.begin(), listed.end(), key_index);
  if (at == listed.end() || *at != key_index) listed.insert(at, key_index);
}

}  // namespace trailsight::detector
