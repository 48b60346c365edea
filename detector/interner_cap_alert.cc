#include "detector/interner_cap_alert.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace trailsight::detector {

void InternerCapAlert::OnEvent(const common::Event& event, common::AlertSink& sink) {
  const std::uint64_t refused = interner_.refused();
  if (refused == refused_reported_ || (alerts_ > 0 && event.time < next_due_)) return;

  const common::InternerLimits& limits = interner_.limits();
  const common::Alert alert = common::PipelineAlert(
      common::AlertKind::kCapReached, "interned-strings-cap", event.time,
      std::string(interner_.Resolve(event.account)), std::string(interner_.Resolve(event.region)),
      fmt::format("string cap reached (input.max_interned_strings {}, input.max_interned_bytes "
                  "{}): {} new values refused so far, counted as \"{}\"; a flood of distinct "
                  "eventNames, principals or user agents is the usual cause, and detection on "
                  "those values is coarse until it stops and the service restarts",
                  limits.max_strings, limits.max_bytes, refused,
                  common::StringInterner::kOverflowText));
  if (common::Status published = sink.Publish(alert); !published) {
    spdlog::error("alerts: {}", published.error().message);
  }
  spdlog::warn("input: {}", alert.message);
  ++alerts_;
  refused_reported_ = refused;
  next_due_ = event.time + std::chrono::hours{1};
}

}  // namespace trailsight::detector
