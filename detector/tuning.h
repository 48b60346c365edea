#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/alert.h"
#include "common/result.h"
#include "common/time.h"
#include "detector/pattern.h"

namespace trailsight::detector {

// The tuning an analyst writes in the `detection:` section of the config, and everything a
// reload (SIGHUP) may change without losing baselines or open insights. Patterns are
// strings here (see detector/pattern.h for their syntax); CompiledTuning checks and
// compiles them. Plain values: copy freely.

// Named sensitivities: the false-alarm probability per key-minute that starts an insight.
inline constexpr double kLowSensitivity = 1e-8;     // fires least
inline constexpr double kMediumSensitivity = 1e-6;  // the default
inline constexpr double kHighSensitivity = 1e-4;    // fires most
// A numeric sensitivity must lie in (0, kMaxPValue].
inline constexpr double kMaxPValue = 0.01;

// Returns the p-value a named sensitivity ("low", "medium", "high") stands for, or nullopt
// for any other word.
std::optional<double> SensitivityLevel(std::string_view name);

// The windows, in minutes, a key may be judged over; bit i of KeyTuning::window_mask stands
// for kWindowChoices[i] (the order of models::kWindowMinutes).
inline constexpr std::array<int, 4> kWindowChoices = {1, 5, 15, 60};

// Returns the mask of `windows`, or nullopt when one is not in kWindowChoices.
std::optional<std::uint8_t> WindowMask(const std::vector<int>& windows);

// Which API calls an entry applies to; every field is a pattern, "*" by default.
struct ApiPattern {
  std::string event_source = "*", event_name = "*", account = "*", region = "*";
  bool operator==(const ApiPattern&) const = default;
};

// Changes the detection of the APIs it matches; unset fields keep the global value.
struct ApiOverride {
  ApiPattern match{};
  std::optional<double> p_value{};            // sensitivity for these APIs
  std::optional<std::uint32_t> min_calls{};   // never fire on fewer calls in a minute
  std::optional<std::vector<int>> windows{};  // subset of kWindowChoices
  bool disabled = false;                      // no insight at all for these APIs
  bool operator==(const ApiOverride&) const = default;
};

// What happens to the calls of an excluded caller.
enum class ExclusionMode {
  kNotCounted,  // the calls do not exist for detection: no count, no baseline, no insight
  kNotAlerted,  // the calls are counted (baselines see them) but never start an insight
};

// Callers to exclude: both patterns must match. `principal` is the userIdentity ARN as the
// detector keys it (session name removed: "arn:aws:sts::1:assumed-role/Deployer").
struct Exclusion {
  std::string principal = "*";
  std::string user_agent = "*";
  ExclusionMode mode = ExclusionMode::kNotCounted;
  bool operator==(const Exclusion&) const = default;
};

// The severity of the insights about the APIs it matches (tamper rules have their own).
struct Criticality {
  ApiPattern match{};
  common::Severity severity = common::Severity::kMedium;
  bool operator==(const Criticality&) const = default;
};

// A weekly quiet window, for planned maintenance: insights about the matching APIs (and
// principal) that would start inside it are not raised. The window opens on each listed
// weekday at `from` (UTC) and closes at `to`, on the next day when `to` is not after
// `from`: {Fri, 23:00, 01:00} covers Friday 23:00 to Saturday 01:00.
struct Suppression {
  ApiPattern match{};
  std::string principal = "*";
  std::vector<int> weekdays = {0, 1, 2, 3, 4, 5, 6};  // 0 = Monday .. 6 = Sunday
  std::chrono::minutes from{}, to{};  // time of day: from in [0, 24h), to in [0, 24h]
  std::string reason{};               // why, for the log and the analyst
  bool operator==(const Suppression&) const = default;
};

// Everything SIGHUP may change. Lists apply in order; see CompiledTuning for precedence.
struct Tuning {
  double p_value = kMediumSensitivity;  // `detection.sensitivity`: low|medium|high or a number
  std::uint32_t min_calls = 5;          // never fire on fewer calls in a minute than this
  std::vector<int> windows = {1, 5, 15, 60};  // windows every key is judged over
  bool call_rate = true;                      // call-rate insights
  bool error_rate = true;                     // error-rate insights
  bool read_call_rate = false;                // count read-only management calls in call rate too
  bool data_events = false;  // count data events (S3 object calls, Lambda Invoke, ...) too
  std::vector<ApiOverride> overrides{};
  std::vector<Exclusion> exclusions{};
  std::vector<Criticality> criticality{};
  std::vector<Suppression> suppressions{};
  bool operator==(const Tuning&) const = default;
};

// How one key (account, region, eventSource, eventName) is judged.
struct KeyTuning {
  double p_value;
  std::uint32_t min_calls;
  std::uint8_t window_mask;  // bit i: judge over kWindowChoices[i] minutes
  bool disabled;             // raise no insight for this key
  common::Severity severity;
};

// A Tuning checked and compiled, answering the detector's questions. Compiled once per
// (re)load; the answers depend only on their arguments, so callers cache them per key and
// per (principal, user agent) symbol pair and drop the caches on a reload.
//
// Thread safety: const methods only; safe to share between threads once built.
class CompiledTuning {
 public:
  // Checks and compiles `tuning`. Fails with kInvalidConfig naming the field
  // ("overrides.1.event_name: bad pattern ...") on a bad pattern, a p-value outside
  // (0, kMaxPValue], min_calls of 0, a window outside kWindowChoices, a weekday outside
  // 0..6 or a suppression window that is empty or longer than a day.
  static common::Result<CompiledTuning> Compile(Tuning tuning);

  // Returns the key's tuning: the global values, changed by every override that matches,
  // in order, field by field (a later override's set field wins over an earlier one's);
  // `disabled` when any matching override disables. Severity: that of the last matching
  // criticality entry, kMedium when none matches.
  KeyTuning ForKey(std::string_view source, std::string_view name, std::string_view account,
                   std::string_view region) const;

  // Returns how calls from this caller are excluded, nullopt when they are not. When
  // several exclusions match, kNotCounted wins over kNotAlerted.
  std::optional<ExclusionMode> ForCaller(std::string_view principal,
                                         std::string_view user_agent) const;

  // Returns true when an insight about this key, attributed to `principal`, starting at
  // `time` falls in a suppression window. Pass an empty principal when none applies: only
  // suppressions whose principal is "*" then match.
  bool Suppressed(std::string_view source, std::string_view name, std::string_view account,
                  std::string_view region, std::string_view principal, common::Seconds time) const;

  // Returns the reason of the first suppression that Suppressed() would match, for logs;
  // nullopt when none does.
  std::optional<std::string_view> SuppressionReason(std::string_view source, std::string_view name,
                                                    std::string_view account,
                                                    std::string_view region,
                                                    std::string_view principal,
                                                    common::Seconds time) const;

  const Tuning& tuning() const { return tuning_; }

 private:
  struct CompiledApi {
    Pattern source, name, account, region;
    bool Matches(std::string_view source_value, std::string_view name_value,
                 std::string_view account_value, std::string_view region_value) const;
  };
  struct CompiledOverride {
    CompiledApi match;
    std::optional<std::uint8_t> window_mask;
  };
  struct CompiledExclusion {
    Pattern principal, user_agent;
  };
  struct CompiledSuppression {
    CompiledApi match;
    Pattern principal;
    std::uint8_t weekday_mask = 0;  // bit d: weekday d (0 = Monday)
  };

  CompiledTuning() = default;
  const Suppression* FindSuppression(std::string_view source, std::string_view name,
                                     std::string_view account, std::string_view region,
                                     std::string_view principal, common::Seconds time) const;

  Tuning tuning_;
  std::uint8_t window_mask_ = 0;
  std::vector<CompiledOverride> overrides_;        // parallel to tuning_.overrides
  std::vector<CompiledExclusion> exclusions_;      // parallel to tuning_.exclusions
  std::vector<CompiledApi> criticality_;           // parallel to tuning_.criticality
  std::vector<CompiledSuppression> suppressions_;  // parallel to tuning_.suppressions
};

}  // namespace trailsight::detector
