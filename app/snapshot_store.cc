#include "app/snapshot_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace trailsight::app {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr std::string_view kMagic = "trailsight-snapshot";
constexpr int kVersion = 1;
constexpr std::string_view kPrefix = "snapshot-";
constexpr std::string_view kSuffix = ".bin";

std::uint32_t Crc32(std::string_view bytes) {
  return static_cast<std::uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

common::Error IoError(const fs::path& path, std::string_view what) {
  return common::Error{common::ErrorCode::kIo,
                       fmt::format("{}: {}: {}", path.string(), what, std::strerror(errno))};
}

// Writes `bytes` to `path` and syncs it to disk.
common::Status WriteSynced(const fs::path& path, std::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError(path, "cannot create");
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return IoError(path, "cannot write");
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return IoError(path, "cannot sync");
  }
  ::close(fd);
  return common::Ok();
}

// Parses one snapshot file; the error says what is wrong with it.
common::Result<Snapshot> Parse(const std::string& content) {
  const std::size_t newline = content.find('\n');
  if (newline == std::string::npos) {
    return common::Error{common::ErrorCode::kInvalidArgument, "no header line"};
  }
  std::istringstream header(content.substr(0, newline));
  std::string magic;
  int version = 0;
  std::size_t size = 0;
  std::string crc;
  header >> magic >> version >> size >> crc;
  if (magic != kMagic) {
    return common::Error{common::ErrorCode::kInvalidArgument, "not a trailsight snapshot"};
  }
  if (version != kVersion) {
    return common::Error{
        common::ErrorCode::kInvalidArgument,
        fmt::format("snapshot format version {}, this build reads {}", version, kVersion)};
  }
  const std::string_view payload = std::string_view(content).substr(newline + 1);
  if (payload.size() != size) {
    return common::Error{common::ErrorCode::kInvalidArgument,
                         fmt::format("truncated: {} of {} payload bytes", payload.size(), size)};
  }
  if (fmt::format("{:08x}", Crc32(payload)) != crc) {
    return common::Error{common::ErrorCode::kInvalidArgument, "checksum mismatch (corrupt)"};
  }
  try {
    const Json document = Json::from_msgpack(payload.begin(), payload.end());
    Snapshot snapshot;
    for (const Json& row : document.at("offsets")) {
      snapshot.offsets.push_back({row.at(0).get<std::string>(), row.at(1).get<std::int32_t>(),
                                  row.at(2).get<std::int64_t>()});
    }
    const auto& state = document.at("detector").get_binary();
    snapshot.detector_state.assign(state.begin(), state.end());
    if (const auto buckets = document.find("trail_buckets"); buckets != document.end()) {
      snapshot.trail_buckets = buckets->get<std::vector<std::string>>();
    }
    return snapshot;
  } catch (const Json::exception& error) {
    return common::Error{common::ErrorCode::kInvalidArgument,
                         fmt::format("unreadable payload: {}", error.what())};
  }
}

}  // namespace

common::Result<std::unique_ptr<SnapshotStore>> SnapshotStore::Open(fs::path dir, int keep) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) {
    return common::Error{common::ErrorCode::kIo, fmt::format("{}: cannot create state folder: {}",
                                                             dir.string(), error.message())};
  }
  return std::unique_ptr<SnapshotStore>(new SnapshotStore(std::move(dir), keep));
}

std::vector<fs::path> SnapshotStore::List() const {
  std::vector<fs::path> files;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir_, error)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(kPrefix) && name.ends_with(kSuffix)) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());  // zero-padded sequence numbers sort in time order
  return files;
}

common::Status SnapshotStore::Write(const Snapshot& snapshot) {
  Json offsets = Json::array();
  for (const consumers::PartitionOffset& offset : snapshot.offsets) {
    offsets.push_back(Json::array({offset.topic, offset.partition, offset.offset}));
  }
  Json document = Json::object();
  document["offsets"] = std::move(offsets);
  document["detector"] = Json::binary(
      std::vector<std::uint8_t>(snapshot.detector_state.begin(), snapshot.detector_state.end()));
  document["trail_buckets"] = snapshot.trail_buckets;
  const std::vector<std::uint8_t> packed = Json::to_msgpack(document);
  const std::string_view payload(reinterpret_cast<const char*>(packed.data()), packed.size());
  const std::string content =
      fmt::format("{} {} {} {:08x}\n", kMagic, kVersion, payload.size(), Crc32(payload)) +
      std::string(payload);

  const std::vector<fs::path> existing = List();
  std::uint64_t sequence = 1;
  if (!existing.empty()) {
    const std::string name = existing.back().filename().string();
    sequence =
        std::stoull(name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size())) + 1;
  }
  const fs::path final_path = dir_ / fmt::format("{}{:020}{}", kPrefix, sequence, kSuffix);
  const fs::path temporary = dir_ / fmt::format(".{}.tmp", final_path.filename().string());
  if (common::Status status = WriteSynced(temporary, content); !status) return status;
  std::error_code error;
  fs::rename(temporary, final_path, error);
  if (error) {
    return common::Error{common::ErrorCode::kIo, fmt::format("{}: cannot rename: {}",
                                                             final_path.string(), error.message())};
  }
  std::vector<fs::path> all = List();
  for (std::size_t i = 0; i + static_cast<std::size_t>(keep_) < all.size(); ++i) {
    fs::remove(all[i], error);
  }
  return common::Ok();
}

std::optional<Snapshot> SnapshotStore::LoadNewest() const {
  std::vector<fs::path> files = List();
  for (auto it = files.rbegin(); it != files.rend(); ++it) {
    std::ifstream in(*it, std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    common::Result<Snapshot> snapshot = Parse(content.str());
    if (snapshot) {
      spdlog::info("state: resuming from {}", it->string());
      return *std::move(snapshot);
    }
    spdlog::warn("state: skipping {}: {}", it->string(), snapshot.error().message);
  }
  return std::nullopt;
}

}  // namespace trailsight::app
