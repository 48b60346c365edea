#pragma once

// Sinks that keep everything handed to them, in order, for tests to inspect.
#include <vector>

#include "common/alert.h"
#include "common/finding.h"

namespace trailsight::test_support {

class CollectingFindings final : public common::FindingSink {
 public:
  common::Status Publish(const common::Finding& finding) override {
    findings.push_back(finding);
    return common::Ok();
  }
  common::Status Flush() override { return common::Ok(); }
  std::vector<common::Finding> findings;
};

class CollectingAlerts final : public common::AlertSink {
 public:
  common::Status Publish(const common::Alert& alert) override {
    alerts.push_back(alert);
    return common::Ok();
  }
  common::Status Flush() override { return common::Ok(); }
  std::vector<common::Alert> alerts;
};

}  // namespace trailsight::test_support
