#include "alerts/insight_ids.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "tests/alerts/fixture_finding.h"

namespace trailsight::alerts {
namespace {

using test_support::ParseMinute;

// The content of AWS's example call-rate Start (fixtures/insights/example-callrate-start.json).
common::Finding CallRateStart() {
  common::Finding finding;
  finding.key =
      test_support::MakeKey(common::InsightType::kApiCallRate, "123456789012", "us-east-1",
                            "autoscaling.amazonaws.com", "CompleteLifecycleAction");
  finding.state = common::InsightState::kStart;
  finding.start = ParseMinute("2019-10-15T21:13:00Z");
  finding.event_time = finding.start;
  return finding;
}

common::Finding EndOf(common::Finding start, common::Minute end_time) {
  start.state = common::InsightState::kEnd;
  start.event_time = end_time;
  start.insight_duration_minutes = 7;
  start.insight_average = 12.5;
  return start;
}

TEST(InsightIdsTest, MatchesAnIndependentlyComputedUuid5) {
  // Computed with Python 3:
  //   ns = uuid.uuid5(uuid.NAMESPACE_URL, "urn:trailsight:insight-ids")
  //   uuid.uuid5(ns, "18:ApiCallRateInsight,12:123456789012,9:us-east-1,"
  //                  "25:autoscaling.amazonaws.com,23:CompleteLifecycleAction,0:,"
  //                  "20:2019-10-15T21:13:00Z,5:Start,")
  const InsightIds ids = DeriveInsightIds(CallRateStart());

  EXPECT_EQ(ids.event_id, "f00d48c4-f4cf-5367-b9b7-7fcad76218ac");
}

TEST(InsightIdsTest, NamespaceIsTheDocumentedUuid5OfTheProjectUrn) {
  // Python 3: uuid.uuid5(uuid.NAMESPACE_URL, "urn:trailsight:insight-ids")
  EXPECT_EQ(kInsightIdNamespace, "752773c2-c798-5a9c-92a5-b3a4f5c2ade0");
}

TEST(InsightIdsTest, StartAndEndShareOnlyTheSharedEventId) {
  const common::Finding start = CallRateStart();
  const common::Finding end = EndOf(start, start.start + std::chrono::minutes{7});

  const InsightIds start_ids = DeriveInsightIds(start);
  const InsightIds end_ids = DeriveInsightIds(end);

  EXPECT_NE(start_ids.event_id, end_ids.event_id);
  EXPECT_EQ(start_ids.shared_event_id, end_ids.shared_event_id);
  EXPECT_NE(start_ids.event_id, start_ids.shared_event_id);
}

TEST(InsightIdsTest, SameFindingGetsSameIdsOnEveryCall) {
  const InsightIds first = DeriveInsightIds(CallRateStart());
  const InsightIds second = DeriveInsightIds(CallRateStart());

  EXPECT_EQ(first.event_id, second.event_id);
  EXPECT_EQ(first.shared_event_id, second.shared_event_id);
}

TEST(InsightIdsTest, IdsDependOnlyOnKeyStartAndRole) {
  common::Finding changed = CallRateStart();
  changed.insight_average = 99.0;
  changed.baseline_duration_minutes = 10080;
  changed.attributions = {{"userAgent", {{"aws-cli", 99.0}}, {}}};

  EXPECT_EQ(DeriveInsightIds(changed).event_id, DeriveInsightIds(CallRateStart()).event_id);
}

TEST(InsightIdsTest, DifferentStartMinuteGivesDifferentIds) {
  common::Finding later = CallRateStart();
  later.start += std::chrono::minutes{1};
  later.event_time = later.start;

  const InsightIds original = DeriveInsightIds(CallRateStart());
  const InsightIds moved = DeriveInsightIds(later);

  EXPECT_NE(original.event_id, moved.event_id);
  EXPECT_NE(original.shared_event_id, moved.shared_event_id);
}

TEST(InsightIdsTest, EveryKeyFieldChangesTheIds) {
  std::vector<common::Finding> variants(7, CallRateStart());
  variants[1].key.type = common::InsightType::kApiErrorRate;
  variants[2].key.account = "210987654321";
  variants[3].key.region = "us-east-2";
  variants[4].key.event_source = "ec2.amazonaws.com";
  variants[5].key.event_name = "CompleteLifecycleActions";
  variants[6].key.error_code = "AccessDenied";

  std::set<std::string> shared_ids;
  for (const common::Finding& finding : variants) {
    shared_ids.insert(DeriveInsightIds(finding).shared_event_id);
  }

  EXPECT_EQ(shared_ids.size(), variants.size());
}

TEST(InsightIdsTest, FieldBoundariesCannotBeForged) {
  // Built whole rather than assigned in place: GCC 12 at -O3 warns (-Wrestrict, falsely)
  // about assigning a short literal to a member of a copied Finding here.
  const auto with_name = [](std::string source, std::string name) {
    common::Finding finding = CallRateStart();
    finding.key.event_source = std::move(source);
    finding.key.event_name = std::move(name);
    return finding;
  };
  const common::Finding split_one_way = with_name("ab", "c");
  const common::Finding split_other_way = with_name("a", "bc");

  EXPECT_NE(DeriveInsightIds(split_one_way).shared_event_id,
            DeriveInsightIds(split_other_way).shared_event_id);
}

TEST(InsightIdsTest, IdsAreLowerCaseRfc4122Version5) {
  const common::Finding start = CallRateStart();
  const InsightIds ids = DeriveInsightIds(start);
  // 8-4-4-4-12 lower-case hex; version nibble 5; variant bits 10xx (8, 9, a or b).
  const std::regex version5(
      "^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");

  EXPECT_TRUE(std::regex_match(ids.event_id, version5)) << ids.event_id;
  EXPECT_TRUE(std::regex_match(ids.shared_event_id, version5)) << ids.shared_event_id;
  const std::string end_id =
      DeriveInsightIds(EndOf(start, start.start + std::chrono::minutes{7})).event_id;
  EXPECT_TRUE(std::regex_match(end_id, version5)) << end_id;
}

TEST(InsightIdsTest, ObjectIdIsSixteenAlphanumericsAndDeterministic) {
  const std::string event_id = DeriveInsightIds(CallRateStart()).event_id;

  const std::string object_id = DeriveObjectId(event_id);

  EXPECT_TRUE(std::regex_match(object_id, std::regex("^[A-Za-z0-9]{16}$"))) << object_id;
  EXPECT_EQ(object_id, DeriveObjectId(event_id));
  EXPECT_NE(object_id, DeriveObjectId(DeriveInsightIds(CallRateStart()).shared_event_id));
}

}  // namespace
}  // namespace trailsight::alerts
