#pragma once

#include <librdkafka/rdkafka.h>

#include <string>
#include <string_view>

namespace trailsight::kafka {

// Whether an error a client reported to its error callback says that a broker refused this
// client's credentials or certificate: SASL authentication failed, or the TLS handshake failed
// (a broker certificate the client does not trust, or an alert from the broker about the
// client's). Such a failure is a setting to correct, not an outage to wait out: librdkafka
// retries it forever.
bool IsBrokerRefusal(rd_kafka_resp_err_t error, std::string_view reason);

// Whether librdkafka's text of a failure (an error's reason, or its log line of a failed
// connection) describes such a refusal, whatever its error code.
bool DescribesBrokerRefusal(std::string_view text);

// The words to show for a refusal: librdkafka's reason, which names the listener
// ("sasl_ssl://10.0.0.1:9096/bootstrap: SASL authentication error: ... invalid credentials
// with SASL mechanism SCRAM-SHA-512") and never a password, a key or a property value, and a
// hint where this librdkafka is known to fail: before 2.6.1 its SCRAM is refused by every
// Kafka 4.x broker, whatever the password (3.x brokers take it: there, a refusal is the
// credentials).
std::string BrokerRefusalText(std::string_view reason);

}  // namespace trailsight::kafka
