#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace trailsight::consumers {

// What ExpandInputs found.
struct InputList {
  std::vector<std::string> files;  // the inputs to read, in order
  // A folder that could not be listed, or an entry that could not be inspected (a link loop,
  // a dangling link named like a record file), one kIo error each, naming it ("cannot list
  // DIR/sub: Permission denied"). Everything else was listed; a replay reads it and reports
  // these.
  std::vector<common::Error> unreadable;
};

// Expands command-line input paths into the list of inputs to read, in order:
// - "-" stays "-" (stdin), and a file (or FIFO, device) stays itself, whatever its name;
// - a directory is walked recursively, symbolic links followed, and its .json, .json.gz,
//   .jsonl and .jsonl.gz files are listed in sorted path order, which is time order in the
//   S3 layout AWSLogs/[o-<org>/]<account>/CloudTrail/<region>/YYYY/MM/DD/ (organization
//   trails included); folders named CloudTrail-Digest, CloudTrail-Insight and
//   CloudTrail-Aggregated are skipped, since they hold no CloudTrail records.
// A file is listed once however many names reach it (a symbolic link, a hard link, a folder
// linked into the tree, the same path given twice): files and folders are told apart by
// device and inode, the first name in path order is kept, and a folder is walked once, so a
// link back to a parent ends there.
// Fails with kInvalidArgument naming the path when one does not exist. A folder that cannot
// be listed (no permission, gone meanwhile) fails nothing: it is reported in `unreadable`.
common::Result<InputList> ExpandInputs(const std::vector<std::string>& paths);

}  // namespace trailsight::consumers
