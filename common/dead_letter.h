#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace trailsight::common {

// A piece of input that could not become an Event, with where it came from and why.
struct DeadLetter {
  std::string_view source;    // file path, "stdin", or "topic/partition"
  std::string_view position;  // "line 12", "record 3 at byte 4096", "offset 881"
  std::string_view reason;    // "missing field eventName", "record of 60 MB exceeds ..."
  std::string_view payload;   // the raw bytes; sinks truncate them to their own limit
};

// Receives rejected input. Write() never fails loudly: a dead-letter sink that cannot
// write logs the fact itself, because losing a rejection must not stop the stream.
class DeadLetterSink {
 public:
  virtual ~DeadLetterSink() = default;
  virtual void Write(const DeadLetter& letter) = 0;
};

}  // namespace trailsight::common
