#pragma once

#include <filesystem>
#include <memory>

#include "common/finding.h"
#include "common/result.h"

namespace trailsight::alerts {

// Returns where AWS would deliver the record of `finding`, relative to a bucket root:
// AWSLogs/<account>/CloudTrail-Insight/<region>/YYYY/MM/DD/
//   <account>_CloudTrail-Insight_<region>_<YYYYMMDDTHHMMZ>_<id>.json.gz
// with the date and minute of the record's eventTime and <id> = DeriveObjectId(eventID),
// so a replay writes the same names.
std::filesystem::path InsightObjectPath(const common::Finding& finding);

// Writes each finding as its own gzip file in the CloudTrail S3 layout under a root
// folder, wrapped as {"Records":[record]}, so tools that read CloudTrail's bucket (and our
// own replay) read it unchanged. Each file is written to a temporary name and renamed into
// place, so a reader never sees half a file; Publish() returns once the file is renamed,
// so Flush() has nothing left to do.
//
// Thread safety: none. The detector's thread is the only caller, as FindingSink requires.
class S3LayoutSink final : public common::FindingSink {
 public:
  // Uses `root` as the bucket root, creating it when missing. Fails with kIo naming the
  // folder when it cannot be created or is not a folder.
  static common::Result<std::unique_ptr<S3LayoutSink>> Create(const std::filesystem::path& root);

  // Writes the finding's file, replacing one of the same name. Fails with kIo naming the
  // file when a folder or the file cannot be written.
  common::Status Publish(const common::Finding& finding) override;
  common::Status Flush() override;

  const std::filesystem::path& root() const { return root_; }

 private:
  explicit S3LayoutSink(std::filesystem::path root) : root_(std::move(root)) {}

  const std::filesystem::path root_;
};

}  // namespace trailsight::alerts
