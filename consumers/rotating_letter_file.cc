#include "consumers/rotating_letter_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace trailsight::consumers {
namespace {

constexpr mode_t kCreateMode = 0600;

std::string Rotated(const std::string& path, int index) {
  return fmt::format("{}.{}", path, index);
}

}  // namespace

RotatingLetterFile::RotatingLetterFile(std::string path, LetterFileOptions options)
    : path_(std::move(path)), options_(options) {}

common::Result<std::unique_ptr<RotatingLetterFile>> RotatingLetterFile::Open(
    std::string path, LetterFileOptions options) {
  auto file = std::unique_ptr<RotatingLetterFile>(new RotatingLetterFile(std::move(path), options));
  if (const int error = file->Reopen(); error != 0) {
    return common::Error{common::ErrorCode::kIo, fmt::format("cannot open dead-letter file {}: {}",
                                                             file->path_, std::strerror(error))};
  }
  return file;
}

int RotatingLetterFile::Reopen() {
  // A umask only removes bits, so a file created here is 0600 or stricter.
  common::FileDescriptor opened(
      ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, kCreateMode));
  if (opened.get() < 0) return errno;
  struct stat status {};
  if (::fstat(opened.get(), &status) != 0) return errno;
  regular_ = S_ISREG(status.st_mode);
  size_ = regular_ ? static_cast<std::uint64_t>(status.st_size) : 0;
  mode_ = status.st_mode & 07777;
  file_ = std::move(opened);
  return 0;
}

int RotatingLetterFile::Rotate() {
  const mode_t previous_mode = mode_;
  file_ = common::FileDescriptor();
  // Renaming over PATH.keep_files removes the oldest.
  for (int index = options_.keep_files - 1; index >= 1; --index) {
    if (::rename(Rotated(path_, index).c_str(), Rotated(path_, index + 1).c_str()) != 0 &&
        errno != ENOENT) {
      return errno;
    }
  }
  if (::rename(path_.c_str(), Rotated(path_, 1).c_str()) != 0 && errno != ENOENT) return errno;
  line_cut_ = false;  // the cut line, if any, ends the rotated file
  if (const int error = Reopen(); error != 0) return error;
  // The operator's choice of mode (say 0640 for a log shipper) outlives the rotation.
  if (previous_mode != mode_) {
    if (::fchmod(file_.get(), previous_mode) != 0) return errno;
    mode_ = previous_mode;
  }
  ++rotations_;
  spdlog::info("dead letters: {} reached {} bytes; rotated to {}.1 (keeping {} rotated files)",
               path_, options_.max_file_bytes, path_, options_.keep_files);
  return 0;
}

int RotatingLetterFile::Write(std::string_view line) {
  if (line_cut_) {
    while (::write(file_.get(), "\n", 1) != 1) {
      if (errno != EINTR) return errno;
    }
    line_cut_ = false;
    ++size_;
  }
  std::string_view left = line;
  while (!left.empty()) {
    const ssize_t written = ::write(file_.get(), left.data(), left.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      line_cut_ = left.size() < line.size();
      return errno;
    }
    left.remove_prefix(static_cast<std::size_t>(written));
    size_ += static_cast<std::uint64_t>(written);
  }
  return 0;
}

bool RotatingLetterFile::Append(std::string_view line) {
  if (file_.get() < 0) {
    if (Clock::now() < retry_at_) {
      ++refused_;
      return false;
    }
    if (const int error = Reopen(); error != 0) {
      Fail(error, "reopen");
      return false;
    }
  }
  if (regular_ && size_ > 0 && size_ + line.size() > options_.max_file_bytes) {
    if (const int error = Rotate(); error != 0) {
      Fail(error, "rotate");
      return false;
    }
  }
  if (const int error = Write(line); error != 0) {
    Fail(error, "write to");
    return false;
  }
  if (failing_) {
    spdlog::info("dead letters: writing to {} again; letters lost meanwhile: {}", path_, refused_);
    failing_ = false;
    wait_ = std::chrono::milliseconds{0};
    refused_ = 0;
  }
  return true;
}

void RotatingLetterFile::Fail(int error, std::string_view doing) {
  ++refused_;
  file_ = common::FileDescriptor();
  wait_ = failing_ ? std::min(wait_ * 2, options_.max_retry_after) : options_.retry_after;
  failing_ = true;
  retry_at_ = Clock::now() + wait_;
  std::uint64_t suppressed = 0;
  if (!log_limiter_.Allow(suppressed)) return;
  spdlog::error(
      "dead letters: cannot {} {}: {}; rejected input is lost until it works again (next try "
      "in {} ms; lost since the first failure: {})",
      doing, path_, std::strerror(error), wait_.count(), refused_);
}

}  // namespace trailsight::consumers
