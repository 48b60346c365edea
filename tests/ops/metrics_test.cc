#include "ops/metrics.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <string_view>

namespace trailsight::ops {
namespace {

TEST(MetricsRegistryTest, RendersCountersGaugesAndHistogramsInTheTextFormat) {
  MetricsRegistry registry;
  Counter& events = registry.AddCounter("trailsight_events_in_total", "Events read.");
  Gauge& lag = registry.AddGauge("trailsight_consumer_lag", "Messages behind.");
  Histogram& duration =
      registry.AddHistogram("trailsight_close_seconds", "Close time.", {0.0625, 0.25, 1});
  events.Add(41);
  events.Add();
  lag.Set(12.5);
  for (double seconds : {0.0625, 0.125, 0.25, 0.5, 7.0}) duration.Observe(seconds);

  const std::string text = registry.Render();

  EXPECT_EQ(text,
            "# HELP trailsight_events_in_total Events read.\n"
            "# TYPE trailsight_events_in_total counter\n"
            "trailsight_events_in_total 42\n"
            "# HELP trailsight_consumer_lag Messages behind.\n"
            "# TYPE trailsight_consumer_lag gauge\n"
            "trailsight_consumer_lag 12.5\n"
            "# HELP trailsight_close_seconds Close time.\n"
            "# TYPE trailsight_close_seconds histogram\n"
            "trailsight_close_seconds_bucket{le=\"0.0625\"} 1\n"
            "trailsight_close_seconds_bucket{le=\"0.25\"} 3\n"
            "trailsight_close_seconds_bucket{le=\"1\"} 4\n"
            "trailsight_close_seconds_bucket{le=\"+Inf\"} 5\n"
            "trailsight_close_seconds_sum 7.9375\n"
            "trailsight_close_seconds_count 5\n");
}

TEST(MetricsRegistryTest, ACounterSetFromAnotherComponentShowsItsTotal) {
  MetricsRegistry registry;
  Counter& findings = registry.AddCounter("findings_total", "h");

  findings.Set(7);
  findings.Set(9);

  EXPECT_EQ(findings.value(), 9u);
  EXPECT_NE(registry.Render().find("\nfindings_total 9\n"), std::string::npos);
}

TEST(MetricsRegistryTest, GaugesSpellNonFiniteValuesAsPrometheusReadsThem) {
  MetricsRegistry registry;
  registry.AddGauge("unknown", "h").Set(std::numeric_limits<double>::quiet_NaN());
  registry.AddGauge("up", "h").Set(std::numeric_limits<double>::infinity());
  registry.AddGauge("down", "h").Set(-std::numeric_limits<double>::infinity());
  registry.AddGauge("small", "h").Set(1e-7);
  registry.AddGauge("whole", "h").Set(3.0);

  const std::string text = registry.Render();

  EXPECT_NE(text.find("\nunknown NaN\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nup +Inf\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\ndown -Inf\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nsmall 1e-07\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nwhole 3\n"), std::string::npos) << text;
}

TEST(MetricsRegistryTest, EscapesBackslashAndNewlineInHelp) {
  MetricsRegistry registry;
  registry.AddGauge("g", "first line\nC:\\path");

  EXPECT_EQ(registry.Render(), "# HELP g first line\\nC:\\\\path\n# TYPE g gauge\ng 0\n");
}

TEST(MetricsRegistryTest, AnEmptyHistogramHasZeroBucketsSumAndCount) {
  MetricsRegistry registry;
  registry.AddHistogram("h_seconds", "h", {1});

  EXPECT_EQ(registry.Render(),
            "# HELP h_seconds h\n# TYPE h_seconds histogram\n"
            "h_seconds_bucket{le=\"1\"} 0\nh_seconds_bucket{le=\"+Inf\"} 0\n"
            "h_seconds_sum 0\nh_seconds_count 0\n");
}

TEST(HistogramTest, AValueOnABoundGoesToThatBucket) {
  Histogram histogram({1, 2});

  histogram.Observe(1.0);
  histogram.Observe(2.0);
  histogram.Observe(2.5);

  EXPECT_EQ(histogram.bucket(0), 1u);
  EXPECT_EQ(histogram.bucket(1), 1u);
  EXPECT_EQ(histogram.bucket(2), 1u);  // +Inf
  EXPECT_DOUBLE_EQ(histogram.sum(), 5.5);
}

TEST(MetricsRegistryTest, AGaugeFamilyRendersOneSamplePerSeriesAndDropsThoseNotSet) {
  MetricsRegistry registry;
  GaugeFamily& lag = registry.AddGaugeFamily("lag", "Behind.", {"topic", "partition"});
  lag.BeginRound();
  lag.Set(std::array<std::string_view, 2>{"in", "0"}, 5);
  lag.Set(std::array<std::string_view, 2>{"in", "1"}, std::nan(""));
  lag.Set(std::array<std::string_view, 2>{"odd \"name\"\\\n", "2"}, 1);
  lag.EndRound();

  EXPECT_EQ(registry.Render(),
            "# HELP lag Behind.\n# TYPE lag gauge\n"
            "lag{topic=\"in\",partition=\"0\"} 5\n"
            "lag{topic=\"in\",partition=\"1\"} NaN\n"
            "lag{topic=\"odd \\\"name\\\"\\\\\\n\",partition=\"2\"} 1\n");

  // Partition 1 is no longer held: the next round leaves it out.
  lag.BeginRound();
  lag.Set(std::array<std::string_view, 2>{"in", "0"}, 0);
  lag.EndRound();
  EXPECT_EQ(registry.Render(),
            "# HELP lag Behind.\n# TYPE lag gauge\nlag{topic=\"in\",partition=\"0\"} 0\n");
}

class MetricsRegistryDeathTest : public ::testing::Test {
 protected:
  // TRAILSIGHT_CHECK logs before aborting; a death test reads stderr.
  static void SetUpTestSuite() {
    spdlog::set_default_logger(spdlog::stderr_color_mt("metrics-death-test"));
  }
};

TEST_F(MetricsRegistryDeathTest, RefusesNamesPrometheusCannotRead) {
  EXPECT_DEATH(MetricsRegistry().AddGauge("9lives", "h"), "not a Prometheus name");
  EXPECT_DEATH(MetricsRegistry().AddGauge("with-dash", "h"), "not a Prometheus name");
  EXPECT_DEATH(MetricsRegistry().AddCounter("events", "h"), "must end in _total");
  EXPECT_DEATH(
      {
        MetricsRegistry registry;
        registry.AddGauge("twice", "h");
        registry.AddGauge("twice", "h");
      },
      "registered twice");
  EXPECT_DEATH(Histogram({1, 1}), "must increase");
  EXPECT_DEATH(MetricsRegistry().AddGaugeFamily("lag", "h", {"a:b"}), "not a Prometheus label");
  EXPECT_DEATH(GaugeFamily({"one"}).Set(std::array<std::string_view, 2>{"a", "b"}, 1),
               "2 label values for 1 label names");
}

}  // namespace
}  // namespace trailsight::ops
