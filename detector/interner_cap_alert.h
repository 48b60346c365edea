#pragma once

#include <cstdint>

#include "common/alert.h"
#include "common/event.h"
#include "common/interner.h"

namespace trailsight::detector {

// Raises a kCapReached alert (rule "interned-strings-cap") when the interner has refused new
// strings since the last alert: at the first refusal, then at most once an hour of event
// time while refusals go on, so a flood of fake eventNames is reported without flooding the
// alerts topic. The alert names the cap, how many strings were refused so far, and the
// (account, region) of the event that noticed it.
//
// Thread safety: none; called from the ingest thread, for every event, after parsing.
class InternerCapAlert {
 public:
  // Keeps `interner`, which must outlive this object.
  explicit InternerCapAlert(const common::StringInterner& interner) : interner_(interner) {}

  // Publishes an alert to `sink` when it is due; a check of one counter otherwise.
  void OnEvent(const common::Event& event, common::AlertSink& sink);

  std::uint64_t alerts() const { return alerts_; }

 private:
  const common::StringInterner& interner_;  // outlives this object; see the constructor
  std::uint64_t refused_reported_ = 0;      // interner_.refused() at the last alert
  common::Seconds next_due_{};              // no new alert before this event time
  std::uint64_t alerts_ = 0;
};

}  // namespace trailsight::detector
