#pragma once

#include <spdlog/formatter.h>

#include <memory>

namespace trailsight::ops {

// Formats each log record as one JSON object on one line, for log pipelines that parse:
//   {"time":"2026-11-03T10:00:00.123Z","level":"warning","message":"...","logger":"trailsight"}
// `time` is UTC with milliseconds; `level` is spdlog's name (trace, debug, info, warning,
// error, critical); `message` and `logger` are JSON strings escaped by nlohmann::json, with
// bytes that are not UTF-8 replaced by U+FFFD, so every line parses whatever was logged (a
// record's field, a broker's message). Allocates per record: logging is off the hot path.
class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

// Makes every registered logger, the default one included, write JSON lines from now on.
void UseJsonLogs();

}  // namespace trailsight::ops
