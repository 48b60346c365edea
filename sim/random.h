#pragma once

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace trailsight::sim {

// Mixes 64 bits into 64 well-scrambled bits (the splitmix64 finaliser).
constexpr std::uint64_t Mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Seed-path tags, one list for every file that derives seeds, so that no two kinds of
// derived seed collide.
enum SeedTag : std::uint64_t {
  kAccountIdTag = 100,  // world.cc
  kPoolTag,
  kPrincipalTag,
  kGrowthTag,
  kBackgroundTag = 200,  // traffic.cc
  kJobTag,
  kIncidentTag,
  kDeployTag,
  kJobDayTag,
};

// Derives an independent seed from a base seed and a path of small integers, so that a
// stream seeded with (seed, account, region, hour) does not depend on any other stream.
inline std::uint64_t DeriveSeed(std::uint64_t seed, std::initializer_list<std::uint64_t> path) {
  std::uint64_t state = Mix64(seed);
  for (std::uint64_t part : path) state = Mix64(state ^ Mix64(part + 0x632be59bd9b4e019ULL));
  return state;
}

// A small deterministic random source (splitmix64) with its own uniform, Poisson and
// normal draws, so the same seed gives the same numbers with every standard library.
// Not thread-safe; cheap to copy; one instance per stream or per record.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}

  std::uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Returns a double uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  // Returns an integer uniform in [0, n); n must be positive.
  std::uint64_t Below(std::uint64_t n) { return Next() % n; }

  // Returns an integer uniform in [low, high].
  int Between(int low, int high) {
    return low + static_cast<int>(Below(static_cast<std::uint64_t>(high - low + 1)));
  }

  bool Chance(double p) { return Uniform() < p; }

  // Returns a standard normal draw (Box-Muller).
  double Normal() {
    const double u1 = 1.0 - Uniform();  // (0, 1]
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

  // Returns a Poisson draw with the given mean: exact inversion below 30, a rounded
  // normal approximation above (where the two are indistinguishable for our purposes).
  std::uint32_t Poisson(double mean) {
    if (mean <= 0.0) return 0;
    if (mean >= 30.0) {
      const double x = std::round(mean + std::sqrt(mean) * Normal());
      return x <= 0.0 ? 0U : static_cast<std::uint32_t>(x);
    }
    const double u = Uniform();
    double p = std::exp(-mean);
    double cumulative = p;
    std::uint32_t k = 0;
    while (u > cumulative && k < 200) {
      ++k;
      p *= mean / k;
      cumulative += p;
    }
    return k;
  }

  // Appends `count` lowercase hex digits.
  void AppendHex(std::string& out, int count) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::uint64_t bits = 0;
    for (int i = 0; i < count; ++i) {
      if (i % 16 == 0) bits = Next();
      out.push_back(kHex[bits & 15U]);
      bits >>= 4;
    }
  }

  // Returns a random version-4 UUID ("8-4-4-4-12" lowercase hex).
  std::string Uuid() {
    std::string out;
    out.reserve(36);
    AppendHex(out, 8);
    out.push_back('-');
    AppendHex(out, 4);
    out += "-4";
    AppendHex(out, 3);
    out.push_back('-');
    out.push_back("89ab"[Below(4)]);
    AppendHex(out, 3);
    out.push_back('-');
    AppendHex(out, 12);
    return out;
  }

  // Returns `count` characters drawn from `alphabet` (e.g. upper-case letters and digits).
  std::string Chars(std::string_view alphabet, int count) {
    std::string out;
    out.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) out.push_back(alphabet[Below(alphabet.size())]);
    return out;
  }

 private:
  std::uint64_t state_;
};

inline constexpr std::string_view kUpperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
inline constexpr std::string_view kAlphanumeric =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

}  // namespace trailsight::sim
