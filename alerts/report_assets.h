#pragma once

#include <string_view>

namespace trailsight::alerts {

// The report page's style sheet, inlined in its <style>.
std::string_view ReportStyle();

// The report page's script, inlined in its <script> at the end of <body>. It reads only the
// DOM that RenderReportPage() writes, never a value spliced into its own text:
//   - fills each <select data-filter="K"> with the distinct data-K values of the list's
//     rows (K: account, region, api, type), through .value and .textContent;
//   - on every change hides the rows that do not match every chosen value, and the
//     timeline marks and sections (data-item) of the hidden rows;
//   - orders the rows by data-time then data-severity (highest first), or by severity then
//     time when #sort says "severity", data-order breaking ties;
//   - writes "N of M shown" into #shown.
// It runs once at load, first taking filter values and the order from the page's query
// string (?account=A&region=R&api=API&type=T&order=severity), so a link can carry a view;
// the page's DOM holds #shown's text once the script ran.
std::string_view ReportScript();

// The page's Content-Security-Policy: nothing may be fetched (default-src 'none'); inline
// style and script run; images only from data: URLs.
std::string_view ReportContentSecurityPolicy();

}  // namespace trailsight::alerts
