#pragma once

#include <string>
#include <vector>

#include "alerts/report_page.h"
#include "common/result.h"

namespace trailsight::app {

// Reads the AWS Insights records of `path` (JSON lines, as `trailsight replay
// --insights-out FILE` writes them) into one insight per sharedEventID: its Start, its End
// when the file has it, and both records as indented JSON. An End whose Start the file lacks
// (a file that begins mid-insight) starts insightDuration minutes before its eventTime, and
// a copy of it (state End) stands as `start`. Severity is Medium until ReadOcsfRecords()
// finds the insight's OCSF mirror. Insights come back in
// the order of their first record. Fails with kIo when the file cannot be read, and with
// kInvalidArgument naming `path:line` and the field when a line is not such a record.
common::Result<std::vector<alerts::ReportInsight>> ReadInsightRecords(const std::string& path);

// Reads the OCSF Detection Findings of `path` (JSON lines, as `--alerts-out FILE` writes
// them). An alert (finding_info.types Tamper, Novelty, SilentSource or CapReached) becomes a
// ReportAlert, once per finding_info.uid, in file order; a mirrored insight
// (ApiCallRateInsight, ApiErrorRateInsight) gives its severity to the insight of `insights`
// whose id is its finding_info.uid and is otherwise left out. Fails as ReadInsightRecords().
common::Result<std::vector<alerts::ReportAlert>> ReadOcsfRecords(
    const std::string& path, std::vector<alerts::ReportInsight>& insights);

}  // namespace trailsight::app
