#pragma once

#include "common/alert.h"
#include "common/event_receiver.h"
#include "common/interner.h"
#include "detector/detector.h"
#include "detector/interner_cap_alert.h"
#include "detector/novelty_rules.h"
#include "detector/tamper_rules.h"

namespace trailsight::detector {

// The one order every event goes through, in every mode (`trailsight replay`, `run`,
// `explain` and the evaluation harness): the interned-strings cap check, the tamper rules,
// the novelty rules, then the detector. Cap, tamper and novelty alerts go to `alerts`;
// findings go to the detector's sink.
//
// Thread safety: none; the thread that reads the input owns it and calls OnEvent.
class Pipeline final : public common::EventReceiver {
 public:
  // `interner` is the one the events' symbols belong to. `tamper` and `novelty` may be null
  // (no such rules, as in `explain`). `detector` gets every event of OnEvent(event); it may
  // be null when the state is split (one Detector per partition) and each event goes through
  // OnEvent(event, its detector). Each must outlive the Pipeline.
  Pipeline(const common::StringInterner& interner, TamperRules* tamper, NoveltyRules* novelty,
           Detector* detector, common::AlertSink& alerts)
      : tamper_(tamper),
        novelty_(novelty),
        detector_(detector),
        alerts_(alerts),
        cap_alert_(interner) {}

  // REQUIRES: a detector was given to the constructor.
  void OnEvent(const common::Event& event) override { OnEvent(event, *detector_); }

  void OnEvent(const common::Event& event, Detector& detector) {
    cap_alert_.OnEvent(event, alerts_);
    if (tamper_ != nullptr) tamper_->OnEvent(event, alerts_);
    if (novelty_ != nullptr) novelty_->OnEvent(event, alerts_);
    const std::uint64_t late_before = detector.counters().late_dropped;
    detector.OnEvent(event);
    last_event_late_ = detector.counters().late_dropped != late_before;
  }

  // Returns whether the detector dropped the last event as late (after its minute closed).
  bool last_event_late() const { return last_event_late_; }
  std::uint64_t cap_alerts() const { return cap_alert_.alerts(); }

 private:
  TamperRules* tamper_;  // these four outlive the Pipeline; see the constructor
  NoveltyRules* novelty_;
  Detector* detector_;
  common::AlertSink& alerts_;
  InternerCapAlert cap_alert_;
  bool last_event_late_ = false;
};

}  // namespace trailsight::detector
