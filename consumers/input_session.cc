#include "consumers/input_session.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <span>

namespace trailsight::consumers {
namespace {

constexpr std::size_t kReadChunkBytes = 256u << 10;
constexpr std::size_t kOversizedHeadBytes = 64u << 10;  // kept of a record too large to keep
constexpr std::size_t kDetectLookaheadBytes = 4096;     // to find `{"Records":[`
constexpr std::string_view kRecordsKey = "\"Records\"";

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

bool IsBlank(std::string_view text) { return std::all_of(text.begin(), text.end(), IsSpace); }

// Whether `c` ends a scalar (a number, true, junk) that stands where a record should be.
bool EndsScalar(char c, bool in_array) {
  return IsSpace(c) || c == ',' || c == '{' || c == '[' || (in_array && c == ']');
}

// Bytes that change the structure outside strings.
constexpr std::array<bool, 256> kStructural = [] {
  std::array<bool, 256> table{};
  for (unsigned char c : {'"', '{', '}', '[', ']'}) table[c] = true;
  return table;
}();

// Follows JSON structure byte by byte: nesting depth and whether the cursor is in a string.
// It does not validate: the record parser does that once the record's end is known.
struct StructureTracker {
  static constexpr std::size_t kOpen = static_cast<std::size_t>(-1);

  int depth = 0;
  bool in_string = false;
  bool escaped = false;

  // Consumes `text` up to the end of the value that is open (or starts at text[0]); returns
  // how many bytes that took, closing byte included, or kOpen when all of `text` was consumed
  // and the value is still open. The hot loop of array reading: it skips plain bytes in tight
  // loops instead of stepping through the state machine.
  std::size_t Scan(std::string_view text) {
    const char* const begin = text.data();
    const char* const end = begin + text.size();
    for (const char* p = begin; p < end;) {
      if (in_string && !escaped) {
        while (p < end && *p != '"' && *p != '\\') ++p;
      } else if (!in_string) {
        while (p < end && !kStructural[static_cast<unsigned char>(*p)]) ++p;
      }
      if (p == end) break;
      if (Step(*p++)) return static_cast<std::size_t>(p - begin);
    }
    return kOpen;
  }

  // Consumes `c`; returns true when it ends the outermost container or top-level string.
  bool Step(char c) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
        return depth == 0;
      }
      return false;
    }
    switch (c) {
      case '"':
        in_string = true;
        return false;
      case '{':
      case '[':
        ++depth;
        return false;
      case '}':
      case ']':
        return --depth == 0;
      default:
        return false;
    }
  }
};

}  // namespace

InputSession::InputSession(Context context, InputStream& stream, std::string_view source,
                           common::EventReceiver& receiver)
    : context_(context),
      stream_(stream),
      source_(source),
      receiver_(receiver),
      buffer_(context.buffer) {}

bool InputSession::Fill() {
  if (at_end_) return false;
  const std::size_t dropped = keep_ - base_;
  if (dropped > 0) {
    std::memmove(buffer_.data(), buffer_.data() + dropped, end_ - keep_);
    base_ = keep_;
  }
  // The last RecordParser::kPadding bytes are never filled, so that any record in the buffer
  // can be parsed where it lies (RecordParser::ParsePadded).
  const std::size_t used = end_ - base_;
  constexpr std::size_t kPadding = RecordParser::kPadding;
  if (buffer_.size() - used < kReadChunkBytes + kPadding) {
    buffer_.resize(std::max(buffer_.size() * 2, used + kReadChunkBytes + kPadding));
  }
  common::Result<std::size_t> count =
      stream_.Read(std::span<char>(buffer_.data() + used, buffer_.size() - used - kPadding));
  if (!count || *count == 0) {
    if (!count) read_error_ = std::move(count).error();
    at_end_ = true;
    return false;
  }
  end_ += *count;
  context_.counters.bytes += *count;
  return true;
}

bool InputSession::Ensure(std::size_t offset) {
  while (offset >= end_) {
    if (!Fill()) return false;
  }
  return true;
}

common::Status InputSession::Run() {
  // Find the first significant byte, skipping whitespace and a UTF-8 byte order mark.
  std::size_t start = 0;
  std::size_t newlines = 0;
  if (Ensure(2) && Slice(0, 3) == "\xEF\xBB\xBF") start = 3;
  while (Ensure(start) && IsSpace(At(start))) {
    if (At(start) == '\n') ++newlines;
    keep_ = ++start;
  }
  if (read_error_ && end_ == 0) return *read_error_;
  if (start >= end_) {
    if (!read_error_) Reject("byte 0", "empty input: no records", {});
  } else if (At(start) == '[') {
    ReadElements(start + 1, /*in_array=*/true, /*in_records_object=*/false);
  } else if (At(start) == '{') {
    std::size_t records_start = 0;
    switch (DetectObjectShape(start, records_start)) {
      case Shape::kRecordsObject:
        ReadElements(records_start, /*in_array=*/true, /*in_records_object=*/true);
        break;
      case Shape::kConcatenated:
        ReadElements(start, /*in_array=*/false, /*in_records_object=*/false);
        break;
      case Shape::kLines:
        ReadLines(start, newlines + 1);
        break;
    }
  } else {
    ReadLines(start, newlines + 1);  // junk is rejected line by line
  }
  if (read_error_) Reject(fmt::format("byte {}", end_), read_error_->message, {});
  return common::Ok();
}

bool InputSession::MatchRecordsKey(std::size_t start, std::size_t& records_start) {
  std::size_t at = start + 1;
  const std::size_t limit = start + kDetectLookaheadBytes;
  const auto skip_space = [&] {
    while (at < limit && Ensure(at) && IsSpace(At(at))) ++at;
  };
  skip_space();
  for (char expected : kRecordsKey) {
    if (!Ensure(at) || At(at) != expected) return false;
    ++at;
  }
  skip_space();
  if (!Ensure(at) || At(at) != ':') return false;
  ++at;
  skip_space();
  if (!Ensure(at) || At(at) != '[') return false;
  records_start = at + 1;
  return true;
}

InputSession::Shape InputSession::DetectObjectShape(std::size_t start, std::size_t& records_start) {
  if (MatchRecordsKey(start, records_start)) return Shape::kRecordsObject;
  // JSON lines when the first record ends on its first line. A newline inside a string, or a
  // '{' opening a line while the first record is still open, also means JSON lines whose first
  // line is broken: pretty printers indent nested objects and never break strings.
  StructureTracker tracker;
  bool spans_lines = false;
  const std::size_t limit = start + context_.options.max_record_bytes + 1;
  for (std::size_t at = start; at < limit && Ensure(at); ++at) {
    const char c = At(at);
    if (c == '\n') {
      if (tracker.in_string) return Shape::kLines;
      if (Ensure(at + 1) && At(at + 1) == '{') return Shape::kLines;
      spans_lines = true;
    }
    if (tracker.Step(c)) break;
  }
  return spans_lines ? Shape::kConcatenated : Shape::kLines;
}

void InputSession::ReadElements(std::size_t start, bool in_array, bool in_records_object) {
  enum class State { kBetween, kInValue, kInScalar };
  State state = State::kBetween;
  StructureTracker tracker;
  std::size_t record_start = 0;
  std::size_t index = 0;
  bool oversized = false;
  const std::size_t limit = context_.options.max_record_bytes;
  const auto position = [&] { return fmt::format("record {} at byte {}", index, record_start); };
  const auto finish = [&](std::size_t record_end) {
    HandleRecord(record_start, record_end, oversized, position);
    state = State::kBetween;
    oversized = false;
  };

  keep_ = start;
  for (std::size_t at = start;;) {
    if (at == end_) {
      if (state == State::kBetween) {
        keep_ = at;
      } else if (oversized || at - record_start > limit) {
        if (!oversized) {
          oversized_head_.assign(
              Slice(record_start, std::min(at, record_start + kOversizedHeadBytes)));
        }
        oversized = true;
        keep_ = at;
      } else {
        keep_ = record_start;
      }
      if (!Fill()) break;
    }
    switch (state) {
      case State::kBetween: {
        const char c = At(at);
        if (IsSpace(c) || c == ',') {
          ++at;
          break;
        }
        if (in_array && c == ']') return ReadTrailer(at + 1, in_records_object);
        record_start = at;
        ++index;
        tracker = StructureTracker{};
        // The first byte is read again by the new state; it never ends a scalar.
        state = c == '{' || c == '[' || c == '"' ? State::kInValue : State::kInScalar;
        break;
      }
      case State::kInValue: {
        const std::size_t used = tracker.Scan(Slice(at, end_));
        if (used == StructureTracker::kOpen) {
          at = end_;
        } else {
          at += used;
          finish(at);
        }
        break;
      }
      case State::kInScalar:
        while (at < end_ && !EndsScalar(At(at), in_array)) ++at;
        if (at < end_) finish(at);  // the terminator is read again between records
        break;
    }
  }
  // The input ended.
  if (state == State::kInScalar && !in_array) {
    finish(end_);
  } else if (state != State::kBetween) {
    Reject(position(),
           fmt::format("truncated or invalid JSON: the input ends inside record {}", index),
           oversized ? std::string_view(oversized_head_) : Slice(record_start, end_));
  } else if (in_array) {
    Reject(fmt::format("byte {}", end_),
           "truncated or invalid JSON: the input ends before the records array is closed", {});
  }
}

void InputSession::ReadTrailer(std::size_t start, bool in_records_object) {
  bool open_object = in_records_object;  // the Records object still needs its '}'
  keep_ = start;
  for (std::size_t at = start; Ensure(at); keep_ = ++at) {
    const char c = At(at);
    if (IsSpace(c)) continue;
    if (open_object && c == '}') {
      open_object = false;
      continue;
    }
    Reject(fmt::format("byte {}", at), "unexpected content after the records array",
           Slice(at, std::min(end_, at + kOversizedHeadBytes)));
    return;
  }
  if (open_object) {
    Reject(fmt::format("byte {}", end_),
           "truncated or invalid JSON: the input ends before the Records object is closed", {});
  }
}

void InputSession::ReadLines(std::size_t start, std::size_t first_line) {
  std::size_t line = first_line;
  std::size_t line_start = start;
  std::size_t scanned = start;
  bool oversized = false;
  const auto position = [&] { return fmt::format("line {}", line); };

  keep_ = start;
  for (;;) {
    const void* newline = std::memchr(buffer_.data() + (scanned - base_), '\n', end_ - scanned);
    if (newline != nullptr) {
      const auto line_end =
          base_ + static_cast<std::size_t>(static_cast<const char*>(newline) - buffer_.data());
      HandleRecord(line_start, line_end, oversized, position);
      ++line;
      line_start = scanned = line_end + 1;
      oversized = false;
      continue;
    }
    scanned = end_;
    if (!oversized && end_ - line_start > context_.options.max_record_bytes) {
      oversized_head_.assign(Slice(line_start, std::min(end_, line_start + kOversizedHeadBytes)));
      oversized = true;
    }
    keep_ = oversized ? end_ : line_start;
    if (!Fill()) break;
  }
  if (oversized || line_start < end_) HandleRecord(line_start, end_, oversized, position);
}

template <typename Position>
void InputSession::HandleRecord(std::size_t from, std::size_t to, bool oversized,
                                Position position) {
  const std::size_t limit = context_.options.max_record_bytes;
  if (oversized || to - from > limit) {
    const std::string_view payload =
        oversized ? std::string_view(oversized_head_) : Slice(from, to);
    Reject(position(),
           fmt::format("record of {} bytes exceeds the limit of {} bytes", to - from, limit),
           payload);
    return;
  }
  std::string_view record = Slice(from, to);
  if (!record.empty() && record.back() == '\r') record.remove_suffix(1);
  if (IsBlank(record)) return;  // blank lines between JSON lines
  common::Result<common::Event> event = context_.parser.ParsePadded(record);  // see Fill()
  if (!event) {
    Reject(position(), event.error().message, record);
    return;
  }
  if (event->time < context_.options.min_event_time) {
    ++context_.counters.early_dated;
    Reject(position(), EarlyDatedReason(event->time, context_.options.min_event_time), record);
    return;
  }
  ++context_.counters.records;
  receiver_.OnEvent(*event);
}

void InputSession::Reject(std::string_view position, std::string_view reason,
                          std::string_view payload) {
  ++context_.counters.malformed;
  context_.dead_letters.Write(common::DeadLetter{
      .source = source_, .position = position, .reason = reason, .payload = payload});
}

}  // namespace trailsight::consumers
