// The Detector's own alerts: a region fallen silent, and the key cap reached. Split from
// detector.cc, which holds counting, windows and the insight lifecycle.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>

#include "detector/detector.h"

namespace trailsight::detector {

using std::chrono::days;
using std::chrono::floor;
using std::chrono::hours;

void Detector::PublishAlert(const common::Alert& alert) {
  ++counters_.alerts;
  if (common::Status status = alerts_->Publish(alert); !status) {
    ++counters_.publish_errors;
    spdlog::error("alert sink: {}", status.error().message);
  }
}

void Detector::ReportKeyCap(const common::Event& event) {
  ++counters_.keys_refused;
  const common::Hour hour = floor<hours>(event.time);
  if (alerts_ == nullptr || hour == cap_reported_) return;
  cap_reported_ = hour;
  common::Alert alert = common::PipelineAlert(
      common::AlertKind::kCapReached, "key-cap", event.time,
      std::string(interner_.Resolve(event.account)), std::string(interner_.Resolve(event.region)),
      fmt::format("the detector tracks its maximum of {} keys; calls of new APIs (like this "
                  "one) are counted as refused and not judged: a flood of fake event names "
                  "looks like this",
                  options_.max_keys));
  alert.event_source = interner_.Resolve(event.source);
  alert.event_name = interner_.Resolve(event.name);
  PublishAlert(alert);
}

void Detector::CheckSilence(Region& region, common::Seconds now) {
  if (alerts_ == nullptr || region.silence_reported == region.newest) return;
  const common::Minute silent_from = common::FloorMinute(region.newest);
  if (!Warm(region, silent_from)) return;
  const double gap_minutes = static_cast<double>((now - region.newest).count()) / 60.0;
  const double expected = RegionRate(region, silent_from) * gap_minutes;
  // No event at all in the gap: Poisson probability exp(-expected).
  if (expected < options_.silent_minimum_events ||
      expected < -std::log(options_.baseline.p_value)) {
    return;
  }
  region.silence_reported = region.newest;
  MarkRegionChanged(static_cast<std::uint32_t>(&region - regions_.data()));
  PublishAlert(common::PipelineAlert(
      common::AlertKind::kSilentSource, "silent-source", region.newest,
      std::string(interner_.Resolve(region.account)), std::string(interner_.Resolve(region.region)),
      fmt::format("no CloudTrail record for {:.0f} minutes after {} while about {:.0f} were "
                  "expected: a stopped, redirected or broken trail looks like this",
                  gap_minutes, common::FormatUtcTimestamp(region.newest), expected)));
}

double Detector::RegionRate(const Region& region, common::Minute minute) {
  const JudgedHour judged = JudgedAt(region, minute);
  region.history.WeekBefore(judged.epoch, week_);
  return baseline_.Compute(week_, judged.ahead, judged.days_observed).expected;
}

}  // namespace trailsight::detector
