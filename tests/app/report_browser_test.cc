// The report page as a browser shows it: `trailsight report` on a replay of the demo's week
// and on the recorded Stratus Red Team detonations (tamper alerts), each page loaded in
// headless Chromium (Debian's `chromium`, installed by scripts/setup). The checks read the
// DOM after the page's script ran, and Chromium's network log of the load. Screenshots land
// in the build folder: report-demo.png and report-tamper.png, beside their pages.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "common/time.h"
#include "tests/support/files.h"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using trailsight::test_support::ReadFile;
using trailsight::test_support::ReadLines;

const fs::path kBinary = TRAILSIGHT_BINARY;
const fs::path kBuild = kBinary.parent_path();
const fs::path kStratus = fs::path(TRAILSIGHT_SHARED_DIR) / "datasets" / "stratus-detonation-logs";
constexpr int kHours = 3;  // report's default --hours

int RunShell(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string Quote(const fs::path& path) { return fmt::format("'{}'", path.string()); }

bool HaveChromium() { return RunShell("command -v chromium >/dev/null 2>&1") == 0; }

// What headless Chromium made of a page: its DOM once loaded (after its script ran) and
// the network log of the load.
struct Loaded {
  std::string dom;
  Json net_log;
};

// Loads `page` (with `query`, "?..." or empty) in a fresh headless Chromium, saving a
// screenshot to `screenshot`; its profile, the DOM, the network log and Chromium's own log
// go to `work`.
Loaded LoadInChromium(const fs::path& page, const fs::path& screenshot, const fs::path& work,
                      const std::string& query = "") {
  const fs::path profile = work / "chromium-profile";
  const fs::path dom = work / "dom.html", net_log = work / "netlog.json";
  fs::remove_all(profile);
  const std::string command = fmt::format(
      "timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
      "--disable-background-networking --disable-component-update --disable-sync "
      "--disable-features=NetworkTimeServiceQuerying --hide-scrollbars --window-size=1100,2000 "
      "--user-data-dir={} --log-net-log={} --screenshot={} --dump-dom 'file://{}{}' >{} 2>{}",
      Quote(profile), Quote(net_log), Quote(screenshot), fs::absolute(page).string(), query,
      Quote(dom), Quote(work / "chromium.log"));
  EXPECT_EQ(RunShell(command), 0) << command;
  fs::remove_all(profile);
  Loaded loaded{.dom = ReadFile(dom),
                .net_log = Json::parse(ReadFile(net_log), nullptr, /*allow_exceptions=*/false)};
  EXPECT_FALSE(loaded.net_log.is_discarded()) << net_log;
  return loaded;
}

// The URLs of every request the page made: each URL_REQUEST_START_JOB of the log whose
// initiator is an origin, or whose network isolation key is the page's (file://). The
// browser's own requests (its update check, its sign-in probe) have no initiating origin and
// a key of their own; the file itself is read without the network stack.
std::vector<std::string> PageRequests(const Json& net_log) {
  std::vector<std::string> urls;
  const int start_job = net_log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"];
  for (const Json& event : net_log["events"]) {
    if (event["type"] != start_job || !event.contains("params")) continue;
    const Json& params = event["params"];
    const std::string initiator = params.value("initiator", "not an origin");
    const std::string key = params.value("network_isolation_key", "");
    if (initiator != "not an origin" || key.rfind("file://", 0) == 0) {
      urls.push_back(params.value("url", "(no url)"));
    }
  }
  return urls;
}

// The text between `from` and the next `to` in `text`, starting at `at`.
std::string Between(const std::string& text, const std::string& from, const std::string& to,
                    std::size_t at = 0) {
  const std::size_t begin = text.find(from, at);
  if (begin == std::string::npos) return "";
  const std::size_t end = text.find(to, begin + from.size());
  return text.substr(begin + from.size(), end - begin - from.size());
}

// The value of `attribute` in the first element of `html` starting with `tag_and_class`.
std::string Attribute(const std::string& html, const std::string& tag_and_class,
                      const std::string& attribute) {
  const std::string tag = Between(html, tag_and_class, ">");
  return Between(tag, " " + attribute + "=\"", "\"");
}

std::size_t Count(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
    ++count;
  }
  return count;
}

std::size_t PointCount(const std::string& points) {
  return points.empty() ? 0 : Count(points, " ") + 1;
}

trailsight::common::Minute MinuteOf(const std::string& timestamp) {
  return trailsight::common::FloorMinute(*trailsight::common::ParseUtcTimestamp(timestamp));
}

std::string MinuteText(trailsight::common::Minute minute) {
  return trailsight::common::FormatUtcTimestamp(trailsight::common::Seconds{minute}).substr(0, 16) +
         "Z";
}

// Runs `trailsight replay` on `input` into `dir` (insights, alerts and series), then
// `trailsight report` on them into `page`.
void ReplayAndReport(const std::string& input, const fs::path& dir, const fs::path& page) {
  ASSERT_EQ(RunShell(fmt::format("{} replay {} --insights-out {} --alerts-out {} --series {} "
                                 "--dead-letter-out {} 2>{}",
                                 Quote(kBinary), input, Quote(dir / "insights.jsonl"),
                                 Quote(dir / "alerts.jsonl"), Quote(dir / "series.csv"),
                                 Quote(dir / "dead-letters.jsonl"), Quote(dir / "replay.log"))),
            0);
  ASSERT_EQ(RunShell(fmt::format("{} report --insights {} --alerts {} --series {} --out {} 2>{}",
                                 Quote(kBinary), Quote(dir / "insights.jsonl"),
                                 Quote(dir / "alerts.jsonl"), Quote(dir / "series.csv"),
                                 Quote(page), Quote(dir / "report.log"))),
            0);
}

class ReportBrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveChromium()) {
      GTEST_SKIP() << "chromium is not installed (scripts/setup installs it); the report page "
                      "was not loaded in a browser";
    }
    dir_ =
        kBuild / "report-browser" / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }

  fs::path dir_;
};

TEST_F(ReportBrowserTest, TheDemoWeeksInsightsEachShowTheirGraphAndShadedSpan) {
  ASSERT_EQ(RunShell(fmt::format("{} generate --format jsonl --out {} --labels {} --seed 1 "
                                 "--days 7 2>/dev/null",
                                 Quote(kBinary), Quote(dir_ / "week.jsonl"),
                                 Quote(dir_ / "labels.jsonl"))),
            0);
  const fs::path page = kBuild / "report-demo.html";
  ReplayAndReport(Quote(dir_ / "week.jsonl"), dir_, page);
  fs::remove(dir_ / "week.jsonl");  // 400 MB

  const Loaded loaded = LoadInChromium(page, kBuild / "report-demo.png", dir_);

  // Each insight's expected graph: kHours before its start to kHours after its End, within
  // the minutes the series covers.
  std::vector<std::string> minutes;
  for (const std::string& row : ReadLines(dir_ / "series.csv")) {
    if (row.rfind("minute,", 0) != 0) minutes.push_back(row.substr(0, row.find(',')));
  }
  ASSERT_FALSE(minutes.empty());
  const auto first = MinuteOf(*std::min_element(minutes.begin(), minutes.end()));
  const auto last = MinuteOf(*std::max_element(minutes.begin(), minutes.end()));
  std::map<std::string, std::pair<trailsight::common::Minute, trailsight::common::Minute>> spans;
  for (const std::string& line : ReadLines(dir_ / "insights.jsonl")) {
    const Json record = Json::parse(line);
    auto& span = spans[record["sharedEventID"]];
    (record["insightDetails"]["state"] == "Start" ? span.first : span.second) =
        MinuteOf(record["eventTime"]);
  }
  ASSERT_EQ(spans.size(), 1u);  // the injected TerminateInstances burst
  for (const auto& [id, span] : spans) {
    SCOPED_TRACE(id);
    const std::size_t at = loaded.dom.find("<section class=\"item insight\" id=\"" + id + "\"");
    ASSERT_NE(at, std::string::npos);
    const std::string section = Between(loaded.dom, "", "</section>", at);
    const auto from = std::max(span.first - std::chrono::hours{kHours}, first);
    const auto to =
        std::min(span.second + std::chrono::hours{kHours}, last + std::chrono::minutes{1});
    const std::size_t expected = static_cast<std::size_t>((to - from).count());
    EXPECT_EQ(Attribute(section, "<svg class=\"graph\"", "data-points"), std::to_string(expected));
    EXPECT_EQ(PointCount(Attribute(section, "<polyline class=\"calls\"", "points")), expected);
    EXPECT_EQ(Attribute(section, "<rect class=\"span\"", "data-start"), MinuteText(span.first));
    EXPECT_EQ(Attribute(section, "<rect class=\"span\"", "data-end"), MinuteText(span.second));
    EXPECT_GT(std::stod(Attribute(section, "<rect class=\"span\"", "width")), 0.0);
    EXPECT_NE(section.find("<polyline class=\"expected\""), std::string::npos);
    EXPECT_NE(section.find("<polyline class=\"firing\""), std::string::npos);
    EXPECT_NE(section.find("<details><summary>Raw records (2)</summary>"), std::string::npos);
  }
  // The script ran: it counted the rows and filled the filters from them.
  EXPECT_EQ(Between(loaded.dom, "<output id=\"shown\">", "<"), "1 of 1 shown");
  EXPECT_NE(Between(loaded.dom, "<select data-filter=\"api\">", "</select>")
                .find("<option value=\"ec2.amazonaws.com TerminateInstances\">"),
            std::string::npos);
  EXPECT_EQ(PageRequests(loaded.net_log), std::vector<std::string>{});
  EXPECT_TRUE(fs::exists(kBuild / "report-demo.png"));
}

TEST_F(ReportBrowserTest, TamperAlertsShareTheListAndTheTimeline) {
  if (!fs::exists(kStratus)) GTEST_SKIP() << "dataset not available: " << kStratus;
  const fs::path page = kBuild / "report-tamper.html";
  ReplayAndReport(Quote(kStratus), dir_, page);

  // The link shows the StopLogging alert only.
  const Loaded loaded = LoadInChromium(page, kBuild / "report-tamper.png", dir_,
                                       "?type=Tamper&api=cloudtrail.amazonaws.com%20StopLogging");

  // Every alert of the OCSF stream (its mirrored insights aside) once.
  std::set<std::string> alerts;
  for (const std::string& line : ReadLines(dir_ / "alerts.jsonl")) {
    const Json record = Json::parse(line);
    const std::string type = record["finding_info"]["types"][0];
    if (type != "ApiCallRateInsight" && type != "ApiErrorRateInsight") {
      alerts.insert(record["finding_info"]["uid"].get<std::string>());
    }
  }
  ASSERT_GE(alerts.size(), 6u);  // the recording's six tamper calls, StopLogging among them
  const std::string list = Between(loaded.dom, "<tbody>", "</tbody>");
  EXPECT_EQ(Count(list, "<tr data-item="), alerts.size());
  EXPECT_EQ(Count(list, "data-type=\"Tamper\""), 6u);
  EXPECT_EQ(Count(list, "data-api=\"cloudtrail.amazonaws.com StopLogging\""), 1u);
  EXPECT_NE(loaded.dom.find("<dd>cloudtrail.amazonaws.com StopLogging</dd>"), std::string::npos);
  const std::string timeline = Between(loaded.dom, "<svg class=\"timeline\"", "</svg>");
  EXPECT_EQ(Count(timeline, "<path class=\"alert "), alerts.size());
  for (const std::string& id : alerts) {
    EXPECT_NE(loaded.dom.find("<section class=\"item alert\" id=\"" + id + "\""), std::string::npos)
        << id;
  }
  // The script applied the link's filters: one row shown, the others and their sections
  // and timeline marks hidden.
  EXPECT_EQ(Between(loaded.dom, "<output id=\"shown\">", "<"),
            fmt::format("1 of {} shown", alerts.size()));
  EXPECT_EQ(Count(list, "\" hidden=\"\""), alerts.size() - 1);
  EXPECT_EQ(Count(loaded.dom, "style=\"display: none;\""), 2 * (alerts.size() - 1));
  const std::string stop_row =
      Between(list, "data-api=\"cloudtrail.amazonaws.com StopLogging\"", "</tr>");
  EXPECT_EQ(stop_row.find("hidden"), std::string::npos);
  EXPECT_EQ(PageRequests(loaded.net_log), std::vector<std::string>{});
}

// The network check above is not vacuous: a page that fetches is caught.
TEST_F(ReportBrowserTest, TheNetworkLogShowsAPageThatFetches) {
  const fs::path page = dir_ / "fetches.html";
  std::ofstream(page) << "<!DOCTYPE html><html><body><img src=\"http://127.0.0.1:9/x.png\">"
                         "</body></html>\n";

  const Loaded loaded = LoadInChromium(page, dir_ / "fetches.png", dir_);

  EXPECT_EQ(PageRequests(loaded.net_log), std::vector<std::string>{"http://127.0.0.1:9/x.png"});
}

}  // namespace
