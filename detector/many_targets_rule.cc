#include "detector/many_targets_rule.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>

#include "common/check.h"
#include "detector/call_alert.h"

namespace trailsight::detector {
namespace {

constexpr std::string_view kManyTargetsRule = "novelty.many-targets";
constexpr std::size_t kTargetsNamed = 20;  // in an alert's message

}  // namespace

ManyTargetsRule::ManyTargetsRule(ManyTargetsOptions options, const common::StringInterner& interner,
                                 std::size_t max_keys)
    : options_(options), interner_(interner), max_keys_(max_keys) {
  TRAILSIGHT_CHECK(options_.threshold >= 2 && options_.threshold <= kMaxThreshold,
                   "many-targets: threshold {} outside [2, {}]", options_.threshold, kMaxThreshold);
}

void ManyTargetsRule::Reconfigure(ManyTargetsOptions options) {
  TRAILSIGHT_CHECK(options.threshold >= 2 && options.threshold <= kMaxThreshold,
                   "many-targets: threshold {} outside [2, {}]", options.threshold, kMaxThreshold);
  if (options == options_) return;
  options_ = options;
  spreads_.clear();
  next_sweep_.reset();
}

std::optional<common::Alert> ManyTargetsRule::OnSensitiveCall(const common::Event& event) {
  if (!options_.enabled) return std::nullopt;
  const bool user = event.target_user != common::kNoSymbol;
  const common::Symbol target = user ? event.target_user : event.principal;
  if (target == common::kNoSymbol || event.account == common::kNoSymbol) return std::nullopt;

  if (!next_sweep_) next_sweep_ = event.time + options_.window;
  if (event.time >= *next_sweep_) {
    Sweep(event.time);
    next_sweep_ = event.time + options_.window;
  }
  auto found = spreads_.find(Key{event.account, event.source, event.name});
  if (found == spreads_.end()) {
    if (spreads_.size() >= max_keys_) {
      ++refused_;
      return std::nullopt;
    }
    found = spreads_.emplace(Key{event.account, event.source, event.name}, Spread{}).first;
    found->second.targets.reserve(options_.threshold);
    found->second.last_call = event.time;
  }
  Spread& spread = found->second;
  const common::Seconds horizon = event.time - options_.window;
  if (spread.alerted) {
    if (spread.last_call > horizon) {  // the window has not cleared since the alert
      spread.last_call = std::max(spread.last_call, event.time);
      return std::nullopt;
    }
    spread.alerted = false;
    spread.targets.clear();
  }
  spread.last_call = std::max(spread.last_call, event.time);
  std::erase_if(spread.targets, [&](const Target& seen) { return seen.last <= horizon; });
  for (Target& seen : spread.targets) {
    if (seen.target == target && seen.user == user) {
      seen.last = std::max(seen.last, event.time);
      return std::nullopt;
    }
  }
  spread.targets.push_back({target, user, event.time});
  if (spread.targets.size() < options_.threshold) return std::nullopt;
  common::Alert alert = ManyTargetsAlert(event, spread);
  spread.alerted = true;
  spread.targets.clear();
  return alert;
}

void ManyTargetsRule::Sweep(common::Seconds now) {
  const common::Seconds horizon = now - options_.window;
  std::erase_if(spreads_, [&](const auto& entry) { return entry.second.last_call <= horizon; });
}

common::Alert ManyTargetsRule::ManyTargetsAlert(const common::Event& event,
                                                const Spread& spread) const {
  // Medium, as for the other novelty alerts: an administrator onboarding a team makes the same
  // spread, so it asks for a look; the targets are named so that the look is quick.
  common::Alert alert = CallAlert(common::AlertKind::kNovelty, std::string(kManyTargetsRule),
                                  common::Severity::kMedium, event, interner_);
  const auto users = static_cast<std::size_t>(std::count_if(
      spread.targets.begin(), spread.targets.end(), [](const Target& seen) { return seen.user; }));
  // The first kTargetsNamed, so that a threshold of hundreds keeps the message short.
  std::string targets;
  for (std::size_t i = 0; i < spread.targets.size() && i < kTargetsNamed; ++i) {
    if (!targets.empty()) targets += ", ";
    targets += interner_.Resolve(spread.targets[i].target);
  }
  if (spread.targets.size() > kTargetsNamed) {
    targets += fmt::format(" and {} more", spread.targets.size() - kTargetsNamed);
  }
  const std::string what =
      users == spread.targets.size() ? fmt::format("for {} distinct IAM users", users)
      : users == 0                   ? fmt::format("by {} distinct callers", spread.targets.size())
                   : fmt::format("for {} distinct IAM users and by {} distinct callers", users,
                                 spread.targets.size() - users);
  alert.message = fmt::format(
      "{} {} in account {} within {} minutes ({}), the last by {}: one sensitive call spread "
      "over many users or callers, which no minute's count shows, is how stolen access is "
      "kept and widened.",
      alert.event_name, what, alert.account, options_.window.count(), targets,
      alert.principal.empty() ? "an unknown caller" : alert.principal);
  return alert;
}

}  // namespace trailsight::detector
