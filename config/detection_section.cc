#include "config/detection_section.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <string>
#include <string_view>

namespace trailsight::config {
namespace {

using std::chrono::minutes;

constexpr std::string_view kSensitivityHelp =
    "must be low, medium, high or a false-alarm probability greater than 0 and at most 0.01";

// common::Severity by name, in order of severity_id (1 to 5).
constexpr std::array<std::string_view, 5> kSeverities = {"informational", "low", "medium", "high",
                                                         "critical"};
// Weekdays by name, 0 = Monday, as detector::Suppression counts them.
constexpr std::array<std::string_view, 7> kWeekdays = {"mon", "tue", "wed", "thu",
                                                       "fri", "sat", "sun"};
constexpr std::array<std::string_view, 7> kWeekdayNames = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};

std::string Join(const std::string& prefix, std::string_view key) {
  return fmt::format("{}.{}", prefix, key);
}

// Parses `text` completely as a T, else nullopt.
template <typename T>
std::optional<T> Parse(std::string_view text) {
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// Reads a sensitivity at `path`; nullopt when absent or wrong (the problem is recorded).
std::optional<double> ReadSensitivity(FieldReader& read, const std::string& path) {
  const std::string text = read.Optional(path, std::string());
  if (text.empty()) return std::nullopt;
  if (std::optional<double> level = detector::SensitivityLevel(text)) return level;
  const std::optional<double> number = Parse<double>(text.starts_with('+') ? text.substr(1) : text);
  const bool ok = number && *number > 0.0 && *number <= detector::kMaxPValue;
  read.Check(ok, path, kSensitivityHelp);
  return ok ? number : std::nullopt;
}

// Reads a list of windows at `path`; nullopt when absent or wrong (the problem is recorded).
std::optional<std::vector<int>> ReadWindows(FieldReader& read, const std::string& path) {
  const std::vector<std::string> texts = read.OptionalStrings(path, {});
  if (texts.empty()) return std::nullopt;
  std::vector<int> windows;
  for (const std::string& text : texts) {
    const std::optional<int> window = Parse<int>(text);
    if (!window || !detector::WindowMask({*window})) {
      read.Check(false, path, "every window must be 1, 5, 15 or 60 (minutes)");
      return std::nullopt;
    }
    windows.push_back(*window);
  }
  return windows;
}

// Reads the pattern at `path` into `pattern` (kept when absent), recording a bad one.
void ReadPattern(FieldReader& read, const std::string& path, std::string& pattern) {
  pattern = read.Optional(path, pattern);
  common::Result<detector::Pattern> compiled = detector::Pattern::Compile(pattern);
  read.Check(compiled.has_value(), path, compiled ? "" : compiled.error().message);
}

void ReadApi(FieldReader& read, const std::string& item, detector::ApiPattern& api) {
  ReadPattern(read, Join(item, "event_source"), api.event_source);
  ReadPattern(read, Join(item, "event_name"), api.event_name);
  ReadPattern(read, Join(item, "account"), api.account);
  ReadPattern(read, Join(item, "region"), api.region);
}

// Reads a time of day "HH:MM" at `path`; `latest` is 24:00 for an end, 23:59 for a start.
minutes ReadTimeOfDay(FieldReader& read, const std::string& path, minutes latest) {
  const std::string text = read.Optional(path, std::string());
  const std::size_t colon = text.find(':');
  const std::optional<int> hour = Parse<int>(std::string_view(text).substr(0, colon));
  // Without a colon there are no minutes: Parse() of the empty text. (A conditional
  // std::nullopt here makes GCC 12 at -O3 warn -Wmaybe-uninitialized below.)
  const std::optional<int> minute = Parse<int>(
      colon == std::string::npos ? std::string_view() : std::string_view(text).substr(colon + 1));
  const bool ok = hour && minute && colon + 3 == text.size() && *hour >= 0 && *minute >= 0 &&
                  *minute < 60 && minutes{*hour * 60 + *minute} <= latest;
  read.Check(ok, text.empty() ? path.substr(0, path.rfind('.')) : path,
             text.empty() ? fmt::format("{} is required: a UTC time of day such as \"02:30\"",
                                        path.substr(path.rfind('.') + 1))
                          : fmt::format("must be a UTC time of day from \"00:00\" to \"{}\"",
                                        latest == minutes{24 * 60} ? "24:00" : "23:59"));
  return ok ? minutes{*hour * 60 + *minute} : minutes{};
}

std::vector<int> ReadWeekdays(FieldReader& read, const std::string& path) {
  const std::vector<std::string> names = read.OptionalStrings(path, {});
  if (names.empty()) return {0, 1, 2, 3, 4, 5, 6};
  std::vector<int> days;
  for (const std::string& name : names) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const auto* short_name = std::find(kWeekdays.begin(), kWeekdays.end(), lower);
    const auto* long_name = std::find(kWeekdayNames.begin(), kWeekdayNames.end(), lower);
    if (short_name != kWeekdays.end()) {
      days.push_back(static_cast<int>(short_name - kWeekdays.begin()));
    } else if (long_name != kWeekdayNames.end()) {
      days.push_back(static_cast<int>(long_name - kWeekdayNames.begin()));
    } else {
      read.Check(false, path,
                 fmt::format("\"{}\" is not a day: use {}", name, fmt::join(kWeekdays, ", ")));
    }
  }
  return days;
}

void ReadOverrides(FieldReader& read, std::vector<detector::ApiOverride>& overrides) {
  const std::size_t count = read.OptionalListSize("detection.overrides");
  for (std::size_t i = 0; i < count; ++i) {
    const std::string item = fmt::format("detection.overrides.{}", i);
    detector::ApiOverride entry;
    ReadApi(read, item, entry.match);
    entry.p_value = ReadSensitivity(read, Join(item, "sensitivity"));
    const auto min_calls =
        read.OptionalBetween<std::uint32_t>(Join(item, "min_calls"), 0, 1, 1'000'000);
    if (min_calls > 0) entry.min_calls = min_calls;
    entry.windows = ReadWindows(read, Join(item, "windows"));
    entry.disabled = read.Optional(Join(item, "disabled"), false);
    read.Check(entry.p_value || entry.min_calls || entry.windows || entry.disabled, item,
               "changes nothing: set sensitivity, min_calls, windows or disabled: true");
    overrides.push_back(std::move(entry));
  }
}

void ReadExclusions(FieldReader& read, std::vector<detector::Exclusion>& exclusions) {
  const std::size_t count = read.OptionalListSize("detection.exclusions");
  for (std::size_t i = 0; i < count; ++i) {
    const std::string item = fmt::format("detection.exclusions.{}", i);
    detector::Exclusion entry;
    ReadPattern(read, Join(item, "principal"), entry.principal);
    ReadPattern(read, Join(item, "user_agent"), entry.user_agent);
    read.Check(entry.principal != "*" || entry.user_agent != "*", item,
               "would exclude every caller: set principal, user_agent or both");
    const std::string mode = read.Optional(Join(item, "mode"), std::string("not_counted"));
    read.Check(mode == "not_counted" || mode == "not_alerted", Join(item, "mode"),
               "must be not_counted (calls ignored) or not_alerted (counted, never alerted)");
    if (mode == "not_alerted") entry.mode = detector::ExclusionMode::kNotAlerted;
    exclusions.push_back(std::move(entry));
  }
}

void ReadCriticality(FieldReader& read, std::vector<detector::Criticality>& criticality) {
  const std::size_t count = read.OptionalListSize("detection.criticality");
  for (std::size_t i = 0; i < count; ++i) {
    const std::string item = fmt::format("detection.criticality.{}", i);
    detector::Criticality entry;
    ReadApi(read, item, entry.match);
    const std::string severity = read.Optional(Join(item, "severity"), std::string());
    const auto* named = std::find(kSeverities.begin(), kSeverities.end(), severity);
    if (severity.empty()) {
      read.Check(false, item,
                 fmt::format("severity is required: one of {}", fmt::join(kSeverities, ", ")));
    } else {
      read.Check(named != kSeverities.end(), Join(item, "severity"),
                 fmt::format("must be one of {}", fmt::join(kSeverities, ", ")));
    }
    if (named != kSeverities.end()) {
      entry.severity = static_cast<common::Severity>(named - kSeverities.begin() + 1);
    }
    criticality.push_back(std::move(entry));
  }
}

void ReadSuppressions(FieldReader& read, std::vector<detector::Suppression>& suppressions) {
  const std::size_t count = read.OptionalListSize("detection.suppressions");
  for (std::size_t i = 0; i < count; ++i) {
    const std::string item = fmt::format("detection.suppressions.{}", i);
    detector::Suppression entry;
    ReadApi(read, item, entry.match);
    ReadPattern(read, Join(item, "principal"), entry.principal);
    entry.weekdays = ReadWeekdays(read, Join(item, "weekdays"));
    entry.from = ReadTimeOfDay(read, Join(item, "from"), minutes{23 * 60 + 59});
    entry.to = ReadTimeOfDay(read, Join(item, "to"), minutes{24 * 60});
    read.Check(entry.from != entry.to, Join(item, "to"),
               "must differ from `from` (\"00:00\" to \"24:00\" is the whole day)");
    entry.reason = read.Optional(Join(item, "reason"), std::string());
    suppressions.push_back(std::move(entry));
  }
}

}  // namespace

void ReadDetection(FieldReader& read, detector::Tuning& tuning) {
  // baseline.min_calls needs no such line: "did you mean 'detection.min_calls'?" finds it.
  read.Check(read.Optional("baseline.p_value", std::string()).empty(), "baseline.p_value",
             "has moved: write detection.sensitivity instead");
  if (std::optional<double> p_value = ReadSensitivity(read, "detection.sensitivity")) {
    tuning.p_value = *p_value;
  }
  tuning.min_calls =
      read.OptionalBetween<std::uint32_t>("detection.min_calls", tuning.min_calls, 1, 1'000'000);
  tuning.windows = ReadWindows(read, "detection.windows").value_or(tuning.windows);
  tuning.call_rate = read.Optional("detection.call_rate", tuning.call_rate);
  tuning.error_rate = read.Optional("detection.error_rate", tuning.error_rate);
  tuning.read_call_rate = read.Optional("detection.read_call_rate", tuning.read_call_rate);
  tuning.data_events = read.Optional("detection.data_events", tuning.data_events);
  ReadOverrides(read, tuning.overrides);
  ReadExclusions(read, tuning.exclusions);
  ReadCriticality(read, tuning.criticality);
  ReadSuppressions(read, tuning.suppressions);
}

}  // namespace trailsight::config
