#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/dead_letter.h"
#include "common/event.h"
#include "common/event_receiver.h"
#include "common/interner.h"
#include "common/result.h"
#include "consumers/input_paths.h"  // ExpandInputs: the paths a replay reads
#include "consumers/record_parser.h"

namespace trailsight::consumers {

class InputStream;

// What a ReplayReader has read so far, over all its inputs.
struct InputCounters {
  std::uint64_t inputs = 0;       // inputs opened and read
  std::uint64_t records = 0;      // records handed to a receiver as Events
  std::uint64_t malformed = 0;    // dead letters written (bad records and bad input)
  std::uint64_t early_dated = 0;  // records dated before min_event_time (in malformed too)
  // Records with an identity field beyond its bound (field_limits.h; in malformed too).
  std::uint64_t oversized_fields = 0;
  std::uint64_t values_cut = 0;  // userAgents cut and bucket names left out (field_limits.h)
  std::uint64_t bytes = 0;       // bytes read, after gunzip
};

// Replays CloudTrail records from files or stdin. The shape of an input is detected from its
// content, never from its name:
// - `{"Records":[...]}` (CloudTrail's S3 object; "Records" must be the first key);
// - a JSON array of records;
// - JSON lines, one record per line (blank lines ignored), including a single compact record;
// - one or more records that span lines, such as a pretty-printed record.
// Inputs that start with anything else are read as JSON lines, so each bad line is rejected on
// its own. Gzip is detected by its magic bytes. Inputs are read in chunks, so memory stays
// bounded by the largest record (at most max_record_bytes) whatever the input's size.
//
// Every bad piece of input, and every record dated before InputOptions::min_event_time,
// becomes one dead letter with the source (the path, or "stdin"), a position ("line N" in
// JSON lines; "record N at byte B" in arrays, N counting from 1 and B the offset of the
// record's first byte after gunzip; "byte B" otherwise) and the reason; reading then goes on
// with the next record. A record in a JSON line stops at its newline, so a truncated line
// costs that line only; a truncated array costs its unfinished tail.
//
// Thread safety: none; the reader is single-threaded and delivers on the calling thread.
class ReplayReader {
 public:
  // Keeps `interner` and `dead_letters`, which must outlive the reader.
  ReplayReader(common::StringInterner& interner, common::DeadLetterSink& dead_letters,
               InputOptions options = {});
  ~ReplayReader();
  ReplayReader(const ReplayReader&) = delete;
  ReplayReader& operator=(const ReplayReader&) = delete;

  // Reads one input ("-" is stdin) and hands each good record to `receiver`, in input order;
  // bad records go to the dead-letter sink and the rest is processed. An empty input, or one
  // that fails part way (a truncated gzip stream), is reported as a dead letter too. Returns
  // kIo naming the input only when it cannot be opened or no byte of it can be read.
  common::Status ReadInput(const std::string& input, common::EventReceiver& receiver);

  // Like ReadInput, from an open descriptor that stays open and owned by the caller; `source`
  // names it in dead letters. ReadInput("-") is ReadDescriptor(STDIN_FILENO, "stdin").
  common::Status ReadDescriptor(int fd, std::string_view source, common::EventReceiver& receiver);

  const InputCounters& counters() const { return counters_; }

 private:
  common::Status ReadStream(InputStream& stream, std::string_view source,
                            common::EventReceiver& receiver);

  RecordParser parser_;
  common::DeadLetterSink& dead_letters_;  // outlives the reader; see the constructor
  const InputOptions options_;
  InputCounters counters_;
  std::vector<char> buffer_;  // bytes of the current input; reused across inputs
};

}  // namespace trailsight::consumers
