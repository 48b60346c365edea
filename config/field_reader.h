#pragma once

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/result.h"

namespace trailsight::config {

// Parses YAML text into a document. yaml-cpp's exceptions become an Error (kInvalidConfig)
// reading "NAME:LINE:COL: YAML syntax error: ...", lines and columns counted from 1.
common::Result<YAML::Node> ParseYaml(std::string_view text, std::string_view name);

// Reads typed fields from a YAML document by dotted path ("detector.warmup_hours") and
// remembers every problem instead of stopping at the first, each as
// "FILE:LINE:COL: FIELD.PATH: message" with the position yaml-cpp recorded for the value.
// Every path a reader is asked for becomes a known key, so RejectUnknownKeys() needs no
// separate schema: whatever the loader does not read is unknown.
//
// Use: read every field, Check() the rules between them, RejectUnknownKeys(), then
// std::move(reader).Finish(config). One reader serves one load; no thread safety.
class FieldReader {
 public:
  FieldReader(YAML::Node root, std::string file_name);

  // Returns the value at `path`, or `fallback` when the key is absent. A value of the wrong
  // type ("must be a number", "must be a whole number", "must be a string", "must be true
  // or false") or one that does not fit T is recorded as a problem, and `fallback` is
  // returned. T is std::string, bool, double or an integer type.
  template <typename T>
  T Optional(std::string_view path, T fallback) {
    if constexpr (std::is_same_v<T, std::string>) {
      return ReadString(path).value_or(std::move(fallback));
    } else if constexpr (std::is_same_v<T, bool>) {
      return ReadBool(path).value_or(fallback);
    } else {
      return OptionalBetween<T>(path, fallback, std::numeric_limits<T>::lowest(),
                                std::numeric_limits<T>::max());
    }
  }

  // Like Optional(), and records "must be between MIN and MAX" (inclusive) when the value
  // is outside the range, returning `fallback` then.
  template <typename T>
  T OptionalBetween(std::string_view path, T fallback, T min, T max) {
    static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>);
    if constexpr (std::is_integral_v<T>) {
      const std::optional<std::int64_t> value = ReadInteger(path);
      if (!value) return fallback;
      if (std::cmp_less(*value, min) || std::cmp_greater(*value, max)) {
        AddProblem(path, fmt::format("must be between {} and {}", min, max));
        return fallback;
      }
      return static_cast<T>(*value);
    } else {
      const std::optional<double> value = ReadNumber(path);
      if (!value) return fallback;
      if (!(*value >= static_cast<double>(min) && *value <= static_cast<double>(max))) {
        AddProblem(path, fmt::format("must be between {} and {}", min, max));
        return fallback;
      }
      return static_cast<T>(*value);
    }
  }

  // Returns the strings at `path`, given as a YAML sequence or as one string; `fallback`
  // when absent. Anything else is recorded as "must be a list of strings".
  std::vector<std::string> OptionalStrings(std::string_view path,
                                           std::vector<std::string> fallback);

  // Returns how many items the list at `path` holds (0 when absent or null), for lists of
  // mappings such as `tamper.rules`: item i is read by the path "PATH.i.KEY"
  // ("tamper.rules.0.severity"), and RejectUnknownKeys() checks each item's keys against
  // the reads. Records "must be a list" for anything but a sequence, and "must be a
  // mapping" for an item that is not one.
  std::size_t OptionalListSize(std::string_view path);

  // Returns the mapping at `path` with free-form keys (librdkafka properties, say): every
  // key is accepted, every value must be a scalar. Empty when absent. `resolve`, when given,
  // may replace each value in place; a message it returns is recorded against "PATH.KEY" at
  // the value's position, and the entry is left out.
  using ResolveValue =
      std::function<std::optional<std::string>(std::string_view key, std::string& value)>;
  std::map<std::string, std::string> OptionalStringMap(std::string_view path,
                                                       const ResolveValue& resolve = {});

  // Records `message` against `path` (at the value's position when the file sets it)
  // unless `condition` holds.
  void Check(bool condition, std::string_view path, std::string_view message);

  // Records every key of the document that no read asked for, with a suggestion: the
  // same key in another section, else the nearest sibling by edit distance ("did you mean
  // 'warmup_hours'?"), else the list of keys the section accepts. Also records sections
  // that are not mappings, duplicated keys, and a document that is not a mapping.
  void RejectUnknownKeys();

  // Returns `value` when no problem was recorded; otherwise an Error (kInvalidConfig)
  // whose message holds every problem, one per line, in file order.
  template <typename T>
  common::Result<T> Finish(T value) && {
    if (std::optional<common::Error> error = TakeError()) return *std::move(error);
    return value;
  }

  bool ok() const { return problems_.empty(); }

 private:
  struct Entry {
    YAML::Node key;
    YAML::Node value;
  };
  struct Problem {
    int line = -1;  // 0-based, as yaml-cpp gives it; -1 when unknown
    int column = -1;
    std::string text;
  };

  // Returns the position to report for an entry: its value's, or its key's when the value
  // is empty.
  static YAML::Mark MarkOf(const Entry& entry);
  std::optional<Entry> Find(std::string_view path) const;
  std::optional<std::int64_t> ReadInteger(std::string_view path);
  std::optional<double> ReadNumber(std::string_view path);
  std::optional<std::string> ReadString(std::string_view path);
  std::optional<bool> ReadBool(std::string_view path);
  // Returns the scalar text at `path` (registering it as known), nullopt when absent or
  // not a scalar; in the latter case records "must be `what`".
  std::optional<std::string> ReadScalar(std::string_view path, std::string_view what);

  void AddProblem(std::string_view path, std::string_view message);
  void AddProblemAt(const YAML::Mark& mark, std::string_view path, std::string_view message);
  void RejectUnknownIn(const YAML::Node& map, const std::string& prefix);
  std::string SuggestionFor(const std::string& prefix, const std::string& key) const;
  std::optional<common::Error> TakeError();

  const YAML::Node root_;
  const std::string file_name_;
  std::set<std::string> known_paths_;  // every path a read asked for
  std::set<std::string> list_paths_;   // paths read as lists: their items are checked
  std::vector<Problem> problems_;
};

}  // namespace trailsight::config
