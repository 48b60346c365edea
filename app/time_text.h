#pragma once

#include <string_view>

#include "common/result.h"
#include "common/time.h"

namespace trailsight::app {

// Parses a time as analysts and public data sets write it, for `trailsight score` and
// `trailsight explain --at`:
// - ISO-8601 in UTC or with an offset: "2026-11-07T14:07Z", "2026-11-07 14:07:30",
//   "2026-11-07T14:07:30.250+01:00", "2026-11-07" (midnight); no zone means UTC;
// - Unix epoch seconds, optionally with a fraction: "1794060420", "1794060420.5".
// Fractions of a second are dropped. Fails with kInvalidArgument quoting the text.
common::Result<common::Seconds> ParseTimeText(std::string_view text);

}  // namespace trailsight::app
