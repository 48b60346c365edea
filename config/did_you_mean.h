#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace trailsight::config {

// Returns the Levenshtein distance between `a` and `b`: the fewest single-character
// insertions, deletions and substitutions that turn one into the other.
std::size_t EditDistance(std::string_view a, std::string_view b);

// Returns the candidate nearest to `word` when it is close enough to be a likely typo
// (at most 2 edits or a third of the longer word's length, and fewer edits than `word` has
// characters), else nullopt. Ties go to the earlier candidate.
std::optional<std::string> NearestWord(std::string_view word,
                                       std::span<const std::string> candidates);

}  // namespace trailsight::config
