#pragma once

#include <cstddef>
#include <cstdint>

#include "common/inline_text.h"
#include "common/interner.h"
#include "common/time.h"

namespace trailsight::common {

// CloudTrail's eventCategory.
enum class EventCategory : std::uint8_t { kManagement, kData, kNetworkActivity, kInsight };

// The longest requestParameters.userName an Event keeps: IAM's own limit on a user name.
inline constexpr std::size_t kMaxTargetUserBytes = 64;

// One CloudTrail record, reduced to what detection needs. Strings are symbols of the
// StringInterner that parsed the record, so an Event is small and trivially copyable;
// values unique to one record (eventID, sourceIPAddress) are kept inline instead, so that
// the interner only grows with values that repeat.
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
  // The S3 bucket the call named: requestParameters.s3BucketName (the trail's bucket in
  // CreateTrail and UpdateTrail), else requestParameters.bucketName (S3 bucket calls).
  // Interned like the other strings: a stream names the same buckets over and over.
  Symbol resource = kNoSymbol;
  // The IAM user an IAM call named: requestParameters.userName of an iam.amazonaws.com record
  // (CreateAccessKey, AttachUserPolicy, ...), at most kMaxTargetUserBytes (an IAM user name is
  // at most 64 characters: a longer value is forged and left out). Interned like the other
  // strings: an account has a bounded set of users.
  Symbol target_user = kNoSymbol;
  InlineText<40> event_id;   // eventID, a UUID (36 bytes); empty when the record had none
  InlineText<64> source_ip;  // sourceIPAddress: an address, or a service's host name
};

}  // namespace trailsight::common
