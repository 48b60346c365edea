#include "consumers/source_streams.h"

#include <fmt/format.h>

#include <charconv>
#include <iterator>

namespace trailsight::consumers {
namespace {

constexpr std::string_view kTableVersion = "1;";

common::Error BadTable(std::string_view what) {
  return {common::ErrorCode::kMalformedEvent,
          fmt::format("the handed-over table of a repartition offset: {}", what)};
}

template <typename Number>
bool ReadNumber(std::string_view text, Number& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc{} && end == text.data() + text.size();
}

}  // namespace

void SourceStreams::Reset(const std::vector<SourcePartition>& expected, Clock::time_point now) {
  streams_.clear();
  for (const SourcePartition& source : expected) {
    streams_.push_back({.source = source, .last_seen = now});
  }
  last_found_ = 0;
  buffered_ = 0;
  read_to_ = -1;
  reset_at_ = now;
  paused_ = false;
}

void SourceStreams::SetPaused(bool paused, Clock::time_point now) {
  if (paused_ && !paused) {
    for (Stream& stream : streams_) stream.last_seen = std::max(stream.last_seen, now);
  }
  paused_ = paused;
}

common::Status SourceStreams::SkipHandedOver(std::string_view table, std::int64_t position) {
  ReadTo(position);
  if (table.empty()) return common::Ok();
  if (!table.starts_with(kTableVersion)) return BadTable("not version 1");
  table.remove_prefix(kTableVersion.size());
  struct Skip {
    std::string_view topic;
    std::int32_t partition = 0;
    std::int64_t delta = 0;
  };
  std::vector<Skip> skips;
  // Groups "topic:partition@delta,partition@delta", separated by ';'.
  while (!table.empty()) {
    const std::size_t semicolon = table.find(';');
    const std::string_view group = table.substr(0, semicolon);
    table = semicolon == std::string_view::npos ? std::string_view{} : table.substr(semicolon + 1);
    const std::size_t colon = group.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return BadTable(fmt::format("group \"{}\" is not topic:partition@delta,...", group));
    }
    std::string_view items = group.substr(colon + 1);
    while (true) {
      const std::size_t comma = items.find(',');
      const std::string_view item = items.substr(0, comma);
      const std::size_t at = item.find('@');
      Skip skip{.topic = group.substr(0, colon)};
      if (at == std::string_view::npos || !ReadNumber(item.substr(0, at), skip.partition) ||
          !ReadNumber(item.substr(at + 1), skip.delta) || skip.delta < 0) {
        return BadTable(fmt::format("entry \"{}\" of {} is not partition@delta", item, skip.topic));
      }
      skips.push_back(skip);
      if (comma == std::string_view::npos) break;
      items.remove_prefix(comma + 1);
    }
  }
  if (position < 0) return BadTable("no position to resume at");
  for (const Skip& skip : skips) {
    Find(skip.topic, skip.partition, reset_at_).skip_through = position + skip.delta;
  }
  return common::Ok();
}

SourceStreams::Stream& SourceStreams::Find(std::string_view topic, std::int32_t partition,
                                           Clock::time_point now) {
  if (last_found_ < streams_.size() && streams_[last_found_].source.partition == partition &&
      streams_[last_found_].source.topic == topic) {
    return streams_[last_found_];
  }
  for (last_found_ = 0; last_found_ < streams_.size(); ++last_found_) {
    const SourcePartition& source = streams_[last_found_].source;
    if (source.partition == partition && source.topic == topic) return streams_[last_found_];
  }
  streams_.push_back({.source = {std::string(topic), partition}, .last_seen = now});
  return streams_.back();
}

bool SourceStreams::Buffer(EventSource source, const common::Event& event, std::int64_t offset,
                           Clock::time_point now) {
  Stream& stream = Find(source.topic, source.partition, now);
  stream.seen = true;
  stream.last_seen = now;
  ReadTo(offset + 1);
  if (offset <= stream.skip_through) {
    if (!stream.time || *stream.time < event.time) stream.time = event.time;  // as if handed over
    return false;
  }
  stream.records.push_back({event, offset + 1});
  ++buffered_;
  return true;
}

void SourceStreams::Mark(const SourceMark& mark, Clock::time_point now) {
  Stream& stream = Find(mark.topic, mark.partition, now);
  stream.seen = true;
  stream.last_seen = now;
  stream.marked_holds = mark.holds;
  if (mark.time && (!stream.marked || *stream.marked < *mark.time)) stream.marked = mark.time;
  if (mark.time && (!stream.time || *stream.time < *mark.time)) stream.time = mark.time;
}

bool SourceStreams::Holds(const Stream& stream, Clock::time_point now) const {
  if (!stream.records.empty()) return true;
  if (stream.seen && !stream.marked_holds) return false;
  return paused_ || now - stream.last_seen < idle_timeout_;
}

bool SourceStreams::Holds(Clock::time_point now) const {
  for (const Stream& stream : streams_) {
    if (Holds(stream, now)) return true;
  }
  return false;
}

bool SourceStreams::Starved(Clock::time_point now) const {
  return std::any_of(streams_.begin(), streams_.end(), [&](const Stream& stream) {
    return stream.records.empty() && Holds(stream, now);
  });
}

std::optional<common::Seconds> SourceStreams::Time(Clock::time_point now, bool read_to_end) const {
  std::optional<common::Seconds> slowest;
  for (const Stream& stream : streams_) {
    if (!Holds(stream, now)) continue;
    const std::optional<common::Seconds> time = StandingTime(
        stream.records, stream.time,
        !read_to_end && (paused_ || now - stream.last_seen < idle_timeout_), max_jump_);
    if (!time) return std::nullopt;
    if (!slowest || *time < *slowest) slowest = time;
  }
  return slowest;
}

void SourceStreams::AddMarkedTimes(std::vector<MarkedTime>& out, Clock::time_point now) const {
  for (const Stream& stream : streams_) {
    if (Holds(stream, now)) out.push_back({&stream.source, stream.marked});
  }
}

std::int64_t SourceStreams::Position() const {
  std::int64_t position = read_to_;
  for (const Stream& stream : streams_) {
    if (!stream.records.empty())
      position = std::min(position, stream.records.front().next_offset - 1);
  }
  return position;
}

std::string SourceStreams::HandedOver(std::int64_t position) const {
  std::string table;
  std::vector<bool> written(streams_.size(), false);
  // Grouped by topic, in the order the topics first appear.
  for (std::size_t first = 0; first < streams_.size(); ++first) {
    if (written[first]) continue;
    bool group_open = false;
    for (std::size_t i = first; i < streams_.size(); ++i) {
      const Stream& stream = streams_[i];
      if (written[i] || stream.source.topic != streams_[first].source.topic) continue;
      written[i] = true;
      const std::int64_t last = std::max(stream.last_handed, stream.skip_through);
      if (position < 0 || last < position) continue;
      if (!group_open) {
        table += table.empty() ? kTableVersion : ";";
        fmt::format_to(std::back_inserter(table), "{}:", stream.source.topic);
        group_open = true;
      } else {
        table += ',';
      }
      fmt::format_to(std::back_inserter(table), "{}@{}", stream.source.partition, last - position);
    }
  }
  return table;
}

}  // namespace trailsight::consumers
