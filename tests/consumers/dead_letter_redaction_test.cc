#include "consumers/dead_letter_redaction.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/consumers/test_inputs.h"

namespace trailsight::consumers {
namespace {

TEST(DeadLetterRedactorTest, KeepsOnlyTheFieldsThatNameTheCall) {
  DeadLetterRedactor redactor;
  const std::string record = test_support::MakeRejectedRecordWithSecrets();

  const std::string redacted(redactor.Redact(record));

  EXPECT_EQ(redacted, test_support::kRedactedRecord);
  EXPECT_EQ(redacted.find(test_support::kPlantedAccessKeyId), std::string::npos);
  EXPECT_EQ(redacted.find(test_support::kPlantedAddress), std::string::npos);
  EXPECT_EQ(redacted.find(test_support::kPlantedUserArn), std::string::npos);
  EXPECT_EQ(redacted.find("mallory"), std::string::npos);
}

TEST(DeadLetterRedactorTest, WritesTheFieldsInOneOrderWhateverTheRecordsOrder) {
  DeadLetterRedactor redactor;

  const std::string redacted(redactor.Redact(
      R"({"recipientAccountId":"1","eventName":"StopLogging","eventTime":"2024-01-02T03:04:05Z"})"));

  EXPECT_EQ(redacted, R"({"eventTime":"2024-01-02T03:04:05Z","eventName":"StopLogging",)"
                      R"("recipientAccountId":"1"})");
}

TEST(DeadLetterRedactorTest, RedactsWhatIsNotAJsonObjectToNothing) {
  DeadLetterRedactor redactor;

  EXPECT_EQ(redactor.Redact("this is not JSON 203.0.113.77"), "");
  EXPECT_EQ(redactor.Redact(R"(["AKIAIOSFODNN7EXAMPLE"])"), "");
  EXPECT_EQ(redactor.Redact(std::string("\x01\x02\xff{\"eventName\":\"X\"}", 20)), "");
  EXPECT_EQ(redactor.Redact(""), "");
  EXPECT_EQ(redactor.Redact(R"({"userIdentity":{"eventName":"Nested"},"x":1})"), "");
}

TEST(DeadLetterRedactorTest, DropsValuesThatAreNotPlainShortStrings) {
  DeadLetterRedactor redactor;
  const std::string long_name(DeadLetterRedactor::kMaxValueBytes + 1, 'A');

  const std::string redacted(redactor.Redact(
      R"({"eventTime":7,"eventSource":"arn:aws:iam::1:user/mallory","eventName":")" + long_name +
      R"(","awsRegion":"us\"east","recipientAccountId":{"id":"1"},"eventVersion":"1.09"})"));

  EXPECT_EQ(redacted, "");
}

TEST(DeadLetterRedactorTest, KeepsTheFieldsBeforeTheFirstMalformedPart) {
  DeadLetterRedactor redactor;

  const std::string redacted(redactor.Redact(
      R"({"eventSource":"ec2.amazonaws.com","eventName":"RunInstances","userIdentity" 1,)"
      R"("awsRegion":"us-east-1"})"));

  EXPECT_EQ(redacted, R"({"eventSource":"ec2.amazonaws.com","eventName":"RunInstances"})");
}

TEST(DeadLetterRedactorTest, KeepsTheFirstOfARepeatedField) {
  DeadLetterRedactor redactor;

  const std::string redacted(
      redactor.Redact(R"({"eventName":"First","eventName":"Second","eventName":"Third"})"));

  EXPECT_EQ(redacted, R"({"eventName":"First"})");
}

TEST(DeadLetterRedactorTest, EachCallForgetsTheLastLetter) {
  DeadLetterRedactor redactor;
  ASSERT_NE(redactor.Redact(R"({"eventName":"First"})"), "");

  EXPECT_EQ(redactor.Redact("[]"), "");
  EXPECT_EQ(redactor.Redact(R"({"awsRegion":"eu-west-1"})"), R"({"awsRegion":"eu-west-1"})");
}

}  // namespace
}  // namespace trailsight::consumers
