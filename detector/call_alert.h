#pragma once

#include <string>
#include <utility>

#include "common/alert.h"
#include "common/event.h"
#include "common/interner.h"

namespace trailsight::detector {

// An alert raised by one call (a CloudTrail record): `kind`, `rule` and `severity`, at the
// record's time, with its account, region, API, error, caller, user agent, eventID and source
// address resolved through `interner` into owned strings. The caller adds the resource and
// the message.
inline common::Alert CallAlert(common::AlertKind kind, std::string rule, common::Severity severity,
                               const common::Event& event, const common::StringInterner& interner) {
  common::Alert alert;
  alert.kind = kind;
  alert.rule = std::move(rule);
  alert.severity = severity;
  alert.time = event.time;
  alert.account = interner.Resolve(event.account);
  alert.region = interner.Resolve(event.region);
  alert.event_source = interner.Resolve(event.source);
  alert.event_name = interner.Resolve(event.name);
  alert.error_code = interner.Resolve(event.error_code);
  alert.principal = interner.Resolve(event.principal);
  alert.user_agent = interner.Resolve(event.user_agent);
  alert.record_id = event.event_id.view();
  alert.source_ip = event.source_ip.view();
  return alert;
}

}  // namespace trailsight::detector
