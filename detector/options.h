#pragma once

#include <chrono>
#include <cstddef>

#include "models/count_baseline.h"

namespace trailsight::detector {

// Everything that shapes how the engine turns events into findings. Filled from the
// `detector:` and `baseline:` sections of the config file; see config/trailsight.yaml.
struct DetectorOptions {
  // How long after an (account, region)'s newest event a minute stays open for late
  // records. Larger tolerates more delivery disorder and keeps more minutes in memory;
  // Starts do not wait for it (they fire as counts cross), Ends do.
  std::chrono::seconds allowed_lateness{300};
  // How much history an (account, region) needs before any of its keys may fire.
  std::chrono::hours warmup{24};
  // An insight ends after this many consecutive minutes below the calm level.
  int end_after_quiet_minutes = 2;
  // Distinct values tracked exactly per attribute and key; beyond it, the least frequent
  // is replaced (Space-Saving), ties broken by the smaller value.
  std::size_t attribution_values = 64;
  // At most this many keys; beyond it new keys are refused (their calls counted in
  // `keys_refused`) and a kCapReached alert is raised once per hour of event time.
  // Existing keys are never evicted, so baselines under attack stay intact.
  std::size_t max_keys = 2'000'000;
  // An (account, region) with no event for this long is silent, and alerted on when its
  // baseline expected at least `silent_minimum_events` events in the gap (and the gap was
  // improbable under it).
  std::chrono::minutes silent_after{15};
  double silent_minimum_events = 100.0;
  // A record more than this ahead of the newest record counted is held, not counted, until
  // time reaches it (Detector::OnEvent): one forged far-future record cannot make every
  // record of its (account, region) after it late.
  std::chrono::hours max_time_jump{6};
  models::CountBaselineOptions baseline;
};

}  // namespace trailsight::detector
