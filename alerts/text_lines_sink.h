#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "alerts/finding_line.h"
#include "common/alert.h"
#include "common/finding.h"
#include "common/result.h"

namespace trailsight::alerts {

// How "-" (stdout) is written by the sinks that can write there.
struct StdoutFormat {
  bool text = false;  // true: one line per finding or alert for a person (finding_line.h);
                      // false: JSON lines, as every file output is written
  LineStyle style;    // with text: colours
};

// Writes findings and alerts as one readable line each (finding_line.h) to a stream it does
// not own: stdout when a person reads it. Publish() writes into the stream's buffer;
// Flush() pushes it out.
//
// Thread safety: none. The detector's thread is the only caller, as both sinks require.
class TextLinesSink final : public common::AlertSink, public common::FindingSink {
 public:
  // Writes to `out`, which must outlive the sink. `name` appears in error messages
  // ("stdout").
  TextLinesSink(std::ostream& out, LineStyle style, std::string name = "stream");

  // Each appends one line. Fails with kIo naming the destination once the stream has failed.
  common::Status Publish(const common::Alert& alert) override;
  common::Status Publish(const common::Finding& finding) override;
  // Flushes the stream. Fails with kIo naming the destination when the write fails.
  common::Status Flush() override;

 private:
  common::Status Write(const std::string& line);
  common::Status StreamFailed(std::string_view action) const;

  std::ostream& out_;  // a caller's stream that outlives us; see the constructor
  const LineStyle style_;
  std::string name_;  // "stdout", for error messages
};

}  // namespace trailsight::alerts
