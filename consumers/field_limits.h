#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace trailsight::consumers {

// The longest value each interned field of a record may have, checked by RecordParser before
// anything is interned. The bounds are what AWS itself allows, with room to spare, so a
// genuine record never meets them; a longer value is forged or broken, and without a bound a
// few hundred records with megabyte values would fill the interner's `max_interned_bytes`
// (every later account and principal would then read "(overflow)") and every snapshot.
// docs/config.md, "Field bounds", gives the table to operators.
//
// Fields that make up a key or name an identity (account, region, eventSource, eventName,
// errorCode, principal) are never cut, since a cut value could merge two keys: a record with
// one beyond its bound is dead-lettered with a reason naming the field and its length.
// Free-text context is kept: a userAgent is cut to its bound at a UTF-8 character boundary,
// and a bucket name beyond its bound is left out of the Event (as a bucket name that is not a
// string is); both are counted in FieldLimitCounters::values_cut.
struct FieldLimits {
  // 12 digits, or a word such as ANONYMOUS_PRINCIPAL in userIdentity.accountId.
  static constexpr std::size_t kAccount = 32;
  static constexpr std::size_t kRegion = 32;        // us-gov-west-1, ap-southeast-5: 14 bytes
  static constexpr std::size_t kEventSource = 128;  // a service's host name
  static constexpr std::size_t kEventName = 128;    // an API's name
  static constexpr std::size_t kErrorCode = 128;    // AccessDenied, Client.Unauthorized...
  static constexpr std::size_t kPrincipal = 2048;   // IAM's limit on an ARN
  static constexpr std::size_t kUserAgent = 1024;   // cut beyond this
  static constexpr std::size_t kBucket = 255;       // legacy us-east-1 names; 63 since 2018
};

// What a parser did about values beyond their bounds, since it was made.
struct FieldLimitCounters {
  // Records dead-lettered because an identity field was longer than its bound.
  std::uint64_t oversized_records = 0;
  // userAgent values cut to their bound, and bucket names beyond theirs left out.
  std::uint64_t values_cut = 0;
};

// Returns the longest prefix of `text` of at most `limit` bytes that does not end inside a
// UTF-8 character (a prefix of valid UTF-8 stays valid). `text` itself when it fits.
inline std::string_view CutAtCharacter(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t end = limit;
  // Step back over continuation bytes (10xxxxxx) to the start of the character cut in two; a
  // character has at most three of them.
  while (end > 0 && limit - end < 3 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  return text.substr(0, end);
}

}  // namespace trailsight::consumers
