#pragma once

// What the config tests share: a config text's problems, one per line.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace trailsight::config {

// `text` split at its newlines (an empty last line kept).
inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    const std::size_t end = std::min(text.find('\n', begin), text.size());
    lines.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return lines;
}

// The problems a config text produces, one per line; empty when it loads.
inline std::vector<std::string> Problems(std::string_view yaml) {
  const common::Result<Config> config = LoadConfigText(yaml, "test.yaml");
  if (config) return {};
  EXPECT_EQ(config.error().code, common::ErrorCode::kInvalidConfig);
  return Lines(config.error().message);
}

}  // namespace trailsight::config
