#include "app/global_table.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace trailsight::app {
namespace {

constexpr std::string_view kTrailBucket{"trail-bucket\0", 13};

}  // namespace

GlobalTable::GlobalTable(std::string topic, Reader reader, detector::TamperRules& tamper)
    : topic_(std::move(topic)), reader_(std::move(reader)), tamper_(tamper) {}

void GlobalTable::Apply(std::string_view key, std::string_view /*value*/) {
  if (!key.starts_with(kTrailBucket)) return;  // a fact of a later version: not ours to read
  const std::string_view bucket = key.substr(kTrailBucket.size());
  if (bucket.empty()) return;
  on_table_.emplace(bucket);
  tamper_.Learn(bucket);
}

common::Status GlobalTable::Load(std::chrono::milliseconds timeout) {
  common::Result<std::size_t> read =
      reader_(timeout, [&](std::string_view key, std::string_view value) { Apply(key, value); });
  if (!read) return read.error();
  spdlog::info("state: global table {}: {} records, {} trail buckets", topic_, *read,
               on_table_.size());
  return common::Ok();
}

std::size_t GlobalTable::Poll() {
  common::Result<std::size_t> read =
      reader_(std::chrono::milliseconds{0},
              [&](std::string_view key, std::string_view value) { Apply(key, value); });
  if (!read) {
    if (!std::exchange(read_failed_, true)) {
      spdlog::warn("state: global table {}: {}", topic_, read.error().message);
    }
    return 0;
  }
  read_failed_ = false;
  return *read;
}

void GlobalTable::CaptureChanges(std::vector<kafka::ChangelogRecord>& changes) {
  for (std::string& bucket : tamper_.LearnedBuckets()) {
    if (on_table_.contains(bucket)) continue;
    changes.push_back(
        {.partition = 0, .key = std::string(kTrailBucket) + bucket, .value = "1", .topic = topic_});
    on_table_.insert(bucket);
    captured_.push_back(std::move(bucket));
  }
}

void GlobalTable::ChangesLost() {
  for (const std::string& bucket : captured_) on_table_.erase(bucket);
  captured_.clear();
}

}  // namespace trailsight::app
