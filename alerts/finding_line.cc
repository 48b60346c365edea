#include "alerts/finding_line.h"

#include <fmt/format.h>

#include <string_view>
#include <vector>

#include "alerts/ocsf_record.h"

namespace trailsight::alerts {
namespace {

constexpr std::string_view kSeparator = "  ";
constexpr int kStateWidth = 5;      // "Start", "Alert"
constexpr int kTypeWidth = 13;      // "silent source"
constexpr double kSmallest = 0.01;  // averages below this print as "<0.01"

constexpr std::string_view kBoldRed = "\x1b[1;31m";
constexpr std::string_view kGreen = "\x1b[32m";
constexpr std::string_view kYellow = "\x1b[33m";
constexpr std::string_view kReset = "\x1b[0m";

// Copies `text` with every C0 control byte, DEL and C1 control character (U+0080..U+009F,
// bytes C2 80..C2 9F in UTF-8) written as \xNN, so it cannot drive the terminal.
std::string Printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
      continue;
    }
    if (byte == 0xc2 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9f) {
        out += fmt::format("\\x{:02x}\\x{:02x}", byte, next);
        ++i;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

// Pads `word` to `width` and, with colour, wraps the word (not the padding) in `colour`.
std::string Column(std::string_view word, int width, std::string_view colour, LineStyle style) {
  const std::string padding(word.size() < static_cast<std::size_t>(width)
                                ? static_cast<std::size_t>(width) - word.size()
                                : 0,
                            ' ');
  if (!style.colour || colour.empty()) return fmt::format("{}{}", word, padding);
  return fmt::format("{}{}{}{}", colour, word, kReset, padding);
}

// A per-minute average as a person reads it: "0", "<0.01", two significant digits below
// 10 ("0.52", "1.2", "6"), whole numbers from 10 on ("40", "1234").
std::string Average(double per_minute) {
  if (per_minute <= 0.0) return "0";
  if (per_minute < kSmallest) return fmt::format("<{}", kSmallest);
  if (per_minute >= 10.0) return fmt::format("{:.0f}", per_minute);
  return fmt::format("{:.2g}", per_minute);
}

std::string ApiColumn(std::string_view source, std::string_view name, std::string_view error_code) {
  std::string api = fmt::format("{} {}", Printable(source), Printable(name));
  if (!error_code.empty()) api += fmt::format(" ({})", Printable(error_code));
  return api;
}

std::string Where(std::string_view account, std::string_view region) {
  return fmt::format("{}/{}", Printable(account), Printable(region));
}

std::string CountAgainstBaseline(const common::Finding& finding) {
  const bool errors = finding.key.type == common::InsightType::kApiErrorRate;
  std::string count =
      fmt::format("{} {}/min", Average(finding.insight_average), errors ? "errors" : "calls");
  if (finding.state == common::InsightState::kEnd) {
    count += fmt::format(" for {} min", finding.insight_duration_minutes);
  }
  count += fmt::format(" vs baseline {}", Average(finding.baseline_average));
  if (finding.baseline_average > 0.0) {
    const double ratio = finding.insight_average / finding.baseline_average;
    count += ratio >= 10.0 ? fmt::format(" ({:.0f}x)", ratio) : fmt::format(" ({:.1f}x)", ratio);
  }
  return count;
}

// The first principal of the insight window's userIdentityArn attribution; empty if none.
std::string_view TopPrincipal(const common::Finding& finding) {
  for (const common::Attribution& attribution : finding.attributions) {
    if (attribution.attribute == "userIdentityArn" && !attribution.insight.empty()) {
      return attribution.insight.front().value;
    }
  }
  return {};
}

std::string_view AlertKindText(common::AlertKind kind) {
  switch (kind) {
    case common::AlertKind::kTamper:
      return "tamper";
    case common::AlertKind::kSilentSource:
      return "silent source";
    case common::AlertKind::kCapReached:
      return "cap reached";
    case common::AlertKind::kNovelty:
      return "novelty";
  }
  return "alert";  // unreachable: every enumerator is handled above
}

std::string_view SeverityColour(common::Severity severity) {
  switch (severity) {
    case common::Severity::kCritical:
    case common::Severity::kHigh:
      return kBoldRed;
    case common::Severity::kMedium:
      return kYellow;
    case common::Severity::kLow:
    case common::Severity::kInformational:
      return {};
  }
  return {};  // unreachable
}

std::string Join(const std::vector<std::string>& fields) {
  std::string line;
  for (const std::string& field : fields) {
    if (!line.empty()) line += kSeparator;
    line += field;
  }
  return line;
}

}  // namespace

std::string RenderFindingLine(const common::Finding& finding, LineStyle style) {
  const common::InsightKey& key = finding.key;
  const bool start = finding.state == common::InsightState::kStart;
  const bool errors = key.type == common::InsightType::kApiErrorRate;
  std::vector<std::string> fields = {
      common::FormatUtcTimestamp(common::Seconds{finding.event_time}),
      Column(start ? "Start" : "End", kStateWidth, start ? kBoldRed : kGreen, style),
      Column(errors ? "error rate" : "call rate", kTypeWidth, {}, style),
      ApiColumn(key.event_source, key.event_name, errors ? std::string_view(key.error_code) : ""),
      Where(key.account, key.region),
      CountAgainstBaseline(finding),
  };
  if (const std::string_view top = TopPrincipal(finding); !top.empty()) {
    fields.push_back(fmt::format("top {}", Printable(top)));
  }
  return Join(fields);
}

std::string RenderAlertLine(const common::Alert& alert, LineStyle style) {
  std::vector<std::string> fields = {
      common::FormatUtcTimestamp(alert.time),
      Column("Alert", kStateWidth, SeverityColour(alert.severity), style),
      Column(AlertKindText(alert.kind), kTypeWidth, {}, style),
  };
  if (!alert.event_name.empty()) {
    fields.push_back(ApiColumn(alert.event_source, alert.event_name, alert.error_code));
  }
  fields.push_back(Where(alert.account, alert.region));
  fields.push_back(fmt::format("{} {}", SeverityName(alert.severity), Printable(alert.rule)));
  const bool about_a_call =
      alert.kind == common::AlertKind::kTamper || alert.kind == common::AlertKind::kNovelty;
  if (about_a_call && !alert.principal.empty()) {
    fields.push_back(fmt::format("by {}", Printable(alert.principal)));
  } else if (!about_a_call && !alert.message.empty()) {
    fields.push_back(Printable(alert.message));
  }
  return Join(fields);
}

}  // namespace trailsight::alerts
