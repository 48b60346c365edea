#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "kafka/handles.h"

namespace trailsight::kafka {

// librdkafka properties in the order they are applied; later ones win.
using KafkaProperties = std::vector<std::pair<std::string, std::string>>;

// Builds a librdkafka configuration: `defaults` first, then `overrides` (the operator's
// "kafka.properties", which may replace any default). librdkafka's own log lines go to spdlog
// ("kafka <client>: ..."), at most a few per 10 s per process, with a count of those
// suppressed, because a broker outage makes librdkafka log every reconnect attempt.
// Fails with kInvalidConfig naming the property librdkafka rejected and why, in words that
// never hold its value (it may be a secret), nor librdkafka's own text, which may quote it:
// "kafka property security.protocol: librdkafka refuses the value (allowed: plaintext, ssl,
// sasl_plaintext, sasl_ssl)".
common::Result<KafkaConf> MakeKafkaConf(const KafkaProperties& defaults,
                                        const std::map<std::string, std::string>& overrides);

// Returns librdkafka's name for `error` followed by its description:
// "NOT_COORDINATOR (Broker: Not coordinator)".
std::string KafkaErrorText(rd_kafka_resp_err_t error);

}  // namespace trailsight::kafka
