#include "kafka/config.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "common/rate_limiter.h"
#include "kafka/broker_refusal.h"

namespace trailsight::kafka {
namespace {

using common::Error;
using common::ErrorCode;

constexpr std::size_t kLogBurst = 20;
constexpr std::chrono::seconds kLogPeriod{10};

// Routes librdkafka's log lines (syslog levels) to spdlog, rate-limited except for debug
// lines, which librdkafka writes only when the operator asked for them with the "debug"
// property: they are logged at info level, all of them, so that they show.
// A broker's refusal of the client (kafka/broker_refusal.h) is a warning here: the client that
// met it reports it as its error, once, in its own words.
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
  const bool refusal = DescribesBrokerRefusal(text);
  const spdlog::level::level_enum spd_level = level <= 3 && !refusal ? spdlog::level::err
                                              : level <= 4           ? spdlog::level::warn
                                                                     : spdlog::level::info;
  if (suppressed > 0) {
    spdlog::log(spd_level, "kafka {}: {}: {} ({} earlier librdkafka log lines suppressed)", client,
                facility, text, suppressed);
  } else {
    spdlog::log(spd_level, "kafka {}: {}: {}", client, facility, text);
  }
}

// What librdkafka's table of properties says of one: its name and the values it takes.
struct PropertyFacts {
  std::string name;
  std::string range;  // "0 .. 900000", "plaintext, ssl, ...", "true, false"; may be empty
};

// Returns `text` without leading and trailing spaces.
std::string_view Trim(std::string_view text) {
  const std::size_t begin = text.find_first_not_of(' ');
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(' ') - begin + 1);
}

// Reads librdkafka's table of properties (rd_kafka_conf_properties_show(), the Markdown of
// its CONFIGURATION.md: "name | C/P | range | default | importance | description"), global
// and topic properties, aliases included. Empty if the table cannot be captured.
std::vector<PropertyFacts> ReadPropertyTable() {
  char* buffer = nullptr;
  std::size_t size = 0;
  FILE* stream = open_memstream(&buffer, &size);
  if (stream == nullptr) return {};
  rd_kafka_conf_properties_show(stream);
  std::fclose(stream);
  const std::string table(buffer, size);
  std::free(buffer);

  std::vector<PropertyFacts> facts;
  std::size_t begin = 0;
  while (begin < table.size()) {
    const std::size_t end = std::min(table.find('\n', begin), table.size());
    const std::string_view line = std::string_view(table).substr(begin, end - begin);
    begin = end + 1;
    // The first column and the third; a line with fewer is no row of the table.
    const std::size_t first = line.find('|');
    if (first == std::string_view::npos) continue;
    const std::size_t second = line.find('|', first + 1);
    if (second == std::string_view::npos) continue;
    const std::size_t third = line.find('|', second + 1);
    if (third == std::string_view::npos) continue;
    const std::string_view name = Trim(line.substr(0, first));
    // The header ("Property") and the rule under it ("-----") are not names.
    if (name.empty() || name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789._") !=
                            std::string_view::npos) {
      continue;
    }
    facts.push_back(
        {std::string(name), std::string(Trim(line.substr(second + 1, third - second - 1)))});
  }
  return facts;
}

// librdkafka's table, read once per process.
const std::vector<PropertyFacts>& PropertyTable() {
  static const std::vector<PropertyFacts> table = ReadPropertyTable();
  return table;
}

// Returns the values librdkafka's table gives for property `name`, empty when it gives none.
std::string_view RangeOf(std::string_view name) {
  for (const PropertyFacts& facts : PropertyTable()) {
    if (facts.name == name) return facts.range;
  }
  return {};
}

// Returns why librdkafka refused property `name`, in words of our own. librdkafka's text is
// never shown: it may quote the value (`Invalid value "..."`, a dlopen() error naming a
// file), which may be a secret (sasl.password, a JAAS line), and a long value cut off at the
// end of the buffer would escape any search for it. Only its shape is looked at, and the
// bounds of an allowed range, which come from librdkafka's table.
std::string RefusalReason(std::string_view name, rd_kafka_conf_res_t result,
                          std::string_view librdkafka_text) {
  if (result == RD_KAFKA_CONF_UNKNOWN) return "librdkafka has no such property";
  if (librdkafka_text.starts_with("Expected bool value")) {
    return "librdkafka refuses the value: it must be true or false";
  }
  if (librdkafka_text.find("not supported in this build") != std::string_view::npos) {
    return "this build of librdkafka does not support it";
  }
  if (librdkafka_text.find("must be set through dedicated") != std::string_view::npos ||
      librdkafka_text.starts_with("Internal property")) {
    return "librdkafka takes it from the program only, never as a property";
  }
  std::string reason = "librdkafka refuses the value";
  if (const std::string_view range = RangeOf(name); !range.empty()) {
    reason += fmt::format(" (allowed: {})", range);
  }
  return reason;
}

// Sets one property; on refusal returns the reason, which never holds the value.
std::optional<std::string> Set(rd_kafka_conf_t* conf, const std::string& name,
                               const std::string& value) {
  std::array<char, 512> text{};
  const rd_kafka_conf_res_t result =
      rd_kafka_conf_set(conf, name.c_str(), value.c_str(), text.data(), text.size());
  if (result == RD_KAFKA_CONF_OK) return std::nullopt;
  return RefusalReason(name, result, text.data());
}

}  // namespace

common::Result<KafkaConf> MakeKafkaConf(const KafkaProperties& defaults,
                                        const std::map<std::string, std::string>& overrides) {
  KafkaConf conf(rd_kafka_conf_new());
  rd_kafka_conf_set_log_cb(conf.get(), LogToSpdlog);
  auto refused = [](const std::string& name, const std::string& reason) {
    return Error{ErrorCode::kInvalidConfig, fmt::format("kafka property {}: {}", name, reason)};
  };
  for (const auto& [name, value] : defaults) {
    if (std::optional<std::string> reason = Set(conf.get(), name, value)) {
      return refused(name, *reason);
    }
  }
  for (const auto& [name, value] : overrides) {
    if (std::optional<std::string> reason = Set(conf.get(), name, value)) {
      return refused(name, *reason);
    }
  }
  return conf;
}

std::optional<std::string> KafkaPropertyRefusal(const std::string& name, const std::string& value) {
  const KafkaConf conf(rd_kafka_conf_new());
  return Set(conf.get(), name, value);
}

std::vector<std::string> KafkaPropertyNames() {
  std::vector<std::string> names;
  for (const PropertyFacts& facts : PropertyTable()) {
    if (std::find(names.begin(), names.end(), facts.name) == names.end()) {
      names.push_back(facts.name);
    }
  }
  return names;
}

std::string KafkaErrorText(rd_kafka_resp_err_t error) {
  return fmt::format("{} ({})", rd_kafka_err2name(error), rd_kafka_err2str(error));
}

bool RebalancesCooperatively(rd_kafka_t* consumer) {
  const char* protocol = rd_kafka_rebalance_protocol(consumer);
  return protocol != nullptr && std::string_view(protocol) == "COOPERATIVE";
}

}  // namespace trailsight::kafka
