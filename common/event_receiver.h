#pragma once

#include "common/event.h"

namespace trailsight::common {

// Receives parsed Events in input order, on the thread of whatever reads them (a file
// replay, the Kafka source, the evaluation harness). An Event's symbols belong to the
// interner of the reader that made it; the receiver uses the Event only during the call.
class EventReceiver {
 public:
  virtual ~EventReceiver() = default;
  virtual void OnEvent(const Event& event) = 0;
};

}  // namespace trailsight::common
