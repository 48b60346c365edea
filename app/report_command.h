#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace trailsight::app {

// `trailsight report --insights FILE [--alerts FILE] [--series FILE] --out PAGE.html`:
// one self-contained HTML page (alerts/report_page.h) from what `trailsight replay` wrote:
// its insights (--insights-out FILE), its OCSF alerts stream (--alerts-out FILE: the
// alerts, and the severity of each mirrored insight) and its minute series (--series FILE:
// each insight's graph). At least one of --insights and --alerts is given.
struct ReportFlags {
  std::string insights;  // AWS Insights JSON lines; empty: none
  std::string alerts;    // OCSF JSON lines; empty: none
  std::string series;    // the replay's --series CSV; empty: insights without graphs
  std::string out;       // the page; "-" for stdout
  int hours = 3;         // hours of the key shown before each insight and after its end
};

// Registers the subcommand and its flags on `app`; `flags` must outlive parsing.
CLI::App* AddReportCommand(CLI::App& app, ReportFlags& flags);

// Builds and writes the page. Returns 0 when it was written, 1 when an input could not be
// read or was malformed (named with its line) or the page could not be written (nothing is
// left at --out then), 2 for bad flags.
int RunReport(const ReportFlags& flags);

}  // namespace trailsight::app
