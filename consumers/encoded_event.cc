#include "consumers/encoded_event.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>

namespace trailsight::consumers {
namespace {

constexpr unsigned kReadOnly = 1u << 0;
constexpr unsigned kCategoryShift = 1;
constexpr unsigned kCategoryMask = 3u << kCategoryShift;
constexpr char kVersionWithoutSource = 0x01;
constexpr char kVersionWithoutTargetUser = 0x02;
constexpr unsigned kMarkHasTime = 1u << 0;
constexpr unsigned kMarkHolds = 1u << 1;
constexpr std::uint64_t kMaxMarks = 1u << 16;  // more input partitions than any topic has

std::uint64_t Zigzag(common::Seconds time) {
  const std::int64_t seconds = time.time_since_epoch().count();
  return (static_cast<std::uint64_t>(seconds) << 1) ^ static_cast<std::uint64_t>(seconds >> 63);
}
common::Seconds Unzigzag(std::uint64_t value) {
  return common::Seconds{std::chrono::seconds{static_cast<std::int64_t>(value >> 1) ^
                                              -static_cast<std::int64_t>(value & 1)}};
}

void AppendVarint(std::uint64_t value, std::string& out) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void AppendText(std::string_view text, std::string& out) {
  AppendVarint(text.size(), out);
  out.append(text);
}

// Reads the layout's values front to back; `failed` is set, never cleared, by the first
// value that is not there.
class EncodedReader {
 public:
  explicit EncodedReader(std::string_view bytes) : bytes_(bytes) {}

  std::uint64_t Varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at_ >= bytes_.size()) break;
      const auto byte = static_cast<unsigned char>(bytes_[at_++]);
      value |= std::uint64_t{byte & 0x7fu} << shift;
      if ((byte & 0x80u) == 0) return value;
    }
    failed_ = true;
    return 0;
  }
  std::string_view Text() {
    const std::uint64_t size = Varint();
    if (failed_ || size > bytes_.size() - at_) {
      failed_ = true;
      return {};
    }
    const std::string_view text = bytes_.substr(at_, size);
    at_ += size;
    return text;
  }
  unsigned char Byte() {
    if (at_ >= bytes_.size()) {
      failed_ = true;
      return 0;
    }
    return static_cast<unsigned char>(bytes_[at_++]);
  }
  bool failed() const { return failed_; }
  bool at_end() const { return at_ == bytes_.size(); }

 private:
  std::string_view bytes_;
  std::size_t at_ = 0;
  bool failed_ = false;
};

common::Error Malformed(std::string_view what) {
  return {common::ErrorCode::kMalformedEvent, fmt::format("re-keyed record: {}", what)};
}

}  // namespace

void AppendEncodedEvent(const common::Event& event, const common::StringInterner& interner,
                        EventSource source, std::string& out) {
  out.push_back(kEncodedEventVersion);
  AppendText(source.topic, out);
  AppendVarint(source.partition >= 0 ? static_cast<std::uint64_t>(source.partition) + 1 : 0, out);
  AppendVarint(Zigzag(event.time), out);
  const unsigned flags =
      (event.read_only ? kReadOnly : 0) | (static_cast<unsigned>(event.category) << kCategoryShift);
  out.push_back(static_cast<char>(flags));
  for (common::Symbol symbol :
       {event.account, event.region, event.source, event.name, event.error_code, event.principal,
        event.user_agent, event.resource}) {
    AppendText(symbol == common::kNoSymbol ? std::string_view{} : interner.Resolve(symbol), out);
  }
  AppendText(event.event_id.view(), out);
  AppendText(event.source_ip.view(), out);
  AppendText(event.target_user == common::kNoSymbol ? std::string_view{}
                                                    : interner.Resolve(event.target_user),
             out);
}

common::Result<common::Event> DecodeEncodedEvent(std::string_view bytes,
                                                 common::StringInterner& interner,
                                                 EventSource* source) {
  if (bytes.empty() || (bytes[0] != kEncodedEventVersion && bytes[0] != kVersionWithoutSource &&
                        bytes[0] != kVersionWithoutTargetUser)) {
    return Malformed(bytes.empty() ? "empty"
                                   : fmt::format("version {} is not {}", static_cast<int>(bytes[0]),
                                                 static_cast<int>(kEncodedEventVersion)));
  }
  EncodedReader in(bytes.substr(1));
  EventSource from;
  if (bytes[0] != kVersionWithoutSource) {
    from.topic = in.Text();
    const std::uint64_t partition = in.Varint();
    if (partition > static_cast<std::uint64_t>(INT32_MAX)) return Malformed("partition too large");
    from.partition = static_cast<std::int32_t>(partition) - 1;
  }
  common::Event event;
  event.time = Unzigzag(in.Varint());
  const unsigned flags = in.Byte();
  event.read_only = (flags & kReadOnly) != 0;
  // Two bits hold every category there is.
  static_assert(static_cast<unsigned>(common::EventCategory::kInsight) == 3);
  event.category = static_cast<common::EventCategory>((flags & kCategoryMask) >> kCategoryShift);
  std::array<std::string_view, 8> texts;
  for (std::string_view& text : texts) text = in.Text();
  const std::string_view event_id = in.Text();
  const std::string_view source_ip = in.Text();
  const std::string_view target_user = bytes[0] == kEncodedEventVersion ? in.Text() : "";
  if (in.failed()) return Malformed("ends early");
  if (!in.at_end()) return Malformed("bytes after the last field");
  common::Symbol* symbols[] = {&event.account,    &event.region,     &event.source,
                               &event.name,       &event.error_code, &event.principal,
                               &event.user_agent, &event.resource};
  for (std::size_t i = 0; i < texts.size(); ++i) *symbols[i] = interner.Intern(texts[i]);
  event.event_id.Assign(event_id);
  event.source_ip.Assign(source_ip);
  // A longer name was never parsed into an Event: the bound holds for re-keyed records too.
  if (target_user.size() <= common::kMaxTargetUserBytes) {
    event.target_user = interner.Intern(target_user);
  }
  if (source != nullptr) *source = from;
  return event;
}

void AppendSourceMarks(const std::vector<SourceMark>& marks, std::string& out) {
  out.push_back(kSourceMarksKind);
  AppendVarint(marks.size(), out);
  for (const SourceMark& mark : marks) {
    AppendText(mark.topic, out);
    AppendVarint(static_cast<std::uint64_t>(std::max(mark.partition, 0)), out);
    out.push_back(
        static_cast<char>((mark.time ? kMarkHasTime : 0u) | (mark.holds ? kMarkHolds : 0u)));
    if (mark.time) AppendVarint(Zigzag(*mark.time), out);
  }
}

common::Status DecodeSourceMarks(std::string_view bytes, std::vector<SourceMark>& marks) {
  marks.clear();
  if (!IsSourceMarks(bytes)) return Malformed("not source marks");
  EncodedReader in(bytes.substr(1));
  const std::uint64_t count = in.Varint();
  if (count > kMaxMarks) return Malformed(fmt::format("{} source marks", count));
  for (std::uint64_t i = 0; i < count && !in.failed(); ++i) {
    SourceMark mark;
    mark.topic = in.Text();
    const std::uint64_t partition = in.Varint();
    if (partition > static_cast<std::uint64_t>(INT32_MAX)) return Malformed("partition too large");
    mark.partition = static_cast<std::int32_t>(partition);
    const unsigned flags = in.Byte();
    mark.holds = (flags & kMarkHolds) != 0;
    if ((flags & kMarkHasTime) != 0) mark.time = Unzigzag(in.Varint());
    marks.push_back(mark);
  }
  if (in.failed()) return Malformed("source marks end early");
  if (!in.at_end()) return Malformed("bytes after the last source mark");
  return common::Ok();
}

std::int32_t RepartitionOf(std::string_view account, std::string_view region,
                           std::int32_t partitions) {
  std::uint64_t hash = 14695981039346656037ull;
  const auto mix = [&hash](std::string_view text) {
    for (char c : text) {
      hash ^= static_cast<unsigned char>(c);
      hash *= 1099511628211ull;
    }
  };
  mix(account);
  mix(std::string_view("\0", 1));
  mix(region);
  return static_cast<std::int32_t>(hash % static_cast<std::uint64_t>(partitions));
}

}  // namespace trailsight::consumers
