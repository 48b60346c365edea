#pragma once

#include <chrono>
#include <cstdint>

#include "common/time.h"

namespace trailsight::app {

// Prints one self-overwriting progress line on stderr (events/s, event time reached) while
// a long replay runs, when stderr is a terminal; prints nothing otherwise. Cheap to call
// per event: it looks at the clock once every 65536 calls.
class ProgressLine {
 public:
  ProgressLine();
  ~ProgressLine();
  void Tick(common::Seconds event_time) {
    newest_ = event_time > newest_ ? event_time : newest_;
    if ((++events_ & 0xFFFF) == 0 && enabled_) Print(false);
  }

 private:
  void Print(bool final);

  bool enabled_;
  std::uint64_t events_ = 0;
  common::Seconds newest_{};
  std::chrono::steady_clock::time_point started_, last_print_;
};

}  // namespace trailsight::app
