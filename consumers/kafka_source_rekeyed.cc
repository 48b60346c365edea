// KafkaSource's side of re-keying (consumers/source_streams.h): the repartition topic's records
// decoded into their partition's source streams, the source marks a re-keyer writes, and the
// handed-over tables a partition resumes with.
#include <fmt/format.h>

#include <algorithm>

#include "consumers/encoded_event.h"
#include "consumers/kafka_source.h"

namespace trailsight::consumers {

void KafkaSource::HandleEncoded(std::string_view payload) {
  if (IsSourceMarks(payload)) {
    ++counters_.source_marks;
    if (common::Status read = DecodeSourceMarks(payload, marks_); !read) {
      OnBadRecord(read.error().message, 0, payload);
      return;
    }
    if (!options_.alignment.merge_sources) return;
    for (const SourceMark& mark : marks_) aligner_.Mark(message_partition_, mark, poll_started_);
    return;
  }
  common::Result<common::Event> event = DecodeEncodedEvent(payload, interner_, &message_source_);
  if (event) {
    OnRecord(*event, 0, payload);
  } else {
    OnBadRecord(event.error().message, 0, payload);
  }
}

void KafkaSource::SourceMarks(std::vector<SourceMark>& marks) const {
  marks.clear();
  const PartitionAligner::Clock::time_point now = PartitionAligner::Clock::now();
  for (std::size_t index = 0; index < aligner_.partition_count(); ++index) {
    marks.push_back({.topic = aligner_.topic(index),
                     .partition = aligner_.partition(index),
                     .time = aligner_.TimeOf(index),
                     .holds = aligner_.Holding(index, now)});
  }
}

void KafkaSource::SkipHandedOver(const std::vector<PartitionOffset>& starts) {
  for (const PartitionOffset& start : starts) {
    auto committed = std::find_if(committed_.begin(), committed_.end(), [&](const auto& entry) {
      return entry.partition == start.partition && entry.topic == start.topic;
    });
    if (committed == committed_.end() || committed->offset < 0 ||
        (start.offset >= 0 && start.offset != committed->offset)) {
      continue;  // not resuming where the table was kept
    }
    std::optional<std::size_t> index = aligner_.Find(start.topic, start.partition);
    if (!index) continue;
    if (common::Status taken =
            aligner_.SkipHandedOver(*index, committed->metadata, committed->offset);
        !taken) {
      BrokerError(fmt::format("{}/{}: {}", start.topic, start.partition, taken.error().message));
    }
  }
}

}  // namespace trailsight::consumers
