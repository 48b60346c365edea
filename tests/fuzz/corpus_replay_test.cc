// Regression replay of the fuzzers' findings: every input the fuzz targets kept (the corpus
// they grew, fuzz/corpus/<target>/) and every crash they found (fuzz/crashes/<target>/, added
// once fixed) goes through the same function the libFuzzer target calls (fuzz/targets.h). A
// crash, a failed TRAILSIGHT_CHECK or, in the ASan+UBSan unit stage, a sanitizer report fails
// the run; returning is the pass.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "common/finding.h"
#include "common/interner.h"
#include "detector/detector.h"
#include "fuzz/targets.h"

namespace trailsight::fuzz {
namespace {

namespace fs = std::filesystem;

class DiscardFindings final : public common::FindingSink {
 public:
  common::Status Publish(const common::Finding&) override { return common::Ok(); }
  common::Status Flush() override { return common::Ok(); }
};

const std::map<std::string, std::function<void(std::string_view)>>& Targets() {
  static const auto* targets = new std::map<std::string, std::function<void(std::string_view)>>{
      {"record_parser_fuzzer", FuzzRecordParser}, {"message_decoder_fuzzer", FuzzMessageDecoder},
      {"config_loader_fuzzer", FuzzConfigLoader}, {"changelog_record_fuzzer", FuzzChangelogRecords},
      {"global_table_fuzzer", FuzzGlobalTable},   {"snapshot_fuzzer", FuzzSnapshot},
      {"encoded_event_fuzzer", FuzzEncodedEvent},
  };
  return *targets;
}

// The files kept for `target` under fuzz/<kind>/<target>/, sorted; none when the folder is absent.
std::vector<fs::path> KeptInputs(std::string_view kind, const std::string& target) {
  const fs::path dir = fs::path(TRAILSIGHT_SOURCE_DIR) / "fuzz" / kind / target;
  std::vector<fs::path> files;
  if (!fs::is_directory(dir)) return files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

class CorpusReplayTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CorpusReplayTest, EveryKeptInputReturnsWithoutCrashing) {
  const std::function<void(std::string_view)>& target = Targets().at(GetParam());
  const std::vector<fs::path> corpus = KeptInputs("corpus", GetParam());
  ASSERT_FALSE(corpus.empty()) << "no corpus kept for " << GetParam();

  std::size_t replayed = 0;
  for (const std::string_view kind : {"corpus", "crashes"}) {
    for (const fs::path& file : KeptInputs(kind, GetParam())) {
      SCOPED_TRACE(file.string());
      target(ReadAll(file));
      ++replayed;
    }
  }

  EXPECT_GE(replayed, corpus.size());
}

INSTANTIATE_TEST_SUITE_P(Targets, CorpusReplayTest,
                         ::testing::Values("record_parser_fuzzer", "message_decoder_fuzzer",
                                           "config_loader_fuzzer", "changelog_record_fuzzer",
                                           "global_table_fuzzer", "snapshot_fuzzer",
                                           "encoded_event_fuzzer"));

// The changelog fuzzer's timeout: a region record whose newest time lies years past its next
// minute to close. Each save walked its open minutes one by one (more than 20 s under ASan);
// such a record is refused at once now, naming what is wrong.
TEST(ChangelogFindingsTest, ARegionWhoseOpenMinutesOutlastTheLatenessIsRefused) {
  const std::string input = ReadAll(
      fs::path(TRAILSIGHT_SOURCE_DIR) /
      "fuzz/crashes/changelog_record_fuzzer/timeout-8bddc9833fc811444453f36d2726a632d07e338b");
  ASSERT_FALSE(input.empty());
  const std::vector<std::string_view> pieces = SplitRecords(std::string_view(input).substr(1));
  std::vector<detector::StateRecord> records;
  for (std::size_t i = 0; i + 1 < pieces.size(); i += 2) {
    records.push_back({pieces[i], pieces[i + 1]});
  }
  common::StringInterner interner;
  DiscardFindings sink;
  detector::Detector detector({}, interner, sink);
  const common::Status loaded = detector.LoadRecords(records);
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("open minutes beyond the allowed lateness"),
            std::string::npos)
      << loaded.error().message;
}

TEST(SplitRecordsTest, SplitsAtEverySeparatorKeepingEmptyPieces) {
  const std::string input =
      std::string("key") + std::string(kRecordSeparator) + "value" + std::string(kRecordSeparator);

  const std::vector<std::string_view> pieces = SplitRecords(input);

  EXPECT_EQ(pieces, (std::vector<std::string_view>{"key", "value", ""}));
}

}  // namespace
}  // namespace trailsight::fuzz
