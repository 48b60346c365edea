#include "kafka/config.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <chrono>

#include "common/rate_limiter.h"

namespace trailsight::kafka {
namespace {

using common::Error;
using common::ErrorCode;

constexpr std::size_t kLogBurst = 20;
constexpr std::chrono::seconds kLogPeriod{10};

// Routes librdkafka's log lines (syslog levels) to spdlog, rate-limited except for debug
// lines, which librdkafka writes only when the operator asked for them with the "debug"
// property: they are logged at info level, all of them, so that they show.
// Called on librdkafka's internal threads.
void LogToSpdlog(const rd_kafka_t* handle, int level, const char* facility, const char* text) {
  static common::RateLimiter limiter(kLogBurst, kLogPeriod);
  const char* client = handle != nullptr ? rd_kafka_name(handle) : "?";
  if (level >= 7) {
    spdlog::info("kafka {}: {}: {}", client, facility, text);
    return;
  }
  std::uint64_t suppressed = 0;
  if (!limiter.Allow(suppressed)) return;
  const spdlog::level::level_enum spd_level = level <= 3   ? spdlog::level::err
                                              : level == 4 ? spdlog::level::warn
                                                           : spdlog::level::info;
  if (suppressed > 0) {
    spdlog::log(spd_level, "kafka {}: {}: {} ({} earlier librdkafka log lines suppressed)", client,
                facility, text, suppressed);
  } else {
    spdlog::log(spd_level, "kafka {}: {}: {}", client, facility, text);
  }
}

constexpr std::string_view kHidden = "(value hidden)";

common::Status Set(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  std::array<char, 512> reason{};
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), reason.data(), reason.size()) !=
      RD_KAFKA_CONF_OK) {
    // The value may be a secret (sasl.password, a JAAS line): it is named nowhere, not even
    // inside librdkafka's reason.
    std::string why(reason.data());
    if (!value.empty()) {
      for (std::size_t at = why.find(value); at != std::string::npos;
           at = why.find(value, at + kHidden.size())) {
        why.replace(at, value.size(), kHidden);
      }
    }
    return Error{ErrorCode::kInvalidConfig, fmt::format("kafka property {}: {}", name, why)};
  }
  return common::Ok();
}

}  // namespace

common::Result<KafkaConf> MakeKafkaConf(const KafkaProperties& defaults,
                                        const std::map<std::string, std::string>& overrides) {
  KafkaConf conf(rd_kafka_conf_new());
  rd_kafka_conf_set_log_cb(conf.get(), LogToSpdlog);
  for (const auto& [name, value] : defaults) {
    if (common::Status status = Set(conf.get(), name, value); !status) return status.error();
  }
  for (const auto& [name, value] : overrides) {
    if (common::Status status = Set(conf.get(), name, value); !status) return status.error();
  }
  return conf;
}

std::string KafkaErrorText(rd_kafka_resp_err_t error) {
  return fmt::format("{} ({})", rd_kafka_err2name(error), rd_kafka_err2str(error));
}

}  // namespace trailsight::kafka
