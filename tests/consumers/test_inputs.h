#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/dead_letter.h"
#include "common/event.h"
#include "common/interner.h"
#include "consumers/replay_reader.h"

namespace trailsight::consumers::test_support {

// A directory under the system temp dir, removed with everything in it when destroyed.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "consumers_test_XXXXXX");
    path_ = ::mkdtemp(pattern.data());
    EXPECT_FALSE(path_.empty()) << "mkdtemp failed";
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Returns the path of `relative` inside the directory (nothing is created).
  std::string Path(std::string_view relative) const { return (path_ / relative).string(); }

  // Writes `content` to `relative`, creating parent folders; returns its path.
  std::string Write(std::string_view relative, std::string_view content) const {
    const std::filesystem::path path = path_ / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    EXPECT_TRUE(out.good()) << "cannot write " << path;
    return path.string();
  }

  // Writes `content` gzip-compressed (zlib's gzwrite) to `relative`; returns its path.
  std::string WriteGzip(std::string_view relative, std::string_view content) const {
    const std::filesystem::path path = path_ / relative;
    std::filesystem::create_directories(path.parent_path());
    gzFile file = ::gzopen(path.c_str(), "wb");
    EXPECT_NE(file, nullptr) << "cannot gzopen " << path;
    if (file == nullptr) return path.string();
    if (!content.empty()) {
      EXPECT_EQ(::gzwrite(file, content.data(), static_cast<unsigned>(content.size())),
                static_cast<int>(content.size()));
    }
    EXPECT_EQ(::gzclose(file), Z_OK);
    return path.string();
  }

 private:
  std::filesystem::path path_;
};

// Keeps every Event it receives, and the interner that resolves their symbols.
class CollectingReceiver : public common::EventReceiver {
 public:
  void OnEvent(const common::Event& event) override { events.push_back(event); }
  std::vector<common::Event> events;
};

// A dead letter with its views copied, so it outlives the reader's buffers.
struct StoredLetter {
  std::string source, position, reason, payload;
};

class CollectingDeadLetters : public common::DeadLetterSink {
 public:
  void Write(const common::DeadLetter& letter) override {
    letters.push_back({std::string(letter.source), std::string(letter.position),
                       std::string(letter.reason), std::string(letter.payload)});
  }
  std::vector<StoredLetter> letters;
};

// Concatenates `parts`. Tests use it instead of `"literal" + std::string(...)`, which trips
// GCC 12's false -Wrestrict warning (GCC bug 105329).
template <typename... Parts>
std::string Cat(const Parts&... parts) {
  std::string out;
  (out.append(std::string_view(parts)), ...);
  return out;
}

// A complete, valid CloudTrail record whose eventName is `name` and eventTime is `time`.
inline std::string MakeRecord(std::string_view name,
                              std::string_view time = "2024-01-02T03:04:05Z") {
  return std::string(R"({"eventVersion":"1.09","userIdentity":{"type":"IAMUser",)") +
         R"("arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333"},)" +
         R"("eventTime":")" + std::string(time) + R"(","eventSource":"ec2.amazonaws.com",)" +
         R"("eventName":")" + std::string(name) + R"(","awsRegion":"us-east-1",)" +
         R"("userAgent":"aws-cli/2.0","requestParameters":null,"readOnly":false,)" +
         R"("recipientAccountId":"111122223333"})";
}

// What a rejected record must not leak into a redacted dead letter.
inline constexpr std::string_view kPlantedAccessKeyId = "AKIAIOSFODNN7EXAMPLE";
inline constexpr std::string_view kPlantedAddress = "203.0.113.77";
inline constexpr std::string_view kPlantedUserArn = "arn:aws:iam::111122223333:user/mallory";

// A record the parser rejects (readOnly is a string) that carries an identity with an access
// key id and an ARN, request parameters and a source address: the planted values above.
inline std::string MakeRejectedRecordWithSecrets() {
  return std::string(R"({"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":")") +
         std::string(kPlantedUserArn) + R"(","accessKeyId":")" + std::string(kPlantedAccessKeyId) +
         R"(","accountId":"111122223333"},"eventTime":"2024-01-02T03:04:05Z",)" +
         R"("eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey",)" +
         R"("awsRegion":"us-east-1","sourceIPAddress":")" + std::string(kPlantedAddress) +
         R"(","requestParameters":{"userName":"mallory"},"readOnly":"no",)" +
         R"("recipientAccountId":"111122223333"})";
}

// The redacted form of MakeRejectedRecordWithSecrets().
inline constexpr std::string_view kRedactedRecord =
    R"({"eventTime":"2024-01-02T03:04:05Z","eventSource":"iam.amazonaws.com",)"
    R"("eventName":"CreateAccessKey","awsRegion":"us-east-1",)"
    R"("recipientAccountId":"111122223333"})";

// Pretty-prints a record from MakeRecord (whose values hold no commas or braces) the way
// jq or json.dumps(indent=...) would: one field per line, nested objects indented.
inline std::string Pretty(std::string_view record, std::string_view indent = "  ") {
  std::string out;
  int depth = 0;
  for (char c : record) {
    if (c == '}') {
      --depth;
      out += '\n';
      for (int i = 0; i < depth; ++i) out += indent;
    }
    out += c;
    if (c == '{' || c == ',') {
      if (c == '{') ++depth;
      out += '\n';
      for (int i = 0; i < depth; ++i) out += indent;
    }
  }
  return out;
}

// Returns the eventName of each event, resolved through `interner`.
inline std::vector<std::string> Names(const std::vector<common::Event>& events,
                                      const common::StringInterner& interner) {
  std::vector<std::string> names;
  for (const common::Event& event : events) names.emplace_back(interner.Resolve(event.name));
  return names;
}

}  // namespace trailsight::consumers::test_support
