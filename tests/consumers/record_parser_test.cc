#include "consumers/record_parser.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

#include "common/time.h"
#include "tests/consumers/test_inputs.h"

namespace trailsight::consumers {
namespace {

using common::EventCategory;
using common::kNoSymbol;

common::Seconds Time(std::string_view text) { return *common::ParseUtcTimestamp(text); }

// Fixture: one interner and parser, and helpers to read an Event's strings back.
class RecordParserTest : public ::testing::Test {
 protected:
  common::Result<common::Event> Parse(std::string_view json) { return parser_.Parse(json); }
  std::string Text(common::Symbol symbol) const { return std::string(interner_.Resolve(symbol)); }
  // Parses `json`, which must succeed.
  common::Event ParseOk(std::string_view json) {
    common::Result<common::Event> event = parser_.Parse(json);
    EXPECT_TRUE(event.has_value()) << event.error().message << "\n" << json;
    return event ? *event : common::Event{};
  }
  // Parses `json`, which must fail as malformed; returns the message.
  std::string ParseError(std::string_view json) {
    common::Result<common::Event> event = parser_.Parse(json);
    EXPECT_FALSE(event.has_value()) << json;
    if (event) return {};
    EXPECT_EQ(event.error().code, common::ErrorCode::kMalformedEvent);
    return event.error().message;
  }

  common::StringInterner interner_;
  RecordParser parser_{interner_};
};

// A minimal valid record: the required fields plus `extra` (a leading-comma-free list).
std::string Minimal(std::string_view extra = {}, std::string_view name = "RunInstances") {
  std::string json = R"({"eventTime":"2024-01-02T03:04:05Z","recipientAccountId":"111122223333",)"
                     R"("awsRegion":"us-east-1","eventSource":"ec2.amazonaws.com","eventName":")";
  json += name;
  json += '"';
  if (!extra.empty()) json += ',' + std::string(extra);
  return json + '}';
}

TEST_F(RecordParserTest, MapsEveryFieldOfACompleteRecord) {
  const std::string json = R"({
    "eventVersion": "1.09",
    "userIdentity": {"type": "AssumedRole", "accountId": "999988887777",
                     "arn": "arn:aws:sts::111122223333:assumed-role/Deployer/session-1"},
    "eventTime": "2024-07-31T13:06:24Z", "eventSource": "ec2.amazonaws.com",
    "eventName": "TerminateInstances", "awsRegion": "eu-west-1",
    "errorCode": "Client.UnauthorizedOperation", "userAgent": "aws-cli/2.15",
    "readOnly": false, "eventCategory": "Management", "managementEvent": true,
    "recipientAccountId": "111122223333"})";

  const common::Event event = ParseOk(json);

  EXPECT_EQ(event.time, Time("2024-07-31T13:06:24Z"));
  EXPECT_EQ(Text(event.account), "111122223333");
  EXPECT_EQ(Text(event.region), "eu-west-1");
  EXPECT_EQ(Text(event.source), "ec2.amazonaws.com");
  EXPECT_EQ(Text(event.name), "TerminateInstances");
  EXPECT_EQ(Text(event.error_code), "Client.UnauthorizedOperation");
  EXPECT_EQ(Text(event.user_agent), "aws-cli/2.15");
  EXPECT_EQ(Text(event.principal), "arn:aws:sts::111122223333:assumed-role/Deployer");
  EXPECT_FALSE(event.read_only);
  EXPECT_EQ(event.category, EventCategory::kManagement);
}

// ParsePadded reads the record where it lies: whatever follows it in the caller's buffer (the
// next record, or garbage) is neither parsed nor able to change the result.
TEST_F(RecordParserTest, ParsePaddedReadsTheRecordInPlaceWhateverFollowsIt) {
  const std::string record = Minimal(R"("userAgent":"aws-cli/2")");
  for (const std::string& after : {std::string(RecordParser::kPadding, '9'),
                                   std::string("\n").append(Minimal()).append(64, '}'),
                                   std::string(RecordParser::kPadding, '\0')}) {
    const std::string buffer = record + after;
    common::Result<common::Event> event =
        parser_.ParsePadded(std::string_view(buffer).substr(0, record.size()));
    ASSERT_TRUE(event.has_value()) << event.error().message;
    EXPECT_EQ(Text(event->name), "RunInstances");
    EXPECT_EQ(Text(event->user_agent), "aws-cli/2");
  }
  const std::string truncated = record.substr(0, 40) + std::string(RecordParser::kPadding, '"');
  EXPECT_FALSE(parser_.ParsePadded(std::string_view(truncated).substr(0, 40)).has_value());
}

TEST_F(RecordParserTest, TakesAccountFromUserIdentityWhenRecipientAccountIdIsMissing) {
  const common::Event event = ParseOk(
      R"({"eventTime":"2024-01-02T03:04:05Z","awsRegion":"us-east-1","eventSource":"s3.amazonaws.com",)"
      R"("eventName":"GetObject","userIdentity":{"type":"IAMUser","accountId":"444455556666"}})");

  EXPECT_EQ(Text(event.account), "444455556666");
}

TEST_F(RecordParserTest, RejectsRecordWithoutAnyAccount) {
  const std::string message = ParseError(
      R"({"eventTime":"2024-01-02T03:04:05Z","awsRegion":"us-east-1",)"
      R"("eventSource":"s3.amazonaws.com","eventName":"GetObject","userIdentity":{"type":"X"}})");

  EXPECT_EQ(message, "missing field recipientAccountId (and userIdentity.accountId)");
}

TEST_F(RecordParserTest, FallsBackToAtTimestampWithFractionalSeconds) {
  const common::Event event = ParseOk(
      R"({"recipientAccountId":"1","awsRegion":"us-east-1","eventSource":"s3.amazonaws.com",)"
      R"("eventName":"ListBuckets","@timestamp":"2020-09-14T00:44:23.000Z"})");

  EXPECT_EQ(event.time, Time("2020-09-14T00:44:23Z"));
}

TEST_F(RecordParserTest, PrefersEventTimeOverAtTimestamp) {
  const common::Event event = ParseOk(Minimal(R"("@timestamp":"2030-01-01T00:00:00Z")"));

  EXPECT_EQ(event.time, Time("2024-01-02T03:04:05Z"));
}

TEST_F(RecordParserTest, RejectsRecordWithoutEventTimeOrAtTimestamp) {
  const std::string message = ParseError(
      R"({"recipientAccountId":"1","awsRegion":"us-east-1","eventSource":"s3.amazonaws.com",)"
      R"("eventName":"ListBuckets"})");

  EXPECT_EQ(message, "missing field eventTime (and @timestamp)");
}

TEST_F(RecordParserTest, RejectsEventTimeThatIsNotUtcIso8601) {
  const std::string message =
      ParseError(R"({"eventTime":"yesterday","recipientAccountId":"1","awsRegion":"us-east-1",)"
                 R"("eventSource":"s3.amazonaws.com","eventName":"ListBuckets"})");

  EXPECT_NE(message.find("field eventTime"), std::string::npos) << message;
  EXPECT_NE(message.find("yesterday"), std::string::npos) << message;
}

TEST_F(RecordParserTest, RejectsRecordMissingARequiredField) {
  const std::string base = R"("eventTime":"2024-01-02T03:04:05Z","recipientAccountId":"1")";
  const struct {
    std::string json;
    std::string_view message;
  } cases[] = {
      {"{" + base + R"(,"eventSource":"a","eventName":"B"})", "missing field awsRegion"},
      {"{" + base + R"(,"awsRegion":"r","eventName":"B"})", "missing field eventSource"},
      {"{" + base + R"(,"awsRegion":"r","eventSource":"a"})", "missing field eventName"},
      {"{" + base + R"(,"awsRegion":"r","eventSource":"a","eventName":""})",
       "field eventName must not be empty"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.json);
    EXPECT_EQ(ParseError(c.json), c.message);
  }
}

TEST_F(RecordParserTest, RejectsFieldsOfTheWrongType) {
  const struct {
    std::string json;
    std::string_view message;
  } cases[] = {
      {Minimal(R"("eventName":42)"), "field eventName must be a string, not a number"},
      {Minimal(R"("eventTime":{"at":"now"})"), "field eventTime must be a string, not an object"},
      {Minimal(R"("readOnly":"false")"), "field readOnly must be a boolean, not a string"},
      {Minimal(R"("managementEvent":1)"), "field managementEvent must be a boolean, not a number"},
      {Minimal(R"("userIdentity":"root")"), "field userIdentity must be an object, not a string"},
      {Minimal(R"("userIdentity":{"arn":["x"]})"),
       "field userIdentity.arn must be a string, not an array"},
      {Minimal(R"("errorCode":true)"), "field errorCode must be a string, not a boolean"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.json);
    EXPECT_EQ(ParseError(c.json), c.message);
  }
}

TEST_F(RecordParserTest, LeavesOptionalFieldsEmptyWhenAbsentOrNull) {
  const common::Event absent = ParseOk(Minimal());
  const common::Event null = ParseOk(Minimal(R"("errorCode":null,"userAgent":null)"));

  for (const common::Event& event : {absent, null}) {
    EXPECT_EQ(event.error_code, kNoSymbol);
    EXPECT_EQ(event.user_agent, kNoSymbol);
    EXPECT_EQ(event.principal, kNoSymbol);
  }
}

TEST_F(RecordParserTest, KeepsEventIdAndSourceAddressInlineWithoutInterningThem) {
  const std::size_t before = interner_.size();

  const common::Event event = ParseOk(Minimal(
      R"("eventID":"10163ed2-2253-469d-a5ee-cbc6651f8934","sourceIPAddress":"86.245.153.234")"));

  EXPECT_EQ(event.event_id.view(), "10163ed2-2253-469d-a5ee-cbc6651f8934");
  EXPECT_EQ(event.source_ip.view(), "86.245.153.234");
  EXPECT_EQ(interner_.size(), before + 4);  // account, region, source and name only
}

TEST_F(RecordParserTest, CutsOverlongEventIdsAndSourceAddressesToTheirCapacity) {
  const std::string id(100, 'i'), address(100, 'a');

  const common::Event event =
      ParseOk(Minimal(R"("eventID":")" + id + R"(","sourceIPAddress":")" + address + R"(")"));

  EXPECT_EQ(event.event_id.view(), id.substr(0, 40));
  EXPECT_TRUE(event.event_id.truncated());
  EXPECT_EQ(event.source_ip.view(), address.substr(0, 64));
  EXPECT_TRUE(event.source_ip.truncated());
}

TEST_F(RecordParserTest, TakesTheBucketAnS3CallActedOn) {
  const common::Event event =
      ParseOk(Minimal(R"("requestParameters":{"bucketPolicy":{"Statement":[{"Effect":"Deny"}]},)"
                      R"("bucketName":"org-trail-logs","policy":""})",
                      "PutBucketPolicy"));

  EXPECT_EQ(Text(event.resource), "org-trail-logs");
}

TEST_F(RecordParserTest, TakesTheTrailBucketOfCreateTrailAndUpdateTrail) {
  const common::Event event =
      ParseOk(Minimal(R"("requestParameters":{"name":"org-trail","s3BucketName":"org-trail-logs",)"
                      R"("isMultiRegionTrail":true})",
                      "CreateTrail"));

  EXPECT_EQ(Text(event.resource), "org-trail-logs");
}

TEST_F(RecordParserTest, LeavesTheResourceEmptyWithoutABucketParameter) {
  const struct {
    std::string json;
    std::string_view why;
  } cases[] = {
      {Minimal(), "no requestParameters"},
      {Minimal(R"("requestParameters":null)"), "null requestParameters"},
      {Minimal(R"("requestParameters":{"name":"trail"})"), "no bucket in them"},
      {Minimal(R"("requestParameters":"bucketName")"), "requestParameters not an object"},
      {Minimal(R"("requestParameters":{"bucketName":["b"]})"), "bucketName not a string"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.why);
    EXPECT_EQ(ParseOk(c.json).resource, kNoSymbol);
  }
}

// An IAM record, with `parameters` as its requestParameters.
std::string Iam(std::string_view parameters, std::string_view name = "CreateAccessKey") {
  return R"({"eventTime":"2024-01-02T03:04:05Z","recipientAccountId":"111122223333",)"
         R"("awsRegion":"us-east-1","eventSource":"iam.amazonaws.com","eventName":")" +
         std::string(name) + R"(","requestParameters":)" + std::string(parameters) + "}";
}

TEST_F(RecordParserTest, TakesTheUserAnIamCallNamed) {
  const common::Event event = ParseOk(Iam(R"({"userName":"alice","policyArn":"x"})"));

  EXPECT_EQ(Text(event.target_user), "alice");
  EXPECT_EQ(event.resource, kNoSymbol);
}

TEST_F(RecordParserTest, LeavesTheTargetUserEmptyUnlessAnIamCallNamedAPlausibleUser) {
  const struct {
    std::string json;
    std::string_view why;
  } cases[] = {
      {Iam("null"), "no requestParameters"},
      {Iam(R"({"roleName":"admin"})"), "no user in them"},
      {Iam(R"({"userName":7})"), "userName not a string"},
      {Iam(R"({"userName":")" + std::string(common::kMaxTargetUserBytes + 1, 'u') + R"("})"),
       "longer than IAM allows"},
      {Minimal(R"("requestParameters":{"userName":"alice"})"), "not an IAM call"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.why);
    EXPECT_EQ(ParseOk(c.json).target_user, kNoSymbol);
  }
  const std::string longest(common::kMaxTargetUserBytes, 'u');
  EXPECT_EQ(Text(ParseOk(Iam(R"({"userName":")" + longest + R"("})")).target_user), longest);
}

TEST_F(RecordParserTest, RejectsEventIdAndSourceAddressOfTheWrongType) {
  EXPECT_EQ(ParseError(Minimal(R"("eventID":7)")), "field eventID must be a string, not a number");
  EXPECT_EQ(ParseError(Minimal(R"("sourceIPAddress":{})")),
            "field sourceIPAddress must be a string, not an object");
}

TEST_F(RecordParserTest, ReadOnlyFieldWinsOverTheName) {
  EXPECT_TRUE(ParseOk(Minimal(R"("readOnly":true)", "CreateBucket")).read_only);
  EXPECT_FALSE(ParseOk(Minimal(R"("readOnly":false)", "GetObject")).read_only);
}

TEST_F(RecordParserTest, InfersReadOnlyFromTheNameWhenTheFieldIsAbsent) {
  for (std::string_view name : {"GetObject", "ListBuckets", "DescribeInstances", "HeadObject",
                                "LookupEvents", "BatchGetImage"}) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(ParseOk(Minimal({}, name)).read_only);
  }
  for (std::string_view name :
       {"StopLogging", "PutObject", "CreateUser", "BatchDeleteImage", "AssumeRole"}) {
    SCOPED_TRACE(name);
    EXPECT_FALSE(ParseOk(Minimal({}, name)).read_only);
  }
}

TEST_F(RecordParserTest, MapsEventCategoryNames) {
  EXPECT_EQ(ParseOk(Minimal(R"("eventCategory":"Management")")).category,
            EventCategory::kManagement);
  EXPECT_EQ(ParseOk(Minimal(R"("eventCategory":"Data")")).category, EventCategory::kData);
  EXPECT_EQ(ParseOk(Minimal(R"("eventCategory":"NetworkActivity")")).category,
            EventCategory::kNetworkActivity);
  EXPECT_EQ(ParseOk(Minimal(R"("eventCategory":"Insight")")).category, EventCategory::kInsight);
}

TEST_F(RecordParserTest, RejectsUnknownEventCategoryNamingTheValue) {
  EXPECT_EQ(ParseError(Minimal(R"("eventCategory":"Bogus")")),
            "field eventCategory has unknown value \"Bogus\"");
}

TEST_F(RecordParserTest, TakesCategoryFromManagementEventWhenEventCategoryIsAbsent) {
  EXPECT_EQ(ParseOk(Minimal(R"("managementEvent":false)")).category, EventCategory::kData);
  EXPECT_EQ(ParseOk(Minimal(R"("managementEvent":true)")).category, EventCategory::kManagement);
  EXPECT_EQ(ParseOk(Minimal()).category, EventCategory::kManagement);
  EXPECT_EQ(ParseOk(Minimal(R"("managementEvent":false,"eventCategory":"Management")")).category,
            EventCategory::kManagement);
}

TEST_F(RecordParserTest, NamesTheRoleNotTheSessionForAssumedRoles) {
  const common::Event event = ParseOk(Minimal(
      R"("userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::123:assumed-role/Deployer/session-1"})"));

  EXPECT_EQ(Text(event.principal), "arn:aws:sts::123:assumed-role/Deployer");
}

TEST_F(RecordParserTest, KeepsOtherArnsUnchanged) {
  EXPECT_EQ(
      Text(ParseOk(Minimal(R"("userIdentity":{"arn":"arn:aws:iam::123:user/alice"})")).principal),
      "arn:aws:iam::123:user/alice");
  EXPECT_EQ(Text(ParseOk(Minimal(R"("userIdentity":{"arn":"arn:aws:iam::123:root"})")).principal),
            "arn:aws:iam::123:root");
}

TEST_F(RecordParserTest, UsesInvokedByThenTypeWhenUserIdentityHasNoArn) {
  const common::Event service = ParseOk(
      Minimal(R"("userIdentity":{"type":"AWSService","invokedBy":"ecs-tasks.amazonaws.com"})"));
  const common::Event anonymous =
      ParseOk(Minimal(R"("userIdentity":{"type":"AWSAccount","accountId":"ANONYMOUS_PRINCIPAL"})"));

  EXPECT_EQ(Text(service.principal), "ecs-tasks.amazonaws.com");
  EXPECT_EQ(Text(anonymous.principal), "AWSAccount");
}

TEST(PrincipalFromArnTest, StripsTheSessionInEveryPartition) {
  EXPECT_EQ(PrincipalFromArn("arn:aws-cn:sts::1:assumed-role/R/s"),
            "arn:aws-cn:sts::1:assumed-role/R");
  EXPECT_EQ(PrincipalFromArn("arn:aws:sts::1:assumed-role/R"), "arn:aws:sts::1:assumed-role/R");
  EXPECT_EQ(PrincipalFromArn("arn:aws:sts::1:federated-user/bob"),
            "arn:aws:sts::1:federated-user/bob");
}

TEST_F(RecordParserTest, ReadsFieldsInAnyOrderAndIgnoresNestedLookalikes) {
  const common::Event event = ParseOk(
      R"({"requestParameters":{"eventName":"Decoy","awsRegion":"xx","nested":[{"eventSource":"d"}]},)"
      R"("eventName":"ListObjects","userIdentity":{"arn":"arn:aws:iam::1:user/p","type":"IAMUser"},)"
      R"("awsRegion":"us-east-1","eventSource":"s3.amazonaws.com","recipientAccountId":"1",)"
      R"("@version":"1","@timestamp":"2020-09-14T01:00:04.000Z"})");

  EXPECT_EQ(Text(event.name), "ListObjects");
  EXPECT_EQ(Text(event.region), "us-east-1");
  EXPECT_EQ(Text(event.source), "s3.amazonaws.com");
  EXPECT_EQ(Text(event.principal), "arn:aws:iam::1:user/p");
  EXPECT_TRUE(event.read_only);
}

TEST_F(RecordParserTest, UnescapesStrings) {
  const common::Event event = ParseOk(Minimal(
      R"("userAgent":"aws-cli\/2 \"quoted\" caf\u00e9 \ud83d\ude00")", R"(Stop\u004cogging)"));

  EXPECT_EQ(Text(event.name), "StopLogging");
  EXPECT_EQ(Text(event.user_agent), "aws-cli/2 \"quoted\" caf\xC3\xA9 \xF0\x9F\x98\x80");
}

TEST_F(RecordParserTest, RejectsInputThatIsNotARecordObject) {
  EXPECT_EQ(ParseError("[1, 2]"), "not a JSON object (found an array)");
  EXPECT_EQ(ParseError("\"text\""), "not a JSON object (found a string)");
  const std::string truncated = Minimal().substr(0, 60);
  EXPECT_EQ(ParseError(truncated).rfind("truncated or invalid JSON: ", 0), 0u);
  EXPECT_EQ(ParseError("").rfind("truncated or invalid JSON: ", 0), 0u);
  EXPECT_EQ(ParseError(std::string("\0\0\0\x7f\xfe", 5)).rfind("truncated or invalid JSON: ", 0),
            0u);
  EXPECT_EQ(ParseError(Minimal() + " {}"),
            "truncated or invalid JSON: unexpected content after the record");
}

TEST_F(RecordParserTest, DoesNotInternStringsOfRejectedRecords) {
  const std::size_t before = interner_.size();

  (void)ParseError(Minimal(R"("userAgent":"never-seen","eventCategory":"Bogus")"));

  EXPECT_EQ(interner_.size(), before);
}

TEST_F(RecordParserTest, ParsesAPlainMessageInOnePassLikeParse) {
  const std::string record = Minimal(R"("userAgent":"aws-cli/2","errorCode":"AccessDenied")");

  const std::optional<common::Event> event = parser_.ParsePlainMessage(record);

  ASSERT_TRUE(event.has_value());
  const common::Event parsed = ParseOk(record);
  EXPECT_EQ(event->name, parsed.name);
  EXPECT_EQ(event->time, parsed.time);
  EXPECT_EQ(event->user_agent, parsed.user_agent);
  EXPECT_EQ(event->error_code, parsed.error_code);
}

TEST_F(RecordParserTest, APlainMessageParseLeavesBatchesEnvelopesAndBadRecordsUninterned) {
  const std::size_t before = interner_.size();
  // Each would be a valid record but for its top-level Records, detail-type or detail key,
  // which make it a batch or an envelope to MessageDecoder; the last is not a record at all.
  for (const std::string& message :
       {Minimal(R"("userAgent":"batch-agent","Records":[])"),
        Minimal(R"("userAgent":"envelope-agent","detail-type":"AWS API Call via CloudTrail")"),
        Minimal(R"("userAgent":"detail-agent","detail":{})"),
        Minimal(R"("userAgent":"bad-agent","readOnly":"yes")")}) {
    EXPECT_FALSE(parser_.ParsePlainMessage(message).has_value()) << message;
  }

  EXPECT_EQ(interner_.size(), before);
  // Parse() reads the same objects as records, skipping those keys.
  EXPECT_EQ(Text(ParseOk(Minimal(R"("Records":[],"detail":{})")).name), "RunInstances");
}

TEST_F(RecordParserTest, ParsesSmallRecordsAfterALargeOne) {
  const std::string large = Minimal(R"("padding":")" + std::string(1 << 20, 'x') + "\"");

  const common::Event first = ParseOk(large);
  const common::Event second = ParseOk(Minimal({}, "GetObject"));

  EXPECT_EQ(Text(first.name), "RunInstances");
  EXPECT_EQ(Text(second.name), "GetObject");
}

}  // namespace
}  // namespace trailsight::consumers
