#pragma once

// The records of the repartition topic (DESIGN.md, "Scale"): an Event as the service re-keys
// it, with its strings spelled out, so that the instance holding the record's (account,
// region) needs neither the original JSON nor the interner that parsed it. About a fifth of
// the JSON record, and read without a JSON parser.
//
// Layout, version 1: the byte kEncodedEventVersion; eventTime in seconds (zigzag varint);
// one byte of flags (bit 0 readOnly, bits 1-2 the category); then account, region, source, name,
// errorCode, principal, userAgent, resource, eventID and sourceIPAddress, each a varint length and
// its bytes (length 0: none).
#include <cstdint>
#include <string>
#include <string_view>

#include "common/event.h"
#include "common/interner.h"
#include "common/result.h"

namespace trailsight::consumers {

inline constexpr char kEncodedEventVersion = 0x01;

// Appends `event`, its symbols resolved in `interner`, to `out` (which keeps its storage, so
// steady state allocates nothing).
void AppendEncodedEvent(const common::Event& event, const common::StringInterner& interner,
                        std::string& out);

// Reads one encoded event, interning its strings in `interner` (whose caps apply as for a
// parsed record). Fails with kMalformedEvent naming what is wrong: another version, bytes that end
// early or remain.
common::Result<common::Event> DecodeEncodedEvent(std::string_view bytes,
                                                 common::StringInterner& interner);

// The repartition topic's partition of (account, region), of `partitions` (> 0): FNV-1a over
// the account, a zero byte and the region, so every instance and release agrees on it.
std::int32_t RepartitionOf(std::string_view account, std::string_view region,
                           std::int32_t partitions);

}  // namespace trailsight::consumers
