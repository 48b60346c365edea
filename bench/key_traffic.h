#pragma once

// The synthetic organisation of the state benchmarks (key_memory, state_restore): `keys`
// write APIs, each its own key, spread over 50 accounts in 2 regions each, with principals,
// user agents and sources from small shared pools, as in a real organisation. Every key has
// its own eventName, so interned strings are included at their worst.
#include <cstddef>
#include <vector>

#include "common/interner.h"
#include "common/time.h"
#include "detector/detector.h"

namespace trailsight::bench {

class KeyTraffic {
 public:
  KeyTraffic(common::StringInterner& interner, std::size_t keys);

  // The first day of the traffic: 2024-03-04T00:00:00Z.
  static common::Seconds Start();

  // One write call of every key at `step` (key k at `step` + k % 60 seconds); `round`
  // varies the principal and user agent.
  void CallEveryKey(detector::Detector& detector, common::Seconds step, std::size_t round) const;
  // One write call of key `key` at `time`.
  void Call(detector::Detector& detector, std::size_t key, common::Seconds time,
            std::size_t round) const;

  std::size_t keys() const { return names_.size(); }

 private:
  std::vector<common::Symbol> accounts_, regions_, sources_, principals_, user_agents_, names_;
};

}  // namespace trailsight::bench
