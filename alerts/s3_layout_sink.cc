#include "alerts/s3_layout_sink.h"

#include <fmt/format.h>
#include <zlib.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>

#include "alerts/insight_ids.h"
#include "alerts/insight_record.h"
#include "common/time.h"

namespace trailsight::alerts {
namespace {

common::Error IoError(const std::filesystem::path& path, std::string_view what) {
  return common::Error{common::ErrorCode::kIo,
                       fmt::format("insights output \"{}\": {}", path.string(), what)};
}

// Writes `content` gzip-compressed to `path`. gzopen writes a header without a
// modification time, so equal content gives equal bytes.
common::Status WriteGzip(const std::filesystem::path& path, const std::string& content) {
  gzFile file = gzopen(path.c_str(), "wb");
  if (file == nullptr) return IoError(path, fmt::format("cannot create: {}", std::strerror(errno)));
  std::size_t written = 0;
  bool ok = true;
  while (ok && written < content.size()) {
    const unsigned chunk =
        static_cast<unsigned>(std::min<std::size_t>(content.size() - written, 1u << 30));
    ok = gzwrite(file, content.data() + written, chunk) == static_cast<int>(chunk);
    written += chunk;
  }
  const bool closed = gzclose(file) == Z_OK;
  if (!ok || !closed) return IoError(path, "gzip write failed");
  return common::Ok();
}

// Values quoted in error messages are cut here: enough to recognise, too short to flood a log.
constexpr std::size_t kMaxQuotedBytes = 40;

bool IsLowercaseWord(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < 'a' || c > 'z') return false;
  }
  return true;
}

bool IsNumber(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// An AWS account ID: exactly 12 ASCII digits.
bool IsAccountId(std::string_view account) { return account.size() == 12 && IsNumber(account); }

// AWS region syntax, [a-z]{2}(-[a-z]+)+-[0-9]+: us-east-1, us-gov-west-1, cn-north-1.
bool IsRegionName(std::string_view region) {
  const std::size_t first_dash = region.find('-');
  const std::size_t last_dash = region.rfind('-');
  if (first_dash != 2 || last_dash == first_dash) return false;
  if (!IsLowercaseWord(region.substr(0, 2)) || !IsNumber(region.substr(last_dash + 1))) {
    return false;
  }
  std::string_view words = region.substr(first_dash + 1, last_dash - first_dash - 1);
  for (std::size_t dash = words.find('-'); dash != std::string_view::npos; dash = words.find('-')) {
    if (!IsLowercaseWord(words.substr(0, dash))) return false;
    words.remove_prefix(dash + 1);
  }
  return IsLowercaseWord(words);
}

common::Error InvalidPathField(std::string_view field, std::string_view value) {
  const bool cut = value.size() > kMaxQuotedBytes;
  return common::Error{
      common::ErrorCode::kInvalidArgument,
      fmt::format(
          "insights output: finding not written: {} {:?}{} cannot name a folder ({})", field,
          value.substr(0, kMaxQuotedBytes), cut ? "..." : "",
          field == "account" ? "must be 12 digits" : "must be an AWS region such as us-east-1")};
}

}  // namespace

common::Result<std::filesystem::path> InsightObjectPath(const common::Finding& finding) {
  const common::InsightKey& key = finding.key;
  if (!IsAccountId(key.account)) return InvalidPathField("account", key.account);
  if (!IsRegionName(key.region)) return InvalidPathField("region", key.region);
  const std::chrono::year_month_day date{std::chrono::floor<std::chrono::days>(finding.event_time)};
  const std::string file_name =
      fmt::format("{}_CloudTrail-Insight_{}_{}_{}.json.gz", key.account, key.region,
                  common::FormatCompactMinute(finding.event_time),
                  DeriveObjectId(DeriveInsightIds(finding).event_id));
  return std::filesystem::path("AWSLogs") / key.account / "CloudTrail-Insight" / key.region /
         fmt::format("{:04}", static_cast<int>(date.year())) /
         fmt::format("{:02}", static_cast<unsigned>(date.month())) /
         fmt::format("{:02}", static_cast<unsigned>(date.day())) / file_name;
}

common::Result<std::unique_ptr<S3LayoutSink>> S3LayoutSink::Create(
    const std::filesystem::path& root) {
  std::error_code error;
  std::filesystem::create_directories(root, error);
  if (error) return IoError(root, fmt::format("cannot create folder: {}", error.message()));
  if (!std::filesystem::is_directory(root, error)) return IoError(root, "is not a folder");
  return std::unique_ptr<S3LayoutSink>(new S3LayoutSink(root));
}

common::Status S3LayoutSink::Publish(const common::Finding& finding) {
  const common::Result<std::filesystem::path> object = InsightObjectPath(finding);
  if (!object) return object.error();
  const std::filesystem::path path = root_ / *object;
  std::error_code error;
  std::filesystem::create_directories(path.parent_path(), error);
  if (error) {
    return IoError(path.parent_path(), fmt::format("cannot create folder: {}", error.message()));
  }
  nlohmann::ordered_json wrapper = nlohmann::ordered_json::object();
  wrapper["Records"] = nlohmann::ordered_json::array({RenderInsightRecord(finding)});
  const std::string content =
      wrapper.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);

  // A hidden name that does not end in .json.gz, so readers of the folder skip it.
  const std::filesystem::path temporary =
      path.parent_path() / fmt::format(".{}.tmp", path.filename().string());
  if (common::Status written = WriteGzip(temporary, content); !written) return written;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    const std::string why = error.message();
    std::filesystem::remove(temporary, error);  // best effort; the rename failure is the news
    return IoError(path, fmt::format("cannot rename into place: {}", why));
  }
  return common::Ok();
}

common::Status S3LayoutSink::Flush() { return common::Ok(); }

}  // namespace trailsight::alerts
