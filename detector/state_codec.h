#pragma once

// Internal to detector/: the codec behind Detector::SaveState/LoadState (state_codec.cc, the
// whole state) and Detector::SaveChangedRecords/LoadRecords (state_records.cc, the state as
// changelog records, one per (account, region) and one per key). Both write the same rows
// in the same encoding (state_encoding.h); a record carries its own strings.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "detector/detector.h"
#include "detector/state_encoding.h"

namespace trailsight::detector {

// Friend of Detector, KeyHistory, RecentMinutes and AttributionTally: reads and writes their
// fields. One codec saves or loads one state, or any number of records one after another.
class StateCodec {
 public:
  using BinaryIn = state_encoding::BinaryIn;
  using BinaryOut = state_encoding::BinaryOut;
  using Json = state_encoding::Json;
  using JsonIn = state_encoding::JsonIn;

  explicit StateCodec(common::StringInterner& interner) : interner_(interner) {}

  // ---- the whole state (state_codec.cc)
  std::string Save(const Detector& detector);
  // Throws std::exception saying why on bytes it cannot read.
  void Load(std::string_view bytes, Detector& detector);

  // ---- records (state_records.cc)
  // The compaction key and value of region `region_index`'s record, or of key `key_index`'s.
  std::string RegionRecordKey(const Detector& detector, std::uint32_t region_index) const;
  std::string KeyRecordKey(const Detector& detector, std::uint32_t key_index) const;
  std::string SaveRegionRecord(const Detector& detector, std::uint32_t region_index);
  std::string SaveKeyRecord(const Detector& detector, std::uint32_t key_index);
  // Add one region, or one key of a region already loaded; throw saying why.
  void LoadRegionRecord(std::string_view value, Detector& detector);
  void LoadKeyRecord(std::string_view value, Detector& detector);

 private:
  // Saving: symbols become indexes into `strings_`.
  std::uint64_t Index(common::Symbol symbol);
  void ForgetStrings();                            // a new record: no string indexed yet
  std::string WithStrings(std::string_view head);  // head, the strings, then the rows
  void SaveTally(const AttributionTally& tally);
  void SaveHistory(const KeyHistory& history);
  void SaveRegion(const Detector& detector, const Detector::Region& region, bool with_active);
  void SaveKey(const Detector& detector, std::uint32_t key_index, bool with_region_index);
  void SaveEpisode(const Detector::Episode& episode);

  // Loading: indexes become symbols of this process's interner.
  template <class In>
  void LoadStrings(In& in);
  template <class In>
  common::Symbol Symbol(In& in) const;
  template <class In>
  AttributionTally LoadTally(In& in) const;
  void LoadHistory(BinaryIn& in, KeyHistory& history) const;
  void LoadHistory(JsonIn& in, KeyHistory& history) const;  // version 2
  template <class In>
  void LoadRegion(In& in, Detector& detector, bool with_active);
  template <class In>
  void LoadKey(In& in, Detector& detector, bool region_by_name);
  template <class In>
  void LoadEpisode(In& in, Detector& detector, std::uint32_t key_index);
  template <class In>
  void LoadRegions(In& in, Detector& detector);
  template <class In>
  void LoadKeys(In& in, Detector& detector);
  template <class In>
  void LoadEpisodes(In& in, Detector& detector);
  void LoadVersion2(const Json& state, Detector& detector);
  static void CheckActiveKeys(const Detector& detector);

  // A point in time, from the epoch on (a damaged one could make slot arithmetic negative).
  template <class TimePoint, class In>
  static TimePoint Time(In& in) {
    const std::int64_t count = in.Int();
    if (count < 0 || count > kLatestTime) throw std::out_of_range("time");
    return TimePoint{typename TimePoint::duration{count}};
  }
  template <class Visit>
  static void ForEachOpenMinute(const Detector::Region& region, Visit visit) {
    for (common::Minute minute = region.next_close; minute <= common::FloorMinute(region.newest);
         minute += std::chrono::minutes{1}) {
      visit(minute);
    }
  }

  static constexpr std::uint32_t kUnindexed = UINT32_MAX;
  static constexpr std::int64_t kLatestTime = std::int64_t{1} << 40;  // in any unit
  common::StringInterner& interner_;
  BinaryOut out_;                        // the rows, written before the strings they name
  std::vector<std::uint32_t> index_of_;  // per symbol: its index in strings_, or kUnindexed
  std::vector<common::Symbol> strings_;
  std::vector<common::Symbol> symbols_;
};

}  // namespace trailsight::detector
