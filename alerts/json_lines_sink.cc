#include "alerts/json_lines_sink.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "alerts/insight_record.h"

namespace trailsight::alerts {

common::Result<std::unique_ptr<JsonLinesSink>> JsonLinesSink::Create(
    const std::filesystem::path& path) {
  auto file = std::make_unique<std::ofstream>(path, std::ios::out | std::ios::trunc);
  if (!file->is_open()) {
    return common::Error{common::ErrorCode::kIo,
                         fmt::format("insights output \"{}\": cannot open for writing: {}",
                                     path.string(), std::strerror(errno))};
  }
  return std::unique_ptr<JsonLinesSink>(new JsonLinesSink(std::move(file), path.string()));
}

JsonLinesSink::JsonLinesSink(std::ostream& out, std::string name)
    : out_(out), name_(std::move(name)) {}

JsonLinesSink::JsonLinesSink(std::unique_ptr<std::ofstream> file, std::string name)
    : file_(std::move(file)), out_(*file_), name_(std::move(name)) {}

common::Status JsonLinesSink::Publish(const common::Finding& finding) {
  out_ << RenderInsightLine(finding) << '\n';
  if (!out_) return StreamFailed("write");
  return common::Ok();
}

common::Status JsonLinesSink::Flush() {
  out_.flush();
  if (!out_) return StreamFailed("flush");
  return common::Ok();
}

common::Status JsonLinesSink::StreamFailed(std::string_view action) const {
  return common::Error{common::ErrorCode::kIo,
                       fmt::format("insights output \"{}\": {} failed", name_, action)};
}

}  // namespace trailsight::alerts
