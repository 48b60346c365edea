#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "consumers/kafka_source.h"

namespace trailsight::app {

// A complete snapshot: the detector's state, the trail buckets the tamper rules learned and
// the input offsets they reflect.
struct Snapshot {
  std::vector<consumers::PartitionOffset> offsets;  // next offset to read per partition
  std::string detector_state;                       // Detector::SaveState() bytes
  std::vector<std::string> trail_buckets;           // TamperRules::LearnedBuckets()
};

// Keeps complete snapshots in a local folder, newest last.
//
// File format: one header line "trailsight-snapshot <version> <payload bytes> <crc32 hex>"
// then the payload, MessagePack of {"offsets": [[topic, partition, offset]...],
// "detector": <binary>, "trail_buckets": [name...]}; a snapshot without "trail_buckets"
// (written before they were kept) reads as having learned none. Writes go to a temporary file that
// is synced and renamed, so a crash never leaves a half snapshot under a snapshot's name.
//
// Thread safety: none; the service's main thread owns it.
class SnapshotStore {
 public:
  // Creates the folder if needed. Fails with kIo naming the folder.
  static common::Result<std::unique_ptr<SnapshotStore>> Open(std::filesystem::path dir, int keep);

  // Writes `snapshot` as the newest and removes all but the newest `keep`.
  common::Status Write(const Snapshot& snapshot);

  // Returns the newest snapshot that reads back intact. Each unreadable one (corrupt,
  // truncated, foreign, another version) is logged with its reason and skipped; nullopt
  // when none is left, and the service starts fresh.
  std::optional<Snapshot> LoadNewest() const;

  const std::filesystem::path& dir() const { return dir_; }

 private:
  SnapshotStore(std::filesystem::path dir, int keep) : dir_(std::move(dir)), keep_(keep) {}
  std::vector<std::filesystem::path> List() const;  // snapshot files, oldest first

  std::filesystem::path dir_;
  int keep_;
};

}  // namespace trailsight::app
