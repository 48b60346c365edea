#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/random.h"
#include "sim/traffic.h"
#include "sim/world.h"

namespace trailsight::sim {

// Returns one of `items`, uniformly.
template <typename T>
const T& PickFrom(Rng& rng, const std::vector<T>& items) {
  return items[rng.Below(items.size())];
}

// Everything one record is rendered from, with the values its placeholders took so far:
// a template naming $instance twice names the same instance. Lives for one record; the
// World and the Call it was made from outlive it. Placeholder names must be string
// literals or views into the API catalog (they are kept as keys).
class RecordContext {
 public:
  RecordContext(const World& world, const Call& call)
      : world_(world),
        call_(call),
        stream_(world.streams()[call.stream]),
        account_(world.accounts()[stream_.account]),
        principal_(account_.principals[call.principal]),
        api_(world.apis()[call.api]),
        rng_(call.salt) {}

  const Account& account() const { return account_; }
  const Principal& principal() const { return principal_; }
  const ApiSpec& api() const { return api_; }
  const std::string& region() const { return world_.region_name(stream_.region); }
  Rng& rng() { return rng_; }

  // Appends `text` with every $placeholder replaced; unknown ones stay as written.
  void Render(std::string_view text, std::string& out);

  // Returns the value of placeholder `name`, drawing it on first use.
  std::string_view Value(std::string_view name, std::string_view literal) {
    for (const auto& [key, value] : values_) {
      if (key == name) return value;
    }
    values_.emplace_back(name, Draw(name, literal));
    return values_.back().second;
  }

 private:
  // Returns a fresh value for placeholder `name` (`literal` when the name is unknown).
  std::string Draw(std::string_view name, std::string_view literal);

  const World& world_;
  const Call& call_;
  const Stream& stream_;
  const Account& account_;
  const Principal& principal_;
  const ApiSpec& api_;
  Rng rng_;
  std::vector<std::pair<std::string_view, std::string>> values_;
};

}  // namespace trailsight::sim
