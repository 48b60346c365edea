#pragma once

// Helpers of the simulator's tests: every call of a scenario, and catalog actors by id.

#include <algorithm>
#include <chrono>
#include <string_view>
#include <vector>

#include "sim/traffic.h"
#include "sim/world.h"

namespace trailsight::sim {

// Every call of the scenario, in no particular order.
inline std::vector<Call> Simulate(const World& world) {
  const TrafficModel model(world);
  std::vector<Call> calls;
  const common::Hour first{world.options().start};
  const common::Hour end = first + std::chrono::days{world.options().days};
  for (common::Hour hour = first; hour < end; hour += std::chrono::hours{1}) {
    for (std::size_t s = 0; s < world.streams().size(); ++s) model.GenerateHour(s, hour, calls);
  }
  return calls;
}

// The principal index of ActorCatalog() actor `id` in every account (catalog order).
inline std::size_t ActorIndex(std::string_view id) {
  const auto actors = ActorCatalog();
  const auto it = std::find_if(actors.begin(), actors.end(),
                               [&](const ActorSpec& actor) { return actor.id == id; });
  return static_cast<std::size_t>(it - actors.begin());
}

}  // namespace trailsight::sim
