#pragma once

// The encodings of the detector's saved state (detector/state_codec.cc): BinaryOut and
// BinaryIn write and read version 3's values (unsigned varints (LEB128), signed ones
// zigzag-encoded, doubles as 8 little-endian bytes, bools as one byte, texts and byte
// strings with a varint length, arrays as a varint count then their elements); JsonIn reads
// version 2's MessagePack rows through BinaryIn's interface.
#include <bit>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace trailsight::detector::state_encoding {

using Json = nlohmann::json;

// Appends values in the version 3 encoding.
class BinaryOut {
 public:
  void UInt(std::uint64_t value) {
    while (value >= 0x80) {
      bytes_.push_back(static_cast<char>(value | 0x80));
      value >>= 7;
    }
    bytes_.push_back(static_cast<char>(value));
  }
  void Int(std::int64_t value) {
    UInt((static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63));
  }
  void Real(double value) {
    std::uint64_t bits = std::bit_cast<std::uint64_t>(value);
    for (int i = 0; i < 8; ++i, bits >>= 8) bytes_.push_back(static_cast<char>(bits & 0xff));
  }
  void Bool(bool value) { bytes_.push_back(value ? 1 : 0); }
  void Text(std::string_view text) {
    UInt(text.size());
    bytes_.append(text);
  }
  void Array(std::size_t count) { UInt(count); }
  void Bytes(std::span<const std::uint8_t> bytes) {
    UInt(bytes.size());
    bytes_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }

  std::string& bytes() { return bytes_; }

 private:
  std::string bytes_;
};

// Reads values of the version 3 encoding; every read is bounds-checked and throws
// std::out_of_range on bytes that end early or announce more than they hold.
class BinaryIn {
 public:
  explicit BinaryIn(std::string_view bytes) : bytes_(bytes) {}

  std::uint64_t UInt() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const auto byte = static_cast<std::uint8_t>(Byte());
      value |= std::uint64_t{byte & 0x7fu} << shift;
      if ((byte & 0x80) == 0) return value;
    }
    throw std::out_of_range("varint too long");
  }
  std::int64_t Int() {
    const std::uint64_t value = UInt();
    return static_cast<std::int64_t>(value >> 1) ^ -static_cast<std::int64_t>(value & 1);
  }
  double Real() {
    std::uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits |= std::uint64_t{static_cast<std::uint8_t>(Byte())} << (8 * i);
    return std::bit_cast<double>(bits);
  }
  bool Bool() { return Byte() != 0; }
  std::string Text() {
    const std::uint64_t size = UInt();
    if (size > bytes_.size() - position_) throw std::out_of_range("text");
    std::string text(bytes_.substr(position_, size));
    position_ += size;
    return text;
  }
  // Bytes written by BinaryOut::Bytes; valid as long as the input.
  std::span<const std::uint8_t> Bytes() {
    const std::uint64_t size = UInt();
    if (size > bytes_.size() - position_) throw std::out_of_range("bytes");
    const std::span<const std::uint8_t> bytes(
        reinterpret_cast<const std::uint8_t*>(bytes_.data()) + position_, size);
    position_ += size;
    return bytes;
  }
  // An array: returns its element count, each element taking at least one byte.
  std::size_t Enter() {
    const std::uint64_t count = UInt();
    if (count > bytes_.size() - position_) throw std::out_of_range("array");
    return count;
  }
  void Leave() {}
  // An optional value follows when this reads true.
  bool Present() { return Bool(); }
  bool AtEnd() const { return position_ == bytes_.size(); }

 private:
  char Byte() {
    if (position_ >= bytes_.size()) throw std::out_of_range("truncated");
    return bytes_[position_++];
  }

  std::string_view bytes_;
  std::size_t position_ = 0;
};

// Reads version 2's MessagePack rows with BinaryIn's interface: a cursor over nested arrays.
class JsonIn {
 public:
  explicit JsonIn(const Json& array) {
    if (!array.is_array()) throw std::invalid_argument("not an array");
    stack_.push_back({&array, 0});
  }
  // Integers only: nlohmann converts a float to an integer type without a range check.
  std::uint64_t UInt() {
    const Json& value = Next();
    if (!value.is_number_integer() ||
        (!value.is_number_unsigned() && value.get<std::int64_t>() < 0)) {
      throw std::out_of_range("not an unsigned integer");
    }
    return value.get<std::uint64_t>();
  }
  std::int64_t Int() {
    const Json& value = Next();
    if (!value.is_number_integer() ||
        (value.is_number_unsigned() &&
         value.get<std::uint64_t>() > std::uint64_t{std::numeric_limits<std::int64_t>::max()})) {
      throw std::out_of_range("not a 64-bit integer");
    }
    return value.get<std::int64_t>();
  }
  double Real() { return Next().get<double>(); }
  bool Bool() { return Next().get<bool>(); }
  std::string Text() { return Next().get<std::string>(); }
  std::size_t Enter() {
    const Json& array = Next();
    if (!array.is_array()) throw std::invalid_argument("row is not an array");
    stack_.push_back({&array, 0});
    return array.size();
  }
  void Leave() { stack_.pop_back(); }
  // Version 2 writes an absent value as null.
  bool Present() {
    Level& top = stack_.back();
    if (top.array->at(top.index).is_null()) {
      ++top.index;
      return false;
    }
    return true;
  }

 private:
  struct Level {
    const Json* array;
    std::size_t index;
  };
  const Json& Next() {
    Level& top = stack_.back();
    return top.array->at(top.index++);
  }
  std::vector<Level> stack_;
};

}  // namespace trailsight::detector::state_encoding
