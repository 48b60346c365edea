#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/result.h"
#include "detector/account_facts.h"
#include "detector/tamper_rules.h"
#include "kafka/state_changelog.h"

namespace trailsight::app {

// Facts that span partitions (DESIGN.md "Delivery and state"): the trail buckets the tamper
// rules learned from CreateTrail and UpdateTrail, which guard the bucket whichever account
// and partition a later call on it comes from; and each account's first sighting, the
// regions it writes in and the sensitive APIs it calls (detector::AccountFacts), which the
// novelty rules judge an account's age, its new regions and its first sensitive calls by,
// while its regions are on different partitions. They live in a
// compacted topic of one partition (`kafka.global_topic`) that every instance reads in full at
// start and keeps reading; a fact learned here goes there in the next checkpoint's
// transaction (CaptureChanges), so it is known to every instance, and survives this one, as
// soon as the records it was learned from are committed.
//
// Records: key "trail-bucket" NUL <bucket name>, value "1"; key "account" NUL <account id>,
// value AccountFacts' encoding of that account's facts (the newest holds them all).
//
// Thread safety: none; the service thread owns it.
class GlobalTable {
 public:
  using Visit = std::function<void(std::string_view key, std::string_view value)>;
  // Reads the topic from where the last call stopped: up to its end within `timeout`, or what
  // has arrived when `timeout` is zero. kafka::ChangelogTail::Read, or a test's records.
  using Reader = std::function<common::Result<std::size_t>(std::chrono::milliseconds timeout,
                                                           const Visit& visit)>;

  // `tamper` and `facts` (which may be null: no account facts) must outlive the table.
  GlobalTable(std::string topic, Reader reader, detector::TamperRules& tamper,
              detector::AccountFacts* facts = nullptr);

  // Reads the whole table, waiting up to `timeout` for its end; fails saying why.
  common::Status Load(std::chrono::milliseconds timeout);
  // Applies what other instances added since, without waiting; returns how many records it
  // read. A failed read is logged (rate-limited by the caller's loop) and retried next time.
  std::size_t Poll();
  // Records of the facts learned here that the table does not hold yet, for the checkpoint's
  // transaction.
  void CaptureChanges(std::vector<kafka::ChangelogRecord>& changes);
  // Changes captured were not written: the next capture takes every bucket this table ever
  // captured again, and every account's facts (writing one twice is harmless on a compacted
  // topic; losing one is not).
  void ChangesLost();

  std::size_t buckets() const { return on_table_.size(); }

 private:
  void Apply(std::string_view key, std::string_view value);

  const std::string topic_;
  Reader reader_;
  detector::TamperRules& tamper_;             // outlives the table
  detector::AccountFacts* facts_;             // outlives the table; may be null
  std::unordered_set<std::string> on_table_;  // buckets the table holds or a capture carries
  std::vector<std::string> captured_;         // by the captures since the last ChangesLost
  bool read_failed_ = false;                  // the last Poll failed: logged once
  std::size_t unreadable_facts_ = 0;          // account records Merge refused, logged once
};

}  // namespace trailsight::app
