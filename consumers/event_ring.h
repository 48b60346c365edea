#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/event.h"
#include "common/time.h"

namespace trailsight::consumers {

// A record read and not yet handed over, with where its partition's position goes once it is.
struct BufferedEvent {
  common::Event event;
  std::int64_t next_offset = -1;  // >= 0: the position after it (a message's last record)
};

// A FIFO of buffered records that keeps its storage (steady state allocates nothing); grows by
// doubling. Thread safety: none.
class EventRing {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  BufferedEvent& front() { return slots_[head_]; }
  const BufferedEvent& front() const { return slots_[head_]; }
  const BufferedEvent& at(std::size_t i) const { return slots_[(head_ + i) % slots_.size()]; }
  BufferedEvent& back() { return slots_[(head_ + size_ - 1) % slots_.size()]; }
  void push_back(const BufferedEvent& entry);
  void pop_front();
  void clear() { head_ = size_ = 0; }

 private:
  std::vector<BufferedEvent> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

// The time alignment reads a non-empty ring at (DESIGN.md "Partitions and event time"): its
// first record's event time, unless that is later than the median of its next five records
// (the first included): then the earliest of those five, where the records after the first
// begin. So one record dated far ahead of its neighbours neither holds its stream back nor lets
// others run past the records after it, however far apart those lie; one dated far behind, not
// first, does not hold the records before it back.
// REQUIRES: !ring.empty().
common::Seconds HeadTime(const EventRing& ring);

// The time a stream of records stands at (a partition, or an input partition within a re-keyed
// one): HeadTime of its buffered `ring`, or `last` (the time it last handed over or was marked
// at) with nothing buffered. With fewer than five records buffered their median proves
// nothing: a HeadTime more than `max_jump` past `last` is not believed while more records may
// come soon and show whether time really jumped (`more_soon`: the stream was not read to its
// end and brought a message within the idle timeout), and the stream stands at `last`. So a forged
// record read alone, at the end of a fetch, neither lets the other streams run past the records
// after it nor is sent on as the stream's time (a source mark) before they come.
std::optional<common::Seconds> StandingTime(const EventRing& ring,
                                            std::optional<common::Seconds> last, bool more_soon,
                                            std::chrono::seconds max_jump);

}  // namespace trailsight::consumers
