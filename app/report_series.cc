#include "app/report_series.h"

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <optional>
#include <unordered_map>

#include "alerts/insight_record.h"
#include "models/count_baseline.h"

namespace trailsight::app {
namespace {

using std::chrono::minutes;

// One window's values in a series row.
struct RowWindow {
  std::uint32_t calls = 0;
  double expected = 0.0;
  std::uint32_t fire_at = 0;
};

// One row of an insight's key, kept while reading.
struct KeptRow {
  common::Minute minute{};
  std::uint32_t calls = 0;
  std::array<std::optional<RowWindow>, models::kWindowCount> windows{};  // kWindowMinutes order
};

// The columns a row is read from, by position in the header.
struct SeriesColumns {
  std::size_t minute, type, account, region, event_source, event_name, error_code, calls;
  std::array<std::size_t, models::kWindowCount> window_calls, window_expected, window_fire_at;
};

// Reads one CSV record into fields[0, count) (RFC 4180: a quoted field may hold commas,
// doubled quotes and line breaks), reusing the strings of `fields`. Returns the number of
// fields, 0 at the end of the input. `line` counts the lines read.
std::size_t ReadCsvRecord(std::istream& in, std::string& text, std::vector<std::string>& fields,
                          std::size_t& line) {
  if (!std::getline(in, text)) return 0;
  ++line;
  std::size_t count = 0;
  auto next_field = [&]() -> std::string& {
    if (count == fields.size()) fields.emplace_back();
    fields[count].clear();
    return fields[count++];
  };
  std::string* field = &next_field();
  bool quoted = false;
  for (std::size_t i = 0;; ++i) {
    if (i == text.size()) {
      if (!quoted) break;
      // A line break inside quotes belongs to the field.
      if (!std::getline(in, text)) break;
      ++line;
      field->push_back('\n');
      i = static_cast<std::size_t>(-1);
      continue;
    }
    const char c = text[i];
    if (quoted) {
      if (c != '"') {
        field->push_back(c);
      } else if (i + 1 < text.size() && text[i + 1] == '"') {
        field->push_back('"');
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      field = &next_field();
    } else if (c != '\r') {
      field->push_back(c);
    }
  }
  return count;
}

template <typename Number>
bool ParseNumber(std::string_view text, Number& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

common::Result<SeriesColumns> FindColumns(const std::vector<std::string>& header, std::size_t count,
                                          const std::string& path) {
  std::unordered_map<std::string_view, std::size_t> at;
  for (std::size_t i = 0; i < count; ++i) at.emplace(header[i], i);
  std::string missing;
  auto column = [&](const std::string& name) -> std::size_t {
    const auto found = at.find(name);
    if (found != at.end()) return found->second;
    missing += missing.empty() ? name : ", " + name;
    return 0;
  };
  SeriesColumns columns{};
  columns.minute = column("minute");
  columns.type = column("type");
  columns.account = column("account");
  columns.region = column("region");
  columns.event_source = column("event_source");
  columns.event_name = column("event_name");
  columns.error_code = column("error_code");
  columns.calls = column("calls");
  for (std::size_t w = 0; w < models::kWindowCount; ++w) {
    const std::string suffix = w == 0 ? "" : fmt::format("_{}", models::kWindowMinutes[w]);
    columns.window_calls[w] = w == 0 ? columns.calls : column("calls" + suffix);
    columns.window_expected[w] = column("expected" + suffix);
    columns.window_fire_at[w] = column("fire_at" + suffix);
  }
  if (!missing.empty()) {
    return common::Error{
        common::ErrorCode::kInvalidArgument,
        fmt::format("{}:1: not a `trailsight replay --series` file: no column {}", path, missing)};
  }
  return columns;
}

// The series' key of an insight, as its rows spell it.
std::string SeriesKey(std::string_view type, std::string_view account, std::string_view region,
                      std::string_view source, std::string_view name, std::string_view error) {
  // Unit separators cannot be confused with the text of any field.
  return fmt::format("{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}", type, account, region, source, name,
                     type == "ApiErrorRateInsight" ? error : std::string_view());
}

// The window that fired at `row`: the first that reached its firing level, else the one
// nearest to it; nullopt when the row has no judged window.
std::optional<std::size_t> FiredWindowOf(const KeptRow& row) {
  std::optional<std::size_t> nearest;
  double nearest_ratio = -1.0;
  for (std::size_t w = 0; w < models::kWindowCount; ++w) {
    const std::optional<RowWindow>& window = row.windows[w];
    if (!window) continue;
    if (window->calls >= window->fire_at) return w;
    const double ratio = static_cast<double>(window->calls) / window->fire_at;
    if (ratio > nearest_ratio) {
      nearest = w;
      nearest_ratio = ratio;
    }
  }
  return nearest;
}

// Builds `insight`'s graph from its key's rows (in minute order) within [from, to).
void FillGraph(alerts::ReportInsight& insight, const std::vector<KeptRow>& rows,
               common::Minute from, common::Minute to) {
  alerts::InsightGraph& graph = insight.graph;
  graph = {};
  bool any = false;
  std::size_t level_window = 0;
  for (const KeptRow& row : rows) {
    any = any || (row.minute >= from && row.minute < to);
    if (row.minute != insight.start.start) continue;
    if (const std::optional<std::size_t> fired = FiredWindowOf(row)) {
      level_window = *fired;
      const RowWindow& window = *row.windows[*fired];
      insight.fired = alerts::FiredWindow{.minutes = models::kWindowMinutes[*fired],
                                          .calls = window.calls,
                                          .expected = window.expected,
                                          .fire_at = window.fire_at};
    }
  }
  if (!any || to <= from) return;
  graph.from = from;
  graph.window_minutes = models::kWindowMinutes[level_window];
  graph.minutes.resize(static_cast<std::size_t>((to - from).count()));
  const double length = graph.window_minutes;
  for (const KeptRow& row : rows) {
    if (row.minute < from || row.minute >= to) continue;
    alerts::GraphMinute& minute =
        graph.minutes[static_cast<std::size_t>((row.minute - from).count())];
    minute.calls = row.calls;
    if (const std::optional<RowWindow>& window = row.windows[level_window]) {
      minute.expected = window->expected / length;
      minute.firing_level = window->fire_at / length;
    }
  }
}

}  // namespace

common::Status ReadSeries(const std::string& path, minutes around,
                          std::vector<alerts::ReportInsight>& insights) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return common::Error{common::ErrorCode::kIo,
                         fmt::format("{}: cannot open: {}", path, std::strerror(errno))};
  }
  std::string text;
  std::vector<std::string> fields;
  std::size_t line = 0;
  const std::size_t header_count = ReadCsvRecord(in, text, fields, line);
  common::Result<SeriesColumns> found = FindColumns(fields, header_count, path);
  if (!found) return found.error();
  const SeriesColumns& columns = *found;

  // The insights of each key, and the rows kept for each insight.
  std::unordered_map<std::string, std::vector<std::size_t>> insights_of;
  for (std::size_t i = 0; i < insights.size(); ++i) {
    const common::InsightKey& key = insights[i].start.key;
    insights_of[SeriesKey(alerts::InsightTypeName(key.type), key.account, key.region,
                          key.event_source, key.event_name, key.error_code)]
        .push_back(i);
  }
  std::vector<std::vector<KeptRow>> rows(insights.size());
  std::optional<common::Minute> first, last;
  std::string key;
  for (std::size_t count; (count = ReadCsvRecord(in, text, fields, line)) != 0;) {
    if (count == 1 && fields[0].empty()) continue;  // a blank line
    if (count != header_count) {
      return common::Error{
          common::ErrorCode::kInvalidArgument,
          fmt::format("{}:{}: {} fields where the header has {}", path, line, count, header_count)};
    }
    common::Result<common::Seconds> time = common::ParseUtcTimestamp(fields[columns.minute]);
    if (!time) {
      return common::Error{common::ErrorCode::kInvalidArgument,
                           fmt::format("{}:{}: minute: {}", path, line, time.error().message)};
    }
    const common::Minute minute = common::FloorMinute(*time);
    first = first ? std::min(*first, minute) : minute;
    last = last ? std::max(*last, minute) : minute;
    key = SeriesKey(fields[columns.type], fields[columns.account], fields[columns.region],
                    fields[columns.event_source], fields[columns.event_name],
                    fields[columns.error_code]);
    const auto wanted = insights_of.find(key);
    if (wanted == insights_of.end()) continue;
    KeptRow row{.minute = minute};
    bool valid = ParseNumber(fields[columns.calls], row.calls);
    for (std::size_t w = 0; w < models::kWindowCount; ++w) {
      if (fields[columns.window_calls[w]].empty()) continue;
      RowWindow window;
      valid = valid && ParseNumber(fields[columns.window_calls[w]], window.calls) &&
              ParseNumber(fields[columns.window_expected[w]], window.expected) &&
              ParseNumber(fields[columns.window_fire_at[w]], window.fire_at);
      // A one-minute window the detector did not judge is written with a firing level of 0.
      if (window.fire_at > 0) row.windows[w] = window;
    }
    if (!valid) {
      return common::Error{common::ErrorCode::kInvalidArgument,
                           fmt::format("{}:{}: a count or level is not a number", path, line)};
    }
    for (std::size_t i : wanted->second) {
      const alerts::ReportInsight& insight = insights[i];
      const bool before = minute < insight.start.start - around;
      const bool after = insight.end && minute >= insight.end->event_time + around;
      if (!before && !after) rows[i].push_back(row);
    }
  }
  if (in.bad()) return common::Error{common::ErrorCode::kIo, fmt::format("{}: read failed", path)};
  if (!first) return common::Ok();  // no rows: no graphs

  for (std::size_t i = 0; i < insights.size(); ++i) {
    alerts::ReportInsight& insight = insights[i];
    const common::Minute from = std::max(insight.start.start - around, *first);
    const common::Minute to = std::min(
        insight.end ? insight.end->event_time + around : *last + minutes{1}, *last + minutes{1});
    FillGraph(insight, rows[i], from, to);
  }
  return common::Ok();
}

}  // namespace trailsight::app
