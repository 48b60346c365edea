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

namespace trailsight::alerts {
namespace {

using namespace std::chrono_literals;
using test_support::ConsumedRecord;

constexpr int kPartitions = 3;

struct AdminDeleter {
  void operator()(rd_kafka_NewTopic_t* topic) const { rd_kafka_NewTopic_destroy(topic); }
  void operator()(rd_kafka_queue_t* queue) const { rd_kafka_queue_destroy(queue); }
  void operator()(rd_kafka_event_t* event) const { rd_kafka_event_destroy(event); }
};

std::string Brokers() {
  const char* brokers = std::getenv("KAFKA_BROKERS");
  return brokers == nullptr ? "" : brokers;
}

// Creates `topic` with kPartitions partitions (replication 1) through the admin API.
void CreateTopic(const std::string& brokers, const std::string& topic) {
  std::array<char, 512> why{};
  test_support::TestConf conf(rd_kafka_conf_new());
  ASSERT_EQ(
      rd_kafka_conf_set(conf.get(), "bootstrap.servers", brokers.c_str(), why.data(), why.size()),
      RD_KAFKA_CONF_OK)
      << why.data();
  test_support::TestKafka admin(
      rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), why.data(), why.size()));
  ASSERT_NE(admin, nullptr) << why.data();
  conf.release();
  std::unique_ptr<rd_kafka_NewTopic_t, AdminDeleter> new_topic(
      rd_kafka_NewTopic_new(topic.c_str(), kPartitions, 1, why.data(), why.size()));
  ASSERT_NE(new_topic, nullptr) << why.data();
  std::unique_ptr<rd_kafka_queue_t, AdminDeleter> queue(rd_kafka_queue_new(admin.get()));
  rd_kafka_NewTopic_t* topics[] = {new_topic.get()};
  rd_kafka_CreateTopics(admin.get(), topics, 1, nullptr, queue.get());
  std::unique_ptr<rd_kafka_event_t, AdminDeleter> event(rd_kafka_queue_poll(queue.get(), 30000));
  ASSERT_NE(event, nullptr) << "CreateTopics timed out";
  ASSERT_EQ(rd_kafka_event_error(event.get()), RD_KAFKA_RESP_ERR_NO_ERROR)
      << rd_kafka_event_error_string(event.get());
  std::size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event.get()), &count);
  ASSERT_EQ(count, 1u);
  ASSERT_EQ(rd_kafka_topic_result_error(results[0]), RD_KAFKA_RESP_ERR_NO_ERROR)
      << rd_kafka_topic_result_error_string(results[0]);
}

TEST(KafkaPublisherIntegrationTest, FindingsArriveOnceInOrderPerKeyOnARealBroker) {
  const std::string brokers = Brokers();
  ASSERT_FALSE(brokers.empty()) << "KAFKA_BROKERS is not set: start a broker with "
                                   "scripts/kafka start and export KAFKA_BROKERS=<its address>";
  const std::string topic =
      fmt::format("trailsight-publisher-it-{}-{}", getpid(),
                  std::chrono::system_clock::now().time_since_epoch().count());
  ASSERT_NO_FATAL_FAILURE(CreateTopic(brokers, topic));
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
