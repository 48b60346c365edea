#include "kafka/broker_refusal.h"

#include <fmt/format.h>

namespace trailsight::kafka {
namespace {

// librdkafka 2.6.1 (0x020601ff) stopped repeating its nonce in the SCRAM client-final message,
// which Kafka 4.x brokers check as RFC 5802 says.
constexpr int kScramFixedVersion = 0x020601ff;

bool Mentions(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

}  // namespace

bool DescribesBrokerRefusal(std::string_view text) {
  // A TLS alert from the broker arrives as a failed receive: "Receive failed:
  // error:0A000416:SSL routines::sslv3 alert certificate unknown".
  return Mentions(text, "SASL authentication error") || Mentions(text, "SSL handshake failed") ||
         Mentions(text, "SSL routines");
}

bool IsBrokerRefusal(rd_kafka_resp_err_t error, std::string_view reason) {
  switch (error) {
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR__SSL:
      return true;
    case RD_KAFKA_RESP_ERR__TRANSPORT:
      return DescribesBrokerRefusal(reason);
    default:
      return false;
  }
}

std::string BrokerRefusalText(std::string_view reason) {
  std::string text(reason);
  if (Mentions(reason, "SCRAM") && rd_kafka_version() < kScramFixedVersion) {
    text += fmt::format(
        "; if the broker runs Kafka 4.x, librdkafka {} cannot authenticate to it with SCRAM, "
        "whatever the password (fixed in librdkafka 2.6.1): use a TLS client certificate or "
        "SASL/PLAIN there; on older brokers, check the user name and password",
        rd_kafka_version_str());
  }
  return text;
}

}  // namespace trailsight::kafka
