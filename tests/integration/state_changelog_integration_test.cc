// kafka::ChangelogWriter and kafka::ReadChangelogPartition on a real broker (scripts/kafka
// start; KAFKA_BROKERS=127.0.0.1:19092): records and a consumer group's offsets committed in one
// transaction, failed and fenced transactions invisible to read_committed readers, and reading
// an empty partition. Compaction itself is the broker's and is not tested here.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/interner.h"
#include "consumers/kafka_source.h"
#include "kafka/handles.h"
#include "kafka/state_changelog.h"
#include "kafka/topic_admin.h"
#include "tests/consumers/kafka_test_support.h"
#include "tests/consumers/test_inputs.h"
#include "tests/integration/service_process.h"

namespace trailsight::kafka {
namespace {

using namespace std::chrono_literals;
using consumers::kafka_test::Conf;
using consumers::kafka_test::Producer;
using consumers::kafka_test::UniqueName;

constexpr std::int32_t kPartitions = 2;
constexpr int kInputPerPartition = 6;  // input messages produced to each input partition

using KeyValues = std::vector<std::pair<std::string, std::string>>;

// A consumer in a group, subscribed to one topic, as the service's is: auto commit off.
class GroupConsumer {
 public:
  GroupConsumer(const std::string& brokers, const std::string& group, const std::string& topic,
                const std::map<std::string, std::string>& extra = {}) {
    std::map<std::string, std::string> properties = {{"bootstrap.servers", brokers},
                                                     {"group.id", group},
                                                     {"enable.auto.commit", "false"},
                                                     {"auto.offset.reset", "earliest"}};
    properties.insert(extra.begin(), extra.end());
    KafkaConf conf = Conf(properties);
    std::array<char, 512> reason{};
    handle_.reset(rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), reason.data(), reason.size()));
    EXPECT_NE(handle_, nullptr) << reason.data();
    if (handle_ == nullptr) return;
    (void)conf.release();
    rd_kafka_poll_set_consumer(handle_.get());
    KafkaPartitionList topics(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
    EXPECT_EQ(rd_kafka_subscribe(handle_.get(), topics.get()), RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  ~GroupConsumer() {
    if (handle_ != nullptr) rd_kafka_consumer_close(handle_.get());
  }

  // Polls until a message arrives: the consumer has joined its group, so its group metadata
  // (generation, member id) is the one the coordinator knows.
  void PollUntilJoined() {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      KafkaMessage message(rd_kafka_consumer_poll(handle_.get(), 100));
      if (message != nullptr && message->err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
    }
    ADD_FAILURE() << "the group consumer read nothing within 30 s";
  }

  rd_kafka_t* get() const { return handle_.get(); }

 private:
  KafkaHandle handle_;
};

// The group's committed offsets of `partitions` partitions of `topic`, as `consumer` reads them
// from the coordinator (-1001, RD_KAFKA_OFFSET_INVALID, for none).
std::map<std::int32_t, std::int64_t> CommittedOffsets(rd_kafka_t* consumer,
                                                      const std::string& topic, int partitions) {
  KafkaPartitionList list(rd_kafka_topic_partition_list_new(partitions));
  for (std::int32_t partition = 0; partition < partitions; ++partition) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition);
  }
  EXPECT_EQ(rd_kafka_committed(consumer, list.get(), 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
  std::map<std::int32_t, std::int64_t> offsets;
  for (int i = 0; i < list->cnt; ++i) offsets[list->elems[i].partition] = list->elems[i].offset;
  return offsets;
}

class StateChangelogIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    brokers_ = test_support::Brokers();
    ASSERT_FALSE(brokers_.empty())
        << "KAFKA_BROKERS is not set: start a broker with scripts/kafka start and set "
           "KAFKA_BROKERS to the address it prints (integration tests fail rather than skip)";
    changelog_ = UniqueName("trailsight-changelog-it");
    input_ = changelog_ + "-input";
    group_ = changelog_ + "-group";
    auto admin = TopicAdmin::Create({.brokers = brokers_, .properties = {}, .timeout = 30s});
    ASSERT_TRUE(admin.has_value()) << admin.error().message;
    auto changelog = (*admin)->Ensure({.name = changelog_,
                                       .partitions = kPartitions,
                                       .configs = {{"cleanup.policy", "compact"}}});
    ASSERT_TRUE(changelog.has_value()) << changelog.error().message;
    ASSERT_EQ(changelog->cleanup_policy, "compact");
    auto input = (*admin)->Ensure({.name = input_, .partitions = kPartitions, .configs = {}});
    ASSERT_TRUE(input.has_value()) << input.error().message;
  }

  void TearDown() override {
    if (!brokers_.empty()) consumers::kafka_test::DeleteTopics(brokers_, {changelog_, input_});
  }

  ChangelogOptions WriterOptions(std::string transactional_id) const {
    return {.brokers = brokers_,
            .topic = changelog_,
            .transactional_id = std::move(transactional_id),
            .properties = {},
            .timeout = 30s};
  }

  std::unique_ptr<ChangelogWriter> Writer(const std::string& transactional_id) {
    auto writer = ChangelogWriter::Create(WriterOptions(transactional_id));
    EXPECT_TRUE(writer.has_value()) << writer.error().message;
    return writer ? *std::move(writer) : nullptr;
  }

  // Fills every input partition and returns a consumer of it in group_ that has joined.
  std::unique_ptr<GroupConsumer> JoinedConsumer(
      const std::map<std::string, std::string>& extra = {}) {
    {
      Producer producer(brokers_);
      for (std::int32_t partition = 0; partition < kPartitions; ++partition) {
        for (int i = 0; i < kInputPerPartition; ++i) {
          producer.Send(input_, partition, fmt::format("input {}", i));
        }
      }
    }
    auto consumer = std::make_unique<GroupConsumer>(brokers_, group_, input_, extra);
    consumer->PollUntilJoined();
    return consumer;
  }

  // Reads `partition` of the changelog: its records in order, or the error's message.
  KeyValues Read(std::int32_t partition, ChangelogReadStats* stats = nullptr) {
    KeyValues read;
    auto result = ReadChangelogPartition(
        {.brokers = brokers_, .topic = changelog_, .properties = {}, .timeout = 30s}, partition,
        [&](std::string_view key, std::string_view value) {
          read.emplace_back(std::string(key), std::string(value));
        });
    EXPECT_TRUE(result.has_value()) << result.error().message;
    if (result && stats != nullptr) *stats = *result;
    return read;
  }

  std::string brokers_, changelog_, input_, group_;
};

TEST_F(StateChangelogIntegrationTest, CommitsRecordsAndTheGroupsOffsetsInOneTransaction) {
  auto consumer = JoinedConsumer();
  auto writer = Writer(UniqueName("txn"));
  ASSERT_NE(writer, nullptr);

  const common::Status first = writer->Commit({{0, "acct-1/us-east-1", "state 1"},
                                               {1, "acct-2/eu-west-1", "state 2"},
                                               {0, "acct-3/us-east-1", "state 3"}},
                                              {{input_, 0, 3}, {input_, 1, 5}}, consumer->get());
  const common::Status second =
      writer->Commit({{0, "acct-1/us-east-1", "state 1 again"}}, {{input_, 0, 4}}, consumer->get());
  const common::Status empty = writer->Commit({}, {}, nullptr);

  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_TRUE(second.ok()) << second.error().message;
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  ChangelogReadStats stats;
  EXPECT_EQ(Read(0, &stats), (KeyValues{{"acct-1/us-east-1", "state 1"},
                                        {"acct-3/us-east-1", "state 3"},
                                        {"acct-1/us-east-1", "state 1 again"}}));
  EXPECT_EQ(stats.records, 3u);
  EXPECT_EQ(Read(1), (KeyValues{{"acct-2/eu-west-1", "state 2"}}));
  EXPECT_EQ(CommittedOffsets(consumer->get(), input_, kPartitions),
            (std::map<std::int32_t, std::int64_t>{{0, 4}, {1, 5}}));
  EXPECT_EQ(writer->committed_transactions(), 3u);
  EXPECT_EQ(writer->committed_records(), 4u);
  EXPECT_EQ(writer->failed_transactions(), 0u);
}

TEST_F(StateChangelogIntegrationTest, AFailedTransactionIsAbortedAndInvisible) {
  auto consumer = JoinedConsumer();
  auto writer = Writer(UniqueName("txn"));
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->Commit({{0, "a", "1"}}, {{input_, 0, 1}}, consumer->get()).ok());

  // The changelog has no partition 7: the broker never takes that record, so the whole
  // transaction, the records before it and the offsets included, is aborted.
  const common::Status failed = writer->Commit({{0, "b", "2"}, {0, "c", "3"}, {7, "d", "4"}},
                                               {{input_, 0, 6}}, consumer->get());
  const common::Status after = writer->Commit({{0, "e", "5"}}, {}, nullptr);

  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, common::ErrorCode::kIo);
  EXPECT_NE(failed.error().message.find(changelog_), std::string::npos) << failed.error().message;
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(Read(0), (KeyValues{{"a", "1"}, {"e", "5"}}));
  EXPECT_EQ(CommittedOffsets(consumer->get(), input_, 1),
            (std::map<std::int32_t, std::int64_t>{{0, 1}}));
  EXPECT_EQ(writer->failed_transactions(), 1u);
  EXPECT_EQ(writer->committed_transactions(), 2u);
}

TEST_F(StateChangelogIntegrationTest, ASecondWriterWithTheSameIdFencesTheFirst) {
  auto consumer = JoinedConsumer();
  const std::string id = UniqueName("txn");
  auto first = Writer(id);
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(first->Commit({{0, "a", "first"}}, {{input_, 0, 1}}, consumer->get()).ok());

  auto second = Writer(id);  // a restarted instance, say
  ASSERT_NE(second, nullptr);
  const common::Status zombie =
      first->Commit({{0, "a", "zombie"}, {1, "z", "zombie"}}, {{input_, 0, 6}}, consumer->get());
  const common::Status zombie_again = first->Commit({{1, "z", "zombie"}}, {}, nullptr);
  const common::Status taken_over =
      second->Commit({{0, "a", "second"}}, {{input_, 0, 2}}, consumer->get());

  ASSERT_FALSE(zombie.ok());
  EXPECT_EQ(zombie.error().code, common::ErrorCode::kIo);
  EXPECT_NE(zombie.error().message.find("fenced"), std::string::npos) << zombie.error().message;
  EXPECT_TRUE(first->fenced());
  EXPECT_FALSE(zombie_again.ok());
  ASSERT_TRUE(taken_over.ok()) << taken_over.error().message;
  EXPECT_EQ(Read(0), (KeyValues{{"a", "first"}, {"a", "second"}}));
  EXPECT_EQ(Read(1), KeyValues{});
  EXPECT_EQ(CommittedOffsets(consumer->get(), input_, 1),
            (std::map<std::int32_t, std::int64_t>{{0, 2}}));
}

TEST_F(StateChangelogIntegrationTest, CommitRefusesBadRecordsAndOffsetsBeforeWriting) {
  auto writer = Writer(UniqueName("txn"));
  ASSERT_NE(writer, nullptr);

  const common::Status no_key = writer->Commit({{0, "", "v"}}, {}, nullptr);
  const common::Status no_value = writer->Commit({{0, "k", ""}}, {}, nullptr);
  const common::Status no_consumer = writer->Commit({{0, "k", "v"}}, {{input_, 0, 1}}, nullptr);

  EXPECT_EQ(no_key.error().code, common::ErrorCode::kInvalidArgument);
  EXPECT_EQ(no_value.error().code, common::ErrorCode::kInvalidArgument);
  EXPECT_EQ(no_consumer.error().code, common::ErrorCode::kInvalidArgument);
  EXPECT_EQ(Read(0), KeyValues{});
  EXPECT_EQ(writer->failed_transactions(), 0u);  // none was started
}

// KIP-447's fencing of zombies by the group: an instance whose consumer was put out of the group
// (here: it stopped polling) while another took its partitions cannot commit state or offsets,
// whether or not its consumer has noticed yet. The broker answers UNKNOWN_MEMBER_ID: abortable.
TEST_F(StateChangelogIntegrationTest, AnInstanceOutOfTheGroupCannotCommit) {
  auto zombie = JoinedConsumer({{"session.timeout.ms", "6000"},
                                {"max.poll.interval.ms", "6000"},
                                {"heartbeat.interval.ms", "500"}});
  auto writer = Writer(UniqueName("txn"));
  ASSERT_NE(writer, nullptr);
  GroupConsumer successor(brokers_, group_, input_);
  bool took_over = false;
  for (const auto deadline = std::chrono::steady_clock::now() + 40s;
       !took_over && std::chrono::steady_clock::now() < deadline;) {
    KafkaMessage message(rd_kafka_consumer_poll(successor.get(), 100));
    rd_kafka_topic_partition_list_t* raw = nullptr;
    if (rd_kafka_assignment(successor.get(), &raw) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      took_over = KafkaPartitionList(raw)->cnt == kPartitions;
    }
  }
  ASSERT_TRUE(took_over) << "the successor was not given every partition within 40 s";

  const common::Status unaware =
      writer->Commit({{0, "z", "unaware"}}, {{input_, 0, 6}}, zombie->get());
  KafkaMessage polled(rd_kafka_consumer_poll(zombie->get(), 1000));  // learns it is out
  const common::Status aware = writer->Commit({{0, "z", "aware"}}, {{input_, 0, 5}}, zombie->get());

  ASSERT_FALSE(unaware.ok());
  EXPECT_NE(unaware.error().message.find("UNKNOWN_MEMBER_ID"), std::string::npos)
      << unaware.error().message;
  ASSERT_FALSE(aware.ok());
  EXPECT_FALSE(writer->fenced());  // the writer itself may go on for its other partitions
  EXPECT_EQ(Read(0), KeyValues{});
  EXPECT_EQ(CommittedOffsets(successor.get(), input_, 1),
            (std::map<std::int32_t, std::int64_t>{{0, RD_KAFKA_OFFSET_INVALID}}));
}

TEST_F(StateChangelogIntegrationTest, ReadingAnEmptyPartitionFindsNothingPromptly) {
  const auto started = std::chrono::steady_clock::now();
  ChangelogReadStats stats{.records = 99, .bytes = 99};

  const KeyValues read = Read(1, &stats);

  EXPECT_TRUE(read.empty());
  EXPECT_EQ(stats.records, 0u);
  EXPECT_EQ(stats.bytes, 0u);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST_F(StateChangelogIntegrationTest, ReadingAPartitionOfOnlyAbortedRecordsEnds) {
  auto writer = Writer(UniqueName("txn"));
  ASSERT_NE(writer, nullptr);
  ASSERT_FALSE(
      writer->Commit({{1, "x", "aborted"}, {9, "y", "no such partition"}}, {}, nullptr).ok());

  EXPECT_EQ(Read(1), KeyValues{});
}

// A writer killed inside a transaction (here: a producer that never commits) holds the last
// stable offset back: readers stop before its records and everything after them, promptly,
// until the coordinator aborts it (transaction.timeout.ms, checked every
// transaction.abort.timed.out.transaction.cleanup.interval.ms, 10 s by default).
TEST_F(StateChangelogIntegrationTest, AnOpenTransactionHidesLaterRecordsUntilItTimesOut) {
  auto writer = Writer(UniqueName("txn"));
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->Commit({{0, "a", "before"}}, {}, nullptr).ok());
  KafkaConf conf = Conf({{"bootstrap.servers", brokers_},
                         {"transactional.id", UniqueName("killed")},
                         {"transaction.timeout.ms", "2000"}});
  std::array<char, 512> reason{};
  KafkaHandle killed(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), reason.data(), reason.size()));
  ASSERT_NE(killed, nullptr) << reason.data();
  (void)conf.release();
  ASSERT_EQ(KafkaError(rd_kafka_init_transactions(killed.get(), 30000)), nullptr);
  ASSERT_EQ(KafkaError(rd_kafka_begin_transaction(killed.get())), nullptr);
  std::array<rd_kafka_vu_t, 5> fields{};  // a compacted topic refuses records without a key
  fields[0].vtype = RD_KAFKA_VTYPE_TOPIC;
  fields[0].u.cstr = changelog_.c_str();
  fields[1].vtype = RD_KAFKA_VTYPE_PARTITION;
  fields[1].u.i32 = 0;
  fields[2].vtype = RD_KAFKA_VTYPE_KEY;
  fields[2].u.mem = {const_cast<char*>("o"), 1};
  fields[3].vtype = RD_KAFKA_VTYPE_VALUE;
  fields[3].u.mem = {const_cast<char*>("open"), 4};
  fields[4].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  fields[4].u.i = RD_KAFKA_MSG_F_COPY;
  ASSERT_EQ(KafkaError(rd_kafka_produceva(killed.get(), fields.data(), fields.size())), nullptr);
  ASSERT_EQ(rd_kafka_flush(killed.get(), 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_TRUE(writer->Commit({{0, "b", "after"}}, {}, nullptr).ok());

  const auto started = std::chrono::steady_clock::now();
  const KeyValues while_open = Read(0);
  const auto read_took = std::chrono::steady_clock::now() - started;
  rd_kafka_purge(killed.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  killed.reset();  // killed: the transaction stays open until the coordinator times it out
  KeyValues after_timeout;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (after_timeout.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(500ms);
    after_timeout = Read(0);
  }
  const auto hidden_for = std::chrono::steady_clock::now() - started;

  EXPECT_EQ(while_open, (KeyValues{{"a", "before"}}));
  EXPECT_LT(read_took, 5s);
  EXPECT_EQ(after_timeout, (KeyValues{{"a", "before"}, {"b", "after"}}));
  std::printf("the open transaction hid later records for %.1f s\n",
              std::chrono::duration<double>(hidden_for).count());
}

TEST_F(StateChangelogIntegrationTest, ReadingAnAbsentTopicFailsNamingIt) {
  const std::string absent = changelog_ + "-absent";

  auto result = ReadChangelogPartition(
      {.brokers = brokers_, .topic = absent, .properties = {}, .timeout = 10s}, 0,
      [](std::string_view, std::string_view) {});

  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, common::ErrorCode::kIo);
  EXPECT_NE(result.error().message.find(absent + "/0"), std::string::npos)
      << result.error().message;
  EXPECT_NE(result.error().message.find("UNKNOWN_TOPIC_OR_PART"), std::string::npos)
      << result.error().message;
}

TEST_F(StateChangelogIntegrationTest, ReadingAnAbsentPartitionFailsNamingIt) {
  auto result = ReadChangelogPartition(
      {.brokers = brokers_, .topic = changelog_, .properties = {}, .timeout = 10s}, kPartitions,
      [](std::string_view, std::string_view) {});

  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, common::ErrorCode::kIo);
  EXPECT_NE(result.error().message.find(fmt::format("{}/{}", changelog_, kPartitions)),
            std::string::npos)
      << result.error().message;
}

// The service's way: KafkaSource's consumer handle gives the group metadata, and its positions
// are the offsets committed with the state.
TEST_F(StateChangelogIntegrationTest, CommitsTheOffsetsOfAKafkaSource) {
  {
    Producer producer(brokers_);
    for (int i = 0; i < 3; ++i) {
      producer.Send(input_, 0, consumers::test_support::MakeRecord(fmt::format("Call{}", i)));
    }
  }
  common::StringInterner interner;
  consumers::test_support::CollectingDeadLetters dead_letters;
  consumers::test_support::CollectingReceiver receiver;
  consumers::kafka_test::RecordingListener listener;
  consumers::KafkaSourceOptions source_options;
  source_options.brokers = brokers_;
  source_options.group_id = group_;
  source_options.topics = {input_};
  source_options.future_skew = 0s;
  source_options.alignment.idle_at_end = true;  // the empty partition holds nothing back
  auto source = consumers::KafkaSource::Create(source_options, interner, dead_letters, listener);
  ASSERT_TRUE(source.has_value()) << source.error().message;
  ASSERT_TRUE(consumers::kafka_test::PollUntil(
      **source, receiver, [&] { return receiver.events.size() >= 3 && (*source)->CaughtUp(); }));
  std::vector<InputOffset> offsets;
  for (const consumers::PartitionOffset& position : (*source)->Positions()) {
    offsets.push_back({position.topic, position.partition, position.offset});
  }
  auto writer = Writer(UniqueName("txn"));
  ASSERT_NE(writer, nullptr);

  const common::Status committed =
      writer->Commit({{0, "acct", "state"}}, offsets, (*source)->consumer_handle());

  ASSERT_TRUE(committed.ok()) << committed.error().message;
  EXPECT_EQ(CommittedOffsets((*source)->consumer_handle(), input_, kPartitions),
            (std::map<std::int32_t, std::int64_t>{{0, 3}, {1, 0}}));
  EXPECT_EQ(Read(0), (KeyValues{{"acct", "state"}}));
}

}  // namespace
}  // namespace trailsight::kafka
