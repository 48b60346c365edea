#pragma once

#include <cstdint>
#include <vector>

#include "common/time.h"
#include "sim/world.h"

namespace trailsight::sim {

// One simulated API call before rendering: what happened, when, and when it is delivered.
// Every random detail of its record (ids, parameters, session) derives from `salt`.
struct Call {
  common::Seconds event_time;
  common::Seconds delivery_time;  // event_time + 0..150 s
  std::uint32_t stream = 0;       // index into World::streams()
  std::uint16_t api = 0;          // index into World::apis()
  std::uint16_t principal = 0;    // index into the stream's Account::principals
  CallError error = CallError::kNone;
  std::uint64_t salt = 0;
};

// Orders calls as they are delivered: by delivery time, then stream, then a stable salt.
bool DeliveredBefore(const Call& a, const Call& b);

// The traffic model: background Poisson calls of every actor, shaped by time of day and
// day of week (local to the account); scheduled jobs; and incidents. See sim/README.md.
// Stateless and deterministic: GenerateHour(s, h) always appends the same calls, whatever
// was generated before. Reads the World it was given, which must outlive it.
class TrafficModel {
 public:
  explicit TrafficModel(const World& world) : world_(world) {}

  // Appends every call of `stream` whose event time falls in [hour, hour + 1 h), unordered.
  void GenerateHour(std::size_t stream, common::Hour hour, std::vector<Call>& out) const;

  // Returns the expected background calls per minute of principal `actor` in `stream` at
  // `minute` (all of its APIs together, before volume scaling is undone: volume included).
  double ActorRate(std::size_t stream, std::size_t actor, common::Minute minute) const;

  // Returns the expected background calls per minute of API `api` in `stream` at `minute`,
  // over every actor that calls it (scheduled jobs and incidents excluded).
  double ApiRate(std::size_t stream, std::size_t api, common::Minute minute) const;

 private:
  void Background(std::size_t stream, common::Hour hour, std::vector<Call>& out) const;
  void Jobs(std::size_t stream, common::Hour hour, std::vector<Call>& out) const;
  void Incidents(std::size_t stream, common::Hour hour, std::vector<Call>& out) const;

  const World& world_;  // outlives the model; see Generate()
};

// Returns when account `account` (0-based) runs its deployment job beyond the usual time on
// `day` (UTC): nothing on weekends and on most days; on a share `deploy_day_share` of
// weekdays, one or two starts at other working hours. Deterministic in (seed, account, day).
std::vector<common::Minute> ExtraDeployStarts(const GeneratorOptions& options, int account,
                                              common::Day day);

// Returns the shape factor (0..1] of `shape` at local time `local` (minutes since the epoch
// shifted to local time): the daily curve times the weekend factor.
double ShapeFactor(Shape shape, common::Minute local);

}  // namespace trailsight::sim
