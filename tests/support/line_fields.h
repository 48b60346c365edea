#pragma once

// The columns of a finding's readable line (alerts/finding_line.h): separated by two spaces
// or more, as the padding leaves them.
#include <string>
#include <vector>

namespace trailsight::test_support {

inline std::vector<std::string> LineFields(const std::string& line) {
  std::vector<std::string> fields;
  std::size_t at = 0;
  while (at < line.size()) {
    const std::size_t end = line.find("  ", at);
    fields.push_back(line.substr(at, end - at));
    if (end == std::string::npos) break;
    at = line.find_first_not_of(' ', end);
  }
  return fields;
}

}  // namespace trailsight::test_support
