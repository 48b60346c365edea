#pragma once

#include <chrono>
#include <cstdint>

#include "common/alert.h"
#include "common/event.h"
#include "common/interner.h"
#include "detector/account_facts.h"

namespace trailsight::detector {

// The `novelty:` section of the config: alerts on what an account has not done before, which
// a call-rate baseline cannot see (DESIGN.md "Baseline").
struct NoveltyOptions {
  // An account's first write in a region it has not written in for `region_window`
  // (12 RunInstances in an unused region: stolen keys mining coin) raises a `new-region`
  // alert.
  bool new_region = true;
  std::chrono::days region_window{28};
  // An account seen for less than this alerts on nothing: its own first days, in every
  // region, are its warm-up, so a new account (or a new deployment of trailsight) does not
  // flood.
  std::chrono::hours warmup{24 * 7};
  bool operator==(const NoveltyOptions&) const = default;
};

struct NoveltyCounters {
  std::uint64_t alerts = 0;
  std::uint64_t publish_errors = 0;
};

// Raises novelty alerts from the account facts (detector/account_facts.h), which it keeps up
// to date with every event. Alerts are OCSF Detection Findings of kind kNovelty on the alerts
// output; the Insights output is untouched.
//
// Thread safety: none; the pipeline's thread owns it.
class NoveltyRules {
 public:
  // `interner` and `facts` must outlive the rules.
  NoveltyRules(NoveltyOptions options, const common::StringInterner& interner, AccountFacts& facts)
      : options_(options), interner_(interner), facts_(facts) {}

  // Takes one event into the account facts and hands `sink` an alert when it is the first
  // write of a warm account in a region it has not written in within the window. A sink
  // failure is counted in `publish_errors`; the rules carry on.
  void OnEvent(const common::Event& event, common::AlertSink& sink);

  // A config reload: the facts learned so far are kept.
  void Reconfigure(NoveltyOptions options) { options_ = options; }

  const NoveltyCounters& counters() const { return counters_; }

 private:
  NoveltyOptions options_;
  const common::StringInterner& interner_;  // these two outlive the rules
  AccountFacts& facts_;
  NoveltyCounters counters_;
};

}  // namespace trailsight::detector
