#include "fuzz/targets.h"

#include <fmt/format.h>
#include <stdlib.h>
#include <zlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "app/global_table.h"
#include "app/snapshot_store.h"
#include "common/check.h"
#include "common/finding.h"
#include "common/interner.h"
#include "config/config.h"
#include "consumers/encoded_event.h"
#include "consumers/message_decoder.h"
#include "consumers/record_parser.h"
#include "detector/account_facts.h"
#include "detector/detector.h"
#include "detector/tamper_rules.h"

namespace trailsight::fuzz {
namespace {

// Findings a restored Detector might raise are dropped: only decoding is under test.
class DiscardFindings final : public common::FindingSink {
 public:
  common::Status Publish(const common::Finding&) override { return common::Ok(); }
  common::Status Flush() override { return common::Ok(); }
};

// Whether `part` is a piece of `whole`'s bytes, as every payload a decoder reports must be
// (its own bytes in a batch, else the whole message; the decoder may view its own copy).
bool PieceOf(std::string_view part, std::string_view whole) {
  return whole.find(part) != std::string_view::npos;
}

class CheckingHandler final : public consumers::DecodedRecordHandler {
 public:
  explicit CheckingHandler(std::string_view message) : message_(message) {}
  void OnRecord(const common::Event&, std::size_t, std::string_view payload) override {
    TRAILSIGHT_CHECK(PieceOf(payload, message_), "a record's payload is not part of the message");
  }
  void OnBadRecord(std::string_view reason, std::size_t, std::string_view payload) override {
    TRAILSIGHT_CHECK(!reason.empty(), "a bad record without a reason");
    TRAILSIGHT_CHECK(PieceOf(payload, message_),
                     "a bad record's payload is not part of the message");
  }

 private:
  std::string_view message_;
};

// The records of `pieces` as (key, value) pairs; an odd last piece is a key with no value.
std::vector<detector::StateRecord> Pairs(const std::vector<std::string_view>& pieces) {
  std::vector<detector::StateRecord> records;
  for (std::size_t i = 0; i < pieces.size(); i += 2) {
    records.push_back({pieces[i], i + 1 < pieces.size() ? pieces[i + 1] : std::string_view{}});
  }
  return records;
}

// A folder of this process for FuzzSnapshot, with its store; made on first use, removed at
// exit.
struct SnapshotFolder {
  SnapshotFolder() {
    std::string pattern = std::filesystem::temp_directory_path() / "trailsight-fuzz-XXXXXX";
    TRAILSIGHT_CHECK(::mkdtemp(pattern.data()) != nullptr, "cannot make a temporary folder");
    dir = pattern;
    common::Result<std::unique_ptr<app::SnapshotStore>> opened = app::SnapshotStore::Open(dir, 1);
    TRAILSIGHT_CHECK(opened.has_value(), "cannot open the snapshot store");
    store = *std::move(opened);
  }
  ~SnapshotFolder() {
    store.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  std::filesystem::path dir;
  std::unique_ptr<app::SnapshotStore> store;
};

SnapshotFolder& TheSnapshotFolder() {
  static SnapshotFolder folder;
  return folder;
}

}  // namespace

std::vector<std::string_view> SplitRecords(std::string_view data) {
  std::vector<std::string_view> pieces;
  while (true) {
    const std::size_t at = data.find(kRecordSeparator);
    pieces.push_back(data.substr(0, at));
    if (at == std::string_view::npos) return pieces;
    data.remove_prefix(at + kRecordSeparator.size());
  }
}

void FuzzRecordParser(std::string_view data) {
  common::StringInterner interner;
  consumers::RecordParser parser(interner);
  const bool parsed = parser.Parse(data).has_value();
  std::string padded(data);
  padded.resize(data.size() + consumers::RecordParser::kPadding, '\0');
  const bool parsed_in_place =
      parser.ParsePadded(std::string_view(padded).substr(0, data.size())).has_value();
  TRAILSIGHT_CHECK(parsed == parsed_in_place, "Parse and ParsePadded disagree");
  const std::optional<common::Event> plain = parser.ParsePlainMessage(data);
  TRAILSIGHT_CHECK(!plain.has_value() || parsed, "a plain message that Parse refuses");
}

void FuzzMessageDecoder(std::string_view data) {
  common::StringInterner interner;
  consumers::MessageDecoder decoder(interner);
  CheckingHandler handler(data);
  decoder.Decode(data, handler);
}

void FuzzConfigLoader(std::string_view data) {
  const common::Result<config::Config> loaded = config::LoadConfigText(data, "fuzz.yaml");
  TRAILSIGHT_CHECK(loaded.has_value() || !loaded.error().message.empty(),
                   "a config refused without a message");
}

void FuzzChangelogRecords(std::string_view data) {
  if (data.empty()) return;
  const bool as_records = (static_cast<unsigned char>(data[0]) & 1) != 0;
  data.remove_prefix(1);
  common::StringInterner interner;
  DiscardFindings sink;
  detector::Detector detector({}, interner, sink);
  if (!as_records) {
    (void)detector.LoadState(data);
    return;
  }
  const std::vector<detector::StateRecord> records = Pairs(SplitRecords(data));
  for (const detector::StateRecord& record : records) {
    (void)detector::StateRecordPair(record.key);
    (void)detector::IsRegionRecordKey(record.key);
  }
  if (detector.LoadRecords(records)) (void)detector.SaveState();
  detector::Detector in_order({}, interner, sink);
  if (in_order.LoadRecordsInOrder(records)) (void)in_order.SaveState();
}

void FuzzGlobalTable(std::string_view data) {
  const std::vector<detector::StateRecord> records = Pairs(SplitRecords(data));
  common::StringInterner interner;
  detector::TamperRules tamper({}, interner);
  detector::AccountFacts facts(interner);
  app::GlobalTable table(
      "global",
      [&](std::chrono::milliseconds,
          const app::GlobalTable::Visit& visit) -> common::Result<std::size_t> {
        for (const detector::StateRecord& record : records) visit(record.key, record.value);
        return records.size();
      },
      tamper, &facts);
  (void)table.Load(std::chrono::milliseconds{0});
  std::vector<kafka::ChangelogRecord> changes;
  table.CaptureChanges(changes);
}

void FuzzSnapshot(std::string_view data) {
  SnapshotFolder& folder = TheSnapshotFolder();
  {
    std::ofstream out(folder.dir / "snapshot-00000000000000000001.bin",
                      std::ios::binary | std::ios::trunc);
    const auto crc = static_cast<std::uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
    out << fmt::format("trailsight-snapshot 1 {} {:08x}\n", data.size(), crc) << data;
  }
  const std::optional<app::Snapshot> snapshot = folder.store->LoadNewest();
  if (!snapshot) return;
  common::StringInterner interner;
  DiscardFindings sink;
  detector::Detector whole({}, interner, sink);
  (void)whole.LoadState(snapshot->detector_state);
  for (const app::PartitionState& partition : snapshot->partitions) {
    detector::Detector one({}, interner, sink);
    (void)one.LoadState(partition.detector_state);
  }
}

void FuzzEncodedEvent(std::string_view data) {
  common::StringInterner interner;
  if (consumers::IsSourceMarks(data)) {
    std::vector<consumers::SourceMark> marks;
    if (!consumers::DecodeSourceMarks(data, marks)) return;
    std::string again;
    consumers::AppendSourceMarks(marks, again);
    std::vector<consumers::SourceMark> reread;
    TRAILSIGHT_CHECK(
        static_cast<bool>(consumers::DecodeSourceMarks(again, reread)) && reread == marks,
        "source marks do not survive encoding again");
    return;
  }
  consumers::EventSource source;
  const common::Result<common::Event> event =
      consumers::DecodeEncodedEvent(data, interner, &source);
  if (!event) return;
  std::string again;
  consumers::AppendEncodedEvent(*event, interner, source, again);
  consumers::EventSource source_again;
  const common::Result<common::Event> reread =
      consumers::DecodeEncodedEvent(again, interner, &source_again);
  TRAILSIGHT_CHECK(reread.has_value(), "an encoded event does not decode: {}",
                   reread.error().message);
  std::string third;
  consumers::AppendEncodedEvent(*reread, interner, source_again, third);
  TRAILSIGHT_CHECK(third == again, "an event's encoding changes when decoded and encoded again");
}

}  // namespace trailsight::fuzz
