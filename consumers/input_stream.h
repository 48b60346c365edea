#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "common/result.h"

struct gzFile_s;  // zlib's gzFile points to one; declared here to keep zlib.h out of includers

namespace trailsight::consumers {

// Reads the bytes of one input, a file or a file descriptor, gunzipping it when it starts
// with the gzip magic bytes (whatever its name) and passing it through unchanged otherwise.
// Concatenated gzip members are read as one stream. Built on zlib's gz* functions.
//
// Thread safety: none; the reader that opened it is its only user.
class InputStream {
 public:
  // Opens `path` for reading. Fails with kIo naming the path when it cannot be opened or is a
  // directory.
  static common::Result<std::unique_ptr<InputStream>> Open(const std::string& path);
  // Reads from a duplicate of `fd` (which stays open and owned by the caller), e.g. stdin.
  // `source` names the stream in errors. Fails with kIo when the descriptor is unusable.
  static common::Result<std::unique_ptr<InputStream>> FromDescriptor(int fd, std::string source);
  ~InputStream();
  InputStream(const InputStream&) = delete;
  InputStream& operator=(const InputStream&) = delete;

  // Reads up to `buffer.size()` bytes into `buffer`; returns how many, 0 at the end of the
  // input. Fails with kIo naming the source and zlib's or the system's reason when the bytes
  // cannot be read (a truncated or corrupt gzip stream, an I/O error).
  common::Result<std::size_t> Read(std::span<char> buffer);

 private:
  struct GzCloser {
    void operator()(gzFile_s* file) const;
  };
  InputStream(gzFile_s* file, std::string source) : file_(file), source_(std::move(source)) {}

  std::unique_ptr<gzFile_s, GzCloser> file_;
  std::string source_;
};

}  // namespace trailsight::consumers
