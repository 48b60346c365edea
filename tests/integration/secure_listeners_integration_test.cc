// The Kafka service end to end over the test broker's secured listeners (scripts/kafka env):
// SASL_SSL and mutual TLS. Every client the service has (the input consumer, the repartition
// and changelog producers and readers, the global table, the admin client, the insight and
// alert publishers, the dead letters) talks only to the secured listener: the configured
// bootstrap address is the only one, and the broker advertises that listener's address on it.
// A wrong password and an untrusted certificate stop the service with one error that names
// the listener, and no secret shows in its log, its errors or its metrics. SCRAM runs on the
// Kafka 3.9 broker beside the 4.x one (KAFKA39_*): Debian's librdkafka cannot do SCRAM with 4.x.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/service_process.h"
#include "tests/support/files.h"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Json = nlohmann::json;
using trailsight::test_support::CheckpointedRekeyed;
using trailsight::test_support::ReadFile;
using trailsight::test_support::ReadLines;
using trailsight::test_support::Shell;
using trailsight::test_support::WaitFor;
using trailsight::test_support::WriteLines;
using Service = trailsight::test_support::ServiceProcess;

const fs::path kBinary = TRAILSIGHT_BINARY;

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

// A password no broker knows, passed in line: it must show nowhere.
constexpr std::string_view kWrongPassword = "wrong-Pa55word-hunter2";
// The environment variable that carries the SASL password in the SASL_SSL run.
constexpr const char* kPasswordVariable = "TRAILSIGHT_TEST_SASL_PASSWORD";

class SecureListenersIntegrationTest : public ::testing::Test {
 protected:
  // A generated week with one StopLogging record and one message that is not a record, and
  // what `trailsight replay` finds in it.
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / fmt::format("trailsight-secure-{}", ::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_EQ(
        Shell(fmt::format("'{}' generate --format jsonl --out '{}' --seed 1 --days 7 2>/dev/null",
                          kBinary.string(), (dir_ / "week.jsonl").string())),
        0);
    ASSERT_EQ(Shell(fmt::format("'{}' replay '{}' --insights-out '{}' --dead-letter-out "
                                "/dev/null 2>/dev/null",
                                kBinary.string(), (dir_ / "week.jsonl").string(),
                                (dir_ / "expected.jsonl").string())),
              0);
    messages_ = new std::vector<std::string>(ReadLines(dir_ / "week.jsonl"));
    const auto middle = messages_->begin() + static_cast<std::ptrdiff_t>(messages_->size() / 2);
    const auto inserted = messages_->insert(
        middle,
        R"({"eventTime":"2026-11-05T12:00:00Z","eventSource":"cloudtrail.amazonaws.com",)"
        R"("eventName":"StopLogging","awsRegion":"us-east-1","recipientAccountId":"111122223333",)"
        R"("userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory",)"
        R"("accountId":"111122223333"},"requestParameters":{"name":"org-trail"}})");
    messages_->insert(inserted + 1, "this is not a record");
  }
  static void TearDownTestSuite() {
    delete messages_;
    fs::remove_all(dir_);
  }

  void SetUp() override { UseBroker("KAFKA_"); }

  // Uses the broker whose `scripts/kafka env` variables start with `prefix`.
  void UseBroker(const std::string& prefix) {
    plaintext_ = Env((prefix + "BROKERS").c_str());
    sasl_ssl_ = Env((prefix + "SASL_SSL_BROKERS").c_str());
    mtls_ = Env((prefix + "MTLS_BROKERS").c_str());
    tls_ = Env((prefix + "TLS_DIR").c_str());
    ASSERT_FALSE(plaintext_.empty() || tls_.empty())
        << prefix << "BROKERS and " << prefix
        << "TLS_DIR are not set: start the broker with scripts/kafka start and eval "
           "\"$(scripts/kafka env)\" (scripts/test does, for KAFKA_ and KAFKA39_)";
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    name_ = fmt::format("{}-{}", info->name(), ::getpid());
    // Made on the plaintext listener: the topic the pipeline feeds, as an operator would, with
    // several partitions, so the input is re-keyed and read in step across them. At the end of
    // the backlog each partition whose records end first holds the rest for the partition idle
    // timeout (10 s here).
    const trailsight::common::Status created =
        trailsight::test_support::CreateTopic(plaintext_, Topic("in"), 3);
    ASSERT_TRUE(created) << created.error().message;
  }

  std::string Topic(std::string_view role) const { return fmt::format("{}-{}", name_, role); }
  std::string Password() const { return ReadLines(tls_ / "scram-password").at(0); }

  // The service's config: `brokers` is the only bootstrap address; `properties` the YAML flow
  // map of its kafka.properties.
  fs::path Config(const std::string& brokers, const std::string& properties) const {
    const fs::path path = dir_ / (name_ + ".yaml");
    std::ofstream(path) << fmt::format(
        "kafka:\n  brokers: {}\n  group_id: {}\n  topics: [{}]\n  insights_topic: {}\n"
        "  alerts_topic: {}\n  dead_letter_topic: {}\n  idle_after_seconds: 3600\n"
        "  partition_idle_timeout_seconds: 10\n"
        "  properties: {{{}}}\n"
        "state:\n  dir: {}\n  snapshot_interval_seconds: 1\n"
        "input:\n  dead_letter_path: {}\n"
        "metrics:\n  bind: 127.0.0.1:0\n",
        brokers, Topic("group"), Topic("in"), Topic("insights"), Topic("alerts"), Topic("dead"),
        properties, (dir_ / (name_ + "-state")).string(),
        (dir_ / (name_ + "-dead-letters.jsonl")).string());
    return path;
  }

  // Every message of `topic`, read on the plaintext listener.
  std::vector<std::string> Consume(const std::string& topic) const {
    const fs::path out = dir_ / (topic + ".consumed");
    Shell(fmt::format("kcat -C -b '{}' -t '{}' -e -q -f '%s\\n' > '{}' 2>/dev/null", plaintext_,
                      topic, out.string()));
    return ReadLines(out);
  }

  // The service's /metrics once it serves them ("" if it never does).
  static std::string ScrapeMetrics(const Service& service) {
    httplib::Client client("127.0.0.1", trailsight::test_support::MetricsPort(service));
    client.set_connection_timeout(5);
    httplib::Result response = client.Get("/metrics");
    return response && response->status == 200 ? response->body : "";
  }

  // Runs the whole week through a service on `brokers` with `properties`, and checks what a
  // subscriber finds: replay's insights, the StopLogging alert, the dead letter, every record
  // re-keyed and checkpointed. Returns the service's log and metrics.
  std::string RunTheWeek(const std::string& brokers, const std::string& properties) {
    const fs::path input = dir_ / (name_ + ".messages");
    WriteLines(input, *messages_);
    EXPECT_EQ(Shell(fmt::format("kcat -P -b '{}' -t '{}' -l '{}'", plaintext_, Topic("in"),
                                input.string())),
              0);
    Service service(Config(brokers, properties), dir_ / (name_ + ".log"));
    const std::vector<std::string> expected = ReadLines(dir_ / "expected.jsonl");
    EXPECT_TRUE(WaitFor(
        [&] {
          return CheckpointedRekeyed(dir_ / (name_ + "-state"), plaintext_,
                                     Topic("group") + "-repartition",
                                     static_cast<std::int64_t>(messages_->size() - 1));
        },
        180s))
        << service.Log();
    const std::string metrics = ScrapeMetrics(service);
    EXPECT_NE(metrics.find("trailsight_events_in_total"), std::string::npos) << metrics;
    EXPECT_EQ(service.Stop(), 0) << service.Log();

    std::vector<std::string> insights = Consume(Topic("insights"));
    std::vector<std::string> sorted_expected = expected;
    std::sort(insights.begin(), insights.end());
    std::sort(sorted_expected.begin(), sorted_expected.end());
    EXPECT_EQ(insights, sorted_expected);
    std::vector<std::string> rules;
    for (const std::string& line : Consume(Topic("alerts"))) {
      const std::string analytic = Json::parse(line)["finding_info"]["analytic"]["name"];
      if (analytic != "ApiCallRateInsight") rules.push_back(analytic);
    }
    EXPECT_EQ(rules, std::vector<std::string>{"cloudtrail.StopLogging"});
    EXPECT_EQ(Consume(Topic("dead")), std::vector<std::string>{"this is not a record"});
    return service.Log() + metrics;
  }

  // Runs a service that the broker refuses; returns its log after it exits, which it must do
  // with a failure status, on its own.
  std::string RunRefused(const std::string& brokers, const std::string& properties) {
    Service service(Config(brokers, properties), dir_ / (name_ + ".log"));
    std::optional<int> status;
    EXPECT_TRUE(WaitFor(
        [&] {
          status = service.ExitedWith();
          return status.has_value();
        },
        60s))
        << "still running after a minute:\n"
        << service.Log();
    EXPECT_NE(status.value_or(0), 0) << service.Log();
    return service.Log();
  }

  static inline fs::path dir_;
  static inline std::vector<std::string>* messages_ = nullptr;
  std::string plaintext_;  // the broker's listeners (scripts/kafka env)
  std::string sasl_ssl_;
  std::string mtls_;
  fs::path tls_;  // its CA, certificates and passwords
  std::string name_;
};

// The same on the Kafka 3.9 broker, for SCRAM.
class ScramListenerIntegrationTest : public SecureListenersIntegrationTest {
 protected:
  void SetUp() override { UseBroker("KAFKA39_"); }

  std::string ScramProperties(const std::string& password) const {
    return fmt::format(
        "security.protocol: sasl_ssl, sasl.mechanisms: SCRAM-SHA-512, sasl.username: "
        "trailsight, sasl.password: '{}', ssl.ca.location: {}",
        password, (tls_ / "ca.pem").string());
  }
};

// The lines of `log` at level error or critical ("2026-12-04T16:38:59.437 error run: ...").
std::vector<std::string> ErrorLines(const std::string& log) {
  std::vector<std::string> errors;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    if (std::regex_search(line, std::regex(R"(^\S+ (error|critical) )"))) errors.push_back(line);
  }
  return errors;
}

TEST_F(SecureListenersIntegrationTest, TheServiceRunsOverSaslSslAndShowsNoSecret) {
  // The password from the environment; a key password (unused without a client key, but
  // checked and kept by librdkafka) from a file.
  ::setenv(kPasswordVariable, Password().c_str(), 1);  // the child inherits it
  const std::string key_password = ReadLines(tls_ / "keystore-password").at(0);
  const std::string seen = RunTheWeek(
      sasl_ssl_, fmt::format("security.protocol: sasl_ssl, sasl.mechanisms: PLAIN, sasl.username: "
                             "trailsight, sasl.password: '${{env:{}}}', ssl.ca.location: {}, "
                             "ssl.key.password: '${{file:{}}}'",
                             kPasswordVariable, (tls_ / "ca.pem").string(),
                             (tls_ / "keystore-password").string()));
  ::unsetenv(kPasswordVariable);
  EXPECT_EQ(seen.find(Password()), std::string::npos) << "the password shows in the log";
  EXPECT_EQ(seen.find(key_password), std::string::npos) << "the key password shows in the log";
}

TEST_F(SecureListenersIntegrationTest, TheServiceRunsOverMutualTls) {
  RunTheWeek(mtls_,
             fmt::format("security.protocol: ssl, ssl.ca.location: {}, ssl.certificate.location: "
                         "{}, ssl.key.location: {}",
                         (tls_ / "ca.pem").string(), (tls_ / "client.pem").string(),
                         (tls_ / "client.key").string()));
}

TEST_F(SecureListenersIntegrationTest, AWrongPasswordStopsTheServiceWithOneErrorAndNoSecret) {
  const std::string log = RunRefused(
      sasl_ssl_, fmt::format("security.protocol: sasl_ssl, sasl.mechanisms: PLAIN, "
                             "sasl.username: trailsight, sasl.password: '{}', ssl.ca.location: {}",
                             kWrongPassword, (tls_ / "ca.pem").string()));
  const std::vector<std::string> errors = ErrorLines(log);
  ASSERT_EQ(errors.size(), 1u) << log;
  EXPECT_NE(errors[0].find("sasl_ssl://" + sasl_ssl_), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("SASL authentication error"), std::string::npos) << errors[0];
  EXPECT_EQ(log.find(kWrongPassword), std::string::npos) << log;
  EXPECT_EQ(log.find(Password()), std::string::npos) << log;
}

TEST_F(SecureListenersIntegrationTest, AnUntrustedCertificateStopsTheServiceWithOneError) {
  const std::string log = RunRefused(
      mtls_,
      fmt::format("security.protocol: ssl, ssl.ca.location: {}, ssl.certificate.location: {}, "
                  "ssl.key.location: {}",
                  (tls_ / "ca.pem").string(), (tls_ / "untrusted-client.pem").string(),
                  (tls_ / "untrusted-client.key").string()));
  const std::vector<std::string> errors = ErrorLines(log);
  ASSERT_EQ(errors.size(), 1u) << log;
  EXPECT_NE(errors[0].find("ssl://" + mtls_), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("certificate"), std::string::npos) << errors[0];
}

TEST_F(SecureListenersIntegrationTest, ABrokerCertificateNotSignedByTheTrustedCaStopsTheService) {
  // The client trusts only the other CA: the broker's certificate fails verification.
  const std::string log = RunRefused(
      mtls_,
      fmt::format("security.protocol: ssl, ssl.ca.location: {}, ssl.certificate.location: {}, "
                  "ssl.key.location: {}",
                  (tls_ / "untrusted-ca.pem").string(), (tls_ / "client.pem").string(),
                  (tls_ / "client.key").string()));
  const std::vector<std::string> errors = ErrorLines(log);
  ASSERT_EQ(errors.size(), 1u) << log;
  EXPECT_NE(errors[0].find("ssl://" + mtls_), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("certificate verify failed"), std::string::npos) << errors[0];
}

TEST_F(SecureListenersIntegrationTest, ScramToThisBrokerNamesWhatThisLibrdkafkaCannotDo) {
  const std::string properties = fmt::format(
      "security.protocol: sasl_ssl, sasl.mechanisms: SCRAM-SHA-512, sasl.username: trailsight, "
      "sasl.password: '${{file:{}}}', ssl.ca.location: {}",
      (tls_ / "scram-password").string(), (tls_ / "ca.pem").string());
  if (rd_kafka_version() >= 0x020601ff) {  // librdkafka 2.6.1 and later: SCRAM works with Kafka 4
    RunTheWeek(sasl_ssl_, properties);
    return;
  }
  const std::string log = RunRefused(sasl_ssl_, properties);
  const std::vector<std::string> errors = ErrorLines(log);
  ASSERT_EQ(errors.size(), 1u) << log;
  EXPECT_NE(errors[0].find("fixed in librdkafka 2.6.1"), std::string::npos) << errors[0];
  EXPECT_EQ(log.find(Password()), std::string::npos) << log;
}

TEST_F(ScramListenerIntegrationTest, TheServiceRunsOverSaslSslWithScramAndShowsNoSecret) {
  const std::string seen = RunTheWeek(
      sasl_ssl_, ScramProperties(fmt::format("${{file:{}}}", (tls_ / "scram-password").string())));
  EXPECT_EQ(seen.find(Password()), std::string::npos) << "the password shows in the log";
}

TEST_F(ScramListenerIntegrationTest, AWrongScramPasswordStopsTheServiceWithOneErrorAndNoSecret) {
  const std::string log = RunRefused(sasl_ssl_, ScramProperties(std::string(kWrongPassword)));
  const std::vector<std::string> errors = ErrorLines(log);
  ASSERT_EQ(errors.size(), 1u) << log;
  EXPECT_NE(errors[0].find("sasl_ssl://" + sasl_ssl_), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("invalid credentials with SASL mechanism SCRAM-SHA-512"),
            std::string::npos)
      << errors[0];
  if (rd_kafka_version() < 0x020601ff) {  // the hint names both causes
    EXPECT_NE(errors[0].find("on older brokers, check the user name and password"),
              std::string::npos)
        << errors[0];
  }
  EXPECT_EQ(log.find(kWrongPassword), std::string::npos) << log;
  EXPECT_EQ(log.find(Password()), std::string::npos) << log;
}

}  // namespace
