#include "app/global_table.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace trailsight::app {
namespace {

constexpr std::string_view kTrailBucket{"trail-bucket\0", 13};
constexpr std::string_view kAccount{"account\0", 8};

}  // namespace

GlobalTable::GlobalTable(std::string topic, Reader reader, detector::TamperRules& tamper,
                         detector::AccountFacts* facts)
    : topic_(std::move(topic)), reader_(std::move(reader)), tamper_(tamper), facts_(facts) {}

void GlobalTable::Apply(std::string_view key, std::string_view value) {
  if (key.starts_with(kAccount)) {
    const std::string_view account = key.substr(kAccount.size());
    if (facts_ == nullptr || account.empty()) return;
    if (common::Status merged = facts_->Merge(account, value); !merged) {
      if (unreadable_facts_++ == 0) {
        spdlog::warn("state: global table {}: {} (ignored; further ones are counted)", topic_,
                     merged.error().message);
      }
    }
    return;
  }
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
  spdlog::info("state: global table {}: {} records, {} trail buckets, {} accounts", topic_, *read,
               on_table_.size(), facts_ != nullptr ? facts_->accounts() : 0);
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
  if (facts_ == nullptr) return;
  facts_->TakeChanged([&](std::string_view account, std::string value) {
    std::string key;
    key.reserve(kAccount.size() + account.size());
    key.append(kAccount).append(account);
    changes.push_back(
        {.partition = 0, .key = std::move(key), .value = std::move(value), .topic = topic_});
  });
}

void GlobalTable::ChangesLost() {
  for (const std::string& bucket : captured_) on_table_.erase(bucket);
  captured_.clear();
  if (facts_ != nullptr) facts_->MarkAllChanged();
}

}  // namespace trailsight::app
