#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <vector>

#include "common/alert.h"
#include "common/event.h"
#include "common/interner.h"
#include "common/time.h"

namespace trailsight::detector {

// The `novelty.many_targets*` settings: one sensitive API spread over many IAM users (or made
// by many callers) in a short window, which no minute's count shows (DESIGN.md "Baseline",
// novelty).
struct ManyTargetsOptions {
  bool enabled = true;
  // Distinct targets within `window` that raise the alert: 15 CreateAccessKey for 15 users in
  // 10 minutes alerts at the 10th. From 2 to ManyTargetsRule::kMaxThreshold.
  std::size_t threshold = 10;
  std::chrono::minutes window{10};  // from 1 minute to a day
  bool operator==(const ManyTargetsOptions&) const = default;
};

// Counts, per (account, sensitive API), the distinct targets of its successful calls over a
// sliding window of event time, and raises a `novelty.many-targets` alert when they reach the
// threshold. A call's target is the IAM user it names (Event::target_user: CreateAccessKey,
// AttachUserPolicy, ... for a user), else its caller (Event::principal: PutBucketPolicy by
// many principals), so a CI role rotating its own key every day is one target for ever.
//
// One alert per episode: once a key has alerted it stays quiet until a whole window passes
// without a call of it (the window has cleared); then it counts afresh. Calls out of order by
// less than the window are counted in the window of their own time.
//
// Memory: an entry per (account, API) called within the last window, each with at most
// `threshold` targets (reaching it alerts, so more are never needed) and none while the key
// waits for its window to clear. Keys not called for a window are dropped, in one sweep per
// window of event time, so at most the keys of the last two windows are held. At most `max_keys`
// keys are held: a new key beyond it is counted in refused() and not judged. The state lives in
// memory only: a restart (or a config reload that changes these options) forgets at most one window
// of calls, so an episode that spans it can be seen as two shorter ones, each judged alone.
//
// Cost: nothing for calls that are not sensitive (the caller filters them); for a sensitive
// call one hash lookup and a scan of at most `threshold` targets, an allocation only for a
// new key or an alert.
//
// Thread safety: none; the pipeline's thread owns it (through NoveltyRules).
class ManyTargetsRule {
 public:
  static constexpr std::size_t kMaxKeys = 100'000;
  static constexpr std::size_t kMaxThreshold = 1'000;

  // `interner` resolves the events' symbols into the alert; it must outlive the rule.
  // REQUIRES: options.threshold within [2, kMaxThreshold] (config/ validates it).
  ManyTargetsRule(ManyTargetsOptions options, const common::StringInterner& interner,
                  std::size_t max_keys = kMaxKeys);

  // Counts the target of `event` and returns the alert (kind kNovelty, rule
  // `novelty.many-targets`) when its key reaches the threshold within the window; nullopt
  // otherwise and whenever the options are disabled. The caller passes only successful calls
  // of a sensitive API by a warm account (NoveltyRules).
  std::optional<common::Alert> OnSensitiveCall(const common::Event& event);

  // A config reload: new options forget every key's window (as a restart does); the same
  // options keep them.
  void Reconfigure(ManyTargetsOptions options);

  std::size_t keys() const { return spreads_.size(); }
  // New keys not judged because max_keys were held.
  std::uint64_t refused() const { return refused_; }

 private:
  struct Key {
    common::Symbol account = common::kNoSymbol;
    common::Symbol source = common::kNoSymbol;
    common::Symbol name = common::kNoSymbol;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& key) const {
      const std::uint64_t call = (std::uint64_t{key.source} << 32) | key.name;
      return std::hash<std::uint64_t>{}(call * 0x9E3779B97F4A7C15ULL ^ key.account);
    }
  };
  struct Target {
    common::Symbol target = common::kNoSymbol;
    bool user = false;       // an IAM user the call named; else the caller
    common::Seconds last{};  // its newest call
  };
  struct Spread {
    common::Seconds last_call{};  // the key's newest call
    bool alerted = false;         // quiet until a window passes without a call
    std::vector<Target> targets;  // called within the window; fewer than the threshold
  };

  // Drops the keys not called within the window before `now`.
  void Sweep(common::Seconds now);
  common::Alert ManyTargetsAlert(const common::Event& event, const Spread& spread) const;

  ManyTargetsOptions options_;
  const common::StringInterner& interner_;  // outlives the rule; see the constructor
  const std::size_t max_keys_;
  std::unordered_map<Key, Spread, KeyHash> spreads_;
  std::optional<common::Seconds> next_sweep_;  // event time of the next sweep
  std::uint64_t refused_ = 0;
};

}  // namespace trailsight::detector
