#include "common/time.h"

#include <fmt/format.h>

namespace trailsight::common {
namespace {

// Reads `count` decimal digits at `pos`; returns -1 if any is not a digit.
int Digits(std::string_view text, std::size_t pos, std::size_t count) {
  if (pos + count > text.size()) return -1;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

Error Malformed(std::string_view text) {
  return Error{ErrorCode::kMalformedEvent,
               fmt::format("timestamp \"{}\" is not UTC ISO 8601 (YYYY-MM-DDTHH:MM:SSZ)",
                           text.substr(0, 64))};
}

}  // namespace

Result<Seconds> ParseUtcTimestamp(std::string_view text) {
  // Fixed layout: 0123456789012345678
  //               YYYY-MM-DDTHH:MM:SS
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != ' ') || text[13] != ':' || text[16] != ':') {
    return Malformed(text);
  }
  const int year = Digits(text, 0, 4), month = Digits(text, 5, 2), day = Digits(text, 8, 2);
  const int hour = Digits(text, 11, 2), minute = Digits(text, 14, 2), second = Digits(text, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 || hour > 23 ||
      minute > 59 || second > 60) {
    return Malformed(text);
  }
  std::size_t pos = 19;
  if (text[pos] == '.') {
    ++pos;
    const std::size_t digits_start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == digits_start) return Malformed(text);
  }
  const std::string_view zone = text.substr(pos);
  if (zone != "Z" && zone != "+00:00") return Malformed(text);

  const std::chrono::year_month_day date{std::chrono::year{year},
                                         std::chrono::month{static_cast<unsigned>(month)},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) return Malformed(text);
  return Seconds{std::chrono::sys_days{date}} + std::chrono::hours{hour} +
         std::chrono::minutes{minute} + std::chrono::seconds{second};
}

std::string FormatUtcTimestamp(Seconds time) {
  const Day day = std::chrono::floor<std::chrono::days>(time);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss clock{time - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     clock.hours().count(), clock.minutes().count(), clock.seconds().count());
}

std::string FormatCompactMinute(Minute minute) {
  const Day day = std::chrono::floor<std::chrono::days>(minute);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss clock{minute - day};
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     clock.hours().count(), clock.minutes().count());
}

}  // namespace trailsight::common
