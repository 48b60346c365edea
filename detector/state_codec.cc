// Detector::SaveState and Detector::LoadState: the detection state as MessagePack.
//
// Layout (version 2): a map with "format", "version", "strings" (every interned string
// the state refers to; symbols are stored as indexes into it, since symbols are local to
// a process) and arrays "regions", "keys" and "episodes" whose rows are positional arrays,
// in the order written by the Save* functions below. A new field means a new version.
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "detector/detector.h"

namespace trailsight::detector {

using Json = nlohmann::json;

namespace {

constexpr std::string_view kFormat = "trailsight.detector-state";
constexpr int kVersion = 2;

std::int64_t Count(common::Seconds time) { return time.time_since_epoch().count(); }
std::int64_t Count(common::Minute time) { return time.time_since_epoch().count(); }
std::int64_t Count(common::Hour time) { return time.time_since_epoch().count(); }
std::int64_t Count(common::Day time) { return time.time_since_epoch().count(); }

}  // namespace

// Friend of Detector, KeyHistory and AttributionTally: reads and writes their fields
// (KeyHistory's through its private snapshot functions).
class StateCodec {
 public:
  explicit StateCodec(common::StringInterner& interner) : interner_(interner) {}

  // ---- saving: symbols become indexes into `strings_`
  std::size_t Index(common::Symbol symbol) {
    auto [it, inserted] = index_.try_emplace(symbol, strings_.size());
    if (inserted) strings_.emplace_back(interner_.Resolve(symbol));
    return it->second;
  }

  Json SaveTally(const AttributionTally& tally) {
    Json flat = Json::array();
    for (const TallyEntry& entry : tally.entries_) {
      flat.push_back(static_cast<int>(entry.attribute));
      flat.push_back(Index(entry.value));
      flat.push_back(entry.count);
    }
    return flat;
  }

  Json SaveHistory(const KeyHistory& history) {
    Json hour_rows = Json::array();
    for (std::size_t slot = 0; slot < KeyHistory::kHours; ++slot) {
      const models::HourSummary hour = history.SlotSummary(slot);
      hour_rows.push_back(hour.calls);
      hour_rows.push_back(hour.peak_minute);
    }
    Json day_rows = Json::array();
    history.ForEachDay([&](common::Day day, const AttributionTally& tally) {
      day_rows.push_back(Json::array({Count(day), SaveTally(tally)}));
    });
    return Json::array(
        {Count(history.newest_hour_), history.empty_, std::move(hour_rows), std::move(day_rows)});
  }

  Json Save(const Detector& detector) {
    Json regions = Json::array();
    for (const Detector::Region& region : detector.regions_) {
      // The totals of open minutes, as (minute, events) pairs: slots depend on the lateness.
      Json totals = Json::array();
      for (common::Minute minute = region.next_close; minute <= common::FloorMinute(region.newest);
           minute += std::chrono::minutes{1}) {
        const std::uint32_t total = region.totals[detector.Slot(minute)];
        if (total > 0) totals.push_back(Json::array({Count(minute), total}));
      }
      regions.push_back(Json::array({Index(region.account), Index(region.region),
                                     Count(region.newest), Count(region.first_minute),
                                     Count(region.next_close), region.active, std::move(totals),
                                     SaveHistory(region.history), Count(region.silence_reported)}));
    }
    Json keys = Json::array();
    for (std::uint32_t key_index = 0; key_index < detector.keys_.size(); ++key_index) {
      const Detector::KeyState& key = detector.keys_[key_index];
      Json open = Json::array();
      const Detector::Region& region = detector.regions_[key.region_index];
      for (common::Minute minute = region.next_close; minute <= common::FloorMinute(region.newest);
           minute += std::chrono::minutes{1}) {
        if (const Detector::OpenCell* cell = detector.FindCell(key_index, minute)) {
          open.push_back(
              Json::array({Count(minute), cell->count, SaveTally(cell->tally), cell->muted}));
        }
      }
      Json recent = Json::array(
          {Count(key.recent.newest_), key.recent.recent_total_, Json(key.recent.counts_)});
      keys.push_back(Json::array(
          {Index(key.source), Index(key.name), key.region_index, Count(key.last_closed),
           SaveHistory(key.history), std::move(open), static_cast<int>(key.type),
           key.error_code == common::kNoSymbol ? Json(nullptr) : Json(Index(key.error_code)),
           std::move(recent), Count(key.rearmed)}));
    }
    Json episodes = Json::array();
    for (std::uint32_t key_index = 0; key_index < detector.keys_.size(); ++key_index) {
      auto it = detector.episodes_.find(key_index);  // in key order: deterministic bytes
      if (it == detector.episodes_.end()) continue;
      const Detector::Episode& episode = it->second;
      Json baseline = Json::array();
      for (const common::Attribution& attribution : episode.baseline_attributions) {
        Json values = Json::array();
        for (const common::AttributionValue& value : attribution.baseline) {
          values.push_back(Json::array({value.value, value.average}));
        }
        baseline.push_back(std::move(values));
      }
      episodes.push_back(Json::array(
          {key_index, Count(episode.start), Count(episode.last_unusual), episode.quiet_minutes,
           episode.calls_through_last, episode.calls_pending, episode.baseline_average,
           episode.baseline_duration, std::move(baseline), SaveTally(episode.tally), episode.window,
           episode.suppressed, episode.drop}));
    }
    Json state = Json::object();
    state["format"] = kFormat;
    state["version"] = kVersion;
    state["regions"] = std::move(regions);
    state["keys"] = std::move(keys);
    state["episodes"] = std::move(episodes);
    state["strings"] = strings_;
    return state;
  }

  // ---- loading: indexes become symbols of this process's interner
  common::Symbol Symbol(const Json& index) const { return symbols_.at(index.get<std::size_t>()); }

  AttributionTally LoadTally(const Json& flat) const {
    AttributionTally tally;
    for (std::size_t i = 0; i + 2 < flat.size(); i += 3) {
      const int attribute = flat[i].get<int>();
      if (attribute < 0 || attribute >= kAttributeCount) throw std::out_of_range("attribute");
      tally.entries_.push_back({static_cast<Attribute>(attribute), Symbol(flat[i + 1]),
                                flat[i + 2].get<std::uint32_t>()});
    }
    return tally;
  }

  void LoadHistory(const Json& row, KeyHistory& history) const {
    history.newest_hour_ = common::Hour{std::chrono::hours{row.at(0).get<std::int64_t>()}};
    history.empty_ = row.at(1).get<bool>();
    const Json& hour_rows = row.at(2);
    if (hour_rows.size() != 2 * KeyHistory::kHours) throw std::out_of_range("hours");
    for (std::size_t slot = 0; slot < KeyHistory::kHours; ++slot) {
      history.SetSlotSummary(slot, {hour_rows[2 * slot].get<std::uint32_t>(),
                                    hour_rows[2 * slot + 1].get<std::uint32_t>()});
    }
    for (const Json& day : row.at(3)) {
      history.RestoreDay(common::Day{std::chrono::days{day.at(0).get<std::int64_t>()}},
                         LoadTally(day.at(1)));
    }
  }

  void Load(const Json& state, Detector& detector) {
    if (!state.is_object() || state.value("format", "") != kFormat) {
      throw std::invalid_argument("not a trailsight detector state");
    }
    if (state.at("version").get<int>() != kVersion) {
      throw std::invalid_argument("format version " + state.at("version").dump() +
                                  ", this build reads version " + std::to_string(kVersion));
    }
    for (const Json& text : state.at("strings")) {
      symbols_.push_back(interner_.Intern(text.get<std::string>()));
    }
    for (const Json& row : state.at("regions")) {
      Detector::Region& region = detector.regions_.emplace_back();
      region.account = Symbol(row.at(0));
      region.region = Symbol(row.at(1));
      region.newest = common::Seconds{std::chrono::seconds{row.at(2).get<std::int64_t>()}};
      region.first_minute = common::Minute{std::chrono::minutes{row.at(3).get<std::int64_t>()}};
      region.next_close = common::Minute{std::chrono::minutes{row.at(4).get<std::int64_t>()}};
      region.active = row.at(5).get<std::vector<std::uint32_t>>();
      region.slot_minute.resize(detector.open_slots_);
      region.cells.resize(detector.open_slots_);
      region.live.resize(detector.open_slots_);
      region.cell_of.resize(detector.open_slots_);
      region.totals.resize(detector.open_slots_);
      for (const Json& total : row.at(6)) {
        const common::Minute minute{std::chrono::minutes{total.at(0).get<std::int64_t>()}};
        region.totals[detector.Slot(minute)] += total.at(1).get<std::uint32_t>();
      }
      LoadHistory(row.at(7), region.history);
      region.silence_reported =
          common::Seconds{std::chrono::seconds{row.at(8).get<std::int64_t>()}};
      const std::uint64_t id = (std::uint64_t{region.account} << 32) | region.region;
      detector.region_index_.emplace(id, static_cast<std::uint32_t>(detector.regions_.size() - 1));
    }
    for (const Json& row : state.at("keys")) {
      const auto key_index = static_cast<std::uint32_t>(detector.keys_.size());
      Detector::KeyState& key = detector.keys_.emplace_back();
      key.source = Symbol(row.at(0));
      key.name = Symbol(row.at(1));
      key.region_index = row.at(2).get<std::uint32_t>();
      Detector::Region& region = detector.regions_.at(key.region_index);
      key.account = region.account;
      key.region = region.region;
      key.last_closed = common::Minute{std::chrono::minutes{row.at(3).get<std::int64_t>()}};
      LoadHistory(row.at(4), key.history);
      key.tuning = detector.TuningFor(key);
      const int type = row.at(6).get<int>();
      if (type != static_cast<int>(common::InsightType::kApiCallRate) &&
          type != static_cast<int>(common::InsightType::kApiErrorRate)) {
        throw std::out_of_range("insight type");
      }
      key.type = static_cast<common::InsightType>(type);
      if (!row.at(7).is_null()) key.error_code = Symbol(row.at(7));
      const Json& recent = row.at(8);
      key.recent.newest_ = common::Minute{std::chrono::minutes{recent.at(0).get<std::int64_t>()}};
      key.recent.recent_total_ = recent.at(1).get<std::uint32_t>();
      key.recent.counts_ = recent.at(2).get<decltype(key.recent.counts_)>();
      key.rearmed = common::Minute{std::chrono::minutes{row.at(9).get<std::int64_t>()}};
      for (const Json& cell_row : row.at(5)) {
        const common::Minute minute{std::chrono::minutes{cell_row.at(0).get<std::int64_t>()}};
        const std::size_t slot = detector.Slot(minute);
        // A smaller lateness than the saver's: keep the older minute of a shared slot.
        if (region.live[slot] > 0 && region.slot_minute[slot] != minute) continue;
        Detector::OpenCell& cell = detector.CellFor(key_index, minute);
        cell.count = cell_row.at(1).get<std::uint32_t>();
        cell.tally = LoadTally(cell_row.at(2));
        cell.muted = std::min(cell.count, cell_row.at(3).get<std::uint32_t>());
        key.open_calls += cell.count - cell.muted;
      }
      detector.key_index_.emplace(
          Detector::KeyId{key.region_index, key.source, key.name, key.error_code}, key_index);
      region.keys.push_back(key_index);
    }
    for (const Json& row : state.at("episodes")) {
      const auto key_index = row.at(0).get<std::uint32_t>();
      if (key_index >= detector.keys_.size()) throw std::out_of_range("episode key");
      Detector::Episode& episode = detector.episodes_[key_index];
      episode.start = common::Minute{std::chrono::minutes{row.at(1).get<std::int64_t>()}};
      episode.last_unusual = common::Minute{std::chrono::minutes{row.at(2).get<std::int64_t>()}};
      episode.quiet_minutes = row.at(3).get<int>();
      episode.calls_through_last = row.at(4).get<std::uint64_t>();
      episode.calls_pending = row.at(5).get<std::uint64_t>();
      episode.baseline_average = row.at(6).get<double>();
      episode.baseline_duration = row.at(7).get<int>();
      for (const Json& values : row.at(8)) {
        common::Attribution& attribution = episode.baseline_attributions.emplace_back();
        for (const Json& value : values) {
          attribution.baseline.push_back(
              {value.at(0).get<std::string>(), value.at(1).get<double>()});
        }
      }
      episode.tally = LoadTally(row.at(9));
      episode.window = row.at(10).get<std::size_t>();
      episode.suppressed = row.at(11).get<bool>();
      episode.drop = row.at(12).get<bool>();
      if (episode.window >= models::kWindowCount) throw std::out_of_range("episode window");
      detector.keys_[key_index].insight_open = true;
    }
  }

 private:
  common::StringInterner& interner_;
  std::unordered_map<common::Symbol, std::size_t> index_;
  std::vector<std::string> strings_;
  std::vector<common::Symbol> symbols_;
};

std::string Detector::SaveState() const {
  StateCodec codec(interner_);
  const std::vector<std::uint8_t> bytes = Json::to_msgpack(codec.Save(*this));
  return std::string(bytes.begin(), bytes.end());
}

common::Status Detector::LoadState(std::string_view bytes) {
  if (!regions_.empty() || counters_.events > 0) {
    return common::Error{common::ErrorCode::kInvalidArgument,
                         "detector state can only be loaded before the first event"};
  }
  try {
    const Json state = Json::from_msgpack(bytes.begin(), bytes.end());
    StateCodec codec(interner_);
    codec.Load(state, *this);
  } catch (const std::exception& error) {
    regions_.clear();
    region_index_.clear();
    keys_.clear();
    key_index_.clear();
    episodes_.clear();
    return common::Error{common::ErrorCode::kInvalidArgument,
                         std::string("detector state: ") + error.what()};
  }
  return common::Ok();
}

}  // namespace trailsight::detector
