#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>

#include "common/dead_letter.h"
#include "common/result.h"
#include "consumers/dead_letter_redaction.h"
#include "consumers/rotating_letter_file.h"

namespace trailsight::consumers {

struct DeadLetterFileOptions {
  static constexpr std::size_t kDefaultMaxPayloadBytes = 4096;
  std::size_t max_payload_bytes = kDefaultMaxPayloadBytes;  // of each payload, kept
  // Payloads are replaced by their redacted form (DeadLetterRedactor): no identities,
  // request parameters or addresses reach the file.
  bool redact = false;
  LetterFileOptions file = {};  // rotation and retries of a file the sink opens
};

// A DeadLetterSink that writes one JSON object per line:
//   {"source":"a.json","position":"line 3","reason":"missing field eventName",
//    "payload_bytes":812,"payload":"{\"eventTime\":...","truncated":false}
// The payload is the first max_payload_bytes bytes of the rejected input (of its redacted
// form when `redact` is set; the line then ends with "redacted":true), as a JSON string in
// which bytes that are not valid UTF-8 (binary junk, a character cut by the truncation) are
// replaced by U+FFFD; payload_bytes is the full size of the rejected input. Each line is
// written (a file) or flushed (a stream) when the letter arrives.
//
// A letter that cannot be written is counted in lost() and, for a file, logged by the
// RotatingLetterFile, which rotates the file at its size cap and reopens it after a failure;
// a stream in a failed state is cleared and tried again at the next letter.
//
// Thread safety: Write() may be called from any thread; lines never interleave.
class FileDeadLetterSink final : public common::DeadLetterSink {
 public:
  // Opens `path` for appending, creating it if needed. Letters may copy whole records
  // (identities, source addresses), so a file this creates is readable and writable by its
  // owner only (mode 0600, whatever the umask); so are the files its rotation creates. An
  // existing file keeps its mode: it may be /dev/null or /dev/stderr, or a file the operator
  // opened up for a log shipper on purpose. Fails with kIo naming the path.
  static common::Result<std::unique_ptr<FileDeadLetterSink>> Create(
      const std::string& path, DeadLetterFileOptions options = {});

  // Writes to `out` (std::cerr, or a test's stringstream), which must outlive the sink.
  // options.file does not apply.
  explicit FileDeadLetterSink(std::ostream& out, DeadLetterFileOptions options = {});

  void Write(const common::DeadLetter& letter) override;

  // Returns how many letters could not be written.
  std::uint64_t lost() const;

 private:
  FileDeadLetterSink(std::unique_ptr<RotatingLetterFile> file, DeadLetterFileOptions options);

  // Writes `line` (ending in '\n'); returns false when it was not written.
  bool WriteLine(const std::string& line);

  const DeadLetterFileOptions options_;
  mutable std::mutex mutex_;                  // guards everything below
  std::unique_ptr<RotatingLetterFile> file_;  // set when the sink opened the file itself
  std::ostream* const out_ = nullptr;         // else the caller's stream
  DeadLetterRedactor redactor_;
  std::uint64_t lost_ = 0;
  bool warned_ = false;  // a stream's failure was logged
};

}  // namespace trailsight::consumers
