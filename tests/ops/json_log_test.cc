#include "ops/json_log.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace trailsight::ops {
namespace {

using Json = nlohmann::json;

// 2026-11-03T10:00:00.123Z
const spdlog::log_clock::time_point kTime{std::chrono::milliseconds(1'793'700'000'123)};

std::string Format(spdlog::level::level_enum level, std::string_view message) {
  const spdlog::details::log_msg msg(kTime, spdlog::source_loc{}, "trailsight", level,
                                     spdlog::string_view_t(message.data(), message.size()));
  spdlog::memory_buf_t out;
  JsonLogFormatter().format(msg, out);
  return fmt::to_string(out);
}

TEST(JsonLogFormatterTest, WritesOneObjectPerLineWithTimeLevelMessageAndLogger) {
  const std::string line = Format(spdlog::level::warn, "kafka: broker down");

  EXPECT_EQ(line,
            R"({"time":"2026-11-03T10:00:00.123Z","level":"warning","message":"kafka: broker )"
            R"(down","logger":"trailsight"})"
            "\n");
}

TEST(JsonLogFormatterTest, EscapesQuotesBackslashesAndControlCharacters) {
  const std::string message = "record \"x\" at C:\\logs\nsecond line\ttab \x01 end";

  const std::string line = Format(spdlog::level::info, message);

  ASSERT_EQ(line.find('\n'), line.size() - 1) << line;  // the newline inside is escaped
  const Json parsed = Json::parse(line);
  EXPECT_EQ(parsed["message"], message);
  EXPECT_EQ(parsed["level"], "info");
}

TEST(JsonLogFormatterTest, ReplacesBytesThatAreNotUtf8SoTheLineStillParses) {
  const std::string line = Format(spdlog::level::err, "bad record: \xff\xfe é");

  const Json parsed = Json::parse(line);
  EXPECT_EQ(parsed["message"], "bad record: \uFFFD\uFFFD é");
  EXPECT_EQ(parsed["level"], "error");
}

TEST(JsonLogFormatterTest, UseJsonLogsSwitchesALoggerToJsonLines) {
  std::ostringstream out;
  auto logger = std::make_shared<spdlog::logger>(
      "ops-test", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  spdlog::register_logger(logger);

  UseJsonLogs();
  logger->info("first {}", 1);
  logger->error("second \"quoted\"");
  spdlog::drop("ops-test");

  std::istringstream lines(out.str());
  std::string first, second;
  ASSERT_TRUE(std::getline(lines, first));
  ASSERT_TRUE(std::getline(lines, second));
  EXPECT_EQ(Json::parse(first)["message"], "first 1");
  EXPECT_EQ(Json::parse(first)["logger"], "ops-test");
  EXPECT_EQ(Json::parse(second)["message"], "second \"quoted\"");
  EXPECT_EQ(Json::parse(second)["level"], "error");
}

}  // namespace
}  // namespace trailsight::ops
