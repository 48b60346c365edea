#include "consumers/record_parser.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "consumers/field_limits.h"
#include "consumers/json_type_name.h"

namespace trailsight::consumers {
namespace {

namespace od = simdjson::ondemand;
using common::Error;
using common::ErrorCode;
using common::EventCategory;

constexpr std::string_view kIamSource = "iam.amazonaws.com";

// The top-level fields a record is read for; everything else is skipped unread.
enum class Field {
  kOther,
  kEventTime,
  kTimestamp,
  kRecipientAccountId,
  kAwsRegion,
  kEventSource,
  kEventName,
  kErrorCode,
  kUserAgent,
  kReadOnly,
  kEventCategory,
  kManagementEvent,
  kUserIdentity,
  kEventId,
  kSourceIpAddress,
  kRequestParameters,
  kEnvelope,  // Records, detail-type, detail: a batch or an EventBridge envelope, not a record
};

// Whether `text` is `literal`: its length, then bytes compared over a length known when
// compiling, which the compiler inlines rather than calling memcmp for each key read.
template <std::size_t N>
bool Is(std::string_view text, const char (&literal)[N]) {
  return text.size() == N - 1 && std::memcmp(text.data(), literal, N - 1) == 0;
}

// Classifies a key with one length switch and at most five comparisons.
Field Classify(std::string_view key) {
  switch (key.size()) {
    case 6:
      return Is(key, "detail") ? Field::kEnvelope : Field::kOther;
    case 7:
      if (Is(key, "eventID")) return Field::kEventId;
      return Is(key, "Records") ? Field::kEnvelope : Field::kOther;
    case 8:
      return Is(key, "readOnly") ? Field::kReadOnly : Field::kOther;
    case 9:
      if (Is(key, "eventTime")) return Field::kEventTime;
      if (Is(key, "eventName")) return Field::kEventName;
      if (Is(key, "awsRegion")) return Field::kAwsRegion;
      if (Is(key, "errorCode")) return Field::kErrorCode;
      if (Is(key, "userAgent")) return Field::kUserAgent;
      return Field::kOther;
    case 10:
      return Is(key, "@timestamp") ? Field::kTimestamp : Field::kOther;
    case 11:
      if (Is(key, "eventSource")) return Field::kEventSource;
      return Is(key, "detail-type") ? Field::kEnvelope : Field::kOther;
    case 12:
      return Is(key, "userIdentity") ? Field::kUserIdentity : Field::kOther;
    case 13:
      return Is(key, "eventCategory") ? Field::kEventCategory : Field::kOther;
    case 15:
      if (Is(key, "managementEvent")) return Field::kManagementEvent;
      if (Is(key, "sourceIPAddress")) return Field::kSourceIpAddress;
      return Field::kOther;
    case 17:
      return Is(key, "requestParameters") ? Field::kRequestParameters : Field::kOther;
    case 18:
      return Is(key, "recipientAccountId") ? Field::kRecipientAccountId : Field::kOther;
    default:
      return Field::kOther;
  }
}

Error Malformed(std::string message) {
  return Error{ErrorCode::kMalformedEvent, std::move(message)};
}

Error InvalidJson(simdjson::error_code code) {
  return Malformed(fmt::format("truncated or invalid JSON: {}", simdjson::error_message(code)));
}

// Views of the fields that matter, into the simdjson parser's string buffer; they stay valid
// until the next document is iterated. An absent or null field is an empty optional.
struct Fields {
  std::optional<std::string_view> event_time, timestamp, recipient_account, region, source, name,
      error_code, user_agent, category;
  std::optional<std::string_view> identity_arn, identity_invoked_by, identity_type,
      identity_account;
  std::optional<std::string_view> event_id, source_ip, bucket, trail_bucket, user_name;
  std::optional<bool> read_only, management_event;
};

// Reads a string (null counts as absent) into `out`; `field` names it in the error.
std::optional<Error> ReadString(od::value& value, std::string_view field,
                                std::optional<std::string_view>& out) {
  od::json_type type;
  if (auto error = value.type().get(type)) return InvalidJson(error);
  if (type == od::json_type::null) return std::nullopt;
  if (type != od::json_type::string) {
    return Malformed(fmt::format("field {} must be a string, not {}", field, JsonTypeName(type)));
  }
  std::string_view text;
  if (auto error = value.get_string().get(text)) return InvalidJson(error);
  out = text;
  return std::nullopt;
}

// Reads a boolean (null counts as absent) into `out`.
std::optional<Error> ReadBool(od::value& value, std::string_view field, std::optional<bool>& out) {
  od::json_type type;
  if (auto error = value.type().get(type)) return InvalidJson(error);
  if (type == od::json_type::null) return std::nullopt;
  if (type != od::json_type::boolean) {
    return Malformed(fmt::format("field {} must be a boolean, not {}", field, JsonTypeName(type)));
  }
  bool flag = false;
  if (auto error = value.get_bool().get(flag)) return InvalidJson(error);
  out = flag;
  return std::nullopt;
}

// Reads the userIdentity object: arn, invokedBy, type and accountId.
std::optional<Error> ReadUserIdentity(od::value& value, Fields& fields) {
  od::json_type type;
  if (auto error = value.type().get(type)) return InvalidJson(error);
  if (type == od::json_type::null) return std::nullopt;
  if (type != od::json_type::object) {
    return Malformed(
        fmt::format("field userIdentity must be an object, not {}", JsonTypeName(type)));
  }
  od::object identity;
  if (auto error = value.get_object().get(identity)) return InvalidJson(error);
  for (auto member : identity) {
    od::field field;
    if (auto error = std::move(member).get(field)) return InvalidJson(error);
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return InvalidJson(error);
    od::value& inner = field.value();
    std::optional<Error> problem;
    if (Is(key, "arn")) {
      problem = ReadString(inner, "userIdentity.arn", fields.identity_arn);
    } else if (Is(key, "invokedBy")) {
      problem = ReadString(inner, "userIdentity.invokedBy", fields.identity_invoked_by);
    } else if (Is(key, "type")) {
      problem = ReadString(inner, "userIdentity.type", fields.identity_type);
    } else if (Is(key, "accountId")) {
      problem = ReadString(inner, "userIdentity.accountId", fields.identity_account);
    }
    if (problem) return problem;
  }
  return std::nullopt;
}

// Reads the requestParameters the rules use: bucketName (S3 bucket calls) and s3BucketName
// (CreateTrail, UpdateTrail) for the tamper rules, userName (IAM calls on a user) for the
// novelty rules. Parameters are context, not identity: a requestParameters that is not an
// object, or one of these that is not a string, is ignored rather than costing the record.
// Only truncated or invalid JSON fails.
std::optional<Error> ReadRequestParameters(od::value& value, Fields& fields) {
  od::json_type type;
  if (auto error = value.type().get(type)) return InvalidJson(error);
  if (type != od::json_type::object) return std::nullopt;
  od::object parameters;
  if (auto error = value.get_object().get(parameters)) return InvalidJson(error);
  for (auto member : parameters) {
    od::field field;
    if (auto error = std::move(member).get(field)) return InvalidJson(error);
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return InvalidJson(error);
    std::optional<std::string_view>* out = Is(key, "bucketName")     ? &fields.bucket
                                           : Is(key, "s3BucketName") ? &fields.trail_bucket
                                           : Is(key, "userName")     ? &fields.user_name
                                                                     : nullptr;
    if (out == nullptr) continue;
    od::value& inner = field.value();
    if (auto error = inner.type().get(type)) return InvalidJson(error);
    if (type != od::json_type::string) continue;
    std::string_view text;
    if (auto error = inner.get_string().get(text)) return InvalidJson(error);
    *out = text;
  }
  return std::nullopt;
}

// Reads one top-level field into `fields`; unknown fields are skipped by simdjson.
std::optional<Error> ReadField(Field id, od::value& value, Fields& fields) {
  switch (id) {
    case Field::kOther:
    case Field::kEnvelope:
      return std::nullopt;
    case Field::kEventTime:
      return ReadString(value, "eventTime", fields.event_time);
    case Field::kTimestamp:
      return ReadString(value, "@timestamp", fields.timestamp);
    case Field::kRecipientAccountId:
      return ReadString(value, "recipientAccountId", fields.recipient_account);
    case Field::kAwsRegion:
      return ReadString(value, "awsRegion", fields.region);
    case Field::kEventSource:
      return ReadString(value, "eventSource", fields.source);
    case Field::kEventName:
      return ReadString(value, "eventName", fields.name);
    case Field::kErrorCode:
      return ReadString(value, "errorCode", fields.error_code);
    case Field::kUserAgent:
      return ReadString(value, "userAgent", fields.user_agent);
    case Field::kReadOnly:
      return ReadBool(value, "readOnly", fields.read_only);
    case Field::kEventCategory:
      return ReadString(value, "eventCategory", fields.category);
    case Field::kManagementEvent:
      return ReadBool(value, "managementEvent", fields.management_event);
    case Field::kUserIdentity:
      return ReadUserIdentity(value, fields);
    case Field::kEventId:
      return ReadString(value, "eventID", fields.event_id);
    case Field::kSourceIpAddress:
      return ReadString(value, "sourceIPAddress", fields.source_ip);
    case Field::kRequestParameters:
      return ReadRequestParameters(value, fields);
  }
  return std::nullopt;
}

// Checks that a required string field is present and not empty.
std::optional<Error> Require(const std::optional<std::string_view>& value, std::string_view name) {
  if (!value) return Malformed(fmt::format("missing field {}", name));
  if (value->empty()) return Malformed(fmt::format("field {} must not be empty", name));
  return std::nullopt;
}

// Returns the dead-letter reason of an identity field longer than its bound (field_limits.h),
// naming the field and its length; nullopt when it fits.
std::optional<Error> BeyondBound(std::string_view value, std::size_t limit,
                                 std::string_view field) {
  if (value.size() <= limit) return std::nullopt;
  return Malformed(fmt::format("field {} is {} bytes long, beyond its bound of {} bytes", field,
                               value.size(), limit));
}

std::optional<EventCategory> CategoryFromName(std::string_view name) {
  if (Is(name, "Management")) return EventCategory::kManagement;
  if (Is(name, "Data")) return EventCategory::kData;
  if (Is(name, "NetworkActivity")) return EventCategory::kNetworkActivity;
  if (Is(name, "Insight")) return EventCategory::kInsight;
  return std::nullopt;
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

struct RecordParser::State {
  explicit State(common::StringInterner& strings) : interner(strings) {}

  common::StringInterner& interner;  // outlives the parser; see the constructor's contract
  std::vector<char> buffer;          // the record plus SIMDJSON_PADDING; grows, never shrinks
  od::parser parser;                 // reuses its index and string buffers between records
  FieldLimitCounters limits;
};

RecordParser::RecordParser(common::StringInterner& interner)
    : state_(std::make_unique<State>(interner)) {}

RecordParser::~RecordParser() = default;

const FieldLimitCounters& RecordParser::field_limit_counters() const { return state_->limits; }

static_assert(RecordParser::kPadding >= simdjson::SIMDJSON_PADDING);

common::Result<common::Event> RecordParser::Parse(std::string_view record_json) {
  return Read(record_json, /*whole_message=*/false, /*padded=*/false);
}

common::Result<common::Event> RecordParser::ParsePadded(std::string_view record_json) {
  return Read(record_json, /*whole_message=*/false, /*padded=*/true);
}

std::optional<common::Event> RecordParser::ParsePlainMessage(std::string_view message) {
  common::Result<common::Event> event = Read(message, /*whole_message=*/true, /*padded=*/false);
  if (!event) return std::nullopt;
  return *event;
}

common::Result<common::Event> RecordParser::Read(std::string_view record_json, bool whole_message,
                                                 bool padded) {
  const char* json = record_json.data();
  std::size_t capacity = record_json.size() + kPadding;
  if (!padded || json == nullptr) {
    std::vector<char>& buffer = state_->buffer;
    const std::size_t needed = record_json.size() + simdjson::SIMDJSON_PADDING;
    if (buffer.size() < needed) buffer.resize(std::max(needed, buffer.size() * 2));
    if (!record_json.empty()) std::memcpy(buffer.data(), record_json.data(), record_json.size());
    json = buffer.data();
    capacity = buffer.size();
  }

  od::document document;
  if (auto error = state_->parser.iterate(json, record_json.size(), capacity).get(document)) {
    return InvalidJson(error);
  }
  od::json_type type;
  if (auto error = document.type().get(type)) return InvalidJson(error);
  if (type != od::json_type::object) {
    return Malformed(fmt::format("not a JSON object (found {})", JsonTypeName(type)));
  }
  od::object object;
  if (auto error = document.get_object().get(object)) return InvalidJson(error);

  Fields fields;
  for (auto member : object) {
    od::field field;
    if (auto error = std::move(member).get(field)) return InvalidJson(error);
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return InvalidJson(error);
    const Field id = Classify(key);
    // A batch or an envelope: the caller decodes it as such. No message: nothing allocated.
    if (id == Field::kEnvelope && whole_message) return Malformed({});
    if (auto problem = ReadField(id, field.value(), fields)) return *std::move(problem);
  }
  // current_location() is out of bounds once the whole input has been consumed.
  if (document.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    return Malformed("truncated or invalid JSON: unexpected content after the record");
  }

  // Validate everything before interning anything, so rejected records add no strings.
  const std::optional<std::string_view>& time_text =
      fields.event_time ? fields.event_time : fields.timestamp;
  if (!time_text) return Malformed("missing field eventTime (and @timestamp)");
  common::Result<common::Seconds> time = common::ParseUtcTimestamp(*time_text);
  if (!time) {
    return Malformed(fmt::format("field {}: {}", fields.event_time ? "eventTime" : "@timestamp",
                                 time.error().message));
  }
  const bool recipient = fields.recipient_account && !fields.recipient_account->empty();
  const std::optional<std::string_view>& account =
      recipient ? fields.recipient_account : fields.identity_account;
  if (!account || account->empty()) {
    return Malformed("missing field recipientAccountId (and userIdentity.accountId)");
  }
  if (auto problem = Require(fields.region, "awsRegion")) return *std::move(problem);
  if (auto problem = Require(fields.source, "eventSource")) return *std::move(problem);
  if (auto problem = Require(fields.name, "eventName")) return *std::move(problem);

  EventCategory category = EventCategory::kManagement;
  if (fields.category) {
    const std::optional<EventCategory> named = CategoryFromName(*fields.category);
    if (!named) {
      return Malformed(fmt::format("field eventCategory has unknown value \"{}\"",
                                   fields.category->substr(0, 64)));
    }
    category = *named;
  } else if (fields.management_event == false) {
    category = EventCategory::kData;
  }

  std::string_view principal;
  std::string_view principal_field;
  if (fields.identity_arn && !fields.identity_arn->empty()) {
    principal = PrincipalFromArn(*fields.identity_arn);
    principal_field = "userIdentity.arn";
  } else if (fields.identity_invoked_by && !fields.identity_invoked_by->empty()) {
    principal = *fields.identity_invoked_by;
    principal_field = "userIdentity.invokedBy";
  } else if (fields.identity_type) {
    principal = *fields.identity_type;
    principal_field = "userIdentity.type";
  }

  // Identity fields beyond their bounds cost the record; a cut would merge keys.
  std::optional<Error> oversized = BeyondBound(
      *account, FieldLimits::kAccount, recipient ? "recipientAccountId" : "userIdentity.accountId");
  if (!oversized) oversized = BeyondBound(*fields.region, FieldLimits::kRegion, "awsRegion");
  if (!oversized) {
    oversized = BeyondBound(*fields.source, FieldLimits::kEventSource, "eventSource");
  }
  if (!oversized) oversized = BeyondBound(*fields.name, FieldLimits::kEventName, "eventName");
  if (!oversized && fields.error_code) {
    oversized = BeyondBound(*fields.error_code, FieldLimits::kErrorCode, "errorCode");
  }
  if (!oversized) oversized = BeyondBound(principal, FieldLimits::kPrincipal, principal_field);
  if (oversized) {
    // A whole message refused here is parsed again by Parse(), which counts it.
    if (!whole_message) ++state_->limits.oversized_records;
    return *std::move(oversized);
  }
  // Free-text context is cut (userAgent) or left out (a bucket name), and counted.
  std::string_view user_agent = fields.user_agent.value_or(std::string_view());
  if (user_agent.size() > FieldLimits::kUserAgent) {
    user_agent = CutAtCharacter(user_agent, FieldLimits::kUserAgent);
    ++state_->limits.values_cut;
  }
  std::optional<std::string_view> bucket =
      fields.trail_bucket && !fields.trail_bucket->empty() ? fields.trail_bucket : fields.bucket;
  if (bucket && bucket->size() > FieldLimits::kBucket) {
    bucket.reset();
    ++state_->limits.values_cut;
  }

  common::StringInterner& interner = state_->interner;
  common::Event event;
  event.time = *time;
  event.account = interner.Intern(*account);
  event.region = interner.Intern(*fields.region);
  event.source = interner.Intern(*fields.source);
  event.name = interner.Intern(*fields.name);
  event.error_code = fields.error_code ? interner.Intern(*fields.error_code) : common::kNoSymbol;
  event.principal = interner.Intern(principal);
  event.user_agent = interner.Intern(user_agent);  // the empty string is kNoSymbol
  event.read_only = fields.read_only.value_or(IsReadOnlyName(*fields.name));
  event.category = category;
  event.resource = bucket ? interner.Intern(*bucket) : common::kNoSymbol;
  // Only IAM's userName names an IAM user (other services' are their own users), and only a
  // name IAM could have made: a longer one is forged, and is not worth a string.
  if (fields.user_name && fields.user_name->size() <= common::kMaxTargetUserBytes &&
      *fields.source == kIamSource) {
    event.target_user = interner.Intern(*fields.user_name);
  }
  if (fields.event_id) event.event_id.Assign(*fields.event_id);
  if (fields.source_ip) event.source_ip.Assign(*fields.source_ip);
  return event;
}

std::string_view PrincipalFromArn(std::string_view arn) {
  constexpr std::string_view kAssumedRole = ":assumed-role/";
  const std::size_t role = arn.find(kAssumedRole);
  if (role == std::string_view::npos) return arn;
  const std::size_t session = arn.find('/', role + kAssumedRole.size());
  return session == std::string_view::npos ? arn : arn.substr(0, session);
}

bool IsReadOnlyName(std::string_view event_name) {
  for (std::string_view prefix : {"Get", "List", "Describe", "Head", "Lookup", "BatchGet"}) {
    if (StartsWith(event_name, prefix)) return true;
  }
  return false;
}

std::string EarlyDatedReason(common::Seconds time, common::Seconds min_event_time) {
  if (time >= min_event_time) return {};
  return fmt::format("eventTime {} is before min_event_time {}", common::FormatUtcTimestamp(time),
                     common::FormatUtcTimestamp(min_event_time));
}

}  // namespace trailsight::consumers
