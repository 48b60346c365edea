// Detector::SaveChangedRecords, LoadRecords and LoadRecordsInOrder: the detection state as
// changelog records, one per (account, region) and one per key, in the whole state's row encoding
// (state_codec.cc).
//
// Compaction key: a kind byte ('r' region, 'k' key) then texts (state_encoding.h): account
// and region; for a key also its eventSource, eventName and, for error-rate keys, errorCode
// (after a presence byte). Distinct keys of the detector have distinct compaction keys.
// Value: a head (the kind byte and the record version, 1), the strings the record names, then
// - a region: its row without the active keys (rebuilt from its keys' episodes);
// - a key: its row, naming its region by account and region strings, then whether an
//   insight is open and, if so, the episode's row.
// A region's record is written whenever its watermark, totals or history change, which
// every change of one of its keys implies, so a checkpoint's records are consistent.
#include <algorithm>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "detector/state_codec.h"

namespace trailsight::detector {
namespace {

// A value's head: its kind and the record version.
constexpr std::string_view kRegionHead{"r\x01", 2};
constexpr std::string_view kKeyHead{"k\x01", 2};
constexpr char kRegionKind = 'r';
constexpr char kKeyKind = 'k';

}  // namespace

std::optional<std::pair<std::string, std::string>> StateRecordPair(std::string_view key) {
  if (key.empty() || (key[0] != kRegionKind && key[0] != kKeyKind)) return std::nullopt;
  try {
    state_encoding::BinaryIn in(key.substr(1));
    std::string account = in.Text();
    std::string region = in.Text();
    return std::pair{std::move(account), std::move(region)};
  } catch (const std::out_of_range&) {
    return std::nullopt;
  }
}

std::string StateCodec::RegionRecordKey(const Detector& detector,
                                        std::uint32_t region_index) const {
  const Detector::Region& region = detector.regions_[region_index];
  BinaryOut key;
  key.bytes().push_back(kRegionKind);
  key.Text(interner_.Resolve(region.account));
  key.Text(interner_.Resolve(region.region));
  return std::move(key.bytes());
}

std::string StateCodec::KeyRecordKey(const Detector& detector, std::uint32_t key_index) const {
  const Detector::KeyState& state = detector.keys_[key_index];
  BinaryOut key;
  key.bytes().push_back(kKeyKind);
  key.Text(interner_.Resolve(state.account));
  key.Text(interner_.Resolve(state.region));
  key.Text(interner_.Resolve(state.source));
  key.Text(interner_.Resolve(state.name));
  key.Bool(state.error_code != common::kNoSymbol);
  if (state.error_code != common::kNoSymbol) key.Text(interner_.Resolve(state.error_code));
  return std::move(key.bytes());
}

std::string StateCodec::SaveRegionRecord(const Detector& detector, std::uint32_t region_index) {
  ForgetStrings();
  SaveRegion(detector, detector.regions_[region_index], /*with_active=*/false);
  return WithStrings(kRegionHead);
}

std::string StateCodec::SaveKeyRecord(const Detector& detector, std::uint32_t key_index) {
  ForgetStrings();
  SaveKey(detector, key_index, /*with_region_index=*/false);
  auto episode = detector.episodes_.find(key_index);
  out_.Bool(episode != detector.episodes_.end());
  if (episode != detector.episodes_.end()) {
    out_.Array(12);
    SaveEpisode(episode->second);
  }
  return WithStrings(kKeyHead);
}

void StateCodec::LoadRegionRecord(std::string_view value, Detector& detector) {
  if (!value.starts_with(kRegionHead)) throw std::invalid_argument("not a region record");
  BinaryIn in(value.substr(kRegionHead.size()));
  LoadStrings(in);
  LoadRegion(in, detector, /*with_active=*/false);
  if (!in.AtEnd()) throw std::out_of_range("trailing bytes");
}

void StateCodec::LoadKeyRecord(std::string_view value, Detector& detector) {
  if (!value.starts_with(kKeyHead)) throw std::invalid_argument("not a key record");
  BinaryIn in(value.substr(kKeyHead.size()));
  LoadStrings(in);
  LoadKey(in, detector, /*region_by_name=*/true);
  const auto key_index = static_cast<std::uint32_t>(detector.keys_.size() - 1);
  if (in.Present()) {
    in.Enter();
    LoadEpisode(in, detector, key_index);
    in.Leave();
    detector.regions_[detector.keys_[key_index].region_index].active.push_back(key_index);
  }
  if (!in.AtEnd()) throw std::out_of_range("trailing bytes");
}

void Detector::SaveChangedRecords(StateRecordReceiver& receiver) {
  StateCodec codec(interner_);
  // In index order: the same changes give the same records in the same order.
  std::sort(changed_regions_.begin(), changed_regions_.end());
  std::sort(changed_keys_.begin(), changed_keys_.end());
  for (std::uint32_t region_index : changed_regions_) {
    receiver.OnRecord(codec.RegionRecordKey(*this, region_index),
                      codec.SaveRegionRecord(*this, region_index));
    regions_[region_index].changed = false;
  }
  for (std::uint32_t key_index : changed_keys_) {
    receiver.OnRecord(codec.KeyRecordKey(*this, key_index), codec.SaveKeyRecord(*this, key_index));
    keys_[key_index].changed = false;
  }
  changed_regions_.clear();
  changed_keys_.clear();
  timeline_.reset();
  held_.clear();
}

void Detector::MarkAllChanged() {
  for (std::uint32_t index = 0; index < regions_.size(); ++index) MarkRegionChanged(index);
  for (std::uint32_t index = 0; index < keys_.size(); ++index) MarkKeyChanged(index);
}

namespace {

// Loads one record with `codec` into `detector`; throws std::invalid_argument saying why not.
void LoadRecord(StateCodec& codec, const StateRecord& record, Detector& detector,
                const std::function<std::string()>& region_key,
                const std::function<std::string()>& key_key) {
  if (record.key.empty() || (record.key[0] != kRegionKind && record.key[0] != kKeyKind)) {
    throw std::invalid_argument("unknown record kind");
  }
  if (record.key[0] == kRegionKind) {
    codec.LoadRegionRecord(record.value, detector);
    if (region_key() != record.key) {
      throw std::invalid_argument("compaction key does not match the region");
    }
  } else {
    codec.LoadKeyRecord(record.value, detector);
    if (key_key() != record.key)
      throw std::invalid_argument("compaction key does not match the key");
  }
}

}  // namespace

bool IsRegionRecordKey(std::string_view key) { return !key.empty() && key[0] == kRegionKind; }

common::Status Detector::LoadRecords(std::span<const StateRecord> records) {
  if (!regions_.empty() || counters_.events > 0) {
    return common::Error{common::ErrorCode::kInvalidArgument,
                         "detector records can only be loaded before the first event"};
  }
  // Regions first: a key's record names its region.
  std::vector<StateRecord> ordered;
  ordered.reserve(records.size());
  for (bool regions : {true, false}) {
    for (const StateRecord& record : records) {
      if (IsRegionRecordKey(record.key) == regions) ordered.push_back(record);
    }
  }
  return LoadRecordsInOrder(ordered);
}

common::Status Detector::LoadRecordsInOrder(std::span<const StateRecord> records) {
  if (counters_.events > 0) {
    return common::Error{common::ErrorCode::kInvalidArgument,
                         "detector records can only be loaded before the first event"};
  }
  std::size_t at = 0;  // the record being loaded, for the error
  try {
    StateCodec codec(interner_);
    const auto region_key = [&] {
      return codec.RegionRecordKey(*this, static_cast<std::uint32_t>(regions_.size() - 1));
    };
    const auto key_key = [&] {
      return codec.KeyRecordKey(*this, static_cast<std::uint32_t>(keys_.size() - 1));
    };
    for (at = 0; at < records.size(); ++at) {
      LoadRecord(codec, records[at], *this, region_key, key_key);
    }
  } catch (const std::exception& error) {
    ClearState();
    return common::Error{common::ErrorCode::kInvalidArgument,
                         "detector record " + std::to_string(at + 1) + " of " +
                             std::to_string(records.size()) + ": " + error.what()};
  }
  return common::Ok();
}

void Detector::ClearState() {
  regions_.clear();
  region_index_.clear();
  keys_.clear();
  key_index_.clear();
  episodes_.clear();
  changed_regions_.clear();
  changed_keys_.clear();
  timeline_.reset();
  held_.clear();
}

}  // namespace trailsight::detector
