#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/file_descriptor.h"
#include "common/rate_limiter.h"
#include "common/result.h"

namespace trailsight::consumers {

// How the dead-letter file is bounded and how it recovers from a failed write.
struct LetterFileOptions {
  // A regular file is rotated before a line would take it beyond this many bytes: it becomes
  // PATH.1, PATH.1 becomes PATH.2, and so on, and the oldest beyond `keep_files` is removed.
  // The files together therefore hold at most max_file_bytes * (keep_files + 1) bytes, as
  // long as no single line is longer than max_file_bytes (one that is gets a file of its own).
  std::uint64_t max_file_bytes = 64u << 20;
  int keep_files = 4;  // rotated files kept beside PATH; at least 1
  // After a failed write the file is closed, lines are refused (not written) for this long,
  // and the next line after it reopens the file; each failure in a row doubles the wait, up
  // to max_retry_after.
  std::chrono::milliseconds retry_after{1000};
  std::chrono::milliseconds max_retry_after{60'000};
};

// An append-only file of lines (the dead letters, one JSON object each) that rotates at a
// size cap and retries after write errors, so hostile input can neither fill the disk nor,
// by one failed write, stop the letters until a restart.
//
// A file this creates, PATH or after a rotation, has mode 0600 (letters may name identities
// and addresses), whatever the umask; an existing PATH keeps its mode, and the file that
// replaces it at a rotation gets the same. Only regular files rotate: PATH may be /dev/null,
// /dev/stderr or a pipe, which are appended to as they are.
//
// Failures are logged, rate-limited, naming the path and the system's reason; a recovery is
// logged once with the number of lines refused meanwhile.
//
// Thread safety: none; FileDeadLetterSink calls it under its lock.
class RotatingLetterFile {
 public:
  // Opens `path` for appending, creating it if needed. Fails with kIo naming the path.
  static common::Result<std::unique_ptr<RotatingLetterFile>> Open(std::string path,
                                                                  LetterFileOptions options);

  // Appends `line`, which must end with '\n', in one write(2) (rotating first when it would
  // take the file beyond the cap). Returns false, having written nothing more than a part of
  // it, when the line could not be written: the write or the rotation failed, or a retry is
  // still waiting. A line cut short by a failure is ended with '\n' before the next line, so
  // every later line stays readable.
  bool Append(std::string_view line);

  const std::string& path() const { return path_; }

  // Returns how many rotations there were.
  std::uint64_t rotations() const { return rotations_; }

 private:
  using Clock = std::chrono::steady_clock;

  RotatingLetterFile(std::string path, LetterFileOptions options);

  // Opens path_ (creating it with mode 0600) and learns its size, kind and mode; returns
  // errno on failure, 0 on success.
  int Reopen();
  // Renames PATH.(N-1) to PATH.N ... PATH to PATH.1 and opens a new PATH; returns errno on
  // failure, 0 on success.
  int Rotate();
  // Writes `line` (after a '\n' that ends a cut line, if any); returns errno on failure.
  int Write(std::string_view line);
  // Closes the file after `error` (an errno value) while `doing` it, counts the line as
  // refused and schedules the retry.
  void Fail(int error, std::string_view doing);

  const std::string path_;
  const LetterFileOptions options_;
  common::FileDescriptor file_;        // -1 while a retry waits
  bool regular_ = false;               // a regular file: rotates at the cap
  std::uint64_t size_ = 0;             // bytes in the open file
  mode_t mode_ = 0600;                 // permission bits of the open file, for its successor
  bool line_cut_ = false;              // a failed write left part of a line in the file
  bool failing_ = false;               // the last line was not written
  std::chrono::milliseconds wait_{0};  // the current backoff while failing_
  Clock::time_point retry_at_{};
  std::uint64_t refused_ = 0;  // lines not written since the first failure in a row
  std::uint64_t rotations_ = 0;
  common::RateLimiter log_limiter_{3, std::chrono::seconds(60)};
};

}  // namespace trailsight::consumers
