#include "bench/key_traffic.h"

#include <fmt/format.h>

#include <string_view>

namespace trailsight::bench {
namespace {

constexpr std::size_t kAccounts = 50;
constexpr std::size_t kRegionsPerAccount = 2;
constexpr std::size_t kSources = 20;
constexpr std::size_t kPrincipals = 900;  // each key uses three of them
constexpr std::size_t kUserAgents = 20;   // each key uses two of them

std::vector<common::Symbol> InternPool(common::StringInterner& interner, std::size_t count,
                                       std::string_view pattern) {
  std::vector<common::Symbol> pool;
  for (std::size_t i = 0; i < count; ++i) {
    pool.push_back(interner.Intern(fmt::format(fmt::runtime(pattern), i)));
  }
  return pool;
}

}  // namespace

KeyTraffic::KeyTraffic(common::StringInterner& interner, std::size_t keys)
    : accounts_(InternPool(interner, kAccounts, "1234567{:05d}")),
      regions_({interner.Intern("us-east-1"), interner.Intern("eu-west-1")}),
      sources_(InternPool(interner, kSources, "service{:02d}.amazonaws.com")),
      principals_(
          InternPool(interner, kPrincipals, "arn:aws:iam::123456789012:role/Automation{:04d}")),
      user_agents_(
          InternPool(interner, kUserAgents, "aws-sdk-go-v2/1.{}.0 os/linux lang/go#1.22")) {
  names_.reserve(keys);
  for (std::size_t key = 0; key < keys; ++key) {
    names_.push_back(interner.Intern(fmt::format("CreateResource{:07d}", key)));
  }
}

common::Seconds KeyTraffic::Start() {
  using namespace std::chrono;
  return common::Seconds{sys_days{year{2024} / 3 / 4}};
}

void KeyTraffic::Call(detector::Detector& detector, std::size_t key, common::Seconds time,
                      std::size_t round) const {
  const std::size_t region = key % (kAccounts * kRegionsPerAccount);
  common::Event event;
  event.time = time;
  event.account = accounts_[region / kRegionsPerAccount];
  event.region = regions_[region % kRegionsPerAccount];
  event.source = sources_[(key / 100) % kSources];
  event.name = names_[key];
  event.principal = principals_[(key * 3 + round % 3) % kPrincipals];
  event.user_agent = user_agents_[(key * 2 + round % 2) % kUserAgents];
  detector.OnEvent(event);
}

void KeyTraffic::CallEveryKey(detector::Detector& detector, common::Seconds step,
                              std::size_t round) const {
  for (std::size_t key = 0; key < names_.size(); ++key) {
    Call(detector, key, step + std::chrono::seconds{key % 60}, round);
  }
}

}  // namespace trailsight::bench
