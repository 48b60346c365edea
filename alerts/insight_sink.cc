#include "alerts/insight_sink.h"

#include <filesystem>
#include <iostream>
#include <system_error>

#include "alerts/json_lines_sink.h"
#include "alerts/s3_layout_sink.h"

namespace trailsight::alerts {
namespace {

// Widens Result<unique_ptr<Derived>> to Result<unique_ptr<FindingSink>>.
template <typename Sink>
common::Result<std::unique_ptr<common::FindingSink>> Widen(
    common::Result<std::unique_ptr<Sink>> sink) {
  if (!sink) return std::move(sink).error();
  return std::unique_ptr<common::FindingSink>(*std::move(sink));
}

}  // namespace

common::Result<std::unique_ptr<common::FindingSink>> OpenInsightSink(const std::string& target,
                                                                     StdoutFormat to_stdout) {
  if (target.empty()) {
    return common::Error{common::ErrorCode::kInvalidArgument,
                         "insights output is empty: use \"-\" for stdout, a folder ending in "
                         "'/' for the S3 layout, or a file path for JSON lines"};
  }
  if (target == "-" && to_stdout.text) {
    return std::unique_ptr<common::FindingSink>(
        std::make_unique<TextLinesSink>(std::cout, to_stdout.style, "stdout"));
  }
  if (target == "-") {
    return std::unique_ptr<common::FindingSink>(
        std::make_unique<JsonLinesSink>(std::cout, "stdout"));
  }
  std::error_code error;
  if (target.back() == '/' || std::filesystem::is_directory(target, error)) {
    return Widen(S3LayoutSink::Create(target));
  }
  return Widen(JsonLinesSink::Create(target));
}

}  // namespace trailsight::alerts
