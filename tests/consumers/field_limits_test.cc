#include "consumers/field_limits.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/interner.h"
#include "consumers/record_parser.h"
#include "consumers/replay_reader.h"
#include "tests/consumers/test_inputs.h"

namespace trailsight::consumers {
namespace {

using test_support::CollectingDeadLetters;
using test_support::CollectingReceiver;
using test_support::TempDir;
using ::testing::Each;
using ::testing::Ne;

constexpr std::size_t kHuge = 1u << 20;  // 1 MiB, far beyond any field's bound

// A record of `account` whose principal is `arn`, with the other values given.
std::string Record(std::string_view account, std::string_view arn, std::string_view name,
                   std::string_view user_agent, std::string_view bucket = "logs") {
  return fmt::format(R"({{"eventTime":"2024-03-04T10:00:00Z","eventSource":"s3.amazonaws.com",)"
                     R"("eventName":"{}","awsRegion":"us-east-1","recipientAccountId":"{}",)"
                     R"("userIdentity":{{"type":"IAMUser","arn":"{}"}},"userAgent":"{}",)"
                     R"("requestParameters":{{"bucketName":"{}"}}}})",
                     name, account, arn, user_agent, bucket);
}

// `size` bytes starting with `tag`, so that every huge value is distinct from the first byte.
std::string Huge(std::string_view tag, std::size_t size = kHuge) {
  std::string value(tag);
  value.resize(size, 'x');
  return value;
}

std::string Account(int i) { return fmt::format("{:012d}", 100000000000 + i); }

// Hostile records cannot spend the interner's byte cap: 100 records with 1 MiB values (the
// config's default cap is 64 MiB), and the ordinary records after them are interned normally.
TEST(FieldLimitsTest, HugeValuesCannotSpendTheInternerCap) {
  TempDir dir;
  std::string input;
  for (int i = 0; i < 25; ++i) {
    const std::string arn = fmt::format("arn:aws:iam::{}:user/u{}", Account(i), i);
    input += Record(Account(i), arn, "PutObject", Huge(fmt::format("agent{}-", i))) + "\n";
    input += Record(Account(i), arn, "GetObject", "aws-cli/2", Huge(fmt::format("b{}-", i))) + "\n";
    input += Record(Account(i), Huge(fmt::format("arn:aws:iam::{}:user/", i)), "PutObject",
                    "aws-cli/2") +
             "\n";
    input += Record(Account(i), arn, Huge(fmt::format("Name{}", i)), "aws-cli/2") + "\n";
  }
  for (int i = 0; i < 50; ++i) {
    input += Record(Account(1000 + i), fmt::format("arn:aws:iam::{}:user/new{}", i, i),
                    "DeleteBucket", "aws-cli/2") +
             "\n";
  }
  const std::string path = dir.Write("hostile.jsonl", input);

  common::StringInterner interner({.max_bytes = 64u << 20});  // input.max_interned_bytes
  CollectingDeadLetters dead_letters;
  CollectingReceiver receiver;
  ReplayReader reader(interner, dead_letters);
  ASSERT_TRUE(reader.ReadInput(path, receiver).ok());

  ASSERT_EQ(receiver.events.size(), 100u);  // 25 cut userAgents, 25 buckets left out, 50 new
  ASSERT_EQ(dead_letters.letters.size(), 50u);
  EXPECT_EQ(dead_letters.letters[0].position, "line 3");
  EXPECT_EQ(dead_letters.letters[0].reason,
            "field userIdentity.arn is 1048576 bytes long, beyond its bound of 2048 bytes");
  EXPECT_EQ(dead_letters.letters[1].reason,
            "field eventName is 1048576 bytes long, beyond its bound of 128 bytes");
  EXPECT_EQ(reader.counters().oversized_fields, 50u);
  EXPECT_EQ(reader.counters().malformed, 50u);
  EXPECT_EQ(reader.counters().values_cut, 50u);

  const common::Event& cut = receiver.events[0];
  EXPECT_EQ(interner.Resolve(cut.user_agent), Huge("agent0-", FieldLimits::kUserAgent));
  EXPECT_EQ(receiver.events[1].resource, common::kNoSymbol);  // the bucket left out
  EXPECT_EQ(interner.Resolve(receiver.events[1].user_agent), "aws-cli/2");

  std::vector<std::string> accounts, principals;
  for (std::size_t i = 50; i < receiver.events.size(); ++i) {
    accounts.emplace_back(interner.Resolve(receiver.events[i].account));
    principals.emplace_back(interner.Resolve(receiver.events[i].principal));
  }
  EXPECT_THAT(accounts, Each(Ne(common::StringInterner::kOverflowText)));
  EXPECT_EQ(accounts.back(), Account(1049));
  EXPECT_EQ(principals.back(), "arn:aws:iam::49:user/new49");
  EXPECT_EQ(interner.refused(), 0u);
  EXPECT_LT(interner.text_bytes(), 64u << 10);  // 25 userAgents of 1 KiB, and small strings
}

TEST(FieldLimitsTest, EachIdentityFieldIsBoundedAndNamedInTheReason) {
  common::StringInterner interner;
  RecordParser parser(interner);
  const std::string ok = Record("111122223333", "arn:aws:iam::1:user/a", "PutObject", "cli");
  ASSERT_TRUE(parser.Parse(ok).has_value());
  struct Case {
    std::string field, original, replacement;
    std::size_t bound;
  };
  const std::vector<Case> cases = {
      {"recipientAccountId", "111122223333", Huge("1", 33), 32},
      {"awsRegion", "us-east-1", Huge("us-", 33), 32},
      {"eventSource", "s3.amazonaws.com", Huge("s3.", 129), 128},
      {"eventName", "PutObject", Huge("Put", 129), 128},
      {"userIdentity.arn", "arn:aws:iam::1:user/a", Huge("arn:", 2049), 2048},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    std::string record = ok;
    record.replace(record.find(c.original), c.original.size(), c.replacement);
    common::Result<common::Event> event = parser.Parse(record);
    ASSERT_FALSE(event.has_value());
    EXPECT_EQ(event.error().message,
              fmt::format("field {} is {} bytes long, beyond its bound of {} bytes", c.field,
                          c.bound + 1, c.bound));
    // At the bound the record is accepted.
    record = ok;
    record.replace(record.find(c.original), c.original.size(), c.replacement.substr(0, c.bound));
    EXPECT_TRUE(parser.Parse(record).has_value());
  }
  std::string with_error = ok;
  with_error.insert(1, fmt::format(R"("errorCode":"{}",)", Huge("Access", 129)));
  EXPECT_EQ(parser.Parse(with_error).error().message,
            "field errorCode is 129 bytes long, beyond its bound of 128 bytes");
  EXPECT_EQ(parser.field_limit_counters().oversized_records, cases.size() + 1);
  EXPECT_EQ(parser.field_limit_counters().values_cut, 0u);
}

TEST(FieldLimitsTest, UserAgentIsCutAtACharacterBoundary) {
  const std::string two_byte = "\xC3\xA9";  // é
  std::string agent(FieldLimits::kUserAgent - 1, 'a');
  agent += two_byte + "tail";
  EXPECT_EQ(CutAtCharacter(agent, FieldLimits::kUserAgent),
            std::string(FieldLimits::kUserAgent - 1, 'a'));
  EXPECT_EQ(CutAtCharacter("short", FieldLimits::kUserAgent), "short");

  common::StringInterner interner;
  RecordParser parser(interner);
  common::Result<common::Event> event =
      parser.Parse(Record("111122223333", "arn:aws:iam::1:user/a", "PutObject", agent));
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(interner.Resolve(event->user_agent), std::string(FieldLimits::kUserAgent - 1, 'a'));
  EXPECT_EQ(parser.field_limit_counters().values_cut, 1u);
}

}  // namespace
}  // namespace trailsight::consumers
