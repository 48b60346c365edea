#include "consumers/dead_letter_redaction.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

namespace trailsight::consumers {
namespace {

namespace od = simdjson::ondemand;

// The fields a redacted letter keeps, in the order it writes them.
constexpr std::array<std::string_view, 5> kKeptFields = {"eventTime", "eventSource", "eventName",
                                                         "awsRegion", "recipientAccountId"};

bool IsPlainCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == ':' || c == '+';
}

bool IsPlainValue(std::string_view value) {
  return !value.empty() && value.size() <= DeadLetterRedactor::kMaxValueBytes &&
         std::all_of(value.begin(), value.end(), IsPlainCharacter);
}

}  // namespace

struct DeadLetterRedactor::State {
  std::vector<char> buffer;  // the payload plus SIMDJSON_PADDING; grows, never shrinks
  od::parser parser;         // reuses its index and string buffers between letters
  std::string redacted;      // what Redact() returns a view of
};

DeadLetterRedactor::DeadLetterRedactor() : state_(std::make_unique<State>()) {}

DeadLetterRedactor::~DeadLetterRedactor() = default;

std::string_view DeadLetterRedactor::Redact(std::string_view payload) {
  std::string& out = state_->redacted;
  out.clear();
  const std::string_view read = payload.substr(0, kMaxReadBytes);
  std::vector<char>& buffer = state_->buffer;
  const std::size_t needed = read.size() + simdjson::SIMDJSON_PADDING;
  if (buffer.size() < needed) buffer.resize(std::max(needed, buffer.size() * 2));
  if (!read.empty()) std::memcpy(buffer.data(), read.data(), read.size());

  od::document document;
  if (state_->parser.iterate(buffer.data(), read.size(), buffer.size()).get(document)) return out;
  od::object object;
  if (document.get_object().get(object)) return out;
  // Views into the parser's string buffer, valid while `document` is.
  std::array<std::string_view, kKeptFields.size()> kept{};
  for (auto member : object) {
    od::field field;
    std::string_view key;
    if (std::move(member).get(field) || field.unescaped_key().get(key)) break;  // malformed
    const auto slot = std::find(kKeptFields.begin(), kKeptFields.end(), key);
    if (slot == kKeptFields.end()) continue;  // skipped unread
    std::string_view& value = kept[static_cast<std::size_t>(slot - kKeptFields.begin())];
    std::string_view text;
    // A repeated key keeps its first value; a value of another type is dropped.
    if (!value.empty() || field.value().get_string().get(text)) continue;
    if (IsPlainValue(text)) value = text;
  }
  for (std::size_t i = 0; i < kept.size(); ++i) {
    if (kept[i].empty()) continue;
    out += out.empty() ? "{\"" : ",\"";
    out += kKeptFields[i];
    out += "\":\"";
    out += kept[i];
    out += '"';
  }
  if (!out.empty()) out += '}';
  return out;
}

}  // namespace trailsight::consumers
