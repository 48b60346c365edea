#include "config/field_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "config/did_you_mean.h"

namespace trailsight::config {
namespace {

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> parts;
  std::size_t begin = 0;
  while (true) {
    const std::size_t dot = path.find('.', begin);
    parts.emplace_back(path.substr(begin, dot - begin));
    if (dot == std::string_view::npos) return parts;
    begin = dot + 1;
  }
}

std::string JoinPath(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

bool HasMark(const YAML::Mark& mark) { return mark.line >= 0 && mark.column >= 0; }

// Strips one leading '+', which YAML allows and std::from_chars does not.
std::string_view WithoutPlus(std::string_view text) {
  return text.starts_with('+') ? text.substr(1) : text;
}

}  // namespace

YAML::Mark FieldReader::MarkOf(const Entry& entry) {
  // A bare `key:` has an empty value whose mark points at the next token: use the key's.
  if (entry.value.IsNull() || !HasMark(entry.value.Mark())) return entry.key.Mark();
  return entry.value.Mark();
}

common::Result<YAML::Node> ParseYaml(std::string_view text, std::string_view name) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& error) {
    const std::string where =
        HasMark(error.mark)
            ? fmt::format("{}:{}:{}", name, error.mark.line + 1, error.mark.column + 1)
            : std::string(name);
    return common::Error{common::ErrorCode::kInvalidConfig,
                         fmt::format("{}: YAML syntax error: {}", where, error.msg)};
  }
}

FieldReader::FieldReader(YAML::Node root, std::string file_name)
    : root_(std::move(root)), file_name_(std::move(file_name)) {}

std::optional<FieldReader::Entry> FieldReader::Find(std::string_view path) const {
  std::optional<Entry> found;
  YAML::Node map = root_;  // copies share the node; nothing here assigns through them
  for (const std::string& part : SplitPath(path)) {
    if (map.IsSequence()) {  // "rules.0": an item of a list
      std::size_t index = 0;
      const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), index);
      if (error != std::errc() || end != part.data() + part.size() || index >= map.size()) {
        return std::nullopt;
      }
      const YAML::Node item = static_cast<const YAML::Node&>(map)[index];  // const: no insert
      found.reset();
      found = Entry{item, item};  // an item has no key: its own mark stands in
      map.reset(found->value);
      continue;
    }
    if (!map.IsMap()) return std::nullopt;  // RejectUnknownKeys() reports non-map sections
    // Disengage before assigning: an engaged optional would copy-assign YAML::Node, which
    // overwrites the node it refers to instead of rebinding.
    found.reset();
    for (const auto& entry : map) {
      if (entry.first.IsScalar() && entry.first.Scalar() == part) {
        found = Entry{entry.first, entry.second};
        break;
      }
    }
    if (!found) return std::nullopt;
    map.reset(found->value);  // reset(): rebinding, where operator= would overwrite the node
  }
  return found;
}

std::optional<std::string> FieldReader::ReadScalar(std::string_view path, std::string_view what) {
  known_paths_.emplace(path);
  const std::optional<Entry> entry = Find(path);
  if (!entry) return std::nullopt;
  if (!entry->value.IsScalar()) {
    AddProblemAt(MarkOf(*entry), path, fmt::format("must be {}", what));
    return std::nullopt;
  }
  return entry->value.Scalar();
}

std::optional<std::int64_t> FieldReader::ReadInteger(std::string_view path) {
  const std::optional<std::string> text = ReadScalar(path, "a number");
  if (!text) return std::nullopt;
  const std::string_view digits = WithoutPlus(*text);
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error == std::errc() && end == digits.data() + digits.size() && !digits.empty()) {
    return value;
  }
  if (error == std::errc::result_out_of_range) {
    AddProblem(path, "is too large");
    return std::nullopt;
  }
  double number = 0.0;
  const auto parsed = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  const bool is_number = parsed.ec == std::errc() && parsed.ptr == digits.data() + digits.size();
  AddProblem(path, is_number ? "must be a whole number" : "must be a number");
  return std::nullopt;
}

std::optional<double> FieldReader::ReadNumber(std::string_view path) {
  const std::optional<std::string> text = ReadScalar(path, "a number");
  if (!text) return std::nullopt;
  const std::string_view digits = WithoutPlus(*text);
  double value = 0.0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size() || digits.empty() ||
      !std::isfinite(value)) {
    AddProblem(path, "must be a number");
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> FieldReader::ReadString(std::string_view path) {
  return ReadScalar(path, "a string");  // a bare `key:` is YAML null, not a scalar
}

std::optional<bool> FieldReader::ReadBool(std::string_view path) {
  const std::optional<std::string> text = ReadScalar(path, "true or false");
  if (!text) return std::nullopt;
  if (*text == "true") return true;
  if (*text == "false") return false;
  AddProblem(path, "must be true or false");
  return std::nullopt;
}

std::size_t FieldReader::OptionalListSize(std::string_view path) {
  known_paths_.emplace(path);
  list_paths_.emplace(path);
  const std::optional<Entry> entry = Find(path);
  if (!entry || entry->value.IsNull()) return 0;
  if (!entry->value.IsSequence()) {
    AddProblemAt(MarkOf(*entry), path, "must be a list");
    return 0;
  }
  for (std::size_t i = 0; i < entry->value.size(); ++i) {
    if (!entry->value[i].IsMap()) {
      AddProblemAt(entry->value[i].Mark(), fmt::format("{}.{}", path, i), "must be a mapping");
    }
  }
  return entry->value.size();
}

std::vector<std::string> FieldReader::OptionalStrings(std::string_view path,
                                                      std::vector<std::string> fallback) {
  known_paths_.emplace(path);
  const std::optional<Entry> entry = Find(path);
  if (!entry) return fallback;
  if (entry->value.IsScalar()) return {entry->value.Scalar()};
  std::vector<std::string> values;
  bool ok = entry->value.IsSequence();
  for (std::size_t i = 0; ok && i < entry->value.size(); ++i) {
    ok = entry->value[i].IsScalar();
    if (ok) values.push_back(entry->value[i].Scalar());
  }
  if (!ok) {
    AddProblemAt(MarkOf(*entry), path, "must be a list of strings");
    return fallback;
  }
  return values;
}

std::map<std::string, std::string> FieldReader::OptionalStringMap(std::string_view path,
                                                                  const ResolveValue& resolve) {
  known_paths_.emplace(path);
  std::map<std::string, std::string> values;
  const std::optional<Entry> entry = Find(path);
  if (!entry || entry->value.IsNull()) return values;
  if (!entry->value.IsMap()) {
    AddProblemAt(MarkOf(*entry), path, "must be a mapping of names to values");
    return values;
  }
  for (const auto& item : entry->value) {
    if (!item.first.IsScalar() || !item.second.IsScalar()) {
      AddProblemAt(item.first.Mark(), path, "every entry must be `name: value`");
      continue;
    }
    std::string value = item.second.Scalar();
    if (resolve) {
      if (std::optional<std::string> problem = resolve(item.first.Scalar(), value)) {
        AddProblemAt(item.second.Mark(), fmt::format("{}.{}", path, item.first.Scalar()), *problem);
        continue;
      }
    }
    values.emplace(item.first.Scalar(), std::move(value));
  }
  return values;
}

void FieldReader::Check(bool condition, std::string_view path, std::string_view message) {
  if (!condition) AddProblem(path, message);
}

void FieldReader::AddProblem(std::string_view path, std::string_view message) {
  const std::optional<Entry> entry = Find(path);
  YAML::Mark mark = YAML::Mark::null_mark();
  if (entry) mark = MarkOf(*entry);
  AddProblemAt(mark, path, message);
}

void FieldReader::AddProblemAt(const YAML::Mark& mark, std::string_view path,
                               std::string_view message) {
  Problem problem;
  if (HasMark(mark)) {
    problem.line = mark.line;
    problem.column = mark.column;
    problem.text =
        fmt::format("{}:{}:{}: {}: {}", file_name_, mark.line + 1, mark.column + 1, path, message);
  } else {
    problem.text = fmt::format("{}: {}: {}", file_name_, path, message);
  }
  problems_.push_back(std::move(problem));
}

void FieldReader::RejectUnknownKeys() {
  if (root_.IsNull()) return;  // an empty file: every default applies
  if (!root_.IsMap()) {
    const YAML::Mark mark = root_.Mark();
    problems_.push_back(
        {mark.line, mark.column,
         fmt::format("{}:{}:{}: the config must be a mapping of sections (detector:, ...)",
                     file_name_, mark.line + 1, mark.column + 1)});
    return;
  }
  RejectUnknownIn(root_, "");
}

void FieldReader::RejectUnknownIn(const YAML::Node& map, const std::string& prefix) {
  std::set<std::string> seen;
  for (const auto& entry : map) {
    if (!entry.first.IsScalar()) {
      AddProblemAt(entry.first.Mark(), prefix.empty() ? "(top level)" : prefix,
                   "keys must be plain words");
      continue;
    }
    const std::string key = entry.first.Scalar();
    const std::string path = JoinPath(prefix, key);
    if (!seen.insert(key).second) {
      AddProblemAt(entry.first.Mark(), path, "is set twice; only the first value is used");
      continue;
    }
    if (list_paths_.contains(path) && entry.second.IsSequence()) {
      for (std::size_t i = 0; i < entry.second.size(); ++i) {
        if (entry.second[i].IsMap())
          RejectUnknownIn(entry.second[i], fmt::format("{}.{}", path, i));
      }
      continue;
    }
    if (known_paths_.contains(path)) continue;
    const auto section = known_paths_.lower_bound(path + ".");
    const bool is_section = section != known_paths_.end() && section->starts_with(path + ".");
    if (!is_section) {
      AddProblemAt(entry.first.Mark(), path, "unknown key; " + SuggestionFor(prefix, key));
    } else if (entry.second.IsMap()) {
      RejectUnknownIn(entry.second, path);
    } else if (!entry.second.IsNull()) {
      AddProblemAt(MarkOf({entry.first, entry.second}), path,
                   "must be a section (a mapping of keys)");
    }
  }
}

std::string FieldReader::SuggestionFor(const std::string& prefix, const std::string& key) const {
  // The keys this section accepts, and any path elsewhere that ends in this exact key.
  std::vector<std::string> siblings;
  std::optional<std::string> elsewhere;
  const std::string section_prefix = prefix.empty() ? "" : prefix + ".";
  for (const std::string& known : known_paths_) {
    if (known.starts_with(section_prefix)) {
      std::string child = known.substr(section_prefix.size());
      child = child.substr(0, child.find('.'));
      if (std::find(siblings.begin(), siblings.end(), child) == siblings.end()) {
        siblings.push_back(child);
      }
    }
    // The key is unknown here, so an exact match elsewhere is in another section.
    const std::vector<std::string> parts = SplitPath(known);
    for (std::size_t i = 0; i < parts.size() && !elsewhere; ++i) {
      if (parts[i] != key) continue;
      std::string candidate = parts[0];
      for (std::size_t j = 1; j <= i; ++j) candidate += "." + parts[j];
      elsewhere = candidate;
    }
  }
  if (elsewhere) return fmt::format("did you mean '{}'?", *elsewhere);
  if (std::optional<std::string> nearest = NearestWord(key, siblings)) {
    return fmt::format("did you mean '{}'?", *nearest);
  }
  return fmt::format("expected one of: {}", fmt::join(siblings, ", "));
}

std::optional<common::Error> FieldReader::TakeError() {
  if (problems_.empty()) return std::nullopt;
  // File order; problems without a position (rules about defaults) go last.
  std::stable_sort(problems_.begin(), problems_.end(), [](const Problem& a, const Problem& b) {
    const auto order = [](const Problem& p) {
      return std::pair(p.line < 0 ? std::numeric_limits<int>::max() : p.line, p.column);
    };
    return order(a) < order(b);
  });
  std::string message;
  for (const Problem& problem : problems_) {
    if (!message.empty()) message += '\n';
    message += problem.text;
  }
  problems_.clear();
  return common::Error{common::ErrorCode::kInvalidConfig, std::move(message)};
}

}  // namespace trailsight::config
