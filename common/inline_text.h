#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace trailsight::common {

// A short string stored inside its owner, for values that are unique per record (an
// eventID, a source address): they must be neither interned, which would grow the interner
// with every record, nor allocated on the ingest path. Text longer than `Capacity` bytes is
// cut to its first `Capacity` bytes, and truncated() says so. Trivially copyable.
template <std::size_t Capacity>
class InlineText {
  static_assert(Capacity > 0 && Capacity < 256, "the length is kept in one byte");

 public:
  // Replaces the text with `text`, cut to Capacity bytes.
  void Assign(std::string_view text) {
    const std::size_t kept = std::min(text.size(), Capacity);
    std::copy_n(text.data(), kept, bytes_.data());
    size_ = static_cast<std::uint8_t>(kept);
    truncated_ = kept < text.size();
  }

  std::string_view view() const { return {bytes_.data(), size_}; }
  bool empty() const { return size_ == 0; }
  bool truncated() const { return truncated_; }

 private:
  std::array<char, Capacity> bytes_{};
  std::uint8_t size_ = 0;
  bool truncated_ = false;
};

}  // namespace trailsight::common
