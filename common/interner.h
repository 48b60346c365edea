#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

namespace trailsight::common {

// A small integer standing for an interned string. kNoSymbol stands for "absent"
// (a record without an errorCode, say) and resolves to the empty string.
using Symbol = std::uint32_t;
inline constexpr Symbol kNoSymbol = 0;

// Interns strings so that events carry 4-byte symbols instead of owned strings: the
// ingest path looks a string up without allocating and allocates only for a string it has
// never seen. Symbols are dense, start at 1 and stay valid for the interner's lifetime.
//
// Bound: grows with the number of distinct strings ever seen. The cap and its eviction
// rule for hostile cardinality belong to the detector's key limits, not here.
//
// Thread safety: none; one ingest thread owns it.
class StringInterner {
 public:
  StringInterner() { strings_.emplace_back(); }
  StringInterner(const StringInterner&) = delete;
  StringInterner& operator=(const StringInterner&) = delete;

  // Returns the symbol for `text`, adding it if new. The empty string is kNoSymbol.
  Symbol Intern(std::string_view text) {
    if (text.empty()) return kNoSymbol;
    if (auto it = index_.find(text); it != index_.end()) return it->second;
    const auto symbol = static_cast<Symbol>(strings_.size());
    const std::string& stored = strings_.emplace_back(text);
    index_.emplace(std::string_view(stored), symbol);
    return symbol;
  }

  // Returns the string behind `symbol`; it must come from this interner.
  std::string_view Resolve(Symbol symbol) const { return strings_[symbol]; }

  std::size_t size() const { return strings_.size() - 1; }

 private:
  std::deque<std::string> strings_;  // deque: stored strings never move, so views stay valid
  std::unordered_map<std::string_view, Symbol> index_;
};

}  // namespace trailsight::common
