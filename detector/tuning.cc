#include "detector/tuning.h"

#include <fmt/format.h>

#include <algorithm>

namespace trailsight::detector {
namespace {

using std::chrono::minutes;
constexpr minutes kDay{24 * 60};

common::Error FieldError(std::string_view field, std::string_view message) {
  return common::Error{common::ErrorCode::kInvalidConfig, fmt::format("{}: {}", field, message)};
}

// Compiles the pattern of `field`, or sets `error` (keeping the first one) and returns "*".
Pattern CompileField(std::string_view field, std::string_view text,
                     std::optional<common::Error>& error) {
  common::Result<Pattern> pattern = Pattern::Compile(text);
  if (pattern) return *std::move(pattern);
  if (!error) error = FieldError(field, pattern.error().message);
  return Pattern();
}

// Weekday of `day`, 0 = Monday.
int WeekdayIndex(common::Day day) {
  return static_cast<int>(std::chrono::weekday(day).iso_encoding()) - 1;
}

}  // namespace

std::optional<double> SensitivityLevel(std::string_view name) {
  if (name == "low") return kLowSensitivity;
  if (name == "medium") return kMediumSensitivity;
  if (name == "high") return kHighSensitivity;
  return std::nullopt;
}

std::optional<std::uint8_t> WindowMask(const std::vector<int>& windows) {
  std::uint8_t mask = 0;
  for (int window : windows) {
    const auto* found = std::find(kWindowChoices.begin(), kWindowChoices.end(), window);
    if (found == kWindowChoices.end()) return std::nullopt;
    mask = static_cast<std::uint8_t>(mask | (1u << (found - kWindowChoices.begin())));
  }
  return mask;
}

bool CompiledTuning::CompiledApi::Matches(std::string_view source_value,
                                          std::string_view name_value,
                                          std::string_view account_value,
                                          std::string_view region_value) const {
  return source.Matches(source_value) && name.Matches(name_value) &&
         account.Matches(account_value) && region.Matches(region_value);
}

common::Result<CompiledTuning> CompiledTuning::Compile(Tuning tuning) {
  std::optional<common::Error> error;
  const auto check = [&error](bool condition, std::string_view field, std::string_view message) {
    if (!condition && !error) error = FieldError(field, message);
  };
  const auto compile_api = [&error](const std::string& prefix, const ApiPattern& api) {
    return CompiledApi{CompileField(prefix + ".event_source", api.event_source, error),
                       CompileField(prefix + ".event_name", api.event_name, error),
                       CompileField(prefix + ".account", api.account, error),
                       CompileField(prefix + ".region", api.region, error)};
  };
  const auto window_mask = [&check](std::string_view field, const std::vector<int>& windows) {
    const std::optional<std::uint8_t> mask = WindowMask(windows);
    check(mask.has_value(), field, "every window must be 1, 5, 15 or 60 minutes");
    check(!windows.empty(), field, "must name at least one window");
    return mask.value_or(0);
  };
  const auto p_value_ok = [](double p_value) { return p_value > 0.0 && p_value <= kMaxPValue; };
  constexpr std::string_view kPValueRange = "must be greater than 0 and at most 0.01";

  CompiledTuning compiled;
  check(p_value_ok(tuning.p_value), "sensitivity", kPValueRange);
  check(tuning.min_calls >= 1, "min_calls", "must be at least 1");
  compiled.window_mask_ = window_mask("windows", tuning.windows);

  for (std::size_t i = 0; i < tuning.overrides.size(); ++i) {
    const ApiOverride& entry = tuning.overrides[i];
    const std::string prefix = fmt::format("overrides.{}", i);
    CompiledOverride& out = compiled.overrides_.emplace_back();
    out.match = compile_api(prefix, entry.match);
    if (entry.p_value) check(p_value_ok(*entry.p_value), prefix + ".sensitivity", kPValueRange);
    if (entry.min_calls) check(*entry.min_calls >= 1, prefix + ".min_calls", "must be at least 1");
    if (entry.windows) out.window_mask = window_mask(prefix + ".windows", *entry.windows);
  }
  for (std::size_t i = 0; i < tuning.exclusions.size(); ++i) {
    const Exclusion& entry = tuning.exclusions[i];
    const std::string prefix = fmt::format("exclusions.{}", i);
    compiled.exclusions_.push_back({CompileField(prefix + ".principal", entry.principal, error),
                                    CompileField(prefix + ".user_agent", entry.user_agent, error)});
  }
  for (std::size_t i = 0; i < tuning.criticality.size(); ++i) {
    compiled.criticality_.push_back(
        compile_api(fmt::format("criticality.{}", i), tuning.criticality[i].match));
  }
  for (std::size_t i = 0; i < tuning.suppressions.size(); ++i) {
    const Suppression& entry = tuning.suppressions[i];
    const std::string prefix = fmt::format("suppressions.{}", i);
    CompiledSuppression& out = compiled.suppressions_.emplace_back();
    out.match = compile_api(prefix, entry.match);
    out.principal = CompileField(prefix + ".principal", entry.principal, error);
    check(!entry.weekdays.empty(), prefix + ".weekdays", "must name at least one day");
    for (int day : entry.weekdays) {
      check(day >= 0 && day <= 6, prefix + ".weekdays", "days are 0 (Monday) to 6 (Sunday)");
      if (day >= 0 && day <= 6) {
        out.weekday_mask = static_cast<std::uint8_t>(out.weekday_mask | (1u << day));
      }
    }
    check(entry.from >= minutes{0} && entry.from < kDay, prefix + ".from",
          "must be a time of day from 00:00 to 23:59");
    check(entry.to >= minutes{0} && entry.to <= kDay, prefix + ".to",
          "must be a time of day from 00:00 to 24:00");
    check(entry.from != entry.to, prefix + ".to",
          "must differ from `from` (00:00 to 24:00 is the whole day)");
  }
  if (error) return *std::move(error);
  compiled.tuning_ = std::move(tuning);
  return compiled;
}

KeyTuning CompiledTuning::ForKey(std::string_view source, std::string_view name,
                                 std::string_view account, std::string_view region) const {
  KeyTuning key{.p_value = tuning_.p_value,
                .min_calls = tuning_.min_calls,
                .window_mask = window_mask_,
                .disabled = false,
                .severity = common::Severity::kMedium};
  for (std::size_t i = 0; i < overrides_.size(); ++i) {
    if (!overrides_[i].match.Matches(source, name, account, region)) continue;
    const ApiOverride& entry = tuning_.overrides[i];
    if (entry.p_value) key.p_value = *entry.p_value;
    if (entry.min_calls) key.min_calls = *entry.min_calls;
    if (overrides_[i].window_mask) key.window_mask = *overrides_[i].window_mask;
    key.disabled = key.disabled || entry.disabled;
  }
  for (std::size_t i = 0; i < criticality_.size(); ++i) {
    if (criticality_[i].Matches(source, name, account, region)) {
      key.severity = tuning_.criticality[i].severity;
    }
  }
  return key;
}

std::optional<ExclusionMode> CompiledTuning::ForCaller(std::string_view principal,
                                                       std::string_view user_agent) const {
  std::optional<ExclusionMode> mode;
  for (std::size_t i = 0; i < exclusions_.size(); ++i) {
    if (!exclusions_[i].principal.Matches(principal) ||
        !exclusions_[i].user_agent.Matches(user_agent)) {
      continue;
    }
    mode = tuning_.exclusions[i].mode;
    if (*mode == ExclusionMode::kNotCounted) break;  // the strongest: nothing can change it
  }
  return mode;
}

const Suppression* CompiledTuning::FindSuppression(std::string_view source, std::string_view name,
                                                   std::string_view account,
                                                   std::string_view region,
                                                   std::string_view principal,
                                                   common::Seconds time) const {
  const common::Day day = std::chrono::floor<std::chrono::days>(time);
  const minutes time_of_day = std::chrono::floor<minutes>(time - day);
  const int today = WeekdayIndex(day);
  const int yesterday = (today + 6) % 7;
  for (std::size_t i = 0; i < suppressions_.size(); ++i) {
    const CompiledSuppression& compiled = suppressions_[i];
    const Suppression& entry = tuning_.suppressions[i];
    const auto listed = [&compiled](int weekday) {
      return (compiled.weekday_mask & (1u << weekday)) != 0;
    };
    bool inside = false;
    if (entry.from < entry.to) {
      inside = listed(today) && time_of_day >= entry.from && time_of_day < entry.to;
    } else {  // wraps past midnight: the evening of a listed day, or the morning after it
      inside = (listed(today) && time_of_day >= entry.from) ||
               (listed(yesterday) && time_of_day < entry.to);
    }
    if (inside && compiled.principal.Matches(principal) &&
        compiled.match.Matches(source, name, account, region)) {
      return &entry;
    }
  }
  return nullptr;
}

bool CompiledTuning::Suppressed(std::string_view source, std::string_view name,
                                std::string_view account, std::string_view region,
                                std::string_view principal, common::Seconds time) const {
  return FindSuppression(source, name, account, region, principal, time) != nullptr;
}

std::optional<std::string_view> CompiledTuning::SuppressionReason(
    std::string_view source, std::string_view name, std::string_view account,
    std::string_view region, std::string_view principal, common::Seconds time) const {
  const Suppression* found = FindSuppression(source, name, account, region, principal, time);
  if (found == nullptr) return std::nullopt;
  return std::string_view(found->reason);
}

}  // namespace trailsight::detector
