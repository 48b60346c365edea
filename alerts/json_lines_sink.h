#pragma once

#include <filesystem>
#include <fstream>
#include <memory>
#include <ostream>
#include <string>

#include "common/finding.h"
#include "common/result.h"

namespace trailsight::alerts {

// Writes each finding as one AWS Insights record per line (JSON Lines), to a file it owns
// or to a stream it does not (stdout, a test's std::ostringstream). Publish() writes into
// the stream's buffer; Flush() pushes the buffer out. The destructor flushes an owned file.
//
// Thread safety: none. The detector's thread is the only caller, as FindingSink requires.
class JsonLinesSink final : public common::FindingSink {
 public:
  // Creates (or truncates) the file at `path`. Fails with kIo naming the path when it
  // cannot be opened for writing.
  static common::Result<std::unique_ptr<JsonLinesSink>> Create(const std::filesystem::path& path);

  // Writes to `out`, which is not owned and must outlive the sink. `name` appears in
  // error messages ("stdout").
  explicit JsonLinesSink(std::ostream& out, std::string name = "stream");

  // Appends one line. Fails with kIo naming the destination once the stream has failed.
  common::Status Publish(const common::Finding& finding) override;
  // Flushes the stream. Fails with kIo naming the destination when the write fails.
  common::Status Flush() override;

 private:
  JsonLinesSink(std::unique_ptr<std::ofstream> file, std::string name);

  common::Status StreamFailed(std::string_view action) const;

  std::unique_ptr<std::ofstream> file_;  // set when the sink owns its file
  std::ostream& out_;                    // *file_, or a caller's stream that outlives us
  std::string name_;                     // the path or "stdout", for error messages
};

}  // namespace trailsight::alerts
