#include "consumers/input_paths.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <string_view>
#include <system_error>

namespace trailsight::consumers {
namespace {

namespace fs = std::filesystem;
using common::Error;
using common::ErrorCode;

constexpr std::array<std::string_view, 3> kSkippedFolders = {
    "CloudTrail-Digest", "CloudTrail-Insight", "CloudTrail-Aggregated"};
constexpr std::array<std::string_view, 4> kRecordSuffixes = {".json", ".json.gz", ".jsonl",
                                                             ".jsonl.gz"};

bool HasRecordSuffix(std::string_view name) {
  return std::any_of(kRecordSuffixes.begin(), kRecordSuffixes.end(), [name](std::string_view s) {
    return name.size() > s.size() && name.substr(name.size() - s.size()) == s;
  });
}

bool IsSkippedFolder(std::string_view name) {
  return std::find(kSkippedFolders.begin(), kSkippedFolders.end(), name) != kSkippedFolders.end();
}

Error ListingError(const fs::path& path, const std::error_code& error) {
  return Error{ErrorCode::kIo, fmt::format("cannot list {}: {}", path.string(), error.message())};
}

// Appends the record files under `root`, sorted by path.
common::Status ListDirectory(const fs::path& root, std::vector<std::string>& out) {
  std::vector<std::string> found;
  std::error_code error;
  fs::recursive_directory_iterator it(root, error);
  if (error) return ListingError(root, error);
  for (const fs::recursive_directory_iterator end; it != end; it.increment(error)) {
    std::error_code entry_error;  // an entry that cannot be inspected is not a record file
    const std::string name = it->path().filename().string();
    if (it->is_directory(entry_error)) {
      if (IsSkippedFolder(name)) it.disable_recursion_pending();
      continue;
    }
    if (HasRecordSuffix(name) && it->is_regular_file(entry_error)) {
      found.push_back(it->path().string());
    }
  }
  if (error) return ListingError(root, error);  // increment() failed and ended the walk
  std::sort(found.begin(), found.end());
  out.insert(out.end(), found.begin(), found.end());
  return common::Ok();
}

}  // namespace

common::Result<std::vector<std::string>> ExpandInputs(const std::vector<std::string>& paths) {
  std::vector<std::string> inputs;
  for (const std::string& path : paths) {
    if (path == "-") {
      inputs.push_back(path);
      continue;
    }
    std::error_code error;
    const fs::file_status status = fs::status(path, error);
    if (!fs::exists(status)) {
      return Error{ErrorCode::kInvalidArgument, fmt::format("input {} does not exist", path)};
    }
    if (!fs::is_directory(status)) {
      inputs.push_back(path);
      continue;
    }
    if (common::Status listed = ListDirectory(path, inputs); !listed) return listed.error();
  }
  return inputs;
}

}  // namespace trailsight::consumers
