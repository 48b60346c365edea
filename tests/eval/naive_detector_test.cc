// The naive detector against a direct computation: its running sums must give exactly the
// Starts and Ends that recomputing the mean and sd over the window every minute gives.

#include "eval/naive_detector.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace trailsight::eval {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const common::Minute kFirst{
    std::chrono::floor<minutes>(common::Seconds{common::Day{std::chrono::November / 9 / 2026}})};

struct Expected {
  common::InsightState state;
  common::Minute start;
  double mean;
};

// Judges `counts` minute by minute with a fresh mean and sd over the trailing window.
std::vector<Expected> Direct(const std::vector<std::uint32_t>& counts, double k, std::size_t window,
                             int end_after) {
  std::vector<Expected> out;
  bool open = false;
  int quiet = 0;
  common::Minute start{};
  for (std::size_t m = 0; m < counts.size(); ++m) {
    const std::size_t from = m > window ? m - window : 0;
    if (m == from) continue;
    double sum = 0, squares = 0;
    for (std::size_t i = from; i < m; ++i) {
      sum += counts[i];
      squares += double(counts[i]) * counts[i];
    }
    const double n = double(m - from), mean = sum / n;
    const double sd = std::sqrt(std::max(0.0, squares / n - mean * mean));
    const bool above = counts[m] > mean + k * sd;
    const common::Minute minute = kFirst + minutes{m};
    if (!open && counts[m] >= 1 && above) {
      open = true;
      quiet = 0;
      start = minute;
      out.push_back({common::InsightState::kStart, start, mean});
    } else if (open && above) {
      quiet = 0;
    } else if (open && ++quiet >= end_after) {
      open = false;
      out.push_back({common::InsightState::kEnd, start, mean});
    }
  }
  return out;
}

// A reproducible series: mostly 0-3 calls a minute, a spike now and then.
std::vector<std::uint32_t> Series(std::size_t minutes_total, std::size_t quiet_until,
                                  std::uint64_t seed) {
  std::vector<std::uint32_t> counts(minutes_total, 0);
  std::uint64_t state = seed;
  for (std::size_t m = quiet_until; m < minutes_total; ++m) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    counts[m] = static_cast<std::uint32_t>((state >> 33) % 4);
    if ((state >> 20) % 29 == 0) counts[m] += 9;
  }
  counts.back() = 1;  // the last minute holds an event, so FinishInput closes it
  return counts;
}

TEST(NaiveDetectorTest, RunningSumsGiveWhatADirectComputationGives) {
  constexpr std::size_t kMinutes = 400;
  constexpr std::size_t kWindow = 30;
  common::StringInterner interner;
  NaiveOptions options{.ks = {2.0, 3.5},
                       .window = minutes{kWindow},
                       .allowed_lateness = seconds{0},
                       .end_after_quiet_minutes = 2};
  NaiveDetector detector(options, interner);
  // A write API from the first minute; refusals of a read API that start at minute 100,
  // so their first window is all zeros.
  const std::vector<std::uint32_t> writes = Series(kMinutes, 0, 7);
  const std::vector<std::uint32_t> refusals = Series(kMinutes, 100, 11);
  common::Event write;
  write.account = interner.Intern("123456789012");
  write.region = interner.Intern("us-east-1");
  write.source = interner.Intern("ec2.amazonaws.com");
  write.name = interner.Intern("TerminateInstances");
  common::Event refusal = write;
  refusal.name = interner.Intern("DescribeInstances");
  refusal.error_code = interner.Intern("Client.UnauthorizedOperation");
  refusal.read_only = true;
  for (std::size_t m = 0; m < kMinutes; ++m) {
    for (std::uint32_t i = 0; i < writes[m]; ++i) {
      write.time = common::Seconds{kFirst + minutes{m}} + seconds{1 + i};
      detector.OnEvent(write);
    }
    for (std::uint32_t i = 0; i < refusals[m]; ++i) {
      refusal.time = common::Seconds{kFirst + minutes{m}} + seconds{30 + i};
      detector.OnEvent(refusal);
    }
  }
  detector.FinishInput();

  for (std::size_t k = 0; k < options.ks.size(); ++k) {
    for (const auto& [name, series, type] :
         {std::tuple{"TerminateInstances", writes, common::InsightType::kApiCallRate},
          std::tuple{"DescribeInstances", refusals, common::InsightType::kApiErrorRate}}) {
      const std::vector<Expected> expected = Direct(series, options.ks[k], kWindow, 2);
      std::vector<common::Finding> found;
      for (const common::Finding& finding : detector.findings(k)) {
        if (finding.key.event_name == name) found.push_back(finding);
      }
      ASSERT_EQ(found.size(), expected.size()) << name << " k=" << options.ks[k];
      ASSERT_GE(expected.size(), 4U) << "the series should fire a few times";
      for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(found[i].state, expected[i].state) << name << " #" << i;
        EXPECT_EQ(found[i].start, expected[i].start) << name << " #" << i;
        EXPECT_NEAR(found[i].baseline_average, expected[i].mean, 1e-9) << name << " #" << i;
        EXPECT_EQ(found[i].key.type, type);
      }
    }
  }
}

TEST(NaiveDetectorTest, ReadsCountOnlyWhenTheyFailAndDataEventsNever) {
  common::StringInterner interner;
  NaiveOptions options;
  options.ks = {3.0};
  options.allowed_lateness = seconds{0};
  NaiveDetector detector(options, interner);
  common::Event read;
  read.account = interner.Intern("123456789012");
  read.region = interner.Intern("us-east-1");
  read.source = interner.Intern("s3.amazonaws.com");
  read.name = interner.Intern("GetObject");
  read.read_only = true;
  common::Event data_write = read;
  data_write.name = interner.Intern("PutObject");
  data_write.read_only = false;
  data_write.category = common::EventCategory::kData;
  for (int m = 0; m < 120; ++m) {
    read.time = common::Seconds{kFirst + minutes{m}};
    detector.OnEvent(read);
    if (m == 100) {
      data_write.time = read.time;
      for (int i = 0; i < 50; ++i) detector.OnEvent(data_write);
    }
  }
  detector.FinishInput();
  EXPECT_TRUE(detector.findings(0).empty());
}

}  // namespace
}  // namespace trailsight::eval
