// KafkaSource against the brokers' watermarks: how far behind each partition is, and where
// a topic ends (consumers/kafka_source.h).
#include <fmt/format.h>

#include <algorithm>

#include "consumers/kafka_source.h"
#include "kafka/config.h"

namespace trailsight::consumers {

std::int64_t KafkaSource::LagOf(const PartitionOffset& position) const {
  std::int64_t low = 0;
  std::int64_t high = 0;
  if (position.offset < 0 ||
      rd_kafka_get_watermark_offsets(consumer_.get(), position.topic.c_str(), position.partition,
                                     &low, &high) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      high < 0) {
    return -1;
  }
  return std::max<std::int64_t>(0, high - position.offset);
}

common::Result<std::vector<std::int64_t>> KafkaSource::EndOffsets(
    const std::string& topic, std::int32_t partitions, std::chrono::milliseconds timeout) const {
  if (consumer_ == nullptr) return common::Error{common::ErrorCode::kIo, "kafka consumer: closed"};
  std::vector<std::int64_t> ends(static_cast<std::size_t>(std::max(partitions, 0)), 0);
  for (std::int32_t partition = 0; partition < partitions; ++partition) {
    std::int64_t low = 0;
    if (const rd_kafka_resp_err_t error = rd_kafka_query_watermark_offsets(
            consumer_.get(), topic.c_str(), partition, &low,
            &ends[static_cast<std::size_t>(partition)], static_cast<int>(timeout.count()));
        error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return common::Error{common::ErrorCode::kIo,
                           fmt::format("kafka consumer: end offset of {}/{}: {}", topic, partition,
                                       kafka::KafkaErrorText(error))};
    }
  }
  return ends;
}

std::int64_t KafkaSource::Lag() const {
  if (consumer_ == nullptr) return -1;
  std::int64_t lag = 0;
  for (const PartitionOffset& position : positions_.all()) {
    const std::int64_t behind = LagOf(position);
    if (behind < 0) return -1;
    lag += behind;
  }
  return lag;
}

void KafkaSource::PartitionLags(std::vector<PartitionLag>& lags) const {
  const std::vector<PartitionOffset>& positions = positions_.all();
  if (consumer_ == nullptr) {
    lags.clear();
    return;
  }
  lags.resize(positions.size());
  for (std::size_t i = 0; i < positions.size(); ++i) {
    lags[i].topic = positions[i].topic;  // the same topic again: no allocation
    lags[i].partition = positions[i].partition;
    lags[i].messages = LagOf(positions[i]);
    lags[i].late = aligner_.LateOf(positions[i].topic, positions[i].partition);
  }
}

}  // namespace trailsight::consumers
