#include "alerts/report_page.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <string_view>
#include <tuple>
#include <vector>

#include "alerts/html_text.h"
#include "alerts/insight_record.h"
#include "alerts/ocsf_record.h"
#include "alerts/report_assets.h"
#include "alerts/report_graph.h"

namespace trailsight::alerts {
namespace {

// The list's filters: the data-K attribute of each row, and its label.
constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kFilters = {{
    {"account", "Account"},
    {"region", "Region"},
    {"api", "API"},
    {"type", "Type"},
}};

std::string PageTime(common::Seconds time) {
  std::string text = common::FormatUtcTimestamp(time);
  text[10] = ' ';
  return text;  // "YYYY-MM-DD HH:MM:SSZ"
}

// A per-minute average as people read it: "<0.01", "0.52", "12.5", "1234".
std::string PerMinute(double average) {
  if (average > 0.0 && average < 0.01) return "<0.01";
  if (average < 10.0) return fmt::format("{:.2f}", average);
  return average < 100.0 ? fmt::format("{:.1f}", average) : fmt::format("{:.0f}", average);
}

std::string InsightApi(const common::InsightKey& key) {
  std::string api = fmt::format("{} {}", key.event_source, key.event_name);
  if (!key.error_code.empty()) api += fmt::format(" ({})", key.error_code);
  return api;
}

std::string AlertApi(const common::Alert& alert) {
  if (alert.event_name.empty()) return "";
  return fmt::format("{} {}", alert.event_source, alert.event_name);
}

// One row of the list: an insight or an alert.
struct ListItem {
  common::Seconds time{};
  common::Severity severity = common::Severity::kMedium;
  const ReportInsight* insight = nullptr;
  const ReportAlert* alert = nullptr;
};

std::vector<ListItem> ListOrder(const Report& report) {
  std::vector<ListItem> items;
  items.reserve(report.insights.size() + report.alerts.size());
  for (const ReportInsight& insight : report.insights) {
    items.push_back({.time = common::Seconds{insight.start.start},
                     .severity = insight.start.severity,
                     .insight = &insight});
  }
  for (const ReportAlert& alert : report.alerts) {
    items.push_back({.time = alert.alert.time, .severity = alert.alert.severity, .alert = &alert});
  }
  std::stable_sort(items.begin(), items.end(), [](const ListItem& a, const ListItem& b) {
    return std::tuple(a.time, -static_cast<int>(a.severity)) <
           std::tuple(b.time, -static_cast<int>(b.severity));
  });
  return items;
}

// Appends ` name="value"` with the value escaped.
void AppendAttribute(std::string& out, std::string_view name, std::string_view value) {
  out.push_back(' ');
  out.append(name);
  out.append("=\"");
  AppendHtml(out, value);
  out.push_back('"');
}

void AppendCell(std::string& out, std::string_view text, std::string_view css_class = {}) {
  out.append("<td");
  if (!css_class.empty()) AppendAttribute(out, "class", css_class);
  out.push_back('>');
  AppendHtml(out, text);
  out.append("</td>");
}

std::string InsightSummary(const ReportInsight& insight) {
  const common::Finding& finding = insight.end ? *insight.end : insight.start;
  const std::string_view unit =
      finding.key.type == common::InsightType::kApiErrorRate ? "errors" : "calls";
  std::string summary =
      fmt::format("{} {}/min against a baseline of {}", PerMinute(finding.insight_average), unit,
                  PerMinute(finding.baseline_average));
  summary += insight.end ? fmt::format(", {} min", finding.insight_duration_minutes)
                         : std::string(", still open");
  return summary;
}

void AppendListRow(std::string& out, const ListItem& item, std::size_t order) {
  const bool is_insight = item.insight != nullptr;
  const std::string& id = is_insight ? item.insight->id : item.alert->id;
  std::string account, region, api, type;
  if (is_insight) {
    const common::InsightKey& key = item.insight->start.key;
    account = key.account;
    region = key.region;
    api = InsightApi(key);
    type = InsightTypeName(key.type);
  } else {
    const common::Alert& alert = item.alert->alert;
    account = alert.account;
    region = alert.region;
    api = AlertApi(alert);
    type = AlertKindName(alert.kind);
  }
  out.append("<tr");
  AppendAttribute(out, "data-item", id);
  AppendAttribute(out, "data-time", fmt::format("{}", item.time.time_since_epoch().count()));
  AppendAttribute(out, "data-severity", fmt::format("{}", static_cast<int>(item.severity)));
  AppendAttribute(out, "data-order", fmt::format("{}", order));
  AppendAttribute(out, "data-account", account);
  AppendAttribute(out, "data-region", region);
  AppendAttribute(out, "data-api", api);
  AppendAttribute(out, "data-type", type);
  out.append("><td><a");
  AppendAttribute(out, "href", "#" + id);
  out.push_back('>');
  AppendHtml(out, PageTime(item.time));
  out.append("</a></td>");
  AppendCell(out, SeverityName(item.severity),
             fmt::format("severity {}", SeverityName(item.severity)));
  AppendCell(out, type);
  AppendCell(out, api);
  AppendCell(out, account);
  AppendCell(out, region);
  AppendCell(out, is_insight ? InsightSummary(*item.insight) : item.alert->title);
  out.append("</tr>\n");
}

void AppendList(std::string& out, const std::vector<ListItem>& items) {
  out.append("<div id=\"filters\">");
  for (const auto& [key, label] : kFilters) {
    fmt::format_to(std::back_inserter(out),
                   "<label>{} <select data-filter=\"{}\"><option value=\"\">all</option>"
                   "</select></label>",
                   label, key);
  }
  out.append(
      "<label>Order <select id=\"sort\"><option value=\"time\">time, then severity</option>"
      "<option value=\"severity\">severity, then time</option></select></label>"
      "<output id=\"shown\"></output></div>\n"
      "<table id=\"list\"><thead><tr><th>Time (UTC)</th><th>Severity</th><th>Type</th>"
      "<th>API</th><th>Account</th><th>Region</th><th>What</th></tr></thead><tbody>\n");
  for (std::size_t i = 0; i < items.size(); ++i) AppendListRow(out, items[i], i);
  out.append("</tbody></table>\n");
}

void AppendRecords(std::string& out, const std::vector<std::string>& records) {
  fmt::format_to(std::back_inserter(out), "<details><summary>Raw record{} ({})</summary>",
                 records.size() == 1 ? "" : "s", records.size());
  for (const std::string& record : records) {
    out.append("<pre>");
    AppendHtml(out, record);
    out.append("</pre>");
  }
  out.append("</details>\n");
}

void AppendStatistics(std::string& out, const ReportInsight& insight) {
  std::vector<const common::Finding*> records = {&insight.start};
  if (insight.end) records.push_back(&*insight.end);
  out.append("<table class=\"statistics\"><thead><tr><th>Statistics</th>");
  for (const common::Finding* record : records) {
    fmt::format_to(std::back_inserter(out), "<th class=\"number\">{}</th>",
                   InsightStateName(record->state));
  }
  out.append("</tr></thead><tbody>");
  auto row = [&](std::string_view label, auto value) {
    fmt::format_to(std::back_inserter(out), "<tr><td>{}</td>", label);
    for (const common::Finding* record : records) AppendCell(out, value(*record), "number");
    out.append("</tr>");
  };
  row("insight average per minute",
      [](const common::Finding& f) { return PerMinute(f.insight_average); });
  row("baseline average per minute",
      [](const common::Finding& f) { return PerMinute(f.baseline_average); });
  row("insight duration (minutes)",
      [](const common::Finding& f) { return fmt::format("{}", f.insight_duration_minutes); });
  row("baseline duration (minutes)",
      [](const common::Finding& f) { return fmt::format("{}", f.baseline_duration_minutes); });
  out.append("</tbody></table>\n");
}

void AppendAttributions(std::string& out, const ReportInsight& insight) {
  const common::Finding& finding = insight.end ? *insight.end : insight.start;
  if (finding.attributions.empty()) return;
  out.append(
      "<table class=\"attributions\"><thead><tr><th>Top attributions</th><th>Value</th>"
      "<th class=\"number\">insight avg/min</th><th class=\"number\">baseline avg/min</th>"
      "</tr></thead><tbody>");
  for (const common::Attribution& attribution : finding.attributions) {
    for (const common::AttributionValue& value : attribution.insight) {
      out.append("<tr>");
      AppendCell(out, attribution.attribute);
      AppendCell(out, value.value, "value");
      AppendCell(out, PerMinute(value.average), "number");
      const auto baseline =
          std::find_if(attribution.baseline.begin(), attribution.baseline.end(),
                       [&](const common::AttributionValue& b) { return b.value == value.value; });
      AppendCell(out, baseline != attribution.baseline.end() ? PerMinute(baseline->average) : "-",
                 "number");
      out.append("</tr>");
    }
  }
  out.append("</tbody></table>\n");
}

void AppendInsightSection(std::string& out, const ReportInsight& insight) {
  const common::Finding& start = insight.start;
  const common::InsightKey& key = start.key;
  out.append("<section class=\"item insight\"");
  AppendAttribute(out, "id", insight.id);
  AppendAttribute(out, "data-item", insight.id);
  out.append("><h2>");
  AppendHtml(out, fmt::format("{}: {}", InsightTypeName(key.type), InsightApi(key)));
  out.append("</h2><p class=\"where\">");
  std::string where =
      fmt::format("{}/{} · {} · from {}", key.account, key.region, SeverityName(start.severity),
                  PageTime(common::Seconds{start.start}));
  where += insight.end
               ? fmt::format(" to {} ({} min)", PageTime(common::Seconds{insight.end->event_time}),
                             insight.end->insight_duration_minutes)
               : std::string(", still open at the end of the input");
  AppendHtml(out, where);
  out.append("</p>\n");
  AppendInsightGraph(out, insight);
  if (insight.fired) {
    const FiredWindow& fired = *insight.fired;
    out.append("<p class=\"fired\">");
    AppendHtml(out, fmt::format("Fired at {}: the {}-minute window held {} {} where the "
                                "baseline expected {}; {} reach its firing level.",
                                PageTime(common::Seconds{start.start}), fired.minutes, fired.calls,
                                key.type == common::InsightType::kApiErrorRate ? "errors" : "calls",
                                PerMinute(fired.expected), fired.fire_at));
    out.append("</p>\n");
  }
  AppendStatistics(out, insight);
  AppendAttributions(out, insight);
  AppendRecords(out, insight.records);
  out.append("</section>\n");
}

void AppendAlertSection(std::string& out, const ReportAlert& item) {
  const common::Alert& alert = item.alert;
  out.append("<section class=\"item alert\"");
  AppendAttribute(out, "id", item.id);
  AppendAttribute(out, "data-item", item.id);
  out.append("><h2>");
  AppendHtml(out, fmt::format("{}: {}", AlertKindName(alert.kind), item.title));
  out.append("</h2><p class=\"where\">");
  AppendHtml(out, fmt::format("{}/{} · {} · at {}", alert.account, alert.region,
                              SeverityName(alert.severity), PageTime(alert.time)));
  out.append("</p>\n");
  if (!alert.message.empty()) {
    out.append("<p class=\"message\">");
    AppendHtml(out, alert.message);
    out.append("</p>\n");
  }
  out.append("<dl>");
  const std::string api = AlertApi(alert);  // outlives the list of views below
  for (const auto& [label, value] :
       {std::pair<std::string_view, std::string_view>{"Rule", alert.rule},
        {"API", api},
        {"Error code", alert.error_code},
        {"Principal", alert.principal},
        {"Source address", alert.source_ip},
        {"User agent", alert.user_agent},
        {"Resource", alert.resource},
        {"Record eventID", alert.record_id}}) {
    if (value.empty()) continue;
    fmt::format_to(std::back_inserter(out), "<dt>{}</dt><dd>", label);
    AppendHtml(out, value);
    out.append("</dd>");
  }
  out.append("</dl>\n");
  AppendRecords(out, {item.record});
  out.append("</section>\n");
}

}  // namespace

std::string RenderReportPage(const Report& report) {
  const std::vector<ListItem> items = ListOrder(report);
  std::string out;
  out.reserve(64 * 1024 + 32 * 1024 * report.insights.size());
  out.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<meta");
  AppendAttribute(out, "http-equiv", "Content-Security-Policy");
  AppendAttribute(out, "content", ReportContentSecurityPolicy());
  out.append(
      ">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<link rel=\"icon\" href=\"data:,\">\n<title>trailsight report</title>\n<style>");
  out.append(ReportStyle());
  out.append("</style></head>\n<body>\n<h1>trailsight report</h1>\n<p class=\"sources\">");
  std::string sources;
  for (const std::string& source : report.sources) {
    sources += sources.empty() ? source : ", " + source;
  }
  AppendHtml(out, fmt::format("{} insight{}, {} alert{}{}. Times are UTC.", report.insights.size(),
                              report.insights.size() == 1 ? "" : "s", report.alerts.size(),
                              report.alerts.size() == 1 ? "" : "s",
                              sources.empty() ? "" : ", from " + sources));
  out.append("</p>\n");
  AppendTimeline(out, report);
  AppendList(out, items);
  for (const ListItem& item : items) {
    if (item.insight != nullptr) {
      AppendInsightSection(out, *item.insight);
    } else {
      AppendAlertSection(out, *item.alert);
    }
  }
  out.append("<script>");
  out.append(ReportScript());
  out.append("</script>\n</body></html>\n");
  return out;
}

}  // namespace trailsight::alerts
