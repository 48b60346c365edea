#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/alert.h"
#include "common/event.h"
#include "common/interner.h"
#include "detector/account_facts.h"
#include "detector/many_targets_rule.h"

namespace trailsight::detector {

// One API whose first use in a warm account alerts: CloudTrail's eventSource and eventName.
struct SensitiveApi {
  std::string event_source;  // e.g. "iam.amazonaws.com"
  std::string event_name;    // e.g. "AttachUserPolicy"
  bool operator==(const SensitiveApi&) const = default;
};

// Returns the built-in list of `novelty.sensitive_apis`: IAM, STS, KMS, S3, Organizations and
// EC2 calls attackers use for persistence, privilege escalation, destruction and data theft
// (the reasons are beside the list in novelty_rules.cc).
std::vector<SensitiveApi> DefaultSensitiveApis();

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
  // An account's first successful call of a sensitive API it has not called successfully for
  // `sensitive_window` (a never-seen AttachUserPolicy at 3 calls a minute, far below any
  // rate level) raises a `first-sensitive-call` alert.
  bool first_sensitive_call = true;
  std::chrono::days sensitive_window{28};
  std::vector<SensitiveApi> sensitive_apis = DefaultSensitiveApis();
  // A warm account's successful calls of one sensitive API reaching `threshold` distinct
  // target users (or callers, for calls that name no user) within `window` raise a
  // `many-targets` alert: 15 keys for 15 users in 10 minutes, no minute busy.
  ManyTargetsOptions many_targets{};
  bool operator==(const NoveltyOptions&) const = default;
};

struct NoveltyCounters {
  std::uint64_t alerts = 0;
  std::uint64_t publish_errors = 0;
};

// Raises novelty alerts from the account facts (detector/account_facts.h), which it keeps up
// to date with every event, and from the spread of sensitive calls over targets
// (detector/many_targets_rule.h). Alerts are OCSF Detection Findings of kind kNovelty on the
// alerts output; the Insights output is untouched.
//
// Cost: one hash lookup of the event's (source, name) symbols in the sensitive APIs per event
// (a sensitive call costs one more, in the many-targets windows) and no allocation unless an
// alert fires, the facts learn something new or a many-targets window opens for a new
// (account, API). The sensitive
// APIs' names are interned at construction and at Reconfigure; one the interner refuses (at
// its cap) is left out, with a warning.
//
// Thread safety: none; the pipeline's thread owns it.
class NoveltyRules {
 public:
  // `interner` and `facts` must outlive the rules.
  NoveltyRules(NoveltyOptions options, common::StringInterner& interner, AccountFacts& facts);

  // Takes one event into the account facts and hands `sink` an alert when it is the first
  // write of a warm account in a region it has not written in within the window, and another
  // when it is a warm account's first successful call of a sensitive API within its window,
  // and a third when a warm account's successful calls of a sensitive API reach the many-targets
  // threshold. A sink failure is counted in `publish_errors`; the rules carry on.
  void OnEvent(const common::Event& event, common::AlertSink& sink);

  // A config reload: the facts learned so far are kept (the many-targets windows only when
  // their options stay the same).
  void Reconfigure(NoveltyOptions options);

  const NoveltyCounters& counters() const { return counters_; }
  const ManyTargetsRule& many_targets() const { return many_targets_; }

 private:
  static std::uint64_t CallKey(common::Symbol source, common::Symbol name) {
    return (std::uint64_t{source} << 32) | name;
  }
  bool Warm(const common::Event& event, const AccountFacts::Before& before) const;
  void CheckNewRegion(const common::Event& event, const AccountFacts::Before& before,
                      common::AlertSink& sink);
  void CheckSensitiveCall(const common::Event& event, const AccountFacts::Before& before,
                          common::AlertSink& sink);
  void CheckManyTargets(const common::Event& event, const AccountFacts::Before& before,
                        common::AlertSink& sink);
  void Publish(const common::Alert& alert, common::AlertSink& sink);

  NoveltyOptions options_;
  common::StringInterner& interner_;  // these two outlive the rules
  AccountFacts& facts_;
  std::unordered_set<std::uint64_t> sensitive_;  // CallKey of each of options_.sensitive_apis
  ManyTargetsRule many_targets_;
  NoveltyCounters counters_;
};

}  // namespace trailsight::detector
