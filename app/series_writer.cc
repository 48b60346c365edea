#include "app/series_writer.h"

#include <fmt/format.h>
#include <fnmatch.h>

#include <cerrno>
#include <cstring>
#include <iterator>

#include "models/count_baseline.h"

namespace trailsight::app {
namespace {

constexpr std::size_t kBlockBytes = 1 << 20;  // rows are written in blocks of about this size

// Appends one CSV field, quoted when it holds a separator, a quote or a line break.
void AppendField(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

std::string_view TypeName(common::InsightType type) {
  return type == common::InsightType::kApiErrorRate ? "ApiErrorRateInsight" : "ApiCallRateInsight";
}

const detector::WindowJudgement* FindWindow(const detector::MinuteJudgement& judgement,
                                            int minutes) {
  for (const detector::WindowJudgement& window : judgement.windows) {
    if (window.minutes == minutes) return &window;
  }
  return nullptr;
}

}  // namespace

common::Result<std::unique_ptr<SeriesWriter>> SeriesWriter::Create(
    const std::string& path, std::vector<std::string> key_globs) {
  std::FILE* file = path == "-" ? stdout : std::fopen(path.c_str(), "w");
  if (file == nullptr) {
    return common::Error{common::ErrorCode::kIo,
                         fmt::format("series {}: cannot open: {}", path, std::strerror(errno))};
  }
  std::unique_ptr<SeriesWriter> writer(
      new SeriesWriter(file, path != "-", path, std::move(key_globs)));
  std::string& header = writer->buffer_;
  header =
      "minute,type,account,region,event_source,event_name,error_code,calls,expected,fire_at,"
      "calm_below,score,warm,insight_open";
  for (std::size_t w = 1; w < models::kWindowCount; ++w) {
    const int minutes = models::kWindowMinutes[w];
    fmt::format_to(std::back_inserter(header), ",calls_{0},expected_{0},fire_at_{0},score_{0}",
                   minutes);
  }
  header.push_back('\n');
  return writer;
}

SeriesWriter::SeriesWriter(std::FILE* file, bool owned, std::string path,
                           std::vector<std::string> key_globs)
    : file_(file), owned_(owned), path_(std::move(path)), key_globs_(std::move(key_globs)) {
  buffer_.reserve(kBlockBytes + 4096);
}

SeriesWriter::~SeriesWriter() {
  if (owned_ && file_ != nullptr) std::fclose(file_);
}

bool SeriesWriter::Selected(const detector::MinuteJudgement& judgement) {
  if (key_globs_.empty()) return true;
  key_.clear();
  fmt::format_to(std::back_inserter(key_), "{}/{}/{}/{}", judgement.account, judgement.region,
                 judgement.event_source, judgement.event_name);
  if (judgement.type == common::InsightType::kApiErrorRate) {
    key_.push_back('/');
    key_.append(judgement.error_code);
  }
  for (const std::string& glob : key_globs_) {
    if (fnmatch(glob.c_str(), key_.c_str(), 0) == 0) return true;
  }
  return false;
}

void SeriesWriter::OnMinuteClosed(const detector::MinuteJudgement& judgement) {
  if (failed_ || !Selected(judgement)) return;
  std::string& out = buffer_;
  auto sink = std::back_inserter(out);
  const auto day = std::chrono::floor<std::chrono::days>(judgement.minute);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss time{judgement.minute - day};
  fmt::format_to(sink, "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:00Z", static_cast<int>(date.year()),
                 static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                 time.hours().count(), time.minutes().count());
  out.push_back(',');
  out.append(TypeName(judgement.type));
  for (std::string_view field : {judgement.account, judgement.region, judgement.event_source,
                                 judgement.event_name, judgement.error_code}) {
    out.push_back(',');
    AppendField(out, field);
  }
  const detector::WindowJudgement* minute_window = FindWindow(judgement, 1);
  fmt::format_to(sink, ",{},{:.4f},{},{},{:.4f},{:d},{:d}", judgement.calls,
                 minute_window != nullptr ? minute_window->expected : 0.0,
                 minute_window != nullptr ? minute_window->fire_at : 0u, judgement.calm_below,
                 judgement.score, judgement.warm, judgement.insight_open);
  for (std::size_t w = 1; w < models::kWindowCount; ++w) {
    if (const detector::WindowJudgement* window =
            FindWindow(judgement, models::kWindowMinutes[w])) {
      fmt::format_to(sink, ",{},{:.4f},{},{:.4f}", window->calls, window->expected, window->fire_at,
                     window->score);
    } else {
      out.append(",,,,");
    }
  }
  out.push_back('\n');
  ++rows_;
  if (out.size() >= kBlockBytes) Drain();
}

void SeriesWriter::Drain() {
  if (!failed_ && !buffer_.empty() &&
      std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) {
    failed_ = true;
  }
  buffer_.clear();
}

common::Result<std::uint64_t> SeriesWriter::Finish() {
  Drain();
  if (std::fflush(file_) != 0) failed_ = true;
  if (owned_) {
    if (std::fclose(file_) != 0) failed_ = true;
    file_ = nullptr;
    owned_ = false;
  }
  if (failed_) {
    return common::Error{common::ErrorCode::kIo, fmt::format("series {}: write failed", path_)};
  }
  return rows_;
}

}  // namespace trailsight::app
