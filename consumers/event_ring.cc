#include "consumers/event_ring.h"

#include <algorithm>
#include <array>

namespace trailsight::consumers {
namespace {

constexpr std::size_t kNeighbours = 5;      // records a ring's first record is judged against
constexpr std::size_t kFirstCapacity = 64;  // a ring's first storage, in records

}  // namespace

void EventRing::push_back(const BufferedEvent& entry) {
  if (size_ == slots_.size()) {
    std::vector<BufferedEvent> grown(std::max(kFirstCapacity, slots_.size() * 2));
    for (std::size_t i = 0; i < size_; ++i) grown[i] = at(i);
    slots_ = std::move(grown);
    head_ = 0;
  }
  slots_[(head_ + size_) % slots_.size()] = entry;
  ++size_;
}

void EventRing::pop_front() {
  head_ = (head_ + 1) % slots_.size();
  --size_;
}

common::Seconds HeadTime(const EventRing& ring) {
  std::array<common::Seconds, kNeighbours> samples;
  const std::size_t count = std::min(kNeighbours, ring.size());
  for (std::size_t i = 0; i < count; ++i) samples[i] = ring.at(i).event.time;
  const auto end = samples.begin() + static_cast<std::ptrdiff_t>(count);
  const common::Seconds first = samples[0];
  const common::Seconds earliest = *std::min_element(samples.begin(), end);
  auto middle = samples.begin() + static_cast<std::ptrdiff_t>((count - 1) / 2);  // lower median
  std::nth_element(samples.begin(), middle, end);
  // Not the median itself: with the first far ahead it is the third of the four records after
  // it, and in a sparse stream the two before that may lie minutes earlier.
  return first <= *middle ? first : earliest;
}

std::optional<common::Seconds> StandingTime(const EventRing& ring,
                                            std::optional<common::Seconds> last, bool more_soon,
                                            std::chrono::seconds max_jump) {
  if (ring.empty()) return last;
  const common::Seconds head = HeadTime(ring);
  if (more_soon && last && ring.size() < kNeighbours && head - *last > max_jump) return last;
  return head;
}

}  // namespace trailsight::consumers
