#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/alert.h"
#include "common/finding.h"
#include "common/time.h"

namespace trailsight::alerts {

// One minute of an insight's key as the graph draws it.
struct GraphMinute {
  std::uint32_t calls = 0;  // calls (errors, for error rate) in the minute; 0 when not judged
  // The levels of the graph's window, per minute (the window's expected calls and firing
  // level divided by its length); absent when the detector did not judge that window then.
  std::optional<double> expected{};
  std::optional<double> firing_level{};
};

// The key's minutes around an insight, one entry per minute from `from`, with no gaps.
struct InsightGraph {
  common::Minute from{};
  std::vector<GraphMinute> minutes{};
  int window_minutes = 1;  // the window whose levels `minutes` carry: the one that fired
};

// How the window that fired compared with its levels at the insight's first minute.
struct FiredWindow {
  int minutes = 1;            // 1, 5, 15 or 60
  std::uint32_t calls = 0;    // calls in the window
  double expected = 0.0;      // what the baseline expected in the window
  std::uint32_t fire_at = 0;  // the firing level the calls reached
};

// One insight: its Start, its End once it ended, and what the series says around it.
struct ReportInsight {
  std::string id{};  // the records' sharedEventID: unique in the report, used as an anchor
  common::Finding start{};
  std::optional<common::Finding> end{};  // absent while the insight was open at the input's end
  std::vector<std::string> records{};    // the raw records as JSON text, Start first
  std::optional<FiredWindow> fired{};    // absent when the series has no row for the start
  InsightGraph graph{};                  // no minutes when the series has none of the key's
};

// One alert (tamper, novelty, silent source, cap reached) as its OCSF record told it.
struct ReportAlert {
  std::string id{};  // the record's finding_info.uid: unique in the report, used as an anchor
  common::Alert alert{};
  std::string title{};   // finding_info.title
  std::string record{};  // the raw OCSF record as JSON text
};

// Everything one report page shows. The builder does not sort: it renders the list in
// the order of time then severity itself.
struct Report {
  std::vector<ReportInsight> insights{};
  std::vector<ReportAlert> alerts{};
  std::vector<std::string> sources{};  // the files the report was built from, named in its header
};

// Renders `report` as one self-contained HTML5 page: a timeline of every insight's span
// and every alert, a list sorted by time then severity (most severe first) that a small
// inline script filters by account, region, API and type and can re-sort by severity, then
// one section per insight (its graph as inline SVG with the span shaded, the levels of
// the window that fired, statistics, top attributions, the raw records in a <details>) and
// one per alert (its fields and raw record).
//
// The page loads nothing: style, script and graphics are inline, a Content-Security-Policy
// forbids any fetch, and the only links are fragments ("#id") within the page. Every value
// that came from a record is escaped (AppendHtml()), none is placed inside the script, and
// the script reads the DOM only. The graph of an insight with N minutes has exactly N points
// in its calls polyline (see report_graph.h). Pure: callable from any thread.
std::string RenderReportPage(const Report& report);

}  // namespace trailsight::alerts
