#include "ops/health.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace trailsight::ops {
namespace {

using namespace std::chrono_literals;
using Clock = ServiceHealth::Clock;

const Clock::time_point kStart = Clock::time_point(1000h);

TEST(ServiceHealthTest, IsHealthyWhileTheLoopTicksWithPartitions) {
  ServiceHealth health(30s);

  health.Tick(kStart, true);

  EXPECT_EQ(health.Problem(kStart + 29s), "");
}

TEST(ServiceHealthTest, SaysStartingBeforeTheFirstTick) {
  const ServiceHealth health(30s);

  EXPECT_EQ(health.Problem(kStart), "starting: the service loop has not run yet");
}

TEST(ServiceHealthTest, SaysStalledWhenTheLoopHasNotTickedWithinTheLimit) {
  ServiceHealth health(30s);
  health.Tick(kStart, true);

  EXPECT_EQ(health.Problem(kStart + 31s),
            "stalled: the service loop last ran 31 s ago (limit 30 s)");
}

TEST(ServiceHealthTest, SaysWhenTheConsumerHoldsNoPartition) {
  ServiceHealth health(30s);
  health.Tick(kStart, true);

  health.Tick(kStart + 1s, false);

  EXPECT_TRUE(health.Problem(kStart + 1s).starts_with("no partitions assigned"))
      << health.Problem(kStart + 1s);
}

TEST(ServiceHealthTest, FailsOnceStoppingEvenWhileTicking) {
  ServiceHealth health(30s);
  health.Tick(kStart, true);

  health.MarkStopping();
  health.Tick(kStart + 1s, true);

  EXPECT_TRUE(health.Problem(kStart + 1s).starts_with("stopping")) << health.Problem(kStart + 1s);
}

}  // namespace
}  // namespace trailsight::ops
