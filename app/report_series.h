#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "alerts/report_page.h"
#include "common/result.h"

namespace trailsight::app {

// Reads the per-key minute series of `path` (the CSV of `trailsight replay --series`; see
// app/series_writer.h) and gives every insight of `insights` its graph: the minutes of its
// key from `around` before its start to `around` after its End's eventTime (or to the
// series' last minute while it is open), clipped to the minutes the series covers, with a
// minute that has no row counted as 0 calls and no levels. The levels drawn are those of
// the window that fired at the insight's first minute (the first of 1, 5, 15 and 60 minutes
// whose calls reached its firing level, else the nearest to it), which also fills `fired`;
// without a row at that minute, the one-minute window's. Only rows of the insights' keys
// near them are kept. Fails with kIo when the file cannot be read, and with
// kInvalidArgument naming `path:line` when the header lacks a column or a row is malformed.
common::Status ReadSeries(const std::string& path, std::chrono::minutes around,
                          std::vector<alerts::ReportInsight>& insights);

}  // namespace trailsight::app
