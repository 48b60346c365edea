#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "common/finding.h"
#include "common/time.h"

namespace trailsight::detector {

// How one window (the last `minutes` closed minutes, ending at the judged minute) compared
// with its levels.
struct WindowJudgement {
  int minutes = 1;            // 1, 5, 15 or 60
  std::uint32_t calls = 0;    // calls (or errors) in the window
  double expected = 0.0;      // what the baseline expects in the window
  std::uint32_t fire_at = 0;  // a window with at least this many calls is anomalous
  double score = 0.0;         // 0 (ordinary) .. 1 (at or beyond fire_at); see models/
};

// One closed minute of one key, as the detector judged it. Views are valid only during the
// OnMinuteClosed call.
struct MinuteJudgement {
  common::InsightType type = common::InsightType::kApiCallRate;
  std::string_view account, region, event_source, event_name;
  std::string_view error_code;  // error-rate keys only
  common::Minute minute{};
  std::uint32_t calls = 0;       // calls (or errors) in the minute
  std::uint32_t calm_below = 0;  // an open insight counts this minute as calm below this
  double score = 0.0;            // the largest window score
  bool warm = false;             // the key's region has its warm-up behind it
  bool insight_open = false;     // an insight on this key is open after this minute
  std::span<const WindowJudgement> windows;
};

// Receives every closed minute of every key that had calls in it or an open insight, in
// closing order, from the detector's thread. For series exports and explanations: the
// detector's decisions do not depend on it.
class MinuteObserver {
 public:
  virtual ~MinuteObserver() = default;
  virtual void OnMinuteClosed(const MinuteJudgement& judgement) = 0;
};

// Told when the detector starts and ends closing one (account, region)'s minute, with how
// many keys it judged, from the detector's thread: for timing minute closes in a live
// service, since the detector itself takes no clock.
class CloseListener {
 public:
  virtual ~CloseListener() = default;
  virtual void OnCloseBegin() = 0;
  virtual void OnCloseEnd(std::size_t keys) = 0;
};

}  // namespace trailsight::detector
