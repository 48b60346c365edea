#include "alerts/report_graph.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>

#include "alerts/html_text.h"
#include "alerts/insight_record.h"
#include "alerts/ocsf_record.h"

namespace trailsight::alerts {
namespace {

// The graph's drawing area inside its viewBox, in SVG units.
constexpr double kGraphWidth = 960, kGraphHeight = 240;
constexpr double kGraphLeft = 52, kGraphRight = 12, kGraphTop = 12, kGraphBottom = 30;
// The timeline's.
constexpr double kLineWidth = 960, kLineHeight = 96;
constexpr double kLineLeft = 64, kLineRight = 12, kLaneInsights = 22, kLaneAlerts = 52;
constexpr double kLaneHeight = 16;

// "YYYY-MM-DDTHH:MMZ".
std::string MinuteText(common::Minute minute) {
  std::string text = common::FormatUtcTimestamp(common::Seconds{minute});
  return text.substr(0, 16) + "Z";
}

// The smallest round number (1, 1.5, 2, 3, 4, 5, 6, 8 times a power of ten) at or above
// `value`, at least 1: the top of a y axis.
double AxisTop(double value) {
  if (value <= 1.0) return 1.0;
  const double decade = std::pow(10.0, std::floor(std::log10(value)));
  for (double step : {1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0}) {
    if (step * decade >= value) return step * decade;
  }
  return 10.0 * decade;
}

// Hours between two labelled ticks of an axis `minutes` long, so that at most about eight
// labels fit.
int TickHours(std::int64_t minutes) {
  for (int hours : {1, 2, 3, 6, 12, 24, 48, 168}) {
    if (minutes / (60 * hours) <= 8) return hours;
  }
  return 336;
}

// Maps minutes of the graph onto x and values onto y.
struct GraphScale {
  std::size_t count;
  double top_value;

  double Left(double index) const {
    return kGraphLeft +
           index * (kGraphWidth - kGraphLeft - kGraphRight) / static_cast<double>(count);
  }
  double X(std::size_t index) const { return Left(static_cast<double>(index) + 0.5); }
  double Y(double value) const {
    const double height = kGraphHeight - kGraphTop - kGraphBottom;
    return kGraphTop + height - value / top_value * height;
  }
  double Bottom() const { return kGraphHeight - kGraphBottom; }
};

// Appends one polyline through every minute that has the level `level`: a level holds for
// the minutes around the ones judged, so minutes without it are bridged. A single judged
// minute is drawn one minute wide.
template <typename Level>
void AppendLevelLine(std::string& out, const InsightGraph& graph, const GraphScale& scale,
                     std::string_view css_class, Level level) {
  auto sink = std::back_inserter(out);
  std::size_t points = 0;
  double last_x = 0.0, last_y = 0.0;
  for (std::size_t i = 0; i < graph.minutes.size(); ++i) {
    const std::optional<double> value = level(graph.minutes[i]);
    if (!value) continue;
    if (points == 0) fmt::format_to(sink, "<polyline class=\"{}\" points=\"", css_class);
    last_x = scale.X(i);
    last_y = scale.Y(*value);
    fmt::format_to(sink, "{}{:.1f},{:.1f}", points == 0 ? "" : " ", last_x, last_y);
    ++points;
  }
  if (points == 0) return;
  if (points == 1) fmt::format_to(sink, " {:.1f},{:.1f}", last_x + scale.X(1) - scale.X(0), last_y);
  out.append("\"/>");
}

// Appends a tick on the hours of [from, from + minutes), a label every few hours (with the
// date at midnight or when labels are a day or more apart); `x_of(offset)` places the
// minute `offset` minutes after `from`.
template <typename XOfMinute>
void AppendTimeAxis(std::string& out, common::Minute from, std::int64_t minutes, XOfMinute x_of,
                    double tick_top, double label_y) {
  auto sink = std::back_inserter(out);
  const int every = TickHours(minutes);
  const auto first_hour = std::chrono::ceil<std::chrono::hours>(from);
  for (auto hour = first_hour; hour < from + std::chrono::minutes{minutes};
       hour += std::chrono::hours{every}) {
    const std::int64_t offset = (hour - from).count();
    const double x = x_of(offset);
    const std::string text = MinuteText(std::chrono::time_point_cast<std::chrono::minutes>(hour));
    const bool midnight = text.substr(11, 5) == "00:00";
    fmt::format_to(sink,
                   "<line class=\"tick\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" "
                   "y2=\"{2:.1f}\"/><text class=\"tick\" x=\"{0:.1f}\" y=\"{3:.1f}\">{4}</text>",
                   x, tick_top, tick_top + 4, label_y,
                   midnight || every >= 24 ? text.substr(5, 5) + " " + text.substr(11, 5)
                                           : text.substr(11, 5));
  }
}

}  // namespace

void AppendInsightGraph(std::string& out, const ReportInsight& insight) {
  const InsightGraph& graph = insight.graph;
  const std::size_t count = graph.minutes.size();
  if (count == 0) {
    out.append(
        "<p class=\"no-series\">The series holds no minute of this key around the insight: "
        "replay with <code>--series</code> (and a <code>--series-key</code> that matches "
        "the key) to see its graph.</p>\n");
    return;
  }
  const common::Finding& start = insight.start;
  bool has_levels = false;
  double top = start.baseline_average;
  for (const GraphMinute& minute : graph.minutes) {
    top = std::max(top, static_cast<double>(minute.calls));
    if (minute.expected) top = std::max(top, *minute.expected);
    if (minute.firing_level) top = std::max(top, *minute.firing_level);
    has_levels = has_levels || minute.expected || minute.firing_level;
  }
  const GraphScale scale{.count = count, .top_value = AxisTop(top * 1.05)};
  auto sink = std::back_inserter(out);

  const common::Minute span_end =
      insight.end ? insight.end->event_time
                  : graph.from + std::chrono::minutes{static_cast<std::int64_t>(count)};
  fmt::format_to(sink,
                 "<svg class=\"graph\" viewBox=\"0 0 {0} {1}\" width=\"{0}\" height=\"{1}\" "
                 "role=\"img\" data-points=\"{2}\" data-from=\"{3}\"><title>",
                 kGraphWidth, kGraphHeight, count, MinuteText(graph.from));
  AppendHtml(out,
             fmt::format("{} per minute, {} to {} (UTC)",
                         start.key.type == common::InsightType::kApiErrorRate ? "errors" : "calls",
                         MinuteText(graph.from),
                         MinuteText(graph.from +
                                    std::chrono::minutes{static_cast<std::int64_t>(count - 1)})));
  out.append("</title>");

  // The plot's frame and the y axis: 0, half and the top.
  fmt::format_to(sink,
                 "<rect class=\"plot\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" "
                 "height=\"{:.1f}\"/>",
                 kGraphLeft, kGraphTop, kGraphWidth - kGraphLeft - kGraphRight,
                 scale.Bottom() - kGraphTop);
  for (double fraction : {0.0, 0.5, 1.0}) {
    const double value = scale.top_value * fraction;
    fmt::format_to(sink,
                   "<line class=\"grid\" x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" "
                   "y2=\"{2:.1f}\"/><text class=\"value\" x=\"{3:.1f}\" y=\"{4:.1f}\">{5}</text>",
                   kGraphLeft, kGraphWidth - kGraphRight, scale.Y(value), kGraphLeft - 6,
                   scale.Y(value) + 4, fmt::format("{:g}", value));
  }
  AppendTimeAxis(
      out, graph.from, static_cast<std::int64_t>(count),
      [&scale](std::int64_t offset) { return scale.Left(static_cast<double>(offset)); },
      scale.Bottom(), scale.Bottom() + 18);

  // The insight's span, clipped to the graph.
  const double span_from = std::clamp<double>(
      static_cast<double>((start.start - graph.from).count()), 0.0, static_cast<double>(count));
  const double span_to = std::clamp<double>(static_cast<double>((span_end - graph.from).count()),
                                            span_from, static_cast<double>(count));
  fmt::format_to(sink,
                 "<rect class=\"span\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" "
                 "height=\"{:.1f}\" data-start=\"{}\" data-end=\"{}\"/>",
                 scale.Left(span_from), kGraphTop,
                 std::max(scale.Left(span_to) - scale.Left(span_from), 1.0),
                 scale.Bottom() - kGraphTop, MinuteText(start.start),
                 insight.end ? MinuteText(span_end) : std::string("open"));

  // The calls: an area, then the line of exactly `count` points over it.
  fmt::format_to(sink, "<polygon class=\"calls-area\" points=\"{:.1f},{:.1f}", scale.X(0),
                 scale.Bottom());
  for (std::size_t i = 0; i < count; ++i) {
    fmt::format_to(sink, " {:.1f},{:.1f}", scale.X(i), scale.Y(graph.minutes[i].calls));
  }
  fmt::format_to(sink, " {:.1f},{:.1f}\"/><polyline class=\"calls\" points=\"", scale.X(count - 1),
                 scale.Bottom());
  for (std::size_t i = 0; i < count; ++i) {
    fmt::format_to(sink, "{}{:.1f},{:.1f}", i == 0 ? "" : " ", scale.X(i),
                   scale.Y(graph.minutes[i].calls));
  }
  out.append("\"/>");

  if (has_levels) {
    AppendLevelLine(out, graph, scale, "expected",
                    [](const GraphMinute& minute) { return minute.expected; });
    AppendLevelLine(out, graph, scale, "firing",
                    [](const GraphMinute& minute) { return minute.firing_level; });
  } else {
    fmt::format_to(sink,
                   "<line class=\"expected\" x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" "
                   "y2=\"{2:.1f}\"/>",
                   kGraphLeft, kGraphWidth - kGraphRight, scale.Y(start.baseline_average));
  }
  out.append("</svg>\n");

  // The legend says what the levels are.
  out.append("<p class=\"legend\"><span class=\"key calls\"></span>");
  out.append(start.key.type == common::InsightType::kApiErrorRate ? "errors" : "calls");
  out.append(
      " per minute <span class=\"key span\"></span>the insight <span class=\"key "
      "expected\"></span>");
  if (has_levels) {
    fmt::format_to(sink,
                   "expected <span class=\"key firing\"></span>firing level (the {}-minute "
                   "window's, per minute)</p>\n",
                   graph.window_minutes);
  } else {
    out.append("baseline average of the Start record (the series has no levels here)</p>\n");
  }
}

void AppendTimeline(std::string& out, const Report& report) {
  if (report.insights.empty() && report.alerts.empty()) return;
  // The time the timeline covers: every graph, span and alert.
  common::Minute from = common::Minute::max(), to = common::Minute::min();
  auto cover = [&](common::Minute minute) {
    from = std::min(from, minute);
    to = std::max(to, minute);
  };
  for (const ReportInsight& insight : report.insights) {
    cover(insight.start.start);
    if (insight.end) cover(insight.end->event_time);
    if (!insight.graph.minutes.empty()) {
      cover(insight.graph.from);
      cover(insight.graph.from +
            std::chrono::minutes{static_cast<std::int64_t>(insight.graph.minutes.size())});
    }
  }
  for (const ReportAlert& alert : report.alerts) cover(common::FloorMinute(alert.alert.time));
  from -= std::chrono::minutes{30};
  to += std::chrono::minutes{30};
  const std::int64_t minutes = (to - from).count();
  const double width = kLineWidth - kLineLeft - kLineRight;
  auto x_at = [&](double minute_offset) {
    return kLineLeft + minute_offset * width / static_cast<double>(minutes);
  };
  auto sink = std::back_inserter(out);
  fmt::format_to(sink,
                 "<svg class=\"timeline\" viewBox=\"0 0 {0} {1}\" width=\"{0}\" height=\"{1}\" "
                 "role=\"img\"><title>Insights and alerts, {2} to {3} (UTC)</title>"
                 "<text class=\"lane\" x=\"4\" y=\"{4:.1f}\">insights</text>"
                 "<text class=\"lane\" x=\"4\" y=\"{5:.1f}\">alerts</text>",
                 kLineWidth, kLineHeight, MinuteText(from), MinuteText(to),
                 kLaneInsights + kLaneHeight - 4, kLaneAlerts + kLaneHeight - 4);
  AppendTimeAxis(
      out, from, minutes,
      [&x_at](std::int64_t offset) { return x_at(static_cast<double>(offset)); },
      kLaneAlerts + kLaneHeight + 4, kLineHeight - 6);

  for (const ReportInsight& insight : report.insights) {
    const common::Finding& start = insight.start;
    const common::Minute end = insight.end ? insight.end->event_time : to;
    const double x = x_at(static_cast<double>((start.start - from).count()));
    const double bar = std::max(x_at(static_cast<double>((end - from).count())) - x, 3.0);
    fmt::format_to(sink, "<a href=\"#");
    AppendHtml(out, insight.id);
    out.append("\" data-item=\"");
    AppendHtml(out, insight.id);
    fmt::format_to(sink,
                   "\"><rect class=\"insight {}\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" "
                   "height=\"{:.1f}\"><title>",
                   Html(SeverityName(start.severity)), x, kLaneInsights, bar, kLaneHeight);
    AppendHtml(out, fmt::format("{} {} {} {}/{} from {}", InsightTypeName(start.key.type),
                                start.key.event_source, start.key.event_name, start.key.account,
                                start.key.region, MinuteText(start.start)));
    out.append("</title></rect></a>");
  }
  for (const ReportAlert& item : report.alerts) {
    const common::Alert& alert = item.alert;
    const double x = x_at(static_cast<double>((alert.time - common::Seconds{from}).count()) / 60.0);
    out.append("<a href=\"#");
    AppendHtml(out, item.id);
    out.append("\" data-item=\"");
    AppendHtml(out, item.id);
    fmt::format_to(sink,
                   "\"><path class=\"alert {}\" d=\"M{:.1f},{:.1f} l6,8 l-6,8 l-6,-8 z\"><title>",
                   Html(SeverityName(alert.severity)), x, kLaneAlerts);
    AppendHtml(out,
               fmt::format("{} {} {}/{} at {}", SeverityName(alert.severity), item.title,
                           alert.account, alert.region, common::FormatUtcTimestamp(alert.time)));
    out.append("</title></path></a>");
  }
  out.append("</svg>\n");
}

}  // namespace trailsight::alerts
