#include "consumers/dead_letter_file.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <utility>

namespace trailsight::consumers {

common::Result<std::unique_ptr<FileDeadLetterSink>> FileDeadLetterSink::Create(
    const std::string& path, DeadLetterFileOptions options) {
  auto file = RotatingLetterFile::Open(path, options.file);
  if (!file) return std::move(file).error();
  return std::unique_ptr<FileDeadLetterSink>(
      new FileDeadLetterSink(*std::move(file), std::move(options)));
}

FileDeadLetterSink::FileDeadLetterSink(std::ostream& out, DeadLetterFileOptions options)
    : options_(std::move(options)), out_(&out) {}

FileDeadLetterSink::FileDeadLetterSink(std::unique_ptr<RotatingLetterFile> file,
                                       DeadLetterFileOptions options)
    : options_(std::move(options)), file_(std::move(file)) {}

void FileDeadLetterSink::Write(const common::DeadLetter& letter) {
  std::lock_guard lock(mutex_);
  const std::string_view payload =
      options_.redact ? redactor_.Redact(letter.payload) : letter.payload;
  nlohmann::ordered_json line;
  line["source"] = letter.source;
  line["position"] = letter.position;
  line["reason"] = letter.reason;
  line["payload_bytes"] = letter.payload.size();
  line["payload"] = payload.substr(0, options_.max_payload_bytes);
  line["truncated"] = payload.size() > options_.max_payload_bytes;
  if (options_.redact) line["redacted"] = true;
  std::string text =
      line.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
  text += '\n';
  if (!WriteLine(text)) ++lost_;
}

bool FileDeadLetterSink::WriteLine(const std::string& line) {
  if (file_ != nullptr) return file_->Append(line);
  out_->clear();  // a failure of the previous letter does not refuse this one
  *out_ << line;
  out_->flush();
  if (*out_) return true;
  if (!warned_) {
    warned_ = true;
    spdlog::error("dead letters: cannot write to the dead-letter stream; rejected input is lost");
  }
  return false;
}

std::uint64_t FileDeadLetterSink::lost() const {
  std::lock_guard lock(mutex_);
  return lost_;
}

}  // namespace trailsight::consumers
