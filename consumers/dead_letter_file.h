#pragma once

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>

#include "common/dead_letter.h"
#include "common/result.h"

namespace trailsight::consumers {

// A DeadLetterSink that writes one JSON object per line:
//   {"source":"a.json","position":"line 3","reason":"missing field eventName",
//    "payload_bytes":812,"payload":"{\"eventTime\":...","truncated":false}
// The payload is the first max_payload_bytes bytes of the rejected input, as a JSON string in
// which bytes that are not valid UTF-8 (binary junk, a character cut by the truncation) are
// replaced by U+FFFD; payload_bytes is the full size. Each line is flushed when written. When
// the stream fails, the sink logs it once and keeps counting what it could not write.
//
// Thread safety: Write() may be called from any thread; lines never interleave.
class FileDeadLetterSink final : public common::DeadLetterSink {
 public:
  static constexpr std::size_t kDefaultMaxPayloadBytes = 4096;

  // Opens `path` for appending, creating it if needed. Letters copy whole records
  // (identities, source addresses), so a file this creates is readable and writable by its
  // owner only (mode 0600, whatever the umask). An existing file keeps its mode: it may be
  // /dev/null or /dev/stderr, or a file the operator opened up for a log shipper on purpose.
  // Fails with kIo naming the path.
  static common::Result<std::unique_ptr<FileDeadLetterSink>> Create(
      const std::string& path, std::size_t max_payload_bytes = kDefaultMaxPayloadBytes);

  // Writes to `out` (std::cerr, or a test's stringstream), which must outlive the sink.
  explicit FileDeadLetterSink(std::ostream& out,
                              std::size_t max_payload_bytes = kDefaultMaxPayloadBytes);

  void Write(const common::DeadLetter& letter) override;

  // Returns how many letters could not be written because the stream failed.
  std::uint64_t lost() const;

 private:
  FileDeadLetterSink(std::unique_ptr<std::ofstream> file, std::string name,
                     std::size_t max_payload_bytes);

  std::unique_ptr<std::ofstream> file_;  // set when the sink opened the file itself
  std::ostream& out_;                    // *file_, or the caller's stream
  const std::string name_;               // the path, for the failure log
  const std::size_t max_payload_bytes_;
  mutable std::mutex mutex_;  // guards out_, lost_ and warned_
  std::uint64_t lost_ = 0;
  bool warned_ = false;
};

}  // namespace trailsight::consumers
