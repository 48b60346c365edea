#include "consumers/input_stream.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace trailsight::consumers {
namespace {

using common::Error;
using common::ErrorCode;

constexpr unsigned kGzBufferBytes = 128u << 10;  // zlib's own input buffer

// Wraps an open descriptor (ownership passes to zlib) in a gzFile.
common::Result<gzFile> WrapDescriptor(int fd, const std::string& source) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const int error = errno;
    ::close(fd);
    return Error{ErrorCode::kIo, fmt::format("cannot read {}: {}", source, std::strerror(error))};
  }
  if (S_ISDIR(info.st_mode)) {
    ::close(fd);
    return Error{ErrorCode::kIo, fmt::format("cannot read {}: it is a directory", source)};
  }
  gzFile file = ::gzdopen(fd, "rb");
  if (file == nullptr) {
    ::close(fd);
    return Error{ErrorCode::kIo, fmt::format("cannot read {}: zlib could not open it", source)};
  }
  ::gzbuffer(file, kGzBufferBytes);
  return file;
}

}  // namespace

void InputStream::GzCloser::operator()(gzFile_s* file) const { ::gzclose_r(file); }

common::Result<std::unique_ptr<InputStream>> InputStream::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Error{ErrorCode::kIo, fmt::format("cannot open {}: {}", path, std::strerror(errno))};
  }
  common::Result<gzFile> file = WrapDescriptor(fd, path);
  if (!file) return std::move(file).error();
  return std::unique_ptr<InputStream>(new InputStream(*file, path));
}

common::Result<std::unique_ptr<InputStream>> InputStream::FromDescriptor(int fd,
                                                                         std::string source) {
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) {
    return Error{ErrorCode::kIo, fmt::format("cannot read {}: {}", source, std::strerror(errno))};
  }
  common::Result<gzFile> file = WrapDescriptor(copy, source);
  if (!file) return std::move(file).error();
  return std::unique_ptr<InputStream>(new InputStream(*file, std::move(source)));
}

InputStream::~InputStream() = default;

common::Result<std::size_t> InputStream::Read(std::span<char> buffer) {
  const auto request = static_cast<unsigned>(std::min<std::size_t>(buffer.size(), INT_MAX));
  const int count = ::gzread(file_.get(), buffer.data(), request);
  if (count > 0) return static_cast<std::size_t>(count);
  // 0 is the end of the input, unless zlib stopped inside a gzip member (Z_BUF_ERROR).
  int code = Z_OK;
  const char* message = ::gzerror(file_.get(), &code);
  if (count == 0 && code == Z_OK) return std::size_t{0};
  const std::string reason = code == Z_ERRNO ? std::strerror(errno)
                             : code == Z_BUF_ERROR
                                 ? "the gzip stream is truncated (unexpected end of file)"
                                 : message;
  return Error{ErrorCode::kIo, fmt::format("cannot read {}: {}", source_, reason)};
}

}  // namespace trailsight::consumers
