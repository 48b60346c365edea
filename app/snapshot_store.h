#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/file_descriptor.h"
#include "common/result.h"
#include "consumers/kafka_source.h"

namespace trailsight::app {

// The detection state of one partition of a keyed input and the offset it reflects (the next
// one it has not counted).
struct PartitionState {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = -1;
  std::string detector_state;  // Detector::SaveState() bytes
  // Whether the state changelog holds this state too (it was checkpointed there, up to
  // `offset`): restored from here, it need not be written there again.
  bool in_changelog = false;
};

// A complete snapshot: the detection state, the trail buckets the tamper rules learned and
// the input offsets they reflect. The state is either one detector's for the whole input
// (`detector_state`) or one per partition (`partitions`, for an input keyed by account and
// region; app/partition_detectors.h), which may include partitions held earlier and not now
// (their offsets are then only in `partitions`: they are not committed).
struct Snapshot {
  std::vector<consumers::PartitionOffset> offsets;  // next offset to read per partition
  std::string detector_state;                       // Detector::SaveState() bytes
  std::vector<PartitionState> partitions;
  std::vector<std::string> trail_buckets;  // TamperRules::LearnedBuckets()
};

// Keeps complete snapshots in a local folder (`state.dir`), newest last. One store per
// folder: Open() takes an exclusive lock that the store holds until it is destroyed.
//
// Folder layout:
// - `snapshot-<20-digit sequence>.bin`: the snapshots, exactly this name. Any other entry
//   named `snapshot-*` (a backup copy such as `snapshot-backup.bin` or
//   `snapshot-7.bin.orig`) is not ours: it is logged once per Open() and otherwise ignored,
//   never loaded, counted towards `keep` or removed.
// - `.snapshot-<sequence>.bin.tmp`: a snapshot being written.
// - `INSTANCE`: the folder's instance id (InstanceId()).
// - `LOCK`: flock(LOCK_EX) by the store that owns the folder, holding "<pid> <hostname>"
//   of that process. The file stays when the store is closed or its process dies; only
//   the lock counts, and the kernel drops it with the process.
// The folder is created with mode 0700 and every file the store creates with 0600, whatever
// the umask; an existing folder keeps its mode (group or world access is logged as a warning).
//
// File format: one header line "trailsight-snapshot <version> <payload bytes> <crc32 hex>"
// then the payload, MessagePack of {"offsets": [[topic, partition, offset]...],
// "detector": <binary>, "partitions": [[topic, partition, offset, <binary>, in_changelog]...],
// "trail_buckets": [name...]}; a snapshot without "trail_buckets" or "partitions" (written
// before they were kept) reads as having none, a partition row without in_changelog as false.
// Writes go to a temporary file that is synced and renamed, so a crash never leaves a half snapshot
// under a snapshot's name.
//
// Thread safety: none; the service's main thread owns it.
class SnapshotStore {
 public:
  // Creates the folder if needed (parents too) and locks it for this store. Fails with kIo
  // naming the folder when it cannot be created, read or locked; when another store holds
  // it, in this process or another, the message names the holder's pid and host
  // ("state folder DIR is in use by pid 1234 on host h; one instance per state folder").
  static common::Result<std::unique_ptr<SnapshotStore>> Open(std::filesystem::path dir, int keep);

  // Writes `snapshot` as the newest and removes all but the newest `keep` of the store's
  // own snapshots. Fails with kIo naming the file when the folder cannot be read or the
  // snapshot cannot be written; a snapshot that cannot be removed is logged and left.
  common::Status Write(const Snapshot& snapshot);

  // Returns the newest snapshot that reads back intact. Each unreadable one (corrupt,
  // truncated, foreign, another version) is logged with its reason and skipped; nullopt
  // when none is left (or the folder cannot be listed, logged), and the service starts fresh.
  std::optional<Snapshot> LoadNewest() const;

  // This folder's instance id: 32 hex digits kept in `INSTANCE` (0600), made on first use,
  // so a restart on the same folder keeps it (the state changelog's transactional id is made
  // from it, which fences the previous incarnation) and an empty folder gets a new one. Fails
  // with kIo naming the file when it cannot be written.
  common::Result<std::string> InstanceId() const;

  const std::filesystem::path& dir() const { return dir_; }

 private:
  SnapshotStore(std::filesystem::path dir, int keep, common::FileDescriptor lock)
      : dir_(std::move(dir)), keep_(keep), lock_(std::move(lock)) {}

  std::filesystem::path dir_;
  int keep_;
  common::FileDescriptor lock_;  // `dir_/LOCK`, flock(LOCK_EX) for the store's lifetime
};

}  // namespace trailsight::app
