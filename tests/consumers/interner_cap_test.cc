#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "common/interner.h"
#include "consumers/record_parser.h"
#include "detector/interner_cap_alert.h"
#include "tests/support/collecting_sinks.h"

namespace trailsight::consumers {
namespace {

using common::StringInterner;
using test_support::CollectingAlerts;

std::string Record(std::string_view event_name, std::string_view time = "2024-03-04T10:00:00Z") {
  return fmt::format(
      R"({{"eventVersion":"1.08","eventTime":"{}","eventSource":"ec2.amazonaws.com",)"
      R"("eventName":"{}","awsRegion":"us-east-1","recipientAccountId":"123456789012",)"
      R"("userIdentity":{{"type":"AssumedRole","arn":"arn:aws:sts::123456789012:)"
      R"(assumed-role/Deployer/session-1"}},"userAgent":"aws-cli/2.15"}})",
      time, event_name);
}

std::size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t total_pages = 0;
  std::size_t resident_pages = 0;
  statm >> total_pages >> resident_pages;
  return resident_pages * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

TEST(InternerCapTest, MillionsOfFakeEventNamesStayUnderTheCap) {
  constexpr std::size_t kCap = 10'000;
  constexpr int kFakeNames = 2'000'000;
  StringInterner interner({.max_strings = kCap});
  RecordParser parser(interner);
  const std::size_t resident_before = ResidentBytes();

  std::string record = Record("Fake0000000");
  const std::size_t digits = record.find("Fake") + 4;
  for (int i = 0; i < kFakeNames; ++i) {
    const std::string number = fmt::format("{:07d}", i);
    record.replace(digits, number.size(), number);
    ASSERT_TRUE(parser.Parse(record).has_value()) << record;
  }

  EXPECT_LE(interner.size(), kCap + 1);  // the overflow text is the one string beyond it
  EXPECT_EQ(interner.refused(), kFakeNames - (kCap - 5));  // five strings are not names
  // Two million distinct names would take well over 200 MB; the cap holds about 1 MB.
  if (resident_before > 0) {
    EXPECT_LT(ResidentBytes() - resident_before, 32u << 20);
  }
}

TEST(InternerCapTest, RefusedNamesCountAsOverflowWhileKnownStringsKeepTheirSymbols) {
  StringInterner interner({.max_strings = 8});
  RecordParser parser(interner);
  const common::Event first = *parser.Parse(Record("TerminateInstances"));
  EXPECT_EQ(interner.size(), 6u);  // account, region, source, name, principal, user agent
  ASSERT_TRUE(parser.Parse(Record("Fake1")).has_value());
  ASSERT_TRUE(parser.Parse(Record("Fake2")).has_value());

  const common::Event refused = *parser.Parse(Record("GetFake3"));
  const common::Event known = *parser.Parse(Record("TerminateInstances"));

  EXPECT_EQ(interner.Resolve(refused.name), StringInterner::kOverflowText);
  EXPECT_EQ(refused.name, interner.overflow_symbol());
  EXPECT_TRUE(refused.read_only);  // inferred from the record's own name, not the symbol
  EXPECT_EQ(refused.account, first.account);
  EXPECT_EQ(refused.source, first.source);
  EXPECT_EQ(refused.principal, first.principal);
  EXPECT_EQ(known.name, first.name);
  EXPECT_EQ(interner.Resolve(known.name), "TerminateInstances");
  EXPECT_EQ(interner.refused(), 1u);
}

TEST(InternerCapTest, ByteCapRefusesLongStrings) {
  StringInterner interner({.max_bytes = 100});
  EXPECT_EQ(interner.Resolve(interner.Intern(std::string(60, 'a'))), std::string(60, 'a'));
  const common::Symbol refused = interner.Intern(std::string(50, 'b'));
  EXPECT_EQ(interner.Resolve(refused), StringInterner::kOverflowText);
  EXPECT_EQ(interner.Resolve(interner.Intern(std::string(30, 'c'))), std::string(30, 'c'));
  EXPECT_EQ(interner.refused(), 1u);
}

TEST(StringInternerTest, SymbolsAreDenseInFirstSeenOrderAndResolveToTheirText) {
  StringInterner interner;
  std::vector<std::string> texts;  // prefixes and lengths alike, as ARNs are
  for (int i = 0; i < 100'000; ++i) {
    texts.push_back(fmt::format("arn:aws:sts::123456789012:assumed-role/R{}", i));
    texts.push_back(std::string(static_cast<std::size_t>(1 + i % 40), 'x') + std::to_string(i));
  }

  for (std::size_t i = 0; i < texts.size(); ++i) {
    ASSERT_EQ(interner.Intern(texts[i]), static_cast<common::Symbol>(i + 1)) << texts[i];
  }
  for (std::size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(interner.Intern(texts[i]), static_cast<common::Symbol>(i + 1)) << texts[i];
    EXPECT_EQ(interner.Resolve(static_cast<common::Symbol>(i + 1)), texts[i]);
  }
  EXPECT_EQ(interner.size(), texts.size());
  EXPECT_EQ(interner.Intern(""), common::kNoSymbol);
  EXPECT_EQ(interner.Resolve(common::kNoSymbol), "");
}

TEST(InternerCapAlertTest, AlertsAtTheFirstRefusalThenAtMostHourly) {
  StringInterner interner({.max_strings = 1000});
  RecordParser parser(interner);
  detector::InternerCapAlert cap_alert(interner);
  CollectingAlerts sink;
  auto feed = [&](std::string_view name, std::string_view time) {
    cap_alert.OnEvent(*parser.Parse(Record(name, time)), sink);
  };

  feed("TerminateInstances", "2024-03-04T10:00:00Z");
  EXPECT_TRUE(sink.alerts.empty());
  for (int i = 0; i < 2000; ++i) feed(fmt::format("Fake{}", i), "2024-03-04T10:00:00Z");
  ASSERT_EQ(sink.alerts.size(), 1u);
  feed("Fake-more", "2024-03-04T10:59:59Z");  // refused again, within the hour
  EXPECT_EQ(sink.alerts.size(), 1u);
  feed("Fake-later", "2024-03-04T11:00:01Z");  // refused again, an hour on
  EXPECT_EQ(sink.alerts.size(), 2u);
  feed("TerminateInstances", "2024-03-04T13:00:00Z");  // nothing new refused
  EXPECT_EQ(sink.alerts.size(), 2u);

  const common::Alert& alert = sink.alerts.front();
  EXPECT_EQ(alert.kind, common::AlertKind::kCapReached);
  EXPECT_EQ(alert.rule, "interned-strings-cap");
  EXPECT_EQ(alert.account, "123456789012");
  EXPECT_NE(alert.message.find("input.max_interned_strings 1000"), std::string::npos);
}

}  // namespace
}  // namespace trailsight::consumers
