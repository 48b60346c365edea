#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace trailsight::fuzz {

// The bodies of the libFuzzer targets (fuzz/*_fuzzer.cc), as plain functions so that the unit
// tests replay the kept corpus and crash inputs through exactly the code the fuzzers ran
// (tests/fuzz/corpus_replay_test.cc). Each takes arbitrary bytes and must return normally
// whatever they hold: every decoder below reports bad input as a value, so a crash, a sanitizer
// report or a TRAILSIGHT_CHECK failure here is a bug in the decoder.
//
// Thread safety: each call builds its own state; calls may run on any thread.

// One Kafka message payload through RecordParser: Parse(), ParsePadded() and
// ParsePlainMessage(), which must agree on whether the bytes are a plain record.
void FuzzRecordParser(std::string_view data);

// One Kafka message payload through MessageDecoder::Decode(), every record and bad record it
// reports checked to carry a piece of the payload.
void FuzzMessageDecoder(std::string_view data);

// YAML text through config::LoadConfigText().
void FuzzConfigLoader(std::string_view data);

// Detector state: when the first byte is even, the rest through Detector::LoadState() (the
// whole state, StateCodec::Load); when odd, the rest split by SplitRecords() into changelog
// records (key, value, key, value...) through Detector::LoadRecords() and, on a fresh
// Detector, LoadRecordsInOrder().
void FuzzChangelogRecords(std::string_view data);

// Records of the global table, split by SplitRecords() (key, value, ...), through
// app::GlobalTable::Load() with tamper rules and account facts, which decode them.
void FuzzGlobalTable(std::string_view data);

// A local snapshot's payload, framed with a valid header (so the CRC does not stop the
// search at the door), read back by app::SnapshotStore::LoadNewest() from a private folder;
// the detector states it holds then go through Detector::LoadState().
void FuzzSnapshot(std::string_view data);

// A repartition record (a re-keyed event or source marks) through DecodeEncodedEvent() or
// DecodeSourceMarks(), as the re-keyed input reads it; a decoded event is encoded again and
// must decode to the same bytes.
void FuzzEncodedEvent(std::string_view data);

// The separator between the records of one fuzz input for the record-based targets.
inline constexpr std::string_view kRecordSeparator{"\xff\xfe\xfd\xfc", 4};

// Splits `data` at every kRecordSeparator; the pieces view `data`.
std::vector<std::string_view> SplitRecords(std::string_view data);

// Adapts libFuzzer's (pointer, size) to the functions above.
inline std::string_view Bytes(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace trailsight::fuzz
