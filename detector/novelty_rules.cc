#include "detector/novelty_rules.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "detector/call_alert.h"

namespace trailsight::detector {
namespace {

constexpr std::string_view kNewRegionRule = "novelty.new-region";

}  // namespace

void NoveltyRules::OnEvent(const common::Event& event, common::AlertSink& sink) {
  const AccountFacts::Before before = facts_.Observe(event);
  if (!options_.new_region || event.read_only || event.region == common::kNoSymbol ||
      event.region == interner_.overflow_symbol()) {
    return;
  }
  // A young account (or one trailsight has only just met) is warming up.
  if (!before.first_seen || event.time - *before.first_seen < options_.warmup) return;
  const AccountFacts::Day today = AccountFacts::DayOf(event.time);
  const auto window = static_cast<AccountFacts::Day>(options_.region_window.count());
  if (before.last_write_day && today - *before.last_write_day <= window) return;  // in use

  common::Alert alert = CallAlert(common::AlertKind::kNovelty, std::string(kNewRegionRule),
                                  common::Severity::kMedium, event, interner_);
  const std::string last_use =
      before.last_write_day
          ? fmt::format("its last write there was {} days earlier", today - *before.last_write_day)
          : "it had never written there";
  alert.message = fmt::format(
      "{}{} by {} in account {}: the account's first write in region {} in {} days ({}); an "
      "unused region is where stolen keys are spent.",
      alert.event_name,
      alert.error_code.empty() ? "" : fmt::format(" (failed: {})", alert.error_code),
      alert.principal.empty() ? "an unknown caller" : alert.principal, alert.account, alert.region,
      options_.region_window.count(), last_use);
  ++counters_.alerts;
  if (common::Status published = sink.Publish(alert); !published) {
    ++counters_.publish_errors;
    spdlog::error("alert sink: {}", published.error().message);
  }
}

}  // namespace trailsight::detector
