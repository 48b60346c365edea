#include "alerts/text_lines_sink.h"

#include <fmt/format.h>

namespace trailsight::alerts {

TextLinesSink::TextLinesSink(std::ostream& out, LineStyle style, std::string name)
    : out_(out), style_(style), name_(std::move(name)) {}

common::Status TextLinesSink::Publish(const common::Alert& alert) {
  return Write(RenderAlertLine(alert, style_));
}

common::Status TextLinesSink::Publish(const common::Finding& finding) {
  return Write(RenderFindingLine(finding, style_));
}

common::Status TextLinesSink::Write(const std::string& line) {
  out_ << line << '\n';
  if (!out_) return StreamFailed("write");
  return common::Ok();
}

common::Status TextLinesSink::Flush() {
  out_.flush();
  if (!out_) return StreamFailed("flush");
  return common::Ok();
}

common::Status TextLinesSink::StreamFailed(std::string_view action) const {
  return common::Error{common::ErrorCode::kIo,
                       fmt::format("output \"{}\": {} failed", name_, action)};
}

}  // namespace trailsight::alerts
