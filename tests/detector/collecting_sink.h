#pragma once

#include <vector>

#include "common/finding.h"

namespace trailsight::detector {

// A FindingSink that keeps every finding, in order, for tests to inspect.
class CollectingSink final : public common::FindingSink {
 public:
  common::Status Publish(const common::Finding& finding) override {
    findings.push_back(finding);
    return common::Ok();
  }
  common::Status Flush() override { return common::Ok(); }
  std::vector<common::Finding> findings;
};

}  // namespace trailsight::detector
