#include "alerts/report_page.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "alerts/html_text.h"
#include "tests/alerts/fixture_finding.h"

namespace trailsight::alerts {
namespace {

using std::chrono::minutes;
using test_support::MakeKey;
using test_support::ParseMinute;

// An ended TerminateInstances insight from 12:00 to 12:10 (End at 12:10) with a graph of
// `count` minutes from 10:00, its calls and both levels known on every minute.
ReportInsight TerminateBurst(std::size_t count = 240) {
  ReportInsight insight;
  insight.id = "c17e8872-66e9-5c7a-b365-41b43aec6664";
  insight.start.key = MakeKey(common::InsightType::kApiCallRate, "111122223333", "us-east-1",
                              "ec2.amazonaws.com", "TerminateInstances");
  insight.start.start = ParseMinute("2026-11-08T12:00:00Z");
  insight.start.event_time = insight.start.start;
  insight.start.baseline_average = 0.25;
  insight.start.insight_average = 42;
  insight.start.baseline_duration_minutes = 10800;
  insight.start.attributions = {{.attribute = "userIdentityArn",
                                 .insight = {{"arn:aws:iam::111122223333:user/ops", 42.0}},
                                 .baseline = {{"arn:aws:iam::111122223333:user/ops", 0.25}}}};
  common::Finding end = insight.start;
  end.state = common::InsightState::kEnd;
  end.event_time = insight.start.start + minutes{10};
  end.insight_duration_minutes = 10;
  insight.end = end;
  insight.records = {"{\"state\":\"Start\"}", "{\"state\":\"End\"}"};
  insight.fired = FiredWindow{.minutes = 1, .calls = 42, .expected = 0.25, .fire_at = 9};
  insight.graph.from = ParseMinute("2026-11-08T10:00:00Z");
  insight.graph.window_minutes = 1;
  for (std::size_t i = 0; i < count; ++i) {
    const bool burst = i >= 120 && i < 130;
    insight.graph.minutes.push_back(
        {.calls = burst ? 40u : 1u, .expected = 0.25, .firing_level = 9.0});
  }
  return insight;
}

ReportAlert StopLogging(common::Severity severity = common::Severity::kCritical) {
  ReportAlert item;
  item.id = "a1bb8d27-93e0-5119-8716-075ff0832875";
  item.alert.kind = common::AlertKind::kTamper;
  item.alert.rule = "cloudtrail.StopLogging";
  item.alert.severity = severity;
  item.alert.time = common::Seconds{ParseMinute("2026-11-08T12:00:00Z")};
  item.alert.account = "111122223333";
  item.alert.region = "us-east-1";
  item.alert.event_source = "cloudtrail.amazonaws.com";
  item.alert.event_name = "StopLogging";
  item.alert.principal = "arn:aws:iam::111122223333:user/mallory";
  item.alert.message = "StopLogging by mallory";
  item.title = "StopLogging called";
  item.record = "{\"class_uid\":2004}";
  return item;
}

// The value of `attribute` in every element whose start tag matches `tag_and_class`, e.g.
// Attributes(page, "<polyline class=\"calls\"", "points").
std::vector<std::string> Attributes(const std::string& page, const std::string& tag_and_class,
                                    const std::string& attribute) {
  std::vector<std::string> values;
  for (std::size_t at = page.find(tag_and_class); at != std::string::npos;
       at = page.find(tag_and_class, at + 1)) {
    const std::size_t end = page.find('>', at);
    const std::string tag = page.substr(at, end - at);
    const std::size_t name = tag.find(" " + attribute + "=\"");
    if (name == std::string::npos) continue;
    const std::size_t value = name + attribute.size() + 3;
    values.push_back(tag.substr(value, tag.find('"', value) - value));
  }
  return values;
}

std::size_t PointCount(const std::string& points) {
  if (points.empty()) return 0;
  return static_cast<std::size_t>(std::count(points.begin(), points.end(), ' ')) + 1;
}

std::size_t Occurrences(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
    ++count;
  }
  return count;
}

TEST(HtmlTextTest, EscapesMarkupQuotesAndControlCharacters) {
  EXPECT_EQ(Html("<a href='x'>\"&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&quot;&amp;&quot;&lt;/a&gt;");
  EXPECT_EQ(Html(std::string("a\0b\x1b[31m\x7f", 9)),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD[31m\xEF\xBF\xBD");
  EXPECT_EQ(Html("tab\tline\nutf-8 \xC3\xA9"), "tab\tline\nutf-8 \xC3\xA9");
}

TEST(ReportPageTest, EscapesHostileValuesFromRecordsEverywhere) {
  const std::string script = "<script>alert(1)</script>";
  const std::string image = "\"><img src=x onerror=alert(2)>";
  const std::string remote = "'><script src=\"https://evil.example/x.js\"></script>";
  Report report;
  ReportInsight insight = TerminateBurst();
  insight.id = image;
  insight.start.key.account = script;
  insight.start.key.event_name = image;
  insight.start.attributions[0].insight[0].value = remote;
  insight.end->attributions = insight.start.attributions;
  insight.records = {"{\"eventName\":\"</pre></details>" + script + "\"}"};
  report.insights.push_back(insight);
  ReportAlert alert = StopLogging();
  alert.alert.region = remote;
  alert.alert.principal = script;
  alert.alert.message = image;
  alert.title = "</h2>" + script;
  alert.record = "</pre>" + remote;
  report.alerts.push_back(alert);
  report.sources = {"/tmp/<b>insights</b>.jsonl"};

  const std::string page = RenderReportPage(report);

  EXPECT_EQ(Occurrences(page, "<script"), 1u);  // the page's own, at its end
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_EQ(page.find("<b>"), std::string::npos);
  EXPECT_EQ(Occurrences(page, "</pre>"), 2u);  // the insight's record and the alert's
  EXPECT_EQ(page.find("src=\"https"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(page.find("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"), std::string::npos);
  EXPECT_NE(page.find("&#39;&gt;&lt;script src=&quot;https://evil.example/x.js&quot;&gt;"),
            std::string::npos);
  // Attributes stay closed: the hostile id is one attribute value.
  EXPECT_NE(page.find("id=\"&quot;&gt;&lt;img src=x onerror=alert(2)&gt;\""), std::string::npos);
}

TEST(ReportPageTest, GraphHasOnePointPerMinute) {
  Report report;
  report.insights = {TerminateBurst(240), TerminateBurst(75)};
  report.insights[1].id = "second";

  const std::string page = RenderReportPage(report);

  const std::vector<std::string> lines = Attributes(page, "<polyline class=\"calls\"", "points");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(PointCount(lines[0]), 240u);
  EXPECT_EQ(PointCount(lines[1]), 75u);
  EXPECT_EQ(Attributes(page, "<svg class=\"graph\"", "data-points"),
            (std::vector<std::string>{"240", "75"}));
  EXPECT_EQ(Attributes(page, "<svg class=\"graph\"", "data-from")[0], "2026-11-08T10:00Z");
  // The area under the line closes on the axis: two points more.
  EXPECT_EQ(PointCount(Attributes(page, "<polygon class=\"calls-area\"", "points")[0]), 242u);
}

TEST(ReportPageTest, ShadesTheSpanFromTheStartToTheEndsEventTime) {
  Report report;
  report.insights = {TerminateBurst(240)};

  const std::string page = RenderReportPage(report);

  ASSERT_EQ(Attributes(page, "<rect class=\"span\"", "x").size(), 1u);
  EXPECT_EQ(Attributes(page, "<rect class=\"span\"", "data-start")[0], "2026-11-08T12:00Z");
  EXPECT_EQ(Attributes(page, "<rect class=\"span\"", "data-end")[0], "2026-11-08T12:10Z");
  // 10 of the 240 minutes, 120 minutes in, on a plot 896 units wide from x = 52.
  EXPECT_DOUBLE_EQ(std::stod(Attributes(page, "<rect class=\"span\"", "x")[0]), 52.0 + 448.0);
  EXPECT_NEAR(std::stod(Attributes(page, "<rect class=\"span\"", "width")[0]), 896.0 / 24, 0.1);
}

TEST(ReportPageTest, AnOpenInsightIsShadedToTheGraphsEnd) {
  Report report;
  report.insights = {TerminateBurst(240)};
  report.insights[0].end.reset();

  const std::string page = RenderReportPage(report);

  EXPECT_EQ(Attributes(page, "<rect class=\"span\"", "data-end")[0], "open");
  const double x = std::stod(Attributes(page, "<rect class=\"span\"", "x")[0]);
  const double width = std::stod(Attributes(page, "<rect class=\"span\"", "width")[0]);
  EXPECT_NEAR(x + width, 52.0 + 896.0, 0.1);
  EXPECT_NE(page.find("still open"), std::string::npos);
}

TEST(ReportPageTest, DrawsTheLevelsOfTheFiredWindowAcrossMinutesNotJudged) {
  Report report;
  ReportInsight insight = TerminateBurst(240);
  insight.graph.window_minutes = 5;
  for (std::size_t i = 100; i < 110; ++i) insight.graph.minutes[i] = {.calls = 0};  // not judged
  report.insights = {insight};

  const std::string page = RenderReportPage(report);

  const std::vector<std::string> expected =
      Attributes(page, "<polyline class=\"expected\"", "points");
  ASSERT_EQ(expected.size(), 1u);
  EXPECT_EQ(PointCount(expected[0]), 230u);
  const std::vector<std::string> firing = Attributes(page, "<polyline class=\"firing\"", "points");
  ASSERT_EQ(firing.size(), 1u);
  EXPECT_EQ(PointCount(firing[0]), 230u);
  EXPECT_NE(page.find("the 5-minute window's, per minute"), std::string::npos);
  EXPECT_NE(
      page.find("the 1-minute window held 42 calls where the baseline expected 0.25; 9 reach"),
      std::string::npos);
}

TEST(ReportPageTest, WithoutLevelsTheRecordsBaselineAverageIsDrawn) {
  Report report;
  ReportInsight insight = TerminateBurst(240);
  for (GraphMinute& minute : insight.graph.minutes) minute = {.calls = minute.calls};
  report.insights = {insight};

  const std::string page = RenderReportPage(report);

  EXPECT_TRUE(Attributes(page, "<polyline class=\"expected\"", "points").empty());
  EXPECT_EQ(Attributes(page, "<line class=\"expected\"", "y1").size(), 1u);
  EXPECT_NE(page.find("baseline average of the Start record"), std::string::npos);
}

TEST(ReportPageTest, AnInsightWithoutSeriesSaysHowToGetItsGraph) {
  Report report;
  ReportInsight insight = TerminateBurst(0);
  report.insights = {insight};

  const std::string page = RenderReportPage(report);

  EXPECT_EQ(page.find("<svg class=\"graph\""), std::string::npos);
  EXPECT_NE(page.find("<p class=\"no-series\">"), std::string::npos);
}

TEST(ReportPageTest, FetchesNothingFromAnywhere) {
  Report report;
  report.insights = {TerminateBurst()};
  report.alerts = {StopLogging()};

  const std::string page = RenderReportPage(report);

  // No URL at all (inline SVG needs no namespace URL), no src, and links only to fragments
  // of the page or the empty data: icon.
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_EQ(page.find(" src="), std::string::npos);
  for (const std::string& href : Attributes(page, "<a ", "href")) EXPECT_EQ(href[0], '#') << href;
  EXPECT_EQ(Attributes(page, "<link ", "href"), std::vector<std::string>{"data:,"});
  EXPECT_EQ(Occurrences(page, "<meta http-equiv=\"Content-Security-Policy\""), 1u);
  EXPECT_NE(page.find("default-src &#39;none&#39;"), std::string::npos);
}

TEST(ReportPageTest, ListsByTimeThenMostSevereFirst) {
  Report report;
  ReportInsight early = TerminateBurst();  // 12:00, Medium
  early.id = "early";
  early.start.start -= minutes{60};
  ReportAlert high = StopLogging(common::Severity::kHigh);  // 12:00
  high.id = "high";
  ReportAlert critical = StopLogging(common::Severity::kCritical);  // 12:00
  critical.id = "critical";
  ReportInsight same = TerminateBurst();  // 12:00, Medium
  same.id = "same";
  report.insights = {same, early};
  report.alerts = {high, critical};

  const std::string page = RenderReportPage(report);

  EXPECT_EQ(Attributes(page, "<tr data-item", "data-item"),
            (std::vector<std::string>{"early", "critical", "high", "same"}));
  EXPECT_EQ(
      Attributes(page, "<tr data-item", "data-type"),
      (std::vector<std::string>{"ApiCallRateInsight", "Tamper", "Tamper", "ApiCallRateInsight"}));
  EXPECT_EQ(Attributes(page, "<tr data-item", "data-api")[1],
            "cloudtrail.amazonaws.com StopLogging");
  // The sections follow the list, and the timeline links each.
  EXPECT_LT(page.find("<section class=\"item insight\" id=\"early\""),
            page.find("<section class=\"item alert\" id=\"critical\""));
  EXPECT_EQ(Attributes(page, "<a href=\"#", "data-item").size(), 4u);
}

TEST(ReportPageTest, AnAlertsSectionListsItsFields) {
  Report report;
  report.alerts = {StopLogging()};

  const std::string page = RenderReportPage(report);

  EXPECT_NE(page.find("<h2>Tamper: StopLogging called</h2>"), std::string::npos);
  EXPECT_NE(page.find("<dt>Rule</dt><dd>cloudtrail.StopLogging</dd>"), std::string::npos);
  EXPECT_NE(page.find("<dt>API</dt><dd>cloudtrail.amazonaws.com StopLogging</dd>"),
            std::string::npos);
  EXPECT_NE(page.find("<dt>Principal</dt><dd>arn:aws:iam::111122223333:user/mallory</dd>"),
            std::string::npos);
  EXPECT_EQ(page.find("<dt>Error code</dt>"), std::string::npos);  // the call succeeded
  EXPECT_NE(page.find("<summary>Raw record (1)</summary><pre>{&quot;class_uid&quot;:2004}</pre>"),
            std::string::npos);
}

TEST(ReportPageTest, FiltersAreFilledByTheScriptFromTheRows) {
  Report report;
  report.alerts = {StopLogging()};

  const std::string page = RenderReportPage(report);

  for (const char* filter : {"account", "region", "api", "type"}) {
    EXPECT_NE(page.find(std::string("<select data-filter=\"") + filter + "\">"), std::string::npos)
        << filter;
  }
  EXPECT_NE(page.find("<output id=\"shown\"></output>"), std::string::npos);
}

}  // namespace
}  // namespace trailsight::alerts
