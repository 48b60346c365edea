#pragma once

#include <string>

#include "alerts/report_page.h"

namespace trailsight::alerts {

// Appends the graph of `insight` to `out`: an inline <svg class="graph"> (no namespace
// URL, no external reference) with, for its N = graph.minutes.size() minutes,
//   - <polyline class="calls"> of exactly N points, one per minute in order, over a
//     <polygon class="calls-area"> filling under it;
//   - <rect class="span"> shading the insight from its first minute up to its End's
//     eventTime (to the graph's end while it is open), with data-start and data-end;
//   - <polyline class="expected"> and <polyline class="firing">, the levels of the window
//     that fired per minute, each one polyline through the minutes that have them (bridging
//     minutes not judged); when no minute has them, one <line class="expected"> at the Start
//     record's baseline average;
//   - axes with UTC times, and a <title>.
// The <svg> carries data-points="N" and data-from (the first minute, ISO-8601). With no
// minutes it appends a <p class="no-series"> saying so instead. Values from records are
// escaped. Pure.
void AppendInsightGraph(std::string& out, const ReportInsight& insight);

// Appends the report's timeline to `out`: an inline <svg class="timeline"> across the time
// of every insight's graph and span and every alert, with one lane of insights (a bar per
// span, as long as it lasted) and one of alerts (a mark at its time), each a link to its
// section ("#id") carrying data-item="id" and a <title>. Appends nothing when the report
// is empty. Pure.
void AppendTimeline(std::string& out, const Report& report);

}  // namespace trailsight::alerts
