#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace trailsight::consumers {

// Expands command-line input paths into the list of inputs to read, in order:
// - "-" stays "-" (stdin), and a file (or FIFO, device) stays itself, whatever its name;
// - a directory is walked recursively and its .json, .json.gz, .jsonl and .jsonl.gz files are
//   listed in sorted path order, which is time order in the S3 layout
//   AWSLogs/[o-<org>/]<account>/CloudTrail/<region>/YYYY/MM/DD/ (organization trails
//   included); folders named CloudTrail-Digest, CloudTrail-Insight and CloudTrail-Aggregated
//   are skipped, since they hold no CloudTrail records.
// Fails with kInvalidArgument naming the path when one does not exist, and with kIo when a
// directory cannot be listed.
common::Result<std::vector<std::string>> ExpandInputs(const std::vector<std::string>& paths);

}  // namespace trailsight::consumers
