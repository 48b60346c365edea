#pragma once

#include <memory>
#include <string>

#include "alerts/text_lines_sink.h"
#include "common/finding.h"
#include "common/result.h"

namespace trailsight::alerts {

// Opens the sink that an --insights-out value (or outputs.insights in the config) names:
// - "-": stdout, as JSON lines, or as readable lines (a TextLinesSink) when `to_stdout.text`;
// - an existing folder, or a value ending in '/': an S3LayoutSink rooted there (the folder
//   is created when missing);
// - anything else: a JsonLinesSink writing that file (created or truncated).
// Fails with kInvalidArgument for an empty value, and with the sink's kIo error when the
// file or folder cannot be opened.
common::Result<std::unique_ptr<common::FindingSink>> OpenInsightSink(const std::string& target,
                                                                     StdoutFormat to_stdout = {});

}  // namespace trailsight::alerts
