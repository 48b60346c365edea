#include "app/report_command.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "alerts/report_page.h"
#include "app/report_inputs.h"
#include "app/report_series.h"

namespace trailsight::app {
namespace {

// Writes `page` to `path` through a temporary file renamed into place, so a reader never
// sees half a page; "-" writes to stdout.
common::Status WritePage(const std::string& path, const std::string& page) {
  if (path == "-") {
    if (std::fwrite(page.data(), 1, page.size(), stdout) != page.size() ||
        std::fflush(stdout) != 0) {
      return common::Error{common::ErrorCode::kIo, "report: writing stdout failed"};
    }
    return common::Ok();
  }
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(page.data(), static_cast<std::streamsize>(page.size()));
    out.close();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      return common::Error{common::ErrorCode::kIo, fmt::format("report: cannot write {}", path)};
    }
  }
  std::error_code renamed;
  std::filesystem::rename(temporary, path, renamed);
  if (renamed) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    return common::Error{common::ErrorCode::kIo,
                         fmt::format("report: cannot write {}: {}", path, renamed.message())};
  }
  return common::Ok();
}

}  // namespace

CLI::App* AddReportCommand(CLI::App& app, ReportFlags& flags) {
  CLI::App* report = app.add_subcommand(
      "report",
      "Render one self-contained HTML page (no network access) of a replay's insights and "
      "alerts: a timeline, a filterable list, each insight's per-minute graph");
  report->add_option("--insights", flags.insights,
                     "Insights as `replay --insights-out FILE` wrote them (JSON lines)");
  report->add_option("--alerts", flags.alerts,
                     "Alerts as `replay --alerts-out FILE` wrote them (OCSF JSON lines); their "
                     "mirrored insights give each insight its severity");
  report->add_option("--series", flags.series,
                     "Minute series as `replay --series FILE` wrote it (CSV): each insight's "
                     "graph; without it insights have no graph");
  report->add_option("--out", flags.out, "The page to write (- for stdout)")->required();
  report->add_option("--hours", flags.hours, "Hours of the key shown before and after an insight")
      ->check(CLI::Range(1, 48))
      ->capture_default_str();
  return report;
}

int RunReport(const ReportFlags& flags) {
  if (flags.insights.empty() && flags.alerts.empty()) {
    fmt::print(stderr, "report: give --insights FILE, --alerts FILE or both\n");
    return 2;
  }
  alerts::Report report;
  if (!flags.insights.empty()) {
    common::Result<std::vector<alerts::ReportInsight>> insights =
        ReadInsightRecords(flags.insights);
    if (!insights) {
      spdlog::error("report: {}", insights.error().message);
      return 1;
    }
    report.insights = *std::move(insights);
    report.sources.push_back(flags.insights);
  }
  if (!flags.alerts.empty()) {
    common::Result<std::vector<alerts::ReportAlert>> alerts =
        ReadOcsfRecords(flags.alerts, report.insights);
    if (!alerts) {
      spdlog::error("report: {}", alerts.error().message);
      return 1;
    }
    report.alerts = *std::move(alerts);
    report.sources.push_back(flags.alerts);
  }
  if (!flags.series.empty()) {
    if (common::Status read =
            ReadSeries(flags.series, std::chrono::hours{flags.hours}, report.insights);
        !read) {
      spdlog::error("report: {}", read.error().message);
      return 1;
    }
    report.sources.push_back(flags.series);
  }
  if (common::Status written = WritePage(flags.out, alerts::RenderReportPage(report)); !written) {
    spdlog::error("{}", written.error().message);
    return 1;
  }
  spdlog::info("report: {} insight{} and {} alert{} written to {}", report.insights.size(),
               report.insights.size() == 1 ? "" : "s", report.alerts.size(),
               report.alerts.size() == 1 ? "" : "s", flags.out);
  return 0;
}

}  // namespace trailsight::app
