#pragma once

// Small file helpers shared by the tests that drive the `trailsight` executable.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace trailsight::test_support {

// Returns the non-empty lines of a text file (none if it cannot be read).
inline std::vector<std::string> ReadLines(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// Splits text into its lines as std::getline reads them (no empty last line after a '\n').
inline std::vector<std::string> SplitLines(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// Writes each line followed by '\n', bytes as given.
inline void WriteLines(const std::filesystem::path& path, const std::vector<std::string>& lines) {
  std::ofstream out(path, std::ios::binary);
  for (const std::string& line : lines) out << line << '\n';
}

}  // namespace trailsight::test_support
