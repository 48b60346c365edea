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

// Returns why librdkafka refuses property `name` set to `value`, as MakeKafkaConf() words it
// ("librdkafka has no such property", "librdkafka refuses the value: it must be true or
// false", ...), never quoting the value; nullopt when librdkafka takes it. Sets it on a
// configuration of its own that is then destroyed: it connects nowhere, but a plugin named by
// plugin.library.paths is loaded, as a client would.
std::optional<std::string> KafkaPropertyRefusal(const std::string& name, const std::string& value);

// Returns the name of every property librdkafka knows (global and topic properties, aliases
// included), in the order of its documentation, for "did you mean" on an unknown one.
std::vector<std::string> KafkaPropertyNames();

// Returns librdkafka's name for `error` followed by its description:
// "NOT_COORDINATOR (Broker: Not coordinator)".
std::string KafkaErrorText(rd_kafka_resp_err_t error);

// Returns whether `consumer`'s group rebalances cooperatively (incremental assign and unassign)
// rather than eagerly. False when librdkafka names no protocol: a handle without a consumer
// group, or one whose group was torn down, which happens inside rd_kafka_consumer_close when a
// rebalance still queued for the application is served after the group left (librdkafka then
// answers NULL, not a name).
bool RebalancesCooperatively(rd_kafka_t* consumer);

}  // namespace trailsight::kafka
