#include "detector/pattern.h"

#include <fmt/format.h>
#include <fnmatch.h>

#include <array>
#include <cstring>
#include <optional>

namespace trailsight::detector {
namespace {

common::Error BadPattern(std::string_view text, std::string_view why) {
  return common::Error{common::ErrorCode::kInvalidConfig,
                       fmt::format("bad pattern \"{}\": {}", text, why)};
}

// Returns the index just past the ']' that closes the bracket expression opening at
// `open`, or npos when there is none. Follows POSIX: a ']' first in the set (after an
// optional '!' or '^') is a member, and "[:alpha:]", "[.x.]", "[=e=]" nest inside.
std::size_t BracketEnd(std::string_view glob, std::size_t open) {
  std::size_t at = open + 1;
  if (at < glob.size() && (glob[at] == '!' || glob[at] == '^')) ++at;
  if (at < glob.size() && glob[at] == ']') ++at;
  while (at < glob.size()) {
    if (glob[at] == ']') return at + 1;
    if (glob[at] == '[' && at + 1 < glob.size() &&
        (glob[at + 1] == ':' || glob[at + 1] == '.' || glob[at + 1] == '=')) {
      const char delimiter = glob[at + 1];
      const std::size_t close = glob.find(std::string{delimiter, ']'}, at + 2);
      if (close == std::string_view::npos) return std::string_view::npos;
      at = close + 2;
      continue;
    }
    ++at;
  }
  return std::string_view::npos;
}

// Returns why `glob` is not a well-formed fnmatch(3) pattern, or nullopt when it is.
// fnmatch() itself treats an unbalanced '[' as a literal, which hides typos like
// "Delete[Bucket": such patterns are refused here instead.
std::optional<std::string> GlobProblem(std::string_view glob) {
  for (std::size_t at = 0; at < glob.size(); ++at) {
    if (glob[at] == '\\') {
      if (at + 1 == glob.size()) return "ends with a lone '\\' (write \"\\\\\" for a backslash)";
      ++at;
    } else if (glob[at] == '[') {
      const std::size_t end = BracketEnd(glob, at);
      if (end == std::string_view::npos) {
        return fmt::format("'[' at position {} is never closed by ']' (write \"[[]\" for a '[')",
                           at + 1);
      }
      at = end - 1;
    }
  }
  const std::string terminated(glob);
  const int probe = ::fnmatch(terminated.c_str(), "", 0);
  if (probe != 0 && probe != FNM_NOMATCH) return "fnmatch(3) refuses it";
  return std::nullopt;
}

}  // namespace

common::Result<Pattern> Pattern::Compile(std::string_view text) {
  if (text.empty()) return BadPattern(text, "is empty (\"*\" matches anything)");
  if (text == "*") return Pattern();
  if (text.size() >= 2 && text.front() == '/' && text.back() == '/') {
    const std::string_view body = text.substr(1, text.size() - 2);
    if (body.empty()) return BadPattern(text, "the regex between the slashes is empty");
    try {
      auto regex =
          std::make_shared<const std::regex>(body.begin(), body.end(), std::regex::ECMAScript);
      return Pattern(Kind::kRegex, std::string(text), std::move(regex));
    } catch (const std::regex_error& error) {
      return BadPattern(text, fmt::format("not a valid regex: {}", error.what()));
    }
  }
  if (std::optional<std::string> problem = GlobProblem(text)) return BadPattern(text, *problem);
  return Pattern(Kind::kGlob, std::string(text), nullptr);
}

bool Pattern::Matches(std::string_view value) const {
  switch (kind_) {
    case Kind::kAnything:
      return true;
    case Kind::kRegex:
      return std::regex_match(value.begin(), value.end(), *regex_);
    case Kind::kGlob:
      break;
  }
  // fnmatch() wants a terminated string: copy into a stack buffer when it fits.
  std::array<char, 512> buffer;
  if (value.size() < buffer.size()) {
    std::memcpy(buffer.data(), value.data(), value.size());
    buffer[value.size()] = '\0';
    return ::fnmatch(text_.c_str(), buffer.data(), 0) == 0;
  }
  const std::string terminated(value);
  return ::fnmatch(text_.c_str(), terminated.c_str(), 0) == 0;
}

}  // namespace trailsight::detector
