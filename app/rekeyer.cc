#include "app/rekeyer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace trailsight::app {

Rekeyer::Rekeyer(Options options, const common::StringInterner& interner, RekeyCommitter& committer,
                 const RekeyedInput& input)
    : options_(std::move(options)),
      interner_(interner),
      committer_(committer),
      input_(input),
      batch_(options_.topic) {}

void Rekeyer::OnEvent(const common::Event& event) {
  const std::string_view account = interner_.Resolve(event.account);
  const std::string_view region = interner_.Resolve(event.region);
  key_.assign(account);
  key_.push_back('/');
  key_.append(region);
  value_.clear();
  consumers::AppendEncodedEvent(event, interner_, input_.Delivering(), value_);
  batch_.Add(consumers::RepartitionOf(account, region, options_.partitions), key_, value_);
  ++counters_.records;
}

std::vector<consumers::PartitionOffset> Rekeyer::OnAssign(
    const std::vector<consumers::PartitionOffset>& /*partitions*/) {
  return {};  // from the group's committed offsets: what the last owner's transactions reached
}

void Rekeyer::OnRevoke(const std::vector<consumers::PartitionOffset>& partitions) {
  if (failure_) return;
  // What must be handed over: records and positions (source marks may wait for the next owner).
  if (batch_.size() == 0 && CommittablePositions() == committed_) return;
  if (common::Status committed = Commit(); !committed) {
    failure_ = common::Error{
        committed.error().code,
        fmt::format("re-keying: the commit before {} partitions were revoked failed: {}",
                    partitions.size(), committed.error().message)};
  }
}

void Rekeyer::CommitIfDue(std::chrono::steady_clock::time_point now) {
  if (failure_) return;
  const bool full = batch_.bytes() >= options_.max_batch_bytes;
  if (!full && now - last_commit_ < options_.commit_interval) return;
  if (!pending()) {
    last_commit_ = now;
    return;
  }
  if (common::Status committed = Commit(); !committed) {
    spdlog::warn("re-keying: {}; the records are kept for the next commit",
                 committed.error().message);
  }
}

common::Status Rekeyer::Commit() {
  if (failure_) return *failure_;
  std::vector<consumers::PartitionOffset> positions = CommittablePositions();
  last_commit_ = std::chrono::steady_clock::now();
  const std::string& marks = EncodedMarks();
  const bool marks_only = batch_.size() == 0 && positions == committed_;
  if (marks_only && !MarksDue(last_commit_)) return common::Ok();
  if (!marks.empty()) {
    // After this commit's records: each input partition's records up to its mark come first.
    for (std::int32_t partition = 0; partition < options_.partitions; ++partition) {
      batch_.Add(partition, {}, marks);
    }
  }
  if (common::Status committed = committer_.Commit(batch_, positions); !committed) {
    ++counters_.failed_commits;
    if (marks_only) {
      // Nothing but marks, whatever became of them: try again after a refresh period (a
      // broker outage must not cost a commit timeout every turn).
      batch_.Clear();
      marks_retry_at_ = last_commit_ + options_.marks_refresh;
      return committed;
    }
    if (committer_.OutcomeUnknown()) {
      failure_ = common::Error{
          committed.error().code,
          fmt::format("re-keying: {}; stopping, so that the input is read again from the "
                      "offsets the group holds",
                      committed.error().message)};
      return *failure_;
    }
    return committed;
  }
  ++counters_.commits;
  batch_.Clear();
  committed_ = std::move(positions);
  committed_marks_ = marks;
  if (!marks.empty()) marks_committed_at_ = last_commit_;
  return common::Ok();
}

bool Rekeyer::pending() const {
  return batch_.size() > 0 || CommittablePositions() != committed_ ||
         MarksDue(std::chrono::steady_clock::now());
}

bool Rekeyer::MarksDue(std::chrono::steady_clock::time_point now) const {
  const std::string& marks = EncodedMarks();
  if (now < marks_retry_at_) return false;
  return marks != committed_marks_ ||
         (MarksHold() && now - marks_committed_at_ >= options_.marks_refresh);
}

bool Rekeyer::MarksHold() const {
  return std::any_of(marks_.begin(), marks_.end(),
                     [](const consumers::SourceMark& mark) { return mark.holds; });
}

const std::string& Rekeyer::EncodedMarks() const {
  input_.Marks(marks_);
  marks_value_.clear();
  if (!marks_.empty()) consumers::AppendSourceMarks(marks_, marks_value_);
  return marks_value_;
}

std::vector<consumers::PartitionOffset> Rekeyer::CommittablePositions() const {
  std::vector<consumers::PartitionOffset> positions = input_.Positions();
  std::erase_if(positions,
                [](const consumers::PartitionOffset& position) { return position.offset < 0; });
  return positions;
}

}  // namespace trailsight::app
