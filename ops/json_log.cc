#include "ops/json_log.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace trailsight::ops {
namespace {

std::string JsonString(spdlog::string_view_t text) {
  return nlohmann::json(std::string(text.data(), text.size()))
      .dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  using std::chrono::duration_cast;
  const auto since_epoch = msg.time.time_since_epoch();
  const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const auto millis = duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
  const std::time_t time = static_cast<std::time_t>(seconds.count());
  std::tm utc{};
  ::gmtime_r(&time, &utc);
  const spdlog::string_view_t level = spdlog::level::to_string_view(msg.level);
  fmt::format_to(std::back_inserter(dest),
                 "{{\"time\":\"{:%Y-%m-%dT%H:%M:%S}.{:03}Z\",\"level\":\"{}\",\"message\":{},"
                 "\"logger\":{}}}\n",
                 utc, millis, std::string_view(level.data(), level.size()), JsonString(msg.payload),
                 JsonString(msg.logger_name));
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>();
}

void UseJsonLogs() { spdlog::set_formatter(std::make_unique<JsonLogFormatter>()); }

}  // namespace trailsight::ops
