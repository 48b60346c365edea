#include "app/time_text.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <optional>

namespace trailsight::app {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// Reads exactly `digits` decimal digits at `pos` into `out` and moves past them.
bool ReadDigits(std::string_view text, std::size_t& pos, std::size_t digits, int& out) {
  if (pos + digits > text.size()) return false;
  const char* first = text.data() + pos;
  for (std::size_t i = 0; i < digits; ++i) {
    if (std::isdigit(static_cast<unsigned char>(first[i])) == 0) return false;
  }
  std::from_chars(first, first + digits, out);
  pos += digits;
  return true;
}

bool Expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

// Skips ".digits" at `pos`, if present.
void SkipFraction(std::string_view text, std::size_t& pos) {
  if (pos >= text.size() || text[pos] != '.') return;
  ++pos;
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])) != 0) ++pos;
}

std::optional<common::Seconds> ParseEpoch(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])) != 0) ++pos;
  if (pos == 0 || pos > 12) return std::nullopt;
  const std::size_t digits = pos;
  SkipFraction(text, pos);
  if (pos != text.size()) return std::nullopt;
  long long value = 0;
  std::from_chars(text.data(), text.data() + digits, value);
  return common::Seconds{seconds{value}};
}

std::optional<common::Seconds> ParseIso(std::string_view text) {
  std::size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadDigits(text, pos, 4, year) || !Expect(text, pos, '-') ||
      !ReadDigits(text, pos, 2, month) || !Expect(text, pos, '-') ||
      !ReadDigits(text, pos, 2, day)) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year{year},
                                         std::chrono::month{static_cast<unsigned>(month)},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) return std::nullopt;
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == ' ')) {
    ++pos;
    if (!ReadDigits(text, pos, 2, hour) || !Expect(text, pos, ':') ||
        !ReadDigits(text, pos, 2, minute)) {
      return std::nullopt;
    }
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      if (!ReadDigits(text, pos, 2, second)) return std::nullopt;
      SkipFraction(text, pos);
    }
  }
  if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
  minutes offset{0};
  if (pos < text.size() && text[pos] == 'Z') {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const bool ahead = text[pos++] == '+';
    int offset_hours = 0, offset_minutes = 0;
    if (!ReadDigits(text, pos, 2, offset_hours)) return std::nullopt;
    Expect(text, pos, ':');
    if (pos < text.size() && !ReadDigits(text, pos, 2, offset_minutes)) return std::nullopt;
    offset = hours{offset_hours} + minutes{offset_minutes};
    if (!ahead) offset = -offset;
  }
  if (pos != text.size()) return std::nullopt;
  return common::Seconds{std::chrono::sys_days{date}} + hours{hour} + minutes{minute} +
         seconds{second} - offset;
}

}  // namespace

common::Result<common::Seconds> ParseTimeText(std::string_view text) {
  if (std::optional<common::Seconds> epoch = ParseEpoch(text)) return *epoch;
  if (std::optional<common::Seconds> iso = ParseIso(text)) return *iso;
  return common::Error{common::ErrorCode::kInvalidArgument,
                       fmt::format("'{}' is not a time (ISO-8601 such as 2026-11-07T14:07Z, or "
                                   "Unix epoch seconds)",
                                   text)};
}

}  // namespace trailsight::app
