#include "consumers/dead_letter_file.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

namespace trailsight::consumers {

common::Result<std::unique_ptr<FileDeadLetterSink>> FileDeadLetterSink::Create(
    const std::string& path, std::size_t max_payload_bytes) {
  const auto cannot_open = [&path](int error) {
    return common::Error{common::ErrorCode::kIo, fmt::format("cannot open dead-letter file {}: {}",
                                                             path, std::strerror(error))};
  };
  // std::ofstream cannot choose the mode of a file it creates, so open(2) creates a missing
  // file first, with mode 0600 (a umask only removes bits), and the stream then opens it.
  const int descriptor = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (descriptor < 0) return cannot_open(errno);
  auto file = std::make_unique<std::ofstream>(path, std::ios::app | std::ios::binary);
  const int stream_error = errno;
  ::close(descriptor);
  if (!file->is_open()) return cannot_open(stream_error);
  return std::unique_ptr<FileDeadLetterSink>(
      new FileDeadLetterSink(std::move(file), path, max_payload_bytes));
}

FileDeadLetterSink::FileDeadLetterSink(std::ostream& out, std::size_t max_payload_bytes)
    : out_(out), name_("the dead-letter stream"), max_payload_bytes_(max_payload_bytes) {}

FileDeadLetterSink::FileDeadLetterSink(std::unique_ptr<std::ofstream> file, std::string name,
                                       std::size_t max_payload_bytes)
    : file_(std::move(file)),
      out_(*file_),
      name_(std::move(name)),
      max_payload_bytes_(max_payload_bytes) {}

void FileDeadLetterSink::Write(const common::DeadLetter& letter) {
  const bool truncated = letter.payload.size() > max_payload_bytes_;
  nlohmann::ordered_json line;
  line["source"] = letter.source;
  line["position"] = letter.position;
  line["reason"] = letter.reason;
  line["payload_bytes"] = letter.payload.size();
  line["payload"] = letter.payload.substr(0, max_payload_bytes_);
  line["truncated"] = truncated;
  const std::string text =
      line.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);

  std::lock_guard lock(mutex_);
  out_ << text << '\n';
  out_.flush();
  if (out_) return;
  ++lost_;
  if (!warned_) {
    warned_ = true;
    spdlog::error("dead letters: cannot write to {}; rejected input is being lost", name_);
  }
}

std::uint64_t FileDeadLetterSink::lost() const {
  std::lock_guard lock(mutex_);
  return lost_;
}

}  // namespace trailsight::consumers
