#include "config/did_you_mean.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace trailsight::config {
namespace {

const std::vector<std::string> kKeys = {"window_days", "min_calls", "p_value", "calm_p_value",
                                        "peak_margin"};

TEST(EditDistanceTest, CountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("abc", ""), 3u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("window_days", "window_day"), 1u);
  EXPECT_EQ(EditDistance("p_value", "p_valeu"), 2u);
}

TEST(NearestWordTest, SuggestsTheClosestKeyForATypo) {
  EXPECT_EQ(NearestWord("windw_days", kKeys), "window_days");
  EXPECT_EQ(NearestWord("min_call", kKeys), "min_calls");
  EXPECT_EQ(NearestWord("pvalue", kKeys), "p_value");
}

TEST(NearestWordTest, SuggestsNothingForAnUnrelatedWord) {
  EXPECT_EQ(NearestWord("kafka", kKeys), std::nullopt);
  EXPECT_EQ(NearestWord("x", kKeys), std::nullopt);
  EXPECT_EQ(NearestWord("anything", {}), std::nullopt);
}

}  // namespace
}  // namespace trailsight::config
