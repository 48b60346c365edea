#include "alerts/ocsf_sink.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "alerts/insight_ids.h"
#include "alerts/insight_record.h"
#include "alerts/ocsf_record.h"

namespace trailsight::alerts {

common::Result<std::unique_ptr<OcsfLinesSink>> OcsfLinesSink::Open(const std::string& target) {
  if (target.empty()) {
    return common::Error{common::ErrorCode::kInvalidArgument,
                         "alerts output is empty: use \"-\" for stdout or a file path"};
  }
  if (target == "-") return std::make_unique<OcsfLinesSink>(std::cout, "stdout");
  auto file = std::make_unique<std::ofstream>(target, std::ios::out | std::ios::trunc);
  if (!file->is_open()) {
    return common::Error{common::ErrorCode::kIo,
                         fmt::format("alerts output \"{}\": cannot open for writing: {}", target,
                                     std::strerror(errno))};
  }
  return std::unique_ptr<OcsfLinesSink>(new OcsfLinesSink(std::move(file), target));
}

OcsfLinesSink::OcsfLinesSink(std::ostream& out, std::string name)
    : out_(out), name_(std::move(name)) {}

OcsfLinesSink::OcsfLinesSink(std::unique_ptr<std::ofstream> file, std::string name)
    : file_(std::move(file)), out_(*file_), name_(std::move(name)) {}

common::Status OcsfLinesSink::Publish(const common::Alert& alert) {
  return Write(RenderOcsfAlertLine(alert));
}

common::Status OcsfLinesSink::Publish(const common::Finding& finding) {
  return Write(RenderOcsfInsightLine(finding));
}

common::Status OcsfLinesSink::Write(const std::string& line) {
  out_ << line << '\n';
  if (!out_) return StreamFailed("write");
  return common::Ok();
}

common::Status OcsfLinesSink::Flush() {
  out_.flush();
  if (!out_) return StreamFailed("flush");
  return common::Ok();
}

common::Status OcsfLinesSink::StreamFailed(std::string_view action) const {
  return common::Error{common::ErrorCode::kIo,
                       fmt::format("alerts output \"{}\": {} failed", name_, action)};
}

common::Status OcsfKafkaSink::Publish(const common::Alert& alert) {
  return publisher_.PublishRecord({.key = fmt::format("{}/{}", alert.account, alert.region),
                                   .payload = RenderOcsfAlertLine(alert),
                                   .event_id = DeriveAlertId(alert)});
}

common::Status OcsfKafkaSink::Publish(const common::Finding& finding) {
  return publisher_.PublishRecord({.key = InsightPartitionKey(finding.key),
                                   .payload = RenderOcsfInsightLine(finding),
                                   .event_id = DeriveInsightIds(finding).event_id,
                                   .state = InsightStateName(finding.state)});
}

common::Status MirroredFindingSink::Publish(const common::Finding& finding) {
  const common::Status primary = primary_.Publish(finding);
  const common::Status mirror = mirror_.Publish(finding);
  return primary ? mirror : primary;
}

common::Status MirroredFindingSink::Flush() {
  const common::Status primary = primary_.Flush();
  const common::Status mirror = mirror_.Flush();
  return primary ? mirror : primary;
}

}  // namespace trailsight::alerts
