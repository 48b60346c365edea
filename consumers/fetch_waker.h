#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "consumers/partition_positions.h"  // PartitionOffset

namespace trailsight::consumers {

// Restarts fetching that librdkafka 2.0 has parked. Once the consumer queue holds more than
// queued.min.messages or queued.max.messages.kbytes, a broker thread stops fetching and looks
// again only when something wakes it, or after a second (later librdkafka versions have
// fetch.queue.backoff.ms for this). A consumer that drains the queue faster than that sits
// idle for the rest of the second: catching up on a backlog ran at a fraction of its speed.
//
// Wake() hands the partitions that are behind to a thread of its own, which asks their
// leaders for their latest offsets (rd_kafka_offsets_for_times, one request per leader):
// a request to a broker thread wakes it, and it decides afresh whether to fetch. The request
// reads and changes nothing; the caller never waits for it. Wake-ups asked for while one is
// under way, or sooner than kMinInterval after the last, are merged into the next one: none
// is lost, so a partition parked just after a wake-up is woken again soon after.
//
// Thread safety: Wake() from one thread (the consumer's); the waker's thread is internal.
class FetchWaker {
 public:
  // Wakes no more often than this (a wake-up is a request to each leader).
  static constexpr std::chrono::milliseconds kMinInterval{10};

  // `consumer` must outlive the waker (destroy the waker before closing the consumer).
  explicit FetchWaker(rd_kafka_t* consumer);
  ~FetchWaker();
  FetchWaker(const FetchWaker&) = delete;
  FetchWaker& operator=(const FetchWaker&) = delete;

  // Asks for a wake-up of the leaders of `behind` (replacing one asked for and not yet
  // begun); returns at once. It begins kMinInterval after the last one began, or now.
  void Wake(const std::vector<PartitionOffset>& behind);

  // Returns how many wake-ups were sent.
  std::uint64_t wakes() const;

 private:
  void Run();

  rd_kafka_t* const consumer_;  // outlives the waker; see the constructor
  mutable std::mutex mutex_;
  std::condition_variable wanted_;
  std::vector<PartitionOffset> pending_;          // guarded by mutex_; empty when nothing is asked
  std::chrono::steady_clock::time_point last_{};  // guarded by mutex_: the last one's start
  bool stop_ = false;                             // guarded by mutex_
  std::uint64_t wakes_ = 0;                       // guarded by mutex_
  std::thread thread_;                            // last: starts once the rest exists
};

}  // namespace trailsight::consumers
