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
//
// The account and region come from CloudTrail records, which anyone able to write to the
// input can forge, so they are checked before they name a folder: the account must be
// exactly 12 ASCII digits and the region AWS region syntax (two lowercase letters, one or
// more dash-separated lowercase words, a dash and a number: us-east-1, us-gov-west-1,
// cn-north-1). A path returned is therefore always relative and free of "..". Fails with
// kInvalidArgument naming the field ("account" or "region") and its value, cut at 40 bytes
// and quoted (quotes, backslashes, control characters and invalid UTF-8 escaped), when
// either check fails.
common::Result<std::filesystem::path> InsightObjectPath(const common::Finding& finding);

// Writes each finding as its own gzip file in the CloudTrail S3 layout under a root
// folder, wrapped as {"Records":[record]}, so tools that read CloudTrail's bucket (and our
// own replay) read it unchanged. Each file is written to a temporary name and renamed into
// place, so a reader never sees half a file; Publish() returns once the file is renamed,
// so Flush() has nothing left to do. Nothing is ever written outside the root.
//
// Thread safety: none. The detector's thread is the only caller, as FindingSink requires.
class S3LayoutSink final : public common::FindingSink {
 public:
  // Uses `root` as the bucket root, creating it when missing. Fails with kIo naming the
  // folder when it cannot be created or is not a folder.
  static common::Result<std::unique_ptr<S3LayoutSink>> Create(const std::filesystem::path& root);

  // Writes the finding's file, replacing one of the same name. A finding whose account or
  // region fails InsightObjectPath's checks is not written anywhere: Publish() fails with
  // that kInvalidArgument error, which the caller counts and logs (the detector counts it
  // in `publish_errors`, and a replay then exits with status 1), and the sink goes on
  // accepting findings. Fails with kIo naming the file when a folder or the file cannot be
  // written.
  common::Status Publish(const common::Finding& finding) override;
  common::Status Flush() override;

  const std::filesystem::path& root() const { return root_; }

 private:
  explicit S3LayoutSink(std::filesystem::path root) : root_(std::move(root)) {}

  const std::filesystem::path root_;
};

}  // namespace trailsight::alerts
