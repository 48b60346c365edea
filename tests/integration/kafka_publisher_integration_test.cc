// The Kafka publisher on a real broker (KAFKA_BROKERS): findings reach a fresh 3-partition
// topic as the rendered AWS records, each once, with a Start before its End on every key.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "alerts/insight_ids.h"
#include "alerts/insight_record.h"
#include "alerts/kafka_publisher.h"
#include "tests/alerts/kafka_test_support.h"
#include "tests/consumers/kafka_test_support.h"

namespace trailsight::alerts {
namespace {

using namespace std::chrono_literals;
using test_support::ConsumedRecord;

constexpr int kPartitions = 3;

std::string Brokers() {
  const char* brokers = std::getenv("KAFKA_BROKERS");
  return brokers == nullptr ? "" : brokers;
}

TEST(KafkaPublisherIntegrationTest, FindingsArriveOnceInOrderPerKeyOnARealBroker) {
  const std::string brokers = Brokers();
  ASSERT_FALSE(brokers.empty()) << "KAFKA_BROKERS is not set: start a broker with "
                                   "scripts/kafka start and export KAFKA_BROKERS=<its address>";
  const std::string topic =
      fmt::format("trailsight-publisher-it-{}-{}", getpid(),
                  std::chrono::system_clock::now().time_since_epoch().count());
  ASSERT_NO_FATAL_FAILURE(consumers::kafka_test::CreateTopic(brokers, topic, kPartitions));
  const std::vector<common::Finding> findings = test_support::MakeFindings(20, 5);  // 200
  auto publisher = KafkaFindingPublisher::Create({.brokers = brokers, .topic = topic});
  ASSERT_TRUE(publisher.has_value()) << publisher.error().message;

  const auto started = std::chrono::steady_clock::now();
  for (const auto& finding : findings) ASSERT_TRUE((*publisher)->Publish(finding));
  const common::Status flushed = (*publisher)->Flush();
  const auto took = std::chrono::steady_clock::now() - started;
  const std::vector<ConsumedRecord> records =
      test_support::ReadTopic(brokers, topic, kPartitions, findings.size(), 60s);

  ASSERT_TRUE(flushed) << flushed.error().message;
  EXPECT_EQ((*publisher)->AckedThrough(), findings.size());
  EXPECT_EQ((*publisher)->counters().delivered, findings.size());
  EXPECT_EQ((*publisher)->counters().retries, 0u);
  ASSERT_EQ(records.size(), findings.size());  // idempotent and no failures: exactly once
  std::map<std::string, std::vector<std::string>> published_ids_by_key;
  std::map<std::string, const common::Finding*> by_id;
  for (const auto& finding : findings) {
    const std::string id = DeriveInsightIds(finding).event_id;
    by_id[id] = &finding;
    published_ids_by_key[fmt::format("{}/{}/{}/{}", finding.key.account, finding.key.region,
                                     finding.key.event_source, finding.key.event_name)]
        .push_back(id);
  }
  std::map<std::string, std::vector<std::string>> consumed_ids_by_key;
  std::map<std::string, std::set<int>> partitions_by_key;
  for (const auto& record : records) {
    ASSERT_TRUE(by_id.contains(record.event_id)) << record.value;
    EXPECT_EQ(record.value, RenderInsightLine(*by_id.at(record.event_id)));
    EXPECT_EQ(record.state, InsightStateName(by_id.at(record.event_id)->state));
    consumed_ids_by_key[record.key].push_back(record.event_id);  // offset order
    partitions_by_key[record.key].insert(record.partition);
  }
  EXPECT_EQ(consumed_ids_by_key, published_ids_by_key);  // Start, End, Start, End... per key
  std::set<int> partitions_used;
  for (const auto& [key, partitions] : partitions_by_key) {
    EXPECT_EQ(partitions.size(), 1u) << key;
    partitions_used.insert(partitions.begin(), partitions.end());
  }
  EXPECT_GT(partitions_used.size(), 1u);  // 20 keys spread over the 3 partitions
  std::cout << "published and acknowledged " << findings.size() << " findings in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms\n";
}

}  // namespace
}  // namespace trailsight::alerts
