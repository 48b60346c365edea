// Re-keying on a real broker (scripts/kafka start; KAFKA_BROKERS=127.0.0.1:19092): an instance
// killed after its re-keyed records reached the repartition topic but before its transaction
// committed them with the input offsets counts nothing twice. The next reader of the input
// starts from the offsets committed before, and read_committed readers of the repartition topic
// (the service's keyed consumer) never see the killed transaction's records.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/rekeyer.h"
#include "app/service_parts.h"
#include "common/interner.h"
#include "consumers/encoded_event.h"
#include "consumers/kafka_source.h"
#include "kafka/handles.h"
#include "kafka/state_changelog.h"
#include "tests/consumers/kafka_test_support.h"
#include "tests/consumers/test_inputs.h"
#include "tests/integration/service_process.h"

namespace trailsight::app {
namespace {

using namespace std::chrono_literals;
using consumers::PartitionOffset;
using consumers::kafka_test::Conf;
using consumers::kafka_test::UniqueName;

constexpr int kInputPartitions = 2;
constexpr int kRepartitions = 3;
constexpr int kRecords = 40;  // 20 per input partition

// Dies inside its first commit: produces the records and adds the offsets to a transaction,
// waits until the broker holds the records, and is killed before committing (its producer is
// dropped with the transaction open, which the coordinator aborts after its timeout). A dead
// process commits nothing after that.
class KilledCommitter final : public RekeyCommitter {
 public:
  KilledCommitter(std::string brokers, const consumers::KafkaSource*& source)
      : brokers_(std::move(brokers)), source_(source) {}
  common::Status Commit(const kafka::PackedRecords& records,
                        const std::vector<PartitionOffset>& offsets) override {
    if (!killed_) Die(records, offsets);
    return common::Error{common::ErrorCode::kIo, "killed"};
  }
  bool OutcomeUnknown() const override { return false; }
  bool killed() const { return killed_; }
  std::size_t produced = 0;  // events sent before the kill

 private:
  void Die(const kafka::PackedRecords& records, const std::vector<PartitionOffset>& offsets) {
    killed_ = true;
    kafka::KafkaConf conf = Conf({{"bootstrap.servers", brokers_},
                                  {"transactional.id", UniqueName("killed")},
                                  {"transaction.timeout.ms", "3000"}});
    std::array<char, 512> reason{};
    kafka::KafkaHandle producer(
        rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), reason.data(), reason.size()));
    ASSERT_NE(producer, nullptr) << reason.data();
    (void)conf.release();
    ASSERT_EQ(kafka::KafkaError(rd_kafka_init_transactions(producer.get(), 30000)), nullptr);
    ASSERT_EQ(kafka::KafkaError(rd_kafka_begin_transaction(producer.get())), nullptr);
    records.ForEach([&](std::int32_t partition, std::string_view key, std::string_view value) {
      EXPECT_EQ(
          rd_kafka_producev(producer.get(), RD_KAFKA_V_TOPIC(records.topic().c_str()),
                            RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_KEY(key.data(), key.size()),
                            RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
          RD_KAFKA_RESP_ERR_NO_ERROR);
      if (!consumers::IsSourceMarks(value)) ++produced;  // events, not the commit's marks
    });
    kafka::KafkaPartitionList positions(
        rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
    for (const PartitionOffset& offset : offsets) {
      rd_kafka_topic_partition_list_add(positions.get(), offset.topic.c_str(), offset.partition)
          ->offset = offset.offset;
    }
    kafka::KafkaGroupMetadata group(rd_kafka_consumer_group_metadata(source_->consumer_handle()));
    ASSERT_EQ(kafka::KafkaError(rd_kafka_send_offsets_to_transaction(
                  producer.get(), positions.get(), group.get(), 30000)),
              nullptr);
    ASSERT_EQ(rd_kafka_flush(producer.get(), 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
    // Killed here: between the records reaching the broker and the commit.
    rd_kafka_purge(producer.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  }

  const std::string brokers_;
  const consumers::KafkaSource*& source_;
  bool killed_ = false;
};

class RekeyingIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    brokers_ = test_support::Brokers();
    ASSERT_FALSE(brokers_.empty()) << "KAFKA_BROKERS is not set: start a broker with "
                                      "scripts/kafka start (scripts/test does)";
    input_ = UniqueName("trailsight-rekey-it");
    repartition_ = input_ + "-repartition";
    group_ = input_ + "-group";
    consumers::kafka_test::CreateTopic(brokers_, input_, kInputPartitions);
    consumers::kafka_test::CreateTopic(brokers_, repartition_, kRepartitions);
    consumers::kafka_test::Producer producer(brokers_);
    for (int i = 0; i < kRecords; ++i) {
      producer.Send(input_, i % kInputPartitions,
                    consumers::test_support::MakeRecord(fmt::format("Call{:02}", i)));
    }
  }
  void TearDown() override {
    if (!brokers_.empty()) consumers::kafka_test::DeleteTopics(brokers_, {input_, repartition_});
  }

  // An instance's input side: a source in the group, handing records to `rekeyer`.
  std::unique_ptr<consumers::KafkaSource> Source(Rekeyer& rekeyer) {
    consumers::KafkaSourceOptions options;
    options.brokers = brokers_;
    options.group_id = group_;
    options.topics = {input_};
    options.future_skew = 0s;
    options.alignment.idle_at_end = true;
    auto source = consumers::KafkaSource::Create(options, interner_, dead_letters_, rekeyer);
    EXPECT_TRUE(source.has_value()) << source.error().message;
    return source ? *std::move(source) : nullptr;
  }
  Rekeyer::Options RekeyerOptions() const {
    return {.topic = repartition_, .partitions = kRepartitions, .commit_interval = 0ms};
  }

  // The eventNames on the repartition topic, as a reader of `isolation` reads them.
  std::map<std::string, int> Names(std::string_view isolation) {
    std::map<std::string, int> names;
    for (const auto& message :
         consumers::kafka_test::ReadTopic(brokers_, repartition_, 1000 * kRecords, 4s,
                                          {{"isolation.level", std::string(isolation)}})) {
      if (consumers::IsSourceMarks(message.payload)) continue;  // each commit's, not records
      common::Result<common::Event> event =
          consumers::DecodeEncodedEvent(message.payload, interner_);
      EXPECT_TRUE(event.has_value());
      if (event) ++names[std::string(interner_.Resolve(event->name))];
    }
    return names;
  }

  std::string brokers_, input_, repartition_, group_;
  common::StringInterner interner_;
  consumers::test_support::CollectingDeadLetters dead_letters_;
};

TEST_F(RekeyingIntegrationTest, AKillBetweenTheProduceAndTheCommitCountsNothingTwice) {
  // The first instance re-keys every record, and is killed inside the commit.
  const consumers::KafkaSource* first_source = nullptr;
  KilledCommitter killed(brokers_, first_source);
  {
    service_parts::RekeyInput first_input;  // the service's own
    Rekeyer first(RekeyerOptions(), interner_, killed, first_input);
    std::unique_ptr<consumers::KafkaSource> source = Source(first);
    ASSERT_NE(source, nullptr);
    first_source = source.get();
    first_input.set_source(source.get());
    common::EventReceiver& receiver = first;
    ASSERT_TRUE(consumers::kafka_test::PollUntil(*source, receiver, [&] {
      return first.counters().records == kRecords && source->CaughtUp();
    }));
    EXPECT_FALSE(first.Commit());
    ASSERT_TRUE(killed.killed());
    source->Close();  // leaves the group; a killed process's session would expire instead
  }
  ASSERT_EQ(killed.produced, static_cast<std::size_t>(kRecords))
      << "the killed transaction reached the broker";

  // The next instance reads the input from the offsets committed before: all of it.
  service_parts::RekeyInput second_input;
  auto writer = kafka::ChangelogWriter::Create({.brokers = brokers_,
                                                .topic = repartition_,
                                                .transactional_id = UniqueName("second"),
                                                .properties = {}});
  ASSERT_TRUE(writer.has_value()) << writer.error().message;
  service_parts::KafkaRekeyCommitter committer(**writer);  // the service's own
  Rekeyer second(RekeyerOptions(), interner_, committer, second_input);
  std::unique_ptr<consumers::KafkaSource> source = Source(second);
  ASSERT_NE(source, nullptr);
  second_input.set_source(source.get());
  committer.set_source(source.get());
  common::EventReceiver& receiver = second;
  ASSERT_TRUE(consumers::kafka_test::PollUntil(
      *source, receiver,
      [&] { return second.counters().records == kRecords && source->CaughtUp(); }, 60s));
  const common::Status committed = second.Commit();
  ASSERT_TRUE(committed) << committed.error().message;
  source->Close();

  std::map<std::string, int> once;
  for (int i = 0; i < kRecords; ++i) once[fmt::format("Call{:02}", i)] = 1;
  EXPECT_EQ(Names("read_committed"), once) << "each record once, none of the killed transaction";
  std::map<std::string, int> twice = once;
  for (auto& [name, count] : twice) count = 2;
  EXPECT_EQ(Names("read_uncommitted"), twice) << "the killed transaction's records are there";
}

}  // namespace
}  // namespace trailsight::app
