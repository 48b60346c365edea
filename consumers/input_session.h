#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/dead_letter.h"
#include "common/result.h"
#include "consumers/input_stream.h"
#include "consumers/record_parser.h"
#include "consumers/replay_reader.h"

namespace trailsight::consumers {

// Reads one input to its end for a ReplayReader: detects the input's shape, splits it into
// records, parses each one and hands it to the receiver or to the dead-letter sink. Lives for
// one input; everything it references belongs to the ReplayReader and outlives it.
//
// Offsets are absolute: byte B of the input (after gunzip) lives at buffer_[B - base_]. Bytes
// before keep_ may be dropped when the buffer is refilled, which bounds memory by the largest
// record kept (a record over the limit is scanned but not kept).
class InputSession {
 public:
  struct Context {
    RecordParser& parser;
    common::DeadLetterSink& dead_letters;
    const InputOptions& options;
    InputCounters& counters;
    std::vector<char>& buffer;  // reused across inputs
  };

  InputSession(Context context, InputStream& stream, std::string_view source,
               common::EventReceiver& receiver);

  // Reads the whole input. Fails only when no byte of it could be read.
  common::Status Run();

 private:
  enum class Shape { kRecordsObject, kLines, kConcatenated };

  // Reads more input, dropping bytes before keep_. Returns false at the end of the input or
  // on a read error (kept in read_error_).
  bool Fill();
  // Makes byte `offset` available, reading as needed; false when the input ends before it.
  bool Ensure(std::size_t offset);
  char At(std::size_t offset) const { return buffer_[offset - base_]; }
  std::string_view Slice(std::size_t from, std::size_t to) const {
    return {buffer_.data() + (from - base_), to - from};
  }

  // Decides how to read an input whose first significant byte, at `start`, is '{'. For the
  // Records object, sets `records_start` to the offset just after its '['.
  Shape DetectObjectShape(std::size_t start, std::size_t& records_start);
  bool MatchRecordsKey(std::size_t start, std::size_t& records_start);

  // Reads records that are elements of an array (its '[' just before `start`) or, when
  // `in_array` is false, JSON values that follow one another until the end of the input.
  void ReadElements(std::size_t start, bool in_array, bool in_records_object);
  // Reads JSON lines from `start`, which is on line `first_line`.
  void ReadLines(std::size_t start, std::size_t first_line);
  void ReadTrailer(std::size_t start, bool in_records_object);

  // Handles one record's bytes [from, to); `head` holds its first bytes when it was too large
  // to keep. `position` formats where it is, for a dead letter.
  template <typename Position>
  void HandleRecord(std::size_t from, std::size_t to, bool oversized, Position position);
  void Reject(std::string_view position, std::string_view reason, std::string_view payload);

  Context context_;
  InputStream& stream_;
  std::string_view source_;
  common::EventReceiver& receiver_;
  std::vector<char>& buffer_;
  std::size_t base_ = 0;  // offset of buffer_[0]
  std::size_t end_ = 0;   // offset just past the last byte read
  std::size_t keep_ = 0;  // bytes from here on survive the next Fill()
  bool at_end_ = false;
  std::optional<common::Error> read_error_;
  std::string oversized_head_;  // the first bytes of the record being skipped for its size
};

}  // namespace trailsight::consumers
