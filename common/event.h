#pragma once

#include <cstdint>

#include "common/interner.h"
#include "common/time.h"

namespace trailsight::common {

// CloudTrail's eventCategory.
enum class EventCategory : std::uint8_t { kManagement, kData, kNetworkActivity, kInsight };

// One CloudTrail record, reduced to what detection needs. Strings are symbols of the
// StringInterner that parsed the record, so an Event is small and trivially copyable.
struct Event {
  Seconds time;                   // eventTime (or `@timestamp`), never arrival time
  Symbol account = kNoSymbol;     // recipientAccountId, else userIdentity.accountId
  Symbol region = kNoSymbol;      // awsRegion
  Symbol source = kNoSymbol;      // eventSource, e.g. "ec2.amazonaws.com"
  Symbol name = kNoSymbol;        // eventName, e.g. "TerminateInstances"
  Symbol error_code = kNoSymbol;  // errorCode; kNoSymbol when the call succeeded
  Symbol principal = kNoSymbol;   // userIdentity ARN with the session name removed
  Symbol user_agent = kNoSymbol;  // userAgent
  bool read_only = false;         // readOnly, else inferred from the name (Get*, List*, ...)
  EventCategory category = EventCategory::kManagement;
};

}  // namespace trailsight::common
