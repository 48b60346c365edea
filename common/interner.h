#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>

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
// Thread safety: none; one ingest thread owns it.
class StringInterner {
 public:
  static constexpr std::string_view kOverflowText = "(overflow)";

  explicit StringInterner(InternerLimits limits = {}) : limits_(limits) { strings_.emplace_back(); }
  StringInterner(const StringInterner&) = delete;
  StringInterner& operator=(const StringInterner&) = delete;

  // Returns the symbol for `text`, adding it if new and within the limits; beyond them, the
  // overflow symbol. The empty string is kNoSymbol.
  Symbol Intern(std::string_view text) {
    if (text.empty()) return kNoSymbol;
    if (auto it = index_.find(text); it != index_.end()) return it->second;
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
  Symbol Add(std::string_view text) {
    if (auto it = index_.find(text); it != index_.end()) return it->second;
    const auto symbol = static_cast<Symbol>(strings_.size());
    const std::string& stored = strings_.emplace_back(text);
    index_.emplace(std::string_view(stored), symbol);
    text_bytes_ += text.size();
    return symbol;
  }

  const InternerLimits limits_;
  std::deque<std::string> strings_;  // deque: stored strings never move, so views stay valid
  std::unordered_map<std::string_view, Symbol> index_;
  std::size_t text_bytes_ = 0;
  std::uint64_t refused_ = 0;
  Symbol overflow_ = kNoSymbol;
};

}  // namespace trailsight::common
