#include "consumers/message_decoder.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "consumers/json_type_name.h"

namespace trailsight::consumers {
namespace {

namespace od = simdjson::ondemand;

constexpr std::string_view kExpectedShapes =
    "expected a CloudTrail record, a {\"Records\":[...]} batch or an EventBridge envelope";

// The EventBridge detail-types whose "detail" is a CloudTrail record.
bool IsCloudTrailDetailType(std::string_view detail_type) {
  return detail_type == "AWS API Call via CloudTrail" ||
         detail_type == "AWS Console Sign In via CloudTrail" ||
         detail_type == "AWS Service Event via CloudTrail";
}

std::string InvalidJsonText(simdjson::error_code code) {
  return fmt::format("truncated or invalid JSON: {}", simdjson::error_message(code));
}

std::string_view TrimTrailingSpace(std::string_view text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '\r' ||
                           text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

// Returns the bytes of `value` as they stand in the document, consuming it.
simdjson::simdjson_result<std::string_view> RawJson(od::value& value) {
  od::json_type type;
  if (auto error = value.type().get(type)) return error;
  switch (type) {
    case od::json_type::object: {
      od::object object;
      if (auto error = value.get_object().get(object)) return error;
      return object.raw_json();
    }
    case od::json_type::array: {
      od::array array;
      if (auto error = value.get_array().get(array)) return error;
      return array.raw_json();
    }
    default:
      return value.raw_json_token();
  }
}

// Reads a document that is not an object to its end: an error when it is not valid JSON.
simdjson::error_code CheckScalar(od::document& document, od::json_type type) {
  simdjson::error_code error = simdjson::SUCCESS;
  switch (type) {
    case od::json_type::boolean:
      error = document.get_bool().error();
      break;
    case od::json_type::null: {
      bool is_null = false;
      error = document.is_null().get(is_null);
      if (!error && !is_null) error = simdjson::N_ATOM_ERROR;
      break;
    }
    case od::json_type::number:
      error = document.get_number().error();
      break;
    case od::json_type::string:
      error = document.get_string().error();
      break;
    case od::json_type::array:
    case od::json_type::object:
      break;
  }
  if (!error && type != od::json_type::array &&
      document.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    error = simdjson::TRAILING_CONTENT;
  }
  return error;
}

// Returns the first key of the object `payload` opens, as written (escapes left alone), or
// an empty view when the payload does not start like an object with a plain key. Only chooses
// between two paths that give the same results, so it may be wrong about odd input.
std::string_view FirstKey(std::string_view payload) {
  const std::size_t brace = payload.find_first_not_of(" \t\r\n");
  if (brace == std::string_view::npos || payload[brace] != '{') return {};
  const std::size_t quote = payload.find_first_not_of(" \t\r\n", brace + 1);
  if (quote == std::string_view::npos || payload[quote] != '"') return {};
  const std::size_t end = payload.find('"', quote + 1);
  if (end == std::string_view::npos) return {};
  return payload.substr(quote + 1, end - quote - 1);
}

// Whether a payload is worth parsing as one plain record first: everything but what starts
// like an S3 batch ({"Records":...) or an EventBridge envelope ({"version":...).
bool LooksLikePlainRecord(std::string_view payload) {
  const std::string_view key = FirstKey(payload);
  return key != "Records" && key != "version";
}

}  // namespace

struct MessageDecoder::State {
  explicit State(common::StringInterner& interner) : records(interner) {}

  RecordParser records;      // parses each record; owns its own buffer and simdjson parser
  std::vector<char> buffer;  // the payload plus SIMDJSON_PADDING; grows, never shrinks
  od::parser parser;         // reuses its index and string buffers between messages

  // Hands each element of the Records array in `value` to `handler`.
  void DecodeBatch(od::value& value, std::string_view payload, DecodedRecordHandler& handler);
  // Parses one record and reports it. `record_json` lies in `buffer`, which has the padding
  // RecordParser::ParsePadded needs after the payload, so the record is not copied again.
  void Record(std::string_view record_json, std::size_t index, std::string_view payload,
              std::string_view reason_prefix, DecodedRecordHandler& handler);
};

MessageDecoder::MessageDecoder(common::StringInterner& interner)
    : state_(std::make_unique<State>(interner)) {}

MessageDecoder::~MessageDecoder() = default;

const FieldLimitCounters& MessageDecoder::field_limit_counters() const {
  return state_->records.field_limit_counters();
}

void MessageDecoder::State::Record(std::string_view record_json, std::size_t index,
                                   std::string_view payload, std::string_view reason_prefix,
                                   DecodedRecordHandler& handler) {
  common::Result<common::Event> event = records.ParsePadded(record_json);
  if (event) {
    handler.OnRecord(*event, index, payload);
  } else if (reason_prefix.empty()) {
    handler.OnBadRecord(event.error().message, index, payload);
  } else {
    handler.OnBadRecord(fmt::format("{}{}", reason_prefix, event.error().message), index, payload);
  }
}

void MessageDecoder::State::DecodeBatch(od::value& value, std::string_view payload,
                                        DecodedRecordHandler& handler) {
  od::json_type type;
  if (auto error = value.type().get(type))
    return handler.OnBadRecord(InvalidJsonText(error), 0, payload);
  if (type != od::json_type::array) {
    return handler.OnBadRecord(
        fmt::format("field Records must be an array, not {}", JsonTypeName(type)), 0, payload);
  }
  od::array array;
  if (auto error = value.get_array().get(array)) {
    return handler.OnBadRecord(InvalidJsonText(error), 0, payload);
  }
  std::size_t index = 0;
  for (auto element : array) {
    od::value item;
    std::string_view raw;
    auto error = std::move(element).get(item);
    if (!error) error = RawJson(item).get(raw);
    if (error) {
      // The batch's structure is broken: what follows cannot be split into records.
      return handler.OnBadRecord(
          fmt::format("truncated or invalid JSON in Records after record {}: {}", index,
                      simdjson::error_message(error)),
          0, payload);
    }
    ++index;
    const std::string_view record = TrimTrailingSpace(raw);
    Record(record, index, record, {}, handler);
  }
}

void MessageDecoder::Decode(std::string_view payload, DecodedRecordHandler& handler) {
  State& state = *state_;
  // The common case, one record a message, in one pass; anything else takes the general path.
  if (LooksLikePlainRecord(payload)) {
    if (std::optional<common::Event> event = state.records.ParsePlainMessage(payload)) {
      return handler.OnRecord(*event, 0, payload);
    }
  }
  const std::size_t needed = payload.size() + simdjson::SIMDJSON_PADDING;
  if (state.buffer.size() < needed) state.buffer.resize(std::max(needed, state.buffer.size() * 2));
  if (!payload.empty()) std::memcpy(state.buffer.data(), payload.data(), payload.size());

  od::document document;
  if (auto error = state.parser.iterate(state.buffer.data(), payload.size(), state.buffer.size())
                       .get(document)) {
    return handler.OnBadRecord(InvalidJsonText(error), 0, payload);
  }
  od::json_type type;
  if (auto error = document.type().get(type)) {
    return handler.OnBadRecord(InvalidJsonText(error), 0, payload);
  }
  if (type != od::json_type::object) {
    // type() looks at the first byte only: "this is not JSON" would pass for a boolean.
    if (auto error = CheckScalar(document, type)) {
      return handler.OnBadRecord(InvalidJsonText(error), 0, payload);
    }
    return handler.OnBadRecord(fmt::format("message is not a JSON object (found {}); {}",
                                           JsonTypeName(type), kExpectedShapes),
                               0, payload);
  }
  od::object object;
  if (auto error = document.get_object().get(object)) {
    return handler.OnBadRecord(InvalidJsonText(error), 0, payload);
  }

  // One pass over the top-level keys decides the shape; only Records is read on the spot.
  std::optional<std::string_view> detail_type;  // in the parser's string buffer
  std::optional<std::string_view> detail;       // in state.buffer
  std::optional<od::json_type> detail_kind;
  for (auto member : object) {
    od::field field;
    std::string_view key;
    auto error = std::move(member).get(field);
    if (!error) error = field.unescaped_key().get(key);
    if (error) return handler.OnBadRecord(InvalidJsonText(error), 0, payload);
    if (key == "Records") return state.DecodeBatch(field.value(), payload, handler);
    if (key == "detail-type") {
      od::json_type kind;
      if (auto type_error = field.value().type().get(kind)) {
        return handler.OnBadRecord(InvalidJsonText(type_error), 0, payload);
      }
      if (kind != od::json_type::string) {
        return handler.OnBadRecord(
            fmt::format("field detail-type must be a string, not {}", JsonTypeName(kind)), 0,
            payload);
      }
      std::string_view text;
      if (auto text_error = field.value().get_string().get(text)) {
        return handler.OnBadRecord(InvalidJsonText(text_error), 0, payload);
      }
      detail_type = text;
    } else if (key == "detail") {
      od::json_type kind;
      if (auto type_error = field.value().type().get(kind)) {
        return handler.OnBadRecord(InvalidJsonText(type_error), 0, payload);
      }
      detail_kind = kind;
      std::string_view raw;
      if (auto raw_error = RawJson(field.value()).get(raw)) {
        return handler.OnBadRecord(InvalidJsonText(raw_error), 0, payload);
      }
      detail = TrimTrailingSpace(raw);
    }
  }
  if (document.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    return handler.OnBadRecord("truncated or invalid JSON: unexpected content after the message", 0,
                               payload);
  }

  if (!detail_type) {
    return state.Record(std::string_view(state.buffer.data(), payload.size()), 0, payload, {},
                        handler);
  }
  if (!IsCloudTrailDetailType(*detail_type)) {
    return handler.OnBadRecord(
        fmt::format("EventBridge event of detail-type \"{}\" is not a CloudTrail record",
                    detail_type->substr(0, 128)),
        0, payload);
  }
  if (!detail) return handler.OnBadRecord("EventBridge envelope without a detail", 0, payload);
  if (detail_kind != od::json_type::object) {
    return handler.OnBadRecord(
        fmt::format("field detail must be an object, not {}", JsonTypeName(*detail_kind)), 0,
        payload);
  }
  state.Record(*detail, 0, payload, "detail: ", handler);
}

}  // namespace trailsight::consumers
