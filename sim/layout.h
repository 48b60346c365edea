#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

#include "common/result.h"
#include "sim/traffic.h"
#include "sim/world.h"

namespace trailsight::sim {

// Receives rendered records in delivery order and writes them in one on-disk layout.
// Single-threaded; Close() must be called (and checked) after the last Write().
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // Writes the record `json` of `call`; calls arrive in delivery order.
  virtual common::Status Write(const Call& call, std::string_view json) = 0;
  // Flushes what is buffered and closes every file.
  virtual common::Status Close() = 0;
  // Returns how many data files were written so far.
  virtual std::uint64_t files() const = 0;
};

// CloudTrail's S3 layout under `root`: one gzip file {"Records":[...]} per (account,
// region) and 5-minute delivery window, named after the window's end (the delivery time):
// AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/<acct>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_
// <16 chars>.json.gz. Empty windows write no file, as CloudTrail does.
common::Result<std::unique_ptr<RecordSink>> MakeS3Sink(const World& world,
                                                       const std::filesystem::path& root);

// One file, one record per line, in delivery order.
common::Result<std::unique_ptr<RecordSink>> MakeJsonLinesSink(const std::filesystem::path& file);

}  // namespace trailsight::sim
