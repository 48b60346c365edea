#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/event.h"
#include "common/interner.h"
#include "common/result.h"
#include "common/time.h"
#include "consumers/field_limits.h"

namespace trailsight::consumers {

// Limits that protect the reader from hostile or broken input.
struct InputOptions {
  std::size_t max_record_bytes = 50u << 20;  // larger records are dead-lettered, not parsed
  // Records dated earlier are dead-lettered: no genuine record is older, and a zero time
  // (Go's 0001-01-01T00:00:00Z) would poison the detector's minute windows.
  common::Seconds min_event_time = common::kCloudTrailBegan;
};

// Returns the dead-letter reason of an event dated before `min_event_time`, naming its
// eventTime and the bound, or an empty string when `time` is at or after the bound.
std::string EarlyDatedReason(common::Seconds time, common::Seconds min_event_time);

// Turns one CloudTrail record (a JSON object) into an Event, following DESIGN.md "Records to
// keys": account is recipientAccountId (else userIdentity.accountId), time is eventTime (else
// `@timestamp`), readOnly is inferred from the name when absent, the principal is the
// userIdentity ARN without an assumed role's session name. For the tamper rules it also keeps
// the bucket the call named (requestParameters.s3BucketName, else .bucketName; interned) and
// the eventID and sourceIPAddress (inline in the Event, never interned); for the novelty rules
// the IAM user an IAM call named (requestParameters.userName of an iam.amazonaws.com record,
// at most common::kMaxTargetUserBytes; interned). Fields may come in
// any order; the record is read in one pass with simdjson On-Demand.
//
// Every interned field has a bound (field_limits.h), checked before anything is interned: a
// record whose account, region, eventSource, eventName, errorCode or principal is longer is
// rejected with a message naming the field and its length ("field eventName is 1048576 bytes
// long, beyond its bound of 128 bytes"); a longer userAgent is cut and a longer bucket name
// left out, and field_limit_counters() counts both.
//
// The parser owns a padded buffer (for Parse(); ParsePadded() needs none) and a simdjson
// parser that it reuses, so in steady state
// Parse() allocates only when the interner meets a string it has never seen (and when it
// builds the message of a rejected record). Strings of a rejected record are not interned.
//
// Thread safety: none; one ingest thread owns a parser.
class RecordParser {
 public:
  // Keeps `interner`, which must outlive the parser; Events it returns carry its symbols.
  explicit RecordParser(common::StringInterner& interner);
  ~RecordParser();
  RecordParser(const RecordParser&) = delete;
  RecordParser& operator=(const RecordParser&) = delete;

  // Parses one record. Fails with kMalformedEvent and a message naming the problem:
  // "missing field eventName", "field readOnly must be a boolean",
  // "truncated or invalid JSON: <simdjson error>", "not a JSON object (found an array)".
  common::Result<common::Event> Parse(std::string_view record_json);

  // Bytes after a record that ParsePadded() may read.
  static constexpr std::size_t kPadding = 64;

  // Parse() without copying the record: `record_json` is parsed where it lies. The caller
  // must own kPadding readable bytes after it; what they hold does not matter.
  common::Result<common::Event> ParsePadded(std::string_view record_json);

  // Parses a whole Kafka message in one pass when it is one plain record: returns the Event
  // when `message` is a valid record without the top-level keys Records, detail-type and
  // detail, else nullopt, having interned nothing. MessageDecoder's fast path: on nullopt it
  // decodes the message the general way, which tells a batch or an envelope from a bad record
  // and names the problem.
  std::optional<common::Event> ParsePlainMessage(std::string_view message);

  // Records refused for an oversized identity field by Parse(), and values cut, so far.
  const FieldLimitCounters& field_limit_counters() const;

 private:
  // Parse(); with `whole_message`, fails at once (with an empty message) on a top-level key
  // that makes the object a batch or an envelope. With `padded`, parses `record_json` in place
  // (see ParsePadded) instead of a padded copy.
  common::Result<common::Event> Read(std::string_view record_json, bool whole_message, bool padded);

  struct State;  // hides simdjson from every includer
  std::unique_ptr<State> state_;
};

// Returns the ARN that names the role rather than the session: for
// "arn:aws:sts::123:assumed-role/Deployer/session-1" it returns
// "arn:aws:sts::123:assumed-role/Deployer"; any other ARN comes back unchanged. The result
// is a prefix of `arn`, so it needs no allocation.
std::string_view PrincipalFromArn(std::string_view arn);

// Returns true when a record named `event_name` without a readOnly field counts as a read:
// the name starts with Get, List, Describe, Head, Lookup or BatchGet.
bool IsReadOnlyName(std::string_view event_name);

}  // namespace trailsight::consumers
