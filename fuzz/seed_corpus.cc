// Writes the seed corpus of every fuzz target (fuzz/corpus/<target>_fuzzer/seed-*) from real
// inputs: CloudTrail records of the Apache-2.0 and MIT datasets in ../shared/datasets, the
// documented config, and state records, global-table records, snapshots and repartition
// records made by the product's own encoders from those records. scripts/fuzz runs it when a
// target has no corpus yet:
//   fuzz_seed_corpus DATASETS_DIR CONFIG_YAML DETECTOR_STATE_V2 OUT_DIR
// Exits 1, saying why, when an input cannot be read.
#include <fmt/format.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "app/global_table.h"
#include "app/snapshot_store.h"
#include "common/alert.h"
#include "common/finding.h"
#include "common/interner.h"
#include "consumers/encoded_event.h"
#include "consumers/record_parser.h"
#include "detector/account_facts.h"
#include "detector/detector.h"
#include "detector/tamper_rules.h"
#include "fuzz/targets.h"

namespace fs = std::filesystem;
using namespace trailsight;

namespace {

constexpr std::size_t kStateEvents = 24;

class Discard final : public common::FindingSink, public common::AlertSink {
 public:
  common::Status Publish(const common::Finding&) override { return common::Ok(); }
  common::Status Publish(const common::Alert&) override { return common::Ok(); }
  common::Status Flush() override { return common::Ok(); }
};

class Changelog final : public detector::StateRecordReceiver {
 public:
  void OnRecord(std::string_view key, std::string_view value) override {
    newest[std::string(key)] = std::string(value);
  }
  std::map<std::string, std::string> newest;
};

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

void Write(const fs::path& dir, std::string_view name, std::string_view bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

// Records of the licensed datasets, compact JSON, each at most `max_bytes`.
std::vector<std::string> DatasetRecords(const fs::path& datasets, std::size_t max_bytes) {
  std::vector<std::string> records;
  for (const auto& entry : fs::directory_iterator(datasets / "stratus-detonation-logs")) {
    if (entry.path().extension() != ".json") continue;
    const nlohmann::json array = nlohmann::json::parse(ReadAll(entry.path()), nullptr, false);
    if (!array.is_array()) continue;
    for (const nlohmann::json& record : array) records.push_back(record.dump());
  }
  for (const auto& entry : fs::directory_iterator(datasets / "otrf-ec2-proxy-s3-exfil")) {
    if (entry.path().extension() != ".jsonl") continue;
    std::istringstream lines(ReadAll(entry.path()));
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) records.push_back(line);
    }
  }
  std::erase_if(records, [&](const std::string& record) { return record.size() > max_bytes; });
  std::sort(records.begin(), records.end());
  return records;
}

std::string Joined(const std::vector<std::string>& pieces) {
  std::string joined;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (i > 0) joined += fuzz::kRecordSeparator;
    joined += pieces[i];
  }
  return joined;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s DATASETS_DIR CONFIG_YAML DETECTOR_STATE_V2 OUT_DIR\n", argv[0]);
    return 1;
  }
  const fs::path datasets = argv[1], config = argv[2], state_v2 = argv[3], out = argv[4];
  const std::vector<std::string> records = DatasetRecords(datasets, 2048);
  if (records.empty() || !fs::exists(config) || !fs::exists(state_v2)) {
    std::fprintf(stderr, "seed corpus: inputs missing under %s, %s or %s\n", argv[1], argv[2],
                 argv[3]);
    return 1;
  }

  // Every 8th record, so that the seeds cover the datasets' services without repeating them.
  std::vector<std::string> picked;
  for (std::size_t i = 0; i < records.size(); i += 8) picked.push_back(records[i]);
  for (std::size_t i = 0; i < picked.size(); ++i) {
    Write(out / "record_parser_fuzzer", fmt::format("seed-record-{:03}", i), picked[i]);
  }
  const fs::path decoder = out / "message_decoder_fuzzer";
  Write(decoder, "seed-record", picked.front());
  Write(decoder, "seed-batch",
        fmt::format(R"({{"Records":[{},{},{}]}})", picked[0], picked[1], picked[2]));
  Write(decoder, "seed-envelope",
        fmt::format(R"({{"version":"0","detail-type":"AWS API Call via CloudTrail",)"
                    R"("source":"aws.s3","detail":{}}})",
                    picked[3]));
  // The documented config a top-level section at a time: each seed within libFuzzer's
  // default input size, and the corpus small.
  std::istringstream config_lines(ReadAll(config));
  std::vector<std::string> sections(1);
  for (std::string line; std::getline(config_lines, line);) {
    if (!line.empty() && std::islower(static_cast<unsigned char>(line[0])) &&
        !sections.back().empty()) {
      sections.emplace_back();
    }
    sections.back() += line + "\n";
  }
  for (std::size_t i = 0; i < sections.size(); ++i) {
    Write(out / "config_loader_fuzzer", fmt::format("seed-section-{:02}.yaml", i), sections[i]);
  }

  // The records through the real engine, rules and encoders.
  common::StringInterner interner;
  consumers::RecordParser parser(interner);
  Discard discard;
  detector::Detector detector({}, interner, discard);
  detector::TamperRules tamper({}, interner);
  detector::AccountFacts facts(interner);
  std::vector<common::Event> events;
  for (const std::string& record : records) {
    common::Result<common::Event> event = parser.Parse(record);
    if (!event) continue;
    events.push_back(*event);
  }
  std::sort(events.begin(), events.end(),
            [](const common::Event& a, const common::Event& b) { return a.time < b.time; });
  // The first events only: a state with every kind of row, yet seeds of a few KB.
  if (events.size() > kStateEvents) events.resize(kStateEvents);
  for (const common::Event& event : events) {
    detector.OnEvent(event);
    tamper.OnEvent(event, discard);
    (void)facts.Observe(event, /*sensitive_call=*/true);
  }
  tamper.Learn("org-trail-logs");

  const fs::path changelog_dir = out / "changelog_record_fuzzer";
  Write(changelog_dir, "seed-state", std::string(1, '\0') + detector.SaveState());
  Write(changelog_dir, "seed-state-v2", std::string(1, '\0') + ReadAll(state_v2));
  Changelog changelog;
  detector.SaveChangedRecords(changelog);
  std::vector<std::string> pieces;
  for (const auto& [key, value] : changelog.newest) {
    if (pieces.size() >= 8) break;  // a region and a few keys: enough structure, small
    pieces.push_back(key);
    pieces.push_back(value);
  }
  Write(changelog_dir, "seed-records", std::string(1, '\1') + Joined(pieces));

  app::GlobalTable table(
      "global",
      [](std::chrono::milliseconds, const app::GlobalTable::Visit&) -> common::Result<std::size_t> {
        return 0;
      },
      tamper, &facts);
  std::vector<kafka::ChangelogRecord> changes;
  table.CaptureChanges(changes);
  std::vector<std::string> global;
  for (const kafka::ChangelogRecord& change : changes) {
    if (global.size() >= 12) break;
    global.push_back(change.key);
    global.push_back(change.value);
  }
  Write(out / "global_table_fuzzer", "seed-records", Joined(global));

  // A snapshot as the store writes it, less its header line (FuzzSnapshot adds one).
  const fs::path store_dir =
      fs::temp_directory_path() / fmt::format("trailsight-seeds-{}", ::getpid());
  {
    common::Result<std::unique_ptr<app::SnapshotStore>> store =
        app::SnapshotStore::Open(store_dir, 1);
    if (!store) {
      std::fprintf(stderr, "seed corpus: %s\n", store.error().message.c_str());
      return 1;
    }
    app::Snapshot snapshot;
    snapshot.offsets = {{"cloudtrail", 0, 42}};
    snapshot.detector_state = detector.SaveState();
    snapshot.partitions = {{"cloudtrail", 1, 7, "", true}};
    snapshot.trail_buckets = tamper.LearnedBuckets();
    if (!(*store)->Write(snapshot)) return 1;
  }
  for (const auto& entry : fs::directory_iterator(store_dir)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("snapshot-")) continue;
    const std::string content = ReadAll(entry.path());
    Write(out / "snapshot_fuzzer", "seed-snapshot", content.substr(content.find('\n') + 1));
  }
  fs::remove_all(store_dir);

  const fs::path encoded_dir = out / "encoded_event_fuzzer";
  for (std::size_t i = 0; i < events.size() && i < 40; i += 8) {
    std::string bytes;
    consumers::AppendEncodedEvent(events[i], interner, {"cloudtrail", 3}, bytes);
    Write(encoded_dir, fmt::format("seed-event-{:02}", i), bytes);
  }
  std::string marks;
  consumers::AppendSourceMarks(
      {{"cloudtrail", 0, events.front().time, true}, {"cloudtrail", 1, std::nullopt, false}},
      marks);
  Write(encoded_dir, "seed-marks", marks);
  return 0;
}
