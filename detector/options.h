#pragma once

#include <chrono>
#include <cstddef>

#include "models/count_baseline.h"

namespace trailsight::detector {

// Everything that shapes how the engine turns events into findings. Filled from the
// `detector:` and `baseline:` sections of the config file; see config/trailsight.yaml.
struct DetectorOptions {
  // How long after an (account, region)'s newest event a minute stays open for late
  // records. Larger tolerates more delivery disorder; it also delays every Start by as much,
  // because a Start is published once all earlier minutes of its region are closed.
  std::chrono::seconds allowed_lateness{300};
  // How much history an (account, region) needs before any of its keys may fire.
  std::chrono::hours warmup{24};
  // An insight ends after this many consecutive minutes below the calm level.
  int end_after_quiet_minutes = 2;
  // Distinct values tracked exactly per attribute and key; beyond it, the least frequent
  // is replaced (Space-Saving), ties broken by the smaller value.
  std::size_t attribution_values = 64;
  models::CountBaselineOptions baseline;
};

}  // namespace trailsight::detector
