// IsBrokerRefusal and BrokerRefusalText, on librdkafka's own words for the refusals the test
// broker's secured listeners give (tests/integration/secure_listeners_integration_test.cc runs
// them for real).
#include "kafka/broker_refusal.h"

#include <gtest/gtest.h>

#include <string>

namespace trailsight::kafka {
namespace {

constexpr const char* kWrongPassword =
    "sasl_ssl://127.0.0.1:19094/bootstrap: SASL authentication error: Authentication failed: "
    "Invalid username or password (after 302ms in state AUTH_REQ)";
constexpr const char* kScram =
    "sasl_ssl://127.0.0.1:19094/bootstrap: SASL authentication error: Authentication failed "
    "during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512 (after "
    "356ms in state AUTH_REQ)";
constexpr const char* kUntrustedClient =
    "ssl://127.0.0.1:19095/bootstrap: Receive failed: error:0A000416:SSL routines::sslv3 alert "
    "certificate unknown: SSL alert number 46 (after 0ms in state APIVERSION_QUERY)";
constexpr const char* kUntrustedBroker =
    "ssl://127.0.0.1:19095/bootstrap: SSL handshake failed: error:0A000086:SSL "
    "routines::certificate verify failed: broker certificate could not be verified";

TEST(BrokerRefusalTest, CredentialsAndCertificatesRefusedAreRefusals) {
  EXPECT_TRUE(IsBrokerRefusal(RD_KAFKA_RESP_ERR__AUTHENTICATION, kWrongPassword));
  EXPECT_TRUE(IsBrokerRefusal(RD_KAFKA_RESP_ERR__AUTHENTICATION, kScram));
  EXPECT_TRUE(IsBrokerRefusal(RD_KAFKA_RESP_ERR__TRANSPORT, kUntrustedClient));
  EXPECT_TRUE(IsBrokerRefusal(RD_KAFKA_RESP_ERR__SSL, kUntrustedBroker));
}

TEST(BrokerRefusalTest, AnOutageIsNoRefusal) {
  EXPECT_FALSE(IsBrokerRefusal(RD_KAFKA_RESP_ERR__TRANSPORT,
                               "127.0.0.1:19092/bootstrap: Connect to ipv4#127.0.0.1:19092 failed: "
                               "Connection refused (after 0ms in state CONNECT)"));
  EXPECT_FALSE(IsBrokerRefusal(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, "1/1 brokers are down"));
  EXPECT_FALSE(DescribesBrokerRefusal("127.0.0.1:19092/1: Disconnected (after 10ms)"));
}

TEST(BrokerRefusalTest, TheTextIsLibrdkafkasWithAHintWhereThisBuildCannotScram) {
  EXPECT_EQ(BrokerRefusalText(kWrongPassword), kWrongPassword);
  const std::string scram = BrokerRefusalText(kScram);
  EXPECT_TRUE(scram.starts_with(kScram)) << scram;
  if (rd_kafka_version() < 0x020601ff) {
    EXPECT_NE(scram.find("fixed in librdkafka 2.6.1"), std::string::npos) << scram;
  } else {
    EXPECT_EQ(scram, kScram);
  }
}

}  // namespace
}  // namespace trailsight::kafka
