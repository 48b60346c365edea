#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/result.h"

namespace trailsight::common {

// Event time at one-second resolution (CloudTrail's own), as UTC since the Unix epoch.
using Seconds = std::chrono::sys_seconds;
// The start of a UTC minute: the unit every count and insight is keyed by.
using Minute = std::chrono::sys_time<std::chrono::minutes>;
using Hour = std::chrono::sys_time<std::chrono::hours>;
using Day = std::chrono::sys_days;

// When CloudTrail began recording (it launched in November 2013): no genuine record is
// older. The default lower bound on accepted event times (input.min_event_time).
inline constexpr Seconds kCloudTrailBegan{
    std::chrono::sys_days{std::chrono::year{2013} / std::chrono::November / 1}};

inline Minute FloorMinute(Seconds time) { return std::chrono::floor<std::chrono::minutes>(time); }

// The hour of the week of `hour`: 0 for Monday 00:00 UTC, 167 for Sunday 23:00 UTC.
inline int HourOfWeek(Hour hour) {
  const Day day = std::chrono::floor<std::chrono::days>(hour);
  const unsigned weekday = std::chrono::weekday{day}.iso_encoding() - 1;  // Monday: 0
  return static_cast<int>(weekday * 24 + static_cast<unsigned>((hour - day).count()));
}

// Parses CloudTrail's UTC timestamps: "2024-07-31T13:06:24Z", with optional fractional
// seconds ("2020-09-14T00:44:23.000Z", as in `@timestamp`) and "+00:00" for "Z".
// Fails with kMalformedEvent naming the text when it is anything else.
Result<Seconds> ParseUtcTimestamp(std::string_view text);

// Formats as "YYYY-MM-DDTHH:MM:SSZ", the form CloudTrail writes.
std::string FormatUtcTimestamp(Seconds time);

// Formats as "YYYYMMDDTHHMMZ", the form of S3 object names.
std::string FormatCompactMinute(Minute minute);

}  // namespace trailsight::common
