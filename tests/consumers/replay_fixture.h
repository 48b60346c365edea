#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "consumers/replay_reader.h"
#include "tests/consumers/test_inputs.h"

namespace trailsight::consumers::test_support {

// Shared by the ReplayReaderTest files: one interner, collectors and a temp dir per test.
class ReplayReaderTest : public ::testing::Test {
 protected:
  // Reads `path` with a fresh reader limited to `options`; the read must not fail.
  void Read(const std::string& path, InputOptions options = {}) {
    reader_ = std::make_unique<ReplayReader>(interner_, dead_letters_, options);
    const common::Status status = reader_->ReadInput(path, receiver_);
    ASSERT_TRUE(status.ok()) << status.error().message;
  }
  std::vector<std::string> Names() const {
    return test_support::Names(receiver_.events, interner_);
  }
  const std::vector<StoredLetter>& Letters() const { return dead_letters_.letters; }

  TempDir dir_;
  common::StringInterner interner_;
  CollectingDeadLetters dead_letters_;
  CollectingReceiver receiver_;
  std::unique_ptr<ReplayReader> reader_;
};

// Wraps `records` in CloudTrail's S3 object: {"Records":[...]}.
inline std::string RecordsObject(const std::vector<std::string>& records) {
  std::string json = R"({"Records":[)";
  for (std::size_t i = 0; i < records.size(); ++i) json += Cat(i ? "," : "", records[i]);
  return json + "]}";
}
}  // namespace trailsight::consumers::test_support
