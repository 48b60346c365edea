#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace trailsight::common {

// A small integer standing for an interned string. kNoSymbol stands for "absent"
// (a record without an errorCode, say) and resolves to the empty string.
using Symbol = std::uint32_t;
inline constexpr Symbol kNoSymbol = 0;

// How many strings an interner may hold, so that hostile input (millions of fake
// eventNames) cannot grow it without bound. Filled from `input.max_interned_strings` and
// `input.max_interned_bytes`.
struct InternerLimits {
  std::size_t max_strings = std::numeric_limits<std::size_t>::max();
  std::size_t max_bytes = std::numeric_limits<std::size_t>::max();  // of text, summed
};

// Interns strings so that events carry 4-byte symbols instead of owned strings: the
// ingest path looks a string up without allocating and allocates only for a string it has
// never seen. Symbols are dense, start at 1 and stay valid for the interner's lifetime.
//
// Bound and eviction rule: nothing is ever evicted (a symbol must resolve for as long as
// state refers to it); instead, once `max_strings` strings are held, or one more would take
// the text past `max_bytes`, a new string is refused and Intern() returns the overflow
// symbol, which resolves to kOverflowText: every refused eventName, principal or user agent
// then counts as that one value. Strings interned before the cap keep their symbols.
// Memory stays below about max_strings x 120 bytes (index and bookkeeping) plus
// max_bytes of text. `refused()` counts refusals so that the caller can alert.
//
// The index is an open-addressed table of (hash check, symbol) pairs, at most half full:
// a lookup hashes the text once and compares it with the strings whose hash matches. The
// hash is seeded per interner, so input cannot be crafted ahead to collide; symbols do not
// depend on it.
//
// Thread safety: none; one ingest thread owns it.
class StringInterner {
 public:
  static constexpr std::string_view kOverflowText = "(overflow)";

  explicit StringInterner(InternerLimits limits = {})
      : limits_(limits), seed_(Seed(this)), slots_(kFirstSlots) {
    strings_.emplace_back();
  }
  StringInterner(const StringInterner&) = delete;
  StringInterner& operator=(const StringInterner&) = delete;

  // Returns the symbol for `text`, adding it if new and within the limits; beyond them, the
  // overflow symbol. The empty string is kNoSymbol.
  Symbol Intern(std::string_view text) {
    if (text.empty()) return kNoSymbol;
    const std::uint64_t hash = Hash(text);
    if (const Symbol found = Find(text, hash); found != kNoSymbol) return found;
    if (size() >= limits_.max_strings || text_bytes_ >= limits_.max_bytes ||
        text.size() > limits_.max_bytes - text_bytes_) {
      ++refused_;
      if (overflow_ == kNoSymbol) overflow_ = Add(kOverflowText);
      return overflow_;
    }
    return Add(text);
  }

  // Returns the string behind `symbol`; it must come from this interner.
  std::string_view Resolve(Symbol symbol) const { return strings_[symbol]; }

  // Strings held, the overflow text included once it is in use.
  std::size_t size() const { return strings_.size() - 1; }
  // Bytes of text held, summed (what `max_bytes` bounds).
  std::size_t text_bytes() const { return text_bytes_; }
  // Intern() calls that met a new string beyond the limits.
  std::uint64_t refused() const { return refused_; }
  // The symbol refused strings map to; kNoSymbol until the first refusal.
  Symbol overflow_symbol() const { return overflow_; }
  const InternerLimits& limits() const { return limits_; }

 private:
  // One entry of the index: a symbol (kNoSymbol: empty) and the high half of its text's hash,
  // which rules out most other strings without reading them.
  struct Slot {
    std::uint32_t check = 0;
    Symbol symbol = kNoSymbol;
  };
  static constexpr std::size_t kFirstSlots = 64;  // a power of two, as every size after it

  static std::uint64_t Seed(const void* self) {
    const auto address = reinterpret_cast<std::uintptr_t>(self);
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    return (address ^ static_cast<std::uint64_t>(now)) * 0x9E3779B97F4A7C15ULL;
  }

  // Eight bytes at a time: multiply, fold the high bits down; the last up to eight bytes are
  // read as whole words (overlapping those before, or two halves of a short text), never
  // byte by byte. A final mix spreads every bit over the low ones, which pick the slot.
  // `text` must not be empty.
  std::uint64_t Hash(std::string_view text) const {
    constexpr std::uint64_t kMultiplier = 0x9E3779B97F4A7C15ULL;
    const char* const data = text.data();
    const std::size_t size = text.size();
    std::uint64_t hash = seed_ ^ (size * kMultiplier);
    std::uint64_t word;
    std::size_t at = 0;
    for (; at + 8 < size; at += 8) {
      std::memcpy(&word, data + at, sizeof word);
      hash = (hash ^ word) * kMultiplier;
      hash ^= hash >> 32;
    }
    if (size >= 8) {
      std::memcpy(&word, data + size - 8, sizeof word);
    } else if (size >= 4) {
      std::uint32_t first, last;
      std::memcpy(&first, data, sizeof first);
      std::memcpy(&last, data + size - 4, sizeof last);
      word = (std::uint64_t{first} << 32) | last;
    } else {
      word = (std::uint64_t{static_cast<unsigned char>(data[0])} << 16) |
             (std::uint64_t{static_cast<unsigned char>(data[size / 2])} << 8) |
             static_cast<unsigned char>(data[size - 1]);
    }
    hash = (hash ^ word) * kMultiplier;
    hash ^= hash >> 31;
    hash *= 0xBF58476D1CE4E5B9ULL;
    return hash ^ (hash >> 29);
  }

  // Returns the symbol of `text`, whose hash is `hash`; kNoSymbol when it is not held.
  Symbol Find(std::string_view text, std::uint64_t hash) const {
    const std::size_t mask = slots_.size() - 1;
    const auto check = static_cast<std::uint32_t>(hash >> 32);
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& slot = slots_[i];
      if (slot.symbol == kNoSymbol) return kNoSymbol;
      if (slot.check == check && strings_[slot.symbol] == text) return slot.symbol;
    }
  }

  // Puts `symbol` in the first free slot of its probe sequence; the table has one.
  void Place(Symbol symbol, std::uint64_t hash) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = hash & mask;
    while (slots_[i].symbol != kNoSymbol) i = (i + 1) & mask;
    slots_[i] = {static_cast<std::uint32_t>(hash >> 32), symbol};
  }

  Symbol Add(std::string_view text) {
    const std::uint64_t hash = Hash(text);
    if (const Symbol found = Find(text, hash); found != kNoSymbol) return found;
    const auto symbol = static_cast<Symbol>(strings_.size());
    strings_.emplace_back(text);
    text_bytes_ += text.size();
    if (2 * strings_.size() > slots_.size()) {  // at most half full, the new string counted
      slots_.assign(2 * slots_.size(), Slot{});
      for (Symbol held = 1; held < symbol; ++held) Place(held, Hash(strings_[held]));
    }
    Place(symbol, hash);
    return symbol;
  }

  const InternerLimits limits_;
  const std::uint64_t seed_;
  std::deque<std::string> strings_;  // deque: stored strings never move, so views stay valid
  std::vector<Slot> slots_;          // the index, by hash; see the class comment
  std::size_t text_bytes_ = 0;
  std::uint64_t refused_ = 0;
  Symbol overflow_ = kNoSymbol;
};

}  // namespace trailsight::common
