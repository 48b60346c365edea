// Detector::SaveState and Detector::LoadState: the detection state as compact binary.
//
// Layout (version 5): kMagic ("trailsight.detector-state" and a NUL byte), then a sequence
// of values (detector/state_encoding.h): the version, the strings (every interned string
// the state refers to; symbols are stored as indexes into them, since symbols are local to
// a process), then the arrays of regions, keys and episodes, whose rows are arrays laid out
// field by field in the order the Save* functions below write them. A new field means a new
// version.
//
// Versions 4 (the same but for hour rings without the earlier weekend) and 3 (nor the
// busiest quarters) are still read. Version 2
// (MessagePack of a map with "format", "version", "strings", "regions", "keys" and
// "episodes", holding the same rows as MessagePack arrays) is still read: snapshots written
// by earlier builds restore. One loader reads both, through a cursor over either encoding.
#include "detector/state_codec.h"

#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace trailsight::detector {
namespace {

constexpr std::string_view kMagic{"trailsight.detector-state\0", 26};
constexpr std::string_view kFormatV2 = "trailsight.detector-state";
constexpr std::uint64_t kVersion = 5;
// Versions 4 and 3 differ only in their hour rings, which keep no earlier weekend (and, in
// 3, no busiest quarter); KeyHistory tells the rings apart by their size.
constexpr std::uint64_t kVersionWithoutWeekend = 4;
constexpr std::uint64_t kVersionWithoutQuarters = 3;

std::int64_t Count(common::Seconds time) { return time.time_since_epoch().count(); }
std::int64_t Count(common::Minute time) { return time.time_since_epoch().count(); }
std::int64_t Count(common::Hour time) { return time.time_since_epoch().count(); }
std::int64_t Count(common::Day time) { return time.time_since_epoch().count(); }

}  // namespace

// ---- saving

std::uint64_t StateCodec::Index(common::Symbol symbol) {
  if (symbol >= index_of_.size()) index_of_.resize(interner_.size() + 1, kUnindexed);
  std::uint32_t& index = index_of_[symbol];
  if (index == kUnindexed) {
    index = static_cast<std::uint32_t>(strings_.size());
    strings_.push_back(symbol);
  }
  return index;
}

void StateCodec::ForgetStrings() {
  for (common::Symbol symbol : strings_) index_of_[symbol] = kUnindexed;
  strings_.clear();
  out_.bytes().clear();
}

std::string StateCodec::WithStrings(std::string_view head) {
  BinaryOut whole;
  whole.bytes().append(head);
  whole.Array(strings_.size());
  for (common::Symbol symbol : strings_) whole.Text(interner_.Resolve(symbol));
  whole.bytes().append(out_.bytes());
  return std::move(whole.bytes());
}

void StateCodec::SaveTally(const AttributionTally& tally) {
  out_.Array(3 * tally.entries_.size());
  for (const TallyEntry& entry : tally.entries_) {
    out_.Int(static_cast<int>(entry.attribute));
    out_.UInt(Index(entry.value));
    out_.UInt(entry.count);
  }
}

// The ring and the past days' bytes as they are, the days' value table with
// symbols as string indexes, then today's tally.
void StateCodec::SaveHistory(const KeyHistory& history) {
  const KeyHistory::PackedParts parts = history.Parts();
  out_.Array(8);
  out_.Int(Count(history.newest_hour_));
  out_.Bool(history.empty_);
  out_.UInt(history.bits_);
  out_.Bytes(parts.ring);
  out_.Array(parts.tags.size());
  for (std::uint64_t tag : parts.tags) {
    out_.UInt(tag & 3);
    out_.UInt(Index(static_cast<common::Symbol>(tag >> 2)));
  }
  out_.Bytes(parts.days);
  out_.Int(Count(history.today_day_));
  SaveTally(history.today_);
}

// A region's row. Its active keys are key indexes, meaningful in a whole state only; a
// record leaves them out and they are rebuilt from its keys' episodes.
void StateCodec::SaveRegion(const Detector& detector, const Detector::Region& region,
                            bool with_active) {
  out_.Array(with_active ? 9 : 8);
  out_.UInt(Index(region.account));
  out_.UInt(Index(region.region));
  out_.Int(Count(region.newest));
  out_.Int(Count(region.first_minute));
  out_.Int(Count(region.next_close));
  if (with_active) {
    out_.Array(region.active.size());
    for (std::uint32_t key : region.active) out_.UInt(key);
  }
  // The totals of open minutes, as (minute, events) pairs: slots depend on the lateness.
  std::size_t totals = 0;
  ForEachOpenMinute(region, [&](common::Minute minute) {
    totals += region.totals[detector.Slot(minute)] > 0 ? 1 : 0;
  });
  out_.Array(totals);
  ForEachOpenMinute(region, [&](common::Minute minute) {
    const std::uint32_t total = region.totals[detector.Slot(minute)];
    if (total == 0) return;
    out_.Array(2);
    out_.Int(Count(minute));
    out_.UInt(total);
  });
  SaveHistory(region.history);
  out_.Int(Count(region.silence_reported));
}

// A key's row. In a whole state it names its region by index; a record names the region by
// its account and region strings.
void StateCodec::SaveKey(const Detector& detector, std::uint32_t key_index,
                         bool with_region_index) {
  const Detector::KeyState& key = detector.keys_[key_index];
  const Detector::Region& region = detector.regions_[key.region_index];
  out_.Array(10);
  out_.UInt(Index(key.source));
  out_.UInt(Index(key.name));
  if (with_region_index) {
    out_.UInt(key.region_index);
  } else {
    out_.UInt(Index(key.account));
    out_.UInt(Index(key.region));
  }
  out_.Int(Count(key.last_closed));
  SaveHistory(key.history);
  std::size_t cells = 0;
  ForEachOpenMinute(region, [&](common::Minute minute) {
    cells += detector.FindCell(key_index, minute) != nullptr ? 1 : 0;
  });
  out_.Array(cells);
  ForEachOpenMinute(region, [&](common::Minute minute) {
    const Detector::OpenCell* cell = detector.FindCell(key_index, minute);
    if (cell == nullptr) return;
    out_.Array(4);
    out_.Int(Count(minute));
    out_.UInt(cell->count);
    SaveTally(cell->tally);
    out_.UInt(cell->muted);
  });
  out_.Int(static_cast<int>(key.type));
  out_.Bool(key.error_code != common::kNoSymbol);
  if (key.error_code != common::kNoSymbol) out_.UInt(Index(key.error_code));
  out_.Array(3);
  out_.Int(Count(key.recent.newest_));
  out_.UInt(key.recent.recent_total_);
  out_.Array(key.recent.counts_.size());
  for (std::uint16_t count : key.recent.counts_) out_.UInt(count);
  out_.Int(Count(key.rearmed));
}

// An episode's row after its key index (which a whole state writes first).
void StateCodec::SaveEpisode(const Detector::Episode& episode) {
  out_.Int(Count(episode.start));
  out_.Int(Count(episode.last_unusual));
  out_.Int(episode.quiet_minutes);
  out_.UInt(episode.calls_through_last);
  out_.UInt(episode.calls_pending);
  out_.Real(episode.baseline_average);
  out_.Int(episode.baseline_duration);
  out_.Array(episode.baseline_attributions.size());
  for (const common::Attribution& attribution : episode.baseline_attributions) {
    out_.Array(attribution.baseline.size());
    for (const common::AttributionValue& value : attribution.baseline) {
      out_.Array(2);
      out_.Text(value.value);
      out_.Real(value.average);
    }
  }
  SaveTally(episode.tally);
  out_.UInt(episode.window);
  out_.Bool(episode.suppressed);
  out_.Bool(episode.drop);
}

std::string StateCodec::Save(const Detector& detector) {
  out_.Array(detector.regions_.size());
  for (const Detector::Region& region : detector.regions_) SaveRegion(detector, region, true);
  out_.Array(detector.keys_.size());
  for (std::uint32_t key_index = 0; key_index < detector.keys_.size(); ++key_index) {
    SaveKey(detector, key_index, true);
  }
  out_.Array(detector.episodes_.size());
  for (std::uint32_t key_index = 0; key_index < detector.keys_.size(); ++key_index) {
    auto it = detector.episodes_.find(key_index);  // in key order: deterministic bytes
    if (it == detector.episodes_.end()) continue;
    out_.Array(13);
    out_.UInt(key_index);
    SaveEpisode(it->second);
  }
  BinaryOut head;
  head.bytes().append(kMagic);
  head.UInt(kVersion);
  return WithStrings(head.bytes());
}

// ---- loading

template <class In>
void StateCodec::LoadStrings(In& in) {
  const std::size_t count = in.Enter();
  symbols_.clear();
  symbols_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) symbols_.push_back(interner_.Intern(in.Text()));
  in.Leave();
}

template <class In>
common::Symbol StateCodec::Symbol(In& in) const {
  return symbols_.at(in.UInt());
}

template <class In>
AttributionTally StateCodec::LoadTally(In& in) const {
  const std::size_t size = in.Enter();
  if (size % 3 != 0) throw std::out_of_range("tally");
  AttributionTally tally;
  for (std::size_t i = 0; i < size; i += 3) {
    const std::int64_t attribute = in.Int();
    if (attribute < 0 || attribute >= kAttributeCount) throw std::out_of_range("attribute");
    const common::Symbol value = Symbol(in);
    tally.entries_.push_back(
        {static_cast<Attribute>(attribute), value, static_cast<std::uint32_t>(in.UInt())});
  }
  in.Leave();
  return tally;
}

void StateCodec::LoadHistory(BinaryIn& in, KeyHistory& history) const {
  in.Enter();
  history.newest_hour_ = Time<common::Hour>(in);
  history.empty_ = in.Bool();
  const std::uint64_t bits = in.UInt();
  const std::span<const std::uint8_t> ring = in.Bytes();
  std::vector<std::uint64_t> tags(in.Enter());
  for (std::uint64_t& tag : tags) {
    const std::uint64_t attribute = in.UInt();
    if (attribute >= kAttributeCount) throw std::out_of_range("attribute");
    tag = attribute | (std::uint64_t{Symbol(in)} << 2);
  }
  in.Leave();
  const std::span<const std::uint8_t> day_bytes = in.Bytes();
  if (bits > 32 || !history.RestoreParts(static_cast<std::uint8_t>(bits), ring, tags, day_bytes)) {
    throw std::out_of_range("history");
  }
  history.today_day_ = Time<common::Day>(in);
  history.today_ = LoadTally(in);
  in.Leave();
}

// Version 2: the ring as (calls, peak) per slot, and the days as tallies.
void StateCodec::LoadHistory(JsonIn& in, KeyHistory& history) const {
  in.Enter();
  history.newest_hour_ = Time<common::Hour>(in);
  history.empty_ = in.Bool();
  if (in.Enter() != 2 * KeyHistory::kHours) throw std::out_of_range("hours");
  for (std::size_t slot = 0; slot < KeyHistory::kHours; ++slot) {
    const auto calls = static_cast<std::uint32_t>(in.UInt());
    const auto peak = static_cast<std::uint32_t>(in.UInt());
    history.SetSlotSummary(slot, {calls, peak, KeyHistory::QuarterBound(calls, peak)});
  }
  in.Leave();
  const std::size_t day_count = in.Enter();
  for (std::size_t i = 0; i < day_count; ++i) {
    in.Enter();
    const common::Day day = Time<common::Day>(in);
    history.RestoreDay(day, LoadTally(in));
    in.Leave();
  }
  in.Leave();
  in.Leave();
}

// Appends a region; a second row for the same (account, region) is refused.
template <class In>
void StateCodec::LoadRegion(In& in, Detector& detector, bool with_active) {
  in.Enter();
  const auto region_index = static_cast<std::uint32_t>(detector.regions_.size());
  Detector::Region& region = detector.regions_.emplace_back();
  region.account = Symbol(in);
  region.region = Symbol(in);
  const std::uint64_t id = (std::uint64_t{region.account} << 32) | region.region;
  if (!detector.region_index_.emplace(id, region_index).second) {
    detector.regions_.pop_back();
    throw std::out_of_range("region saved twice");
  }
  region.newest = Time<common::Seconds>(in);
  region.first_minute = Time<common::Minute>(in);
  region.next_close = Time<common::Minute>(in);
  // Open minutes span at most the open slots (the allowed lateness): a damaged or crafted
  // state with more would be walked a minute at a time on every save.
  if (common::FloorMinute(region.newest) - region.next_close >=
      std::chrono::minutes{detector.open_slots_}) {
    throw std::out_of_range("open minutes beyond the allowed lateness");
  }
  if (with_active) {
    const std::size_t active = in.Enter();
    for (std::size_t a = 0; a < active; ++a) {
      region.active.push_back(static_cast<std::uint32_t>(in.UInt()));
    }
    in.Leave();
  }
  region.slot_minute.resize(detector.open_slots_);
  region.cells.resize(detector.open_slots_);
  region.live.resize(detector.open_slots_);
  region.cell_of.resize(detector.open_slots_);
  region.totals.resize(detector.open_slots_);
  const std::size_t totals = in.Enter();
  for (std::size_t t = 0; t < totals; ++t) {
    in.Enter();
    const common::Minute minute = Time<common::Minute>(in);
    region.totals[detector.Slot(minute)] += static_cast<std::uint32_t>(in.UInt());
    in.Leave();
  }
  in.Leave();
  LoadHistory(in, region.history);
  region.silence_reported = Time<common::Seconds>(in);
  in.Leave();
}

// Appends a key of the region its row names: by index in a whole state, by its account and
// region strings in a record (`region_by_name`). A second row for the same key is refused.
template <class In>
void StateCodec::LoadKey(In& in, Detector& detector, bool region_by_name) {
  struct Cell {
    common::Minute minute;
    std::uint32_t count, muted;
    AttributionTally tally;
  };
  in.Enter();
  const auto key_index = static_cast<std::uint32_t>(detector.keys_.size());
  Detector::KeyState& key = detector.keys_.emplace_back();
  key.source = Symbol(in);
  key.name = Symbol(in);
  if (region_by_name) {
    const common::Symbol account = Symbol(in);
    const common::Symbol region_name = Symbol(in);
    auto found = detector.region_index_.find((std::uint64_t{account} << 32) | region_name);
    if (found == detector.region_index_.end()) throw std::out_of_range("key without its region");
    key.region_index = found->second;
  } else {
    key.region_index = static_cast<std::uint32_t>(in.UInt());
  }
  Detector::Region& region = detector.regions_.at(key.region_index);
  key.account = region.account;
  key.region = region.region;
  key.last_closed = Time<common::Minute>(in);
  LoadHistory(in, key.history);
  std::vector<Cell> cells;
  const std::size_t open = in.Enter();
  for (std::size_t c = 0; c < open; ++c) {
    in.Enter();
    Cell& cell = cells.emplace_back();
    cell.minute = Time<common::Minute>(in);
    cell.count = static_cast<std::uint32_t>(in.UInt());
    cell.tally = LoadTally(in);
    cell.muted = static_cast<std::uint32_t>(in.UInt());
    in.Leave();
  }
  in.Leave();
  const std::int64_t type = in.Int();
  if (type != static_cast<int>(common::InsightType::kApiCallRate) &&
      type != static_cast<int>(common::InsightType::kApiErrorRate)) {
    throw std::out_of_range("insight type");
  }
  key.type = static_cast<common::InsightType>(type);
  if (in.Present()) key.error_code = Symbol(in);
  in.Enter();
  key.recent.newest_ = Time<common::Minute>(in);
  key.recent.recent_total_ = static_cast<std::uint32_t>(in.UInt());
  if (in.Enter() != key.recent.counts_.size()) throw std::out_of_range("recent minutes");
  for (std::uint16_t& minute_count : key.recent.counts_) {
    minute_count = static_cast<std::uint16_t>(in.UInt());
  }
  in.Leave();
  in.Leave();
  key.rearmed = Time<common::Minute>(in);
  in.Leave();
  if (!detector.key_index_
           .emplace(Detector::KeyId{key.region_index, key.source, key.name, key.error_code},
                    key_index)
           .second) {
    detector.keys_.pop_back();
    throw std::out_of_range("key saved twice");
  }
  key.tuning = detector.TuningFor(key);
  for (Cell& saved : cells) {
    const std::size_t slot = detector.Slot(saved.minute);
    // A smaller lateness than the saver's: keep the older minute of a shared slot.
    if (region.live[slot] > 0 && region.slot_minute[slot] != saved.minute) continue;
    Detector::OpenCell& cell = detector.CellFor(key_index, saved.minute);
    cell.count = saved.count;
    cell.tally = std::move(saved.tally);
    cell.muted = std::min(cell.count, saved.muted);
    key.open_calls += cell.count - cell.muted;
  }
  region.keys.push_back(key_index);
  detector.ListIfDropPossible(key_index);
}

// The episode of key `key_index`, whose row follows.
template <class In>
void StateCodec::LoadEpisode(In& in, Detector& detector, std::uint32_t key_index) {
  if (key_index >= detector.keys_.size() || detector.episodes_.contains(key_index)) {
    throw std::out_of_range("episode key");
  }
  Detector::Episode& episode = detector.episodes_[key_index];
  episode.start = Time<common::Minute>(in);
  episode.last_unusual = Time<common::Minute>(in);
  episode.quiet_minutes = static_cast<int>(in.Int());
  episode.calls_through_last = in.UInt();
  episode.calls_pending = in.UInt();
  episode.baseline_average = in.Real();
  episode.baseline_duration = static_cast<int>(in.Int());
  const std::size_t attributes = in.Enter();
  for (std::size_t a = 0; a < attributes; ++a) {
    common::Attribution& attribution = episode.baseline_attributions.emplace_back();
    const std::size_t values = in.Enter();
    for (std::size_t v = 0; v < values; ++v) {
      in.Enter();
      std::string value = in.Text();
      attribution.baseline.push_back({std::move(value), in.Real()});
      in.Leave();
    }
    in.Leave();
  }
  in.Leave();
  episode.tally = LoadTally(in);
  episode.window = in.UInt();
  episode.suppressed = in.Bool();
  episode.drop = in.Bool();
  if (episode.window >= models::kWindowCount) throw std::out_of_range("episode window");
  detector.keys_[key_index].insight_open = true;
}

template <class In>
void StateCodec::LoadRegions(In& in, Detector& detector) {
  const std::size_t count = in.Enter();
  for (std::size_t i = 0; i < count; ++i) LoadRegion(in, detector, true);
  in.Leave();
}

template <class In>
void StateCodec::LoadKeys(In& in, Detector& detector) {
  const std::size_t count = in.Enter();
  for (std::size_t i = 0; i < count; ++i) LoadKey(in, detector, false);
  in.Leave();
}

template <class In>
void StateCodec::LoadEpisodes(In& in, Detector& detector) {
  const std::size_t count = in.Enter();
  for (std::size_t i = 0; i < count; ++i) {
    in.Enter();
    LoadEpisode(in, detector, static_cast<std::uint32_t>(in.UInt()));
    in.Leave();
  }
  in.Leave();
}

void StateCodec::Load(std::string_view bytes, Detector& detector) {
  if (bytes.starts_with(kMagic)) {
    BinaryIn in(bytes.substr(kMagic.size()));
    if (const std::uint64_t version = in.UInt(); version != kVersion &&
                                                 version != kVersionWithoutWeekend &&
                                                 version != kVersionWithoutQuarters) {
      throw std::invalid_argument("format version " + std::to_string(version) +
                                  ", this build reads versions 2 to " + std::to_string(kVersion));
    }
    LoadStrings(in);
    LoadRegions(in, detector);
    LoadKeys(in, detector);
    LoadEpisodes(in, detector);
    if (!in.AtEnd()) throw std::out_of_range("trailing bytes");
    CheckActiveKeys(detector);
    return;
  }
  LoadVersion2(Json::from_msgpack(bytes.begin(), bytes.end()), detector);
}

void StateCodec::LoadVersion2(const Json& state, Detector& detector) {
  if (!state.is_object() || state.value("format", "") != kFormatV2) {
    throw std::invalid_argument("not a trailsight detector state");
  }
  if (state.at("version") != 2) {
    throw std::invalid_argument("format version " + state.at("version").dump() +
                                ", this build reads versions 2 to " + std::to_string(kVersion));
  }
  JsonIn strings(state.at("strings"));
  for (std::size_t i = 0; i < state.at("strings").size(); ++i) {
    symbols_.push_back(interner_.Intern(strings.Text()));
  }
  // Each section is an array of rows: a cursor over a one-element array holding it.
  const auto section = [&](const char* name) { return Json::array({state.at(name)}); };
  const Json regions = section("regions"), keys = section("keys"), episodes = section("episodes");
  JsonIn regions_in(regions), keys_in(keys), episodes_in(episodes);
  LoadRegions(regions_in, detector);
  LoadKeys(keys_in, detector);
  LoadEpisodes(episodes_in, detector);
  CheckActiveKeys(detector);
}

// A region's active keys are its own keys with an open insight.
void StateCodec::CheckActiveKeys(const Detector& detector) {
  for (std::uint32_t index = 0; index < detector.regions_.size(); ++index) {
    for (std::uint32_t key : detector.regions_[index].active) {
      if (key >= detector.keys_.size() || detector.keys_[key].region_index != index ||
          !detector.episodes_.contains(key)) {
        throw std::out_of_range("active key");
      }
    }
  }
}

// For state_records.cc, which reads records in the binary encoding (versions 3 to 5) only.
template void StateCodec::LoadStrings(BinaryIn&);
template void StateCodec::LoadRegion(BinaryIn&, Detector&, bool);
template void StateCodec::LoadKey(BinaryIn&, Detector&, bool);
template void StateCodec::LoadEpisode(BinaryIn&, Detector&, std::uint32_t);

std::string Detector::SaveState() const {
  StateCodec codec(interner_);
  return codec.Save(*this);
}

common::Status Detector::LoadState(std::string_view bytes) {
  if (!regions_.empty() || counters_.events > 0) {
    return common::Error{common::ErrorCode::kInvalidArgument,
                         "detector state can only be loaded before the first event"};
  }
  try {
    StateCodec codec(interner_);
    codec.Load(bytes, *this);
  } catch (const std::exception& error) {
    ClearState();
    return common::Error{common::ErrorCode::kInvalidArgument,
                         std::string("detector state: ") + error.what()};
  }
  return common::Ok();
}

}  // namespace trailsight::detector
