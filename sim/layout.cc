#include "sim/layout.h"

#include <fmt/format.h>
#include <zlib.h>

#include <chrono>
#include <fstream>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "sim/random.h"

namespace trailsight::sim {
namespace {

using common::Error;
using common::ErrorCode;
using common::Status;

constexpr std::chrono::minutes kDeliveryWindow{5};
constexpr int kGzipLevel = 1;  // fast: CloudTrail JSON still shrinks ~8x

Error IoError(const std::filesystem::path& path, std::string_view what) {
  return Error{ErrorCode::kIo, fmt::format("{}: {}", path.string(), what)};
}

// Compresses `data` into a gzip member; the header carries no time, so output is stable.
common::Result<std::string> Gzip(std::string_view data) {
  z_stream stream{};
  if (deflateInit2(&stream, kGzipLevel, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Error{ErrorCode::kInternal, "zlib: deflateInit2 failed"};
  }
  std::string out(deflateBound(&stream, static_cast<uLong>(data.size())) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  if (result != Z_STREAM_END) return Error{ErrorCode::kInternal, "zlib: deflate did not finish"};
  return out;
}

Status WriteFile(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return IoError(path, "cannot open for writing");
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  file.close();
  if (!file) return IoError(path, "write failed");
  return common::Ok();
}

class S3Sink final : public RecordSink {
 public:
  S3Sink(const World& world, std::filesystem::path root)
      : world_(world), root_(std::move(root)), batches_(world.streams().size()) {}

  Status Write(const Call& call, std::string_view json) override {
    Batch& batch = batches_[call.stream];
    const common::Minute minute = common::FloorMinute(call.delivery_time);
    const common::Minute window = minute - minute.time_since_epoch() % kDeliveryWindow;
    if (batch.records > 0 && batch.window != window) {
      if (Status status = Flush(call.stream); !status) return status;
    }
    if (batch.records == 0) {
      batch.window = window;
      batch.body = R"({"Records":[)";
    } else {
      batch.body.push_back(',');
    }
    batch.body.append(json);
    ++batch.records;
    return common::Ok();
  }

  Status Close() override {
    for (std::size_t stream = 0; stream < batches_.size(); ++stream) {
      if (Status status = Flush(stream); !status) return status;
    }
    return common::Ok();
  }

  std::uint64_t files() const override { return files_; }

 private:
  struct Batch {
    common::Minute window;
    std::string body;
    std::uint64_t records = 0;
  };

  Status Flush(std::size_t stream_index) {
    Batch& batch = batches_[stream_index];
    if (batch.records == 0) return common::Ok();
    batch.body += "]}";
    const Stream& stream = world_.streams()[stream_index];
    const std::string& account = world_.accounts()[stream.account].id;
    const std::string& region = world_.region_name(stream.region);
    const common::Minute delivered = batch.window + kDeliveryWindow;
    const std::string stamp = common::FormatCompactMinute(delivered);  // YYYYMMDDTHHMMZ
    const std::filesystem::path dir = root_ / "AWSLogs" / account / "CloudTrail" / region /
                                      stamp.substr(0, 4) / stamp.substr(4, 2) / stamp.substr(6, 2);
    if (created_dirs_.insert(dir.string()).second) {
      std::error_code error;
      std::filesystem::create_directories(dir, error);
      if (error) return IoError(dir, error.message());
    }
    Rng rng(DeriveSeed(
        world_.options().seed,
        {300, stream_index, static_cast<std::uint64_t>(batch.window.time_since_epoch().count())}));
    const std::filesystem::path path =
        dir / fmt::format("{}_CloudTrail_{}_{}_{}.json.gz", account, region, stamp,
                          rng.Chars(kAlphanumeric, 16));
    common::Result<std::string> compressed = Gzip(batch.body);
    if (!compressed) return std::move(compressed).error();
    if (Status status = WriteFile(path, *compressed); !status) return status;
    ++files_;
    batch.records = 0;
    batch.body.clear();
    return common::Ok();
  }

  const World& world_;  // outlives the sink; see Generate()
  std::filesystem::path root_;
  std::vector<Batch> batches_;          // per stream: the file being filled
  std::set<std::string> created_dirs_;  // directories known to exist
  std::uint64_t files_ = 0;
};

class JsonLinesSink final : public RecordSink {
 public:
  JsonLinesSink(std::filesystem::path path, std::ofstream file)
      : path_(std::move(path)), file_(std::move(file)) {}

  Status Write(const Call&, std::string_view json) override {
    buffer_.append(json);
    buffer_.push_back('\n');
    if (buffer_.size() > (1U << 20)) return Drain();
    return common::Ok();
  }

  Status Close() override {
    if (Status status = Drain(); !status) return status;
    file_.close();
    if (!file_) return IoError(path_, "write failed");
    return common::Ok();
  }

  std::uint64_t files() const override { return 1; }

 private:
  Status Drain() {
    file_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    buffer_.clear();
    if (!file_) return IoError(path_, "write failed");
    return common::Ok();
  }

  std::filesystem::path path_;
  std::ofstream file_;
  std::string buffer_;
};

}  // namespace

common::Result<std::unique_ptr<RecordSink>> MakeS3Sink(const World& world,
                                                       const std::filesystem::path& root) {
  std::error_code error;
  std::filesystem::create_directories(root, error);
  if (error) return IoError(root, error.message());
  return std::unique_ptr<RecordSink>(std::make_unique<S3Sink>(world, root));
}

common::Result<std::unique_ptr<RecordSink>> MakeJsonLinesSink(const std::filesystem::path& file) {
  if (file.has_parent_path()) {
    std::error_code error;
    std::filesystem::create_directories(file.parent_path(), error);
    if (error) return IoError(file.parent_path(), error.message());
  }
  std::ofstream stream(file, std::ios::binary | std::ios::trunc);
  if (!stream) return IoError(file, "cannot open for writing");
  return std::unique_ptr<RecordSink>(std::make_unique<JsonLinesSink>(file, std::move(stream)));
}

}  // namespace trailsight::sim
