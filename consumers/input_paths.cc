#include "consumers/input_paths.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <string_view>
#include <system_error>
#include <utility>

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

// A file or folder, whatever the name it was reached by.
using FileId = std::pair<dev_t, ino_t>;

// Walks the folders given to ExpandInputs, remembering every file and folder met so that
// each is listed, or walked, once over all the paths.
class Walk {
 public:
  explicit Walk(InputList& out) : out_(out) {}

  // Lists `path` ("-", a file or a folder) at the end of out_.files; it must exist.
  void Add(const std::string& path) {
    struct stat info {};
    if (path == "-") {
      out_.files.push_back(path);
    } else if (::stat(path.c_str(), &info) != 0) {
      Unreadable("cannot inspect", path, std::strerror(errno));
    } else if (S_ISDIR(info.st_mode)) {
      std::vector<std::pair<std::string, FileId>> found;
      Folder(path, {info.st_dev, info.st_ino}, found);
      std::sort(found.begin(), found.end());
      for (auto& [file, id] : found) {
        if (files_.insert(id).second) out_.files.push_back(std::move(file));
      }
    } else if (!S_ISREG(info.st_mode) || files_.insert({info.st_dev, info.st_ino}).second) {
      out_.files.push_back(path);  // FIFOs and devices are read as often as they are named
    }
  }

 private:
  // Appends the record files under `folder` (not yet walked) to `found`, with their ids.
  void Folder(const fs::path& folder, FileId id,
              std::vector<std::pair<std::string, FileId>>& found) {
    if (!folders_.insert(id).second) return;  // walked already: a link to it, or a loop
    // Entries in name order, so that of two names for one folder the first is walked
    // whatever order the file system lists them in.
    std::vector<fs::path> entries;
    std::error_code error;
    fs::directory_iterator it(folder, error);
    for (const fs::directory_iterator end; !error && it != end; it.increment(error)) {
      entries.push_back(it->path());
    }
    if (error) Unreadable("cannot list", folder.string(), error.message());
    std::sort(entries.begin(), entries.end());
    for (const fs::path& entry : entries) {
      const std::string name = entry.filename().string();
      struct stat info {};
      if (::stat(entry.c_str(), &info) != 0) {  // follows symbolic links
        // A dangling link matters only where it names a record file.
        if (errno != ENOENT || HasRecordSuffix(name)) {
          Unreadable("cannot inspect", entry.string(), std::strerror(errno));
        }
      } else if (S_ISDIR(info.st_mode)) {
        if (!IsSkippedFolder(name)) Folder(entry, {info.st_dev, info.st_ino}, found);
      } else if (S_ISREG(info.st_mode) && HasRecordSuffix(name)) {
        found.emplace_back(entry.string(), FileId{info.st_dev, info.st_ino});
      }
    }
  }

  void Unreadable(std::string_view what, std::string_view path, std::string_view reason) {
    out_.unreadable.push_back(Error{ErrorCode::kIo, fmt::format("{} {}: {}", what, path, reason)});
  }

  InputList& out_;
  std::set<FileId> files_;    // regular files listed so far
  std::set<FileId> folders_;  // folders walked so far
};

}  // namespace

common::Result<InputList> ExpandInputs(const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    std::error_code error;
    if (path != "-" && !fs::exists(fs::status(path, error))) {
      return Error{ErrorCode::kInvalidArgument, fmt::format("input {} does not exist", path)};
    }
  }
  InputList inputs;
  Walk walk(inputs);
  for (const std::string& path : paths) walk.Add(path);
  return inputs;
}

}  // namespace trailsight::consumers
