#include "app/snapshot_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

namespace trailsight::app {

using common::FileDescriptor;

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr std::string_view kMagic = "trailsight-snapshot";
constexpr int kVersion = 1;
constexpr std::string_view kPrefix = "snapshot-";
constexpr std::size_t kSequenceDigits = 20;  // "{:020}": every uint64 fits
constexpr std::string_view kSuffix = ".bin";
constexpr std::string_view kLockName = "LOCK";
constexpr std::string_view kInstanceName = "INSTANCE";
constexpr mode_t kFolderMode = 0700;  // snapshots hold account ids, principals and counts
constexpr mode_t kFileMode = 0600;

std::uint32_t Crc32(std::string_view bytes) {
  return static_cast<std::uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

// An error naming `path`, with the reason errno gives; call it right after the failing call.
common::Error IoError(const fs::path& path, std::string_view what) {
  return common::Error{common::ErrorCode::kIo,
                       fmt::format("{}: {}: {}", path.string(), what, std::strerror(errno))};
}

// Returns the sequence number of a name the store writes, "snapshot-<20 digits>.bin";
// nullopt for any other name.
std::optional<std::uint64_t> SequenceOf(std::string_view name) {
  if (name.size() != kPrefix.size() + kSequenceDigits + kSuffix.size() ||
      !name.starts_with(kPrefix) || !name.ends_with(kSuffix)) {
    return std::nullopt;
  }
  const std::string_view digits = name.substr(kPrefix.size(), kSequenceDigits);
  std::uint64_t sequence = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), sequence);
  // A non-digit stops from_chars early; 20 digits above 2^64 - 1 are out of range.
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return sequence;
}

// One of the store's own snapshot files.
struct SnapshotFile {
  std::uint64_t sequence = 0;
  fs::path path;
};

// What a state folder holds that the store cares about.
struct Listing {
  std::vector<SnapshotFile> snapshots;  // the store's own, oldest first
  std::vector<fs::path> strays;         // other `snapshot-*` entries, by name
};

// Lists `dir`. Fails with kIo naming the folder when it cannot be read.
common::Result<Listing> ListFolder(const fs::path& dir) {
  Listing listing;
  std::error_code error;
  fs::directory_iterator it(dir, error);
  for (; !error && it != fs::directory_iterator(); it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(kPrefix)) continue;  // LOCK, temporaries, other tools' files
    std::error_code type_error;
    const std::optional<std::uint64_t> sequence = SequenceOf(name);
    if (sequence && it->is_regular_file(type_error)) {
      listing.snapshots.push_back({*sequence, it->path()});
    } else {
      listing.strays.push_back(it->path());
    }
  }
  if (error) {
    return common::Error{common::ErrorCode::kIo, fmt::format("{}: cannot list the state folder: {}",
                                                             dir.string(), error.message())};
  }
  std::sort(listing.snapshots.begin(), listing.snapshots.end(),
            [](const SnapshotFile& a, const SnapshotFile& b) { return a.sequence < b.sequence; });
  std::sort(listing.strays.begin(), listing.strays.end());
  return listing;
}

// Creates `dir` with kFolderMode (its parents as the umask says) or checks the existing one
// is a folder, warning when group or others may enter it. Fails with kIo naming the folder.
common::Status MakeFolder(const fs::path& dir) {
  const fs::path folder = dir.has_filename() ? dir : dir.parent_path();  // "state/" is "state"
  if (folder.has_parent_path()) {
    std::error_code error;
    fs::create_directories(folder.parent_path(), error);
    if (error) {
      return common::Error{common::ErrorCode::kIo, fmt::format("{}: cannot create state folder: {}",
                                                               dir.string(), error.message())};
    }
  }
  if (::mkdir(folder.c_str(), kFolderMode) == 0) {
    // mkdir applied the umask, which may have taken the owner's bits too.
    if (::chmod(folder.c_str(), kFolderMode) != 0) {
      return IoError(dir, "cannot set the state folder's mode");
    }
    return common::Ok();
  }
  if (errno != EEXIST) return IoError(dir, "cannot create state folder");
  struct stat info {};
  if (::stat(folder.c_str(), &info) != 0) return IoError(dir, "cannot read state folder");
  if (!S_ISDIR(info.st_mode)) {
    return common::Error{common::ErrorCode::kIo,
                         fmt::format("{}: state folder exists and is not a folder", dir.string())};
  }
  if ((info.st_mode & 077) != 0) {
    spdlog::warn(
        "state: folder {} is open to group or others (mode {:04o}); it holds the detector's "
        "state: chmod 700 it",
        dir.string(), info.st_mode & 07777);
  }
  return common::Ok();
}

std::string HostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

// Who holds the lock on `lock`, from the "<pid> <hostname>" line it wrote.
std::string Holder(const FileDescriptor& lock) {
  char buffer[512] = {};
  const ssize_t n = ::pread(lock.get(), buffer, sizeof(buffer) - 1, 0);
  std::string_view line(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
  line = line.substr(0, line.find('\n'));
  const std::size_t space = line.find(' ');
  std::int64_t pid = 0;
  if (space == std::string_view::npos || space + 1 == line.size()) {
    return "another process (it has not written its pid yet)";
  }
  const auto [end, error] = std::from_chars(line.data(), line.data() + space, pid);
  if (error != std::errc() || end != line.data() + space) {
    return fmt::format("another process (its lock file says \"{}\")", line);
  }
  return fmt::format("pid {} on host {}", pid, line.substr(space + 1));
}

// Locks `dir` for this process: flock(LOCK_EX) on DIR/LOCK, then writes our pid and host
// into it. The lock lasts as long as the returned descriptor. Fails with kIo naming the
// folder and the holder when another open of DIR/LOCK (any process) holds it.
common::Result<FileDescriptor> LockFolder(const fs::path& dir) {
  const fs::path path = dir / kLockName;
  FileDescriptor lock(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, kFileMode));
  if (lock.get() < 0) return IoError(path, "cannot open the state folder's lock file");
  if (::fchmod(lock.get(), kFileMode) != 0) return IoError(path, "cannot set its mode");
  while (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) return IoError(path, "cannot lock the state folder");
    return common::Error{
        common::ErrorCode::kIo,
        fmt::format("state folder {} is in use by {}; one instance per state folder", dir.string(),
                    Holder(lock))};
  }
  const std::string holder = fmt::format("{} {}\n", ::getpid(), HostName());
  if (::ftruncate(lock.get(), 0) != 0 || ::pwrite(lock.get(), holder.data(), holder.size(), 0) !=
                                             static_cast<ssize_t>(holder.size())) {
    return IoError(path, "cannot write the lock holder");
  }
  return lock;
}

// Writes `bytes` to a new file `path` (mode kFileMode) and syncs it to disk.
common::Status WriteSynced(const fs::path& path, std::string_view bytes) {
  const FileDescriptor file(
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, kFileMode));
  if (file.get() < 0) return IoError(path, "cannot create");
  // open applied the umask; a stale temporary kept whatever mode it had.
  if (::fchmod(file.get(), kFileMode) != 0) return IoError(path, "cannot set the mode");
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(file.get(), bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IoError(path, "cannot write");
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(file.get()) != 0) return IoError(path, "cannot sync");
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
    if (const auto partitions = document.find("partitions"); partitions != document.end()) {
      for (const Json& row : *partitions) {
        const auto& bytes = row.at(3).get_binary();
        snapshot.partitions.push_back({row.at(0).get<std::string>(), row.at(1).get<std::int32_t>(),
                                       row.at(2).get<std::int64_t>(),
                                       std::string(bytes.begin(), bytes.end()),
                                       row.size() > 4 && row.at(4).get<bool>()});
      }
    }
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
  if (common::Status made = MakeFolder(dir); !made) return made.error();
  common::Result<FileDescriptor> lock = LockFolder(dir);
  if (!lock) return lock.error();
  common::Result<Listing> listing = ListFolder(dir);
  if (!listing) return listing.error();
  for (const fs::path& stray : listing->strays) {
    spdlog::warn(
        "state: ignoring {}: not a name this store writes (snapshot-<20 digits>.bin), so it is "
        "never loaded, counted or removed",
        stray.string());
  }
  return std::unique_ptr<SnapshotStore>(new SnapshotStore(std::move(dir), keep, *std::move(lock)));
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
  Json partitions = Json::array();
  for (const PartitionState& state : snapshot.partitions) {
    partitions.push_back(
        Json::array({state.topic, state.partition, state.offset,
                     Json::binary(std::vector<std::uint8_t>(state.detector_state.begin(),
                                                            state.detector_state.end())),
                     state.in_changelog}));
  }
  document["partitions"] = std::move(partitions);
  document["trail_buckets"] = snapshot.trail_buckets;
  const std::vector<std::uint8_t> packed = Json::to_msgpack(document);
  const std::string_view payload(reinterpret_cast<const char*>(packed.data()), packed.size());
  const std::string content =
      fmt::format("{} {} {} {:08x}\n", kMagic, kVersion, payload.size(), Crc32(payload)) +
      std::string(payload);

  const common::Result<Listing> existing = ListFolder(dir_);
  if (!existing) return existing.error();
  const std::uint64_t sequence =
      existing->snapshots.empty() ? 1 : existing->snapshots.back().sequence + 1;
  const fs::path final_path =
      dir_ / fmt::format("{}{:0{}}{}", kPrefix, sequence, kSequenceDigits, kSuffix);
  const fs::path temporary = dir_ / fmt::format(".{}.tmp", final_path.filename().string());
  if (common::Status status = WriteSynced(temporary, content); !status) return status;
  std::error_code error;
  fs::rename(temporary, final_path, error);
  if (error) {
    return common::Error{common::ErrorCode::kIo, fmt::format("{}: cannot rename: {}",
                                                             final_path.string(), error.message())};
  }

  // Pruning is housekeeping: the snapshot is complete whether or not it succeeds.
  const common::Result<Listing> written = ListFolder(dir_);
  if (!written) {
    spdlog::warn("state: not removing old snapshots: {}", written.error().message);
    return common::Ok();
  }
  const std::vector<SnapshotFile>& own = written->snapshots;
  for (std::size_t i = 0; i + static_cast<std::size_t>(keep_) < own.size(); ++i) {
    if (!fs::remove(own[i].path, error) && error) {
      spdlog::warn("state: cannot remove {}: {}", own[i].path.string(), error.message());
    }
  }
  return common::Ok();
}

std::optional<Snapshot> SnapshotStore::LoadNewest() const {
  const common::Result<Listing> listing = ListFolder(dir_);
  if (!listing) {
    spdlog::error("state: {}", listing.error().message);
    return std::nullopt;
  }
  const std::vector<SnapshotFile>& files = listing->snapshots;
  for (auto it = files.rbegin(); it != files.rend(); ++it) {
    std::ifstream in(it->path, std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    common::Result<Snapshot> snapshot = Parse(content.str());
    if (snapshot) {
      spdlog::info("state: resuming from {}", it->path.string());
      return *std::move(snapshot);
    }
    spdlog::warn("state: skipping {}: {}", it->path.string(), snapshot.error().message);
  }
  return std::nullopt;
}

common::Result<std::string> SnapshotStore::InstanceId() const {
  const fs::path path = dir_ / kInstanceName;
  std::error_code error;
  if (fs::exists(path, error)) {
    std::ifstream in(path);
    std::string id;
    if (std::getline(in, id) && id.size() == 32 &&
        id.find_first_not_of("0123456789abcdef") == std::string::npos) {
      return id;
    }
    spdlog::warn("state: {} does not hold an instance id; writing a new one", path.string());
  }
  std::random_device random;
  std::string id;
  for (int i = 0; i < 4; ++i) id += fmt::format("{:08x}", random());
  if (common::Status written = WriteSynced(path, id + "\n"); !written) return written.error();
  return id;
}

}  // namespace trailsight::app
