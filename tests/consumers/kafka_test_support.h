#pragma once

// Helpers for tests of KafkaSource, against librdkafka's mock cluster (unit) or a real broker
// (integration): a plain producer, a plain reader of a whole topic, a recording rebalance
// listener, and message builders for the three payload shapes.

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "consumers/kafka_source.h"
#include "kafka/handles.h"
#include "tests/consumers/test_inputs.h"

namespace trailsight::consumers::kafka_test {

using namespace std::chrono_literals;

// A name no other test run uses: `prefix`, the process id and a counter.
inline std::string UniqueName(std::string_view prefix) {
  static std::atomic<int> counter{0};
  return test_support::Cat(
      prefix, "-", std::to_string(::getpid()), "-", std::to_string(counter.fetch_add(1)), "-",
      std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
}

inline kafka::KafkaConf Conf(const std::map<std::string, std::string>& properties) {
  kafka::KafkaConf conf(rd_kafka_conf_new());
  std::array<char, 512> reason{};
  for (const auto& [name, value] : properties) {
    EXPECT_EQ(
        rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), reason.data(), reason.size()),
        RD_KAFKA_CONF_OK)
        << name << ": " << reason.data();
  }
  return conf;
}

// A plain producer for test input.
class Producer {
 public:
  explicit Producer(const std::string& brokers) {
    kafka::KafkaConf conf = Conf({{"bootstrap.servers", brokers}, {"linger.ms", "5"}});
    std::array<char, 512> reason{};
    handle_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), reason.data(), reason.size()));
    EXPECT_NE(handle_, nullptr) << reason.data();
    if (handle_ != nullptr) (void)conf.release();
  }
  ~Producer() { Flush(); }

  // Queues `payload` for `partition` of `topic` (RD_KAFKA_PARTITION_UA: any partition).
  void Send(const std::string& topic, std::int32_t partition, std::string_view payload) {
    std::array<rd_kafka_vu_t, 4> vus{};
    vus[0].vtype = RD_KAFKA_VTYPE_TOPIC;
    vus[0].u.cstr = topic.c_str();
    vus[1].vtype = RD_KAFKA_VTYPE_PARTITION;
    vus[1].u.i32 = partition;
    vus[2].vtype = RD_KAFKA_VTYPE_VALUE;
    vus[2].u.mem = {const_cast<char*>(payload.data()), payload.size()};
    vus[3].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    vus[3].u.i = RD_KAFKA_MSG_F_COPY;
    kafka::KafkaError error(rd_kafka_produceva(handle_.get(), vus.data(), vus.size()));
    EXPECT_EQ(error, nullptr) << (error ? rd_kafka_error_string(error.get()) : "");
  }

  // Waits until everything queued is delivered.
  void Flush() {
    if (handle_ != nullptr) {
      EXPECT_EQ(rd_kafka_flush(handle_.get(), 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
    }
  }

  rd_kafka_t* get() const { return handle_.get(); }

 private:
  kafka::KafkaHandle handle_;
};

// Waits until `client`'s metadata requests show `topic` with its partitions: a new topic reaches
// the brokers' metadata a little after CreateTopics has answered, and until then a broker that
// does not create topics on first use calls it unknown.
inline void WaitForTopic(rd_kafka_t* client, const std::string& topic) {
  using Metadata = std::unique_ptr<const rd_kafka_metadata_t, void (*)(const rd_kafka_metadata_t*)>;
  kafka::KafkaTopic handle(rd_kafka_topic_new(client, topic.c_str(), nullptr));
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (true) {
    const rd_kafka_metadata_t* raw = nullptr;
    const rd_kafka_resp_err_t error = rd_kafka_metadata(client, 0, handle.get(), &raw, 5000);
    const Metadata metadata(raw, rd_kafka_metadata_destroy);
    if (error == RD_KAFKA_RESP_ERR_NO_ERROR && metadata->topic_cnt == 1 &&
        metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
        metadata->topics[0].partition_cnt > 0) {
      return;
    }
    ASSERT_LT(std::chrono::steady_clock::now(), deadline)
        << topic << " is not in the metadata 30 s after it was created";
    std::this_thread::sleep_for(100ms);
  }
}

// Creates `topic` with `partitions` partitions (replication 1) through the admin API and
// waits until the broker's metadata shows it; "already exists" counts as success.
inline void CreateTopic(const std::string& brokers, const std::string& topic, int partitions) {
  Producer admin(brokers);
  std::array<char, 512> reason{};
  kafka::KafkaNewTopic new_topic(
      rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, reason.data(), reason.size()));
  ASSERT_NE(new_topic, nullptr) << reason.data();
  kafka::KafkaQueue queue(rd_kafka_queue_new(admin.get()));
  std::array<rd_kafka_NewTopic_t*, 1> topics = {new_topic.get()};
  rd_kafka_CreateTopics(admin.get(), topics.data(), topics.size(), nullptr, queue.get());
  kafka::KafkaEvent event(rd_kafka_queue_poll(queue.get(), 30000));
  ASSERT_NE(event, nullptr) << "no answer to CreateTopics for " << topic;
  ASSERT_EQ(rd_kafka_event_error(event.get()), RD_KAFKA_RESP_ERR_NO_ERROR)
      << rd_kafka_event_error_string(event.get());
  std::size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event.get()), &count);
  ASSERT_EQ(count, 1u);
  const rd_kafka_resp_err_t error = rd_kafka_topic_result_error(results[0]);
  ASSERT_TRUE(error == RD_KAFKA_RESP_ERR_NO_ERROR ||
              error == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
      << topic << ": " << rd_kafka_err2str(error);
  WaitForTopic(admin.get(), topic);
}

// Deletes `topics`, best effort (for cleaning up after a test on a shared broker).
inline void DeleteTopics(const std::string& brokers, const std::vector<std::string>& topics) {
  Producer admin(brokers);
  std::vector<kafka::KafkaDeleteTopic> owned;
  std::vector<rd_kafka_DeleteTopic_t*> handles;
  for (const std::string& topic : topics) {
    handles.push_back(owned.emplace_back(rd_kafka_DeleteTopic_new(topic.c_str())).get());
  }
  kafka::KafkaQueue queue(rd_kafka_queue_new(admin.get()));
  rd_kafka_DeleteTopics(admin.get(), handles.data(), handles.size(), nullptr, queue.get());
  kafka::KafkaEvent event(rd_kafka_queue_poll(queue.get(), 30000));
}

struct ReceivedMessage {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string payload;
  std::map<std::string, std::string> headers;
};

// Reads `topic` from its beginning with a consumer of a fresh group until `count` messages
// arrived or `timeout` passed; `extra` properties (e.g. isolation.level) are applied last.
inline std::vector<ReceivedMessage> ReadTopic(
    const std::string& brokers, const std::string& topic, std::size_t count,
    std::chrono::milliseconds timeout = 30s, const std::map<std::string, std::string>& extra = {}) {
  std::map<std::string, std::string> properties = {{"bootstrap.servers", brokers},
                                                   {"group.id", UniqueName("reader")},
                                                   {"auto.offset.reset", "earliest"},
                                                   {"enable.auto.commit", "false"}};
  for (const auto& [name, value] : extra) properties[name] = value;
  kafka::KafkaConf conf = Conf(properties);
  std::array<char, 512> reason{};
  kafka::KafkaHandle consumer(
      rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), reason.data(), reason.size()));
  EXPECT_NE(consumer, nullptr) << reason.data();
  if (consumer == nullptr) return {};
  (void)conf.release();
  rd_kafka_poll_set_consumer(consumer.get());
  kafka::KafkaPartitionList topics(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  EXPECT_EQ(rd_kafka_subscribe(consumer.get(), topics.get()), RD_KAFKA_RESP_ERR_NO_ERROR);

  std::vector<ReceivedMessage> received;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (received.size() < count && std::chrono::steady_clock::now() < deadline) {
    kafka::KafkaMessage message(rd_kafka_consumer_poll(consumer.get(), 100));
    if (message == nullptr || message->err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    ReceivedMessage& out = received.emplace_back();
    out.partition = message->partition;
    out.offset = message->offset;
    out.payload.assign(static_cast<const char*>(message->payload), message->len);
    rd_kafka_headers_t* headers = nullptr;  // owned by the message
    if (rd_kafka_message_headers(message.get(), &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name = nullptr;
      const void* value = nullptr;
      std::size_t size = 0;
      for (std::size_t i = 0;
           rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
           ++i) {
        out.headers[name].assign(static_cast<const char*>(value), size);
      }
    }
  }
  rd_kafka_consumer_close(consumer.get());
  return received;
}

// Records every assignment change; OnAssign returns `starts`, OnRevoke runs `on_revoke`.
class RecordingListener : public RebalanceListener {
 public:
  std::vector<PartitionOffset> OnAssign(const std::vector<PartitionOffset>& partitions) override {
    assigned.push_back(partitions);
    return starts;
  }
  void OnRevoke(const std::vector<PartitionOffset>& partitions) override {
    revoked.push_back(partitions);
    if (on_revoke) on_revoke(partitions);
  }

  std::vector<PartitionOffset> starts;
  std::function<void(const std::vector<PartitionOffset>&)> on_revoke;
  std::vector<std::vector<PartitionOffset>> assigned;
  std::vector<std::vector<PartitionOffset>> revoked;
};

// Polls `source` until `done()` holds or `timeout` passes; returns done().
inline bool PollUntil(KafkaSource& source, common::EventReceiver& receiver,
                      const std::function<bool()>& done, std::chrono::milliseconds timeout = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done() && std::chrono::steady_clock::now() < deadline) source.Poll(receiver, 100ms);
  return done();
}

// A {"Records":[...]} batch of `records`.
inline std::string Batch(const std::vector<std::string>& records) {
  std::string out = R"({"Records":[)";
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (i > 0) out += ',';
    out += records[i];
  }
  return out + "]}";
}

// An EventBridge envelope carrying `record` in its detail.
inline std::string Envelope(std::string_view record,
                            std::string_view detail_type = "AWS API Call via CloudTrail") {
  return test_support::Cat(
      R"({"version":"0","id":"6f87d04b-9f74-4f04-a780-7acf4b0a9b38","detail-type":")", detail_type,
      R"(","source":"aws.ec2","account":"111122223333","time":"2024-01-02T03:04:05Z",)",
      R"("region":"us-east-1","resources":[],"detail":)", record, "}");
}

}  // namespace trailsight::consumers::kafka_test
