#pragma once

// The records of the repartition topic (DESIGN.md, "Scale"): an Event as the service re-keys
// it, with its strings spelled out, so that the instance holding the record's (account,
// region) needs neither the original JSON nor the interner that parsed it. About a fifth of
// the JSON record, and read without a JSON parser.
//
// Layout, version 4: the byte kEncodedEventVersion; the input partition the record was read
// from (its topic as a varint length and its bytes, then the partition plus one as a varint, 0
// when not known); eventTime in seconds (zigzag varint); one byte of flags (bit 0 readOnly,
// bits 1-2 the category); then account, region, source, name, errorCode, principal, userAgent,
// resource, eventID, sourceIPAddress and the target user (Event::target_user), each a varint
// length and its bytes (length 0: none). Older releases' records still read: version 2 is the
// same without the target user, version 1 without the target user and the input partition.
// (3 is not a version: it is kSourceMarksKind.)
//
// Beside the events, each re-keying commit writes one source-marks record to every partition of
// the repartition topic (DESIGN.md "Partitions and event time"): for each input partition the
// writer holds, how far in event time its records were sent. Layout: the byte kSourceMarksKind;
// a varint count; per input partition its topic (varint length, bytes), its partition (varint),
// one byte of flags (bit 0: a time follows, bit 1: it holds the others back) and the time in
// seconds (zigzag varint) when flagged.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/event.h"
#include "common/interner.h"
#include "common/result.h"

namespace trailsight::consumers {

inline constexpr char kEncodedEventVersion = 0x04;
inline constexpr char kSourceMarksKind = 0x03;

// The input partition a re-keyed record was read from. The view lives as long as the bytes it
// was read from.
struct EventSource {
  std::string_view topic;
  std::int32_t partition = -1;  // -1: not known (a version 1 record)
};

// Appends `event`, its symbols resolved in `interner`, read from `source`, to `out` (which
// keeps its storage, so steady state allocates nothing).
void AppendEncodedEvent(const common::Event& event, const common::StringInterner& interner,
                        EventSource source, std::string& out);

// Reads one encoded event, interning its strings in `interner` (whose caps apply as for a
// parsed record), and sets `source` (when given) to the input partition it came from. Fails
// with kMalformedEvent naming what is wrong: another version, bytes that end early or remain.
common::Result<common::Event> DecodeEncodedEvent(std::string_view bytes,
                                                 common::StringInterner& interner,
                                                 EventSource* source = nullptr);

// How far one input partition's records were sent on, as its re-keyer's alignment sees it
// (PartitionAligner::TimeOf and Holding): records it sends later are dated from `time` on,
// but for outliers. The topic view lives as long as the bytes it was read from.
struct SourceMark {
  std::string_view topic;
  std::int32_t partition = 0;
  std::optional<common::Seconds> time{};  // none before its first record
  bool holds = true;                      // it holds the other partitions back (not idle)
  bool operator==(const SourceMark&) const = default;
};

// Whether a repartition record holds source marks rather than an event.
inline bool IsSourceMarks(std::string_view bytes) {
  return !bytes.empty() && bytes[0] == kSourceMarksKind;
}
// Appends a source-marks record of `marks` to `out`.
void AppendSourceMarks(const std::vector<SourceMark>& marks, std::string& out);
// Reads a source-marks record into `marks` (cleared first; its topics view `bytes`). Fails
// with kMalformedEvent naming what is wrong.
common::Status DecodeSourceMarks(std::string_view bytes, std::vector<SourceMark>& marks);

// The repartition topic's partition of (account, region), of `partitions` (> 0): FNV-1a over
// the account, a zero byte and the region, so every instance and release agrees on it.
std::int32_t RepartitionOf(std::string_view account, std::string_view region,
                           std::int32_t partitions);

}  // namespace trailsight::consumers
