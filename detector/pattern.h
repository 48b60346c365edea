#pragma once

#include <memory>
#include <regex>
#include <string>
#include <string_view>

#include "common/result.h"

namespace trailsight::detector {

// A compiled value pattern from the config: "*" (anything, the default), a shell-style glob
// ("ec2.amazonaws.com", "Delete*", "arn:aws:sts::*:assumed-role/ci-?", "[A-Z]*", matched
// with fnmatch(3) without flags, so `*` also crosses '/'), or "/regex/", an ECMAScript
// std::regex. Both kinds must match the whole value: "Delete*" matches "DeleteBucket", not
// "UndeleteBucket"; "/Delete.*/" likewise. Matching is case-sensitive, as AWS names are.
//
// Cheap to copy (a regex is shared, immutable). Matches() is const and safe to call from
// several threads at once.
class Pattern {
 public:
  // Returns the pattern matching everything.
  Pattern() = default;

  // Compiles `text`. Fails with kInvalidConfig, saying what is wrong, on an empty pattern,
  // a glob with an unbalanced '[' or a trailing '\', or a regex std::regex rejects.
  static common::Result<Pattern> Compile(std::string_view text);

  // Returns true when the whole of `value` matches. A glob allocates nothing for values
  // shorter than 512 bytes; a regex may (callers cache answers per symbol).
  bool Matches(std::string_view value) const;

  // True for "*", which matches every value without any work.
  bool matches_everything() const { return kind_ == Kind::kAnything; }
  const std::string& text() const { return text_; }

 private:
  enum class Kind { kAnything, kGlob, kRegex };
  Pattern(Kind kind, std::string text, std::shared_ptr<const std::regex> regex)
      : kind_(kind), text_(std::move(text)), regex_(std::move(regex)) {}

  Kind kind_ = Kind::kAnything;
  std::string text_ = "*";
  std::shared_ptr<const std::regex> regex_;  // kRegex only; shared by copies
};

}  // namespace trailsight::detector
