#include "consumers/fetch_waker.h"

#include <utility>

#include "kafka/handles.h"

namespace trailsight::consumers {
namespace {

// How long the waker's thread waits for the leaders' answers; the answer itself is not used.
constexpr int kRequestTimeoutMs = 1000;

}  // namespace

FetchWaker::FetchWaker(rd_kafka_t* consumer) : consumer_(consumer), thread_([this] { Run(); }) {}

FetchWaker::~FetchWaker() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wanted_.notify_one();
  thread_.join();
}

void FetchWaker::Wake(const std::vector<PartitionOffset>& behind) {
  if (behind.empty()) return;
  {
    std::lock_guard lock(mutex_);
    pending_ = behind;
  }
  wanted_.notify_one();
}

std::uint64_t FetchWaker::wakes() const {
  std::lock_guard lock(mutex_);
  return wakes_;
}

void FetchWaker::Run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wanted_.wait(lock, [this] { return stop_ || !pending_.empty(); });
    // At most one wake-up a kMinInterval; what is asked meanwhile replaces pending_.
    wanted_.wait_until(lock, last_ + kMinInterval, [this] { return stop_; });
    if (stop_) return;
    const std::vector<PartitionOffset> partitions = std::exchange(pending_, {});
    last_ = std::chrono::steady_clock::now();
    ++wakes_;
    lock.unlock();
    kafka::KafkaPartitionList list(
        rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
    for (const PartitionOffset& partition : partitions) {
      rd_kafka_topic_partition_list_add(list.get(), partition.topic.c_str(), partition.partition)
          ->offset = RD_KAFKA_OFFSET_END;  // "the latest offset": a timestamp of -1
    }
    // The error, if any, does not matter: the request has reached the broker threads.
    (void)rd_kafka_offsets_for_times(consumer_, list.get(), kRequestTimeoutMs);
    lock.lock();
  }
}

}  // namespace trailsight::consumers
