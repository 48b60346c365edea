#pragma once

#include "config/field_reader.h"
#include "detector/tuning.h"

namespace trailsight::config {

// Reads the `detection:` section (what SIGHUP may change) into `tuning`: sensitivity,
// min_calls, windows, the insight types, and the lists overrides, exclusions, criticality
// and suppressions, whose items are read as "detection.overrides.0.event_name". Every
// pattern is compiled here, so a bad one is reported at its line with the field's path.
// Also refuses baseline.p_value, which this section replaced, naming its new place.
void ReadDetection(FieldReader& read, detector::Tuning& tuning);

}  // namespace trailsight::config
