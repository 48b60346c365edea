#include "app/explain_command.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "app/time_text.h"
#include "config/config.h"
#include "consumers/input_paths.h"
#include "consumers/replay_reader.h"
#include "detector/detector.h"
#include "detector/pipeline.h"

namespace trailsight::app {
namespace {

using std::chrono::minutes;

// Insights whose span comes this close to --at are listed.
constexpr std::chrono::hours kFindingsAround{3};

// The key asked about: ACCOUNT/REGION/SOURCE/NAME, with /ERRORCODE for error-rate keys.
struct KeySpec {
  common::InsightType type = common::InsightType::kApiCallRate;
  std::string account, region, event_source, event_name, error_code;

  bool Matches(common::InsightType other_type, std::string_view other_account,
               std::string_view other_region, std::string_view other_source,
               std::string_view other_name, std::string_view other_error) const {
    return type == other_type && event_name == other_name && event_source == other_source &&
           account == other_account && region == other_region &&
           (type == common::InsightType::kApiCallRate || error_code == other_error);
  }
};

common::Result<KeySpec> ParseKey(std::string_view text) {
  std::vector<std::string> parts;
  std::size_t from = 0;
  while (true) {
    const std::size_t slash = text.find('/', from);
    parts.emplace_back(text.substr(from, slash - from));
    if (slash == std::string_view::npos) break;
    from = slash + 1;
  }
  const bool empty_part =
      std::any_of(parts.begin(), parts.end(), [](const std::string& p) { return p.empty(); });
  if ((parts.size() != 4 && parts.size() != 5) || empty_part) {
    return common::Error{
        common::ErrorCode::kInvalidArgument,
        fmt::format("explain: --key '{}' is not ACCOUNT/REGION/SOURCE/NAME[/ERRORCODE] (for "
                    "example 123456789012/us-east-1/ec2.amazonaws.com/TerminateInstances)",
                    text)};
  }
  KeySpec key;
  key.account = parts[0];
  key.region = parts[1];
  key.event_source = parts[2];
  key.event_name = parts[3];
  if (parts.size() == 5) {
    key.type = common::InsightType::kApiErrorRate;
    key.error_code = parts[4];
  }
  return key;
}

std::string FormatMinute(common::Minute minute) {
  std::string text = common::FormatUtcTimestamp(common::Seconds{minute});
  return text.substr(0, 16) + "Z";  // "YYYY-MM-DDTHH:MM"
}

// One minute of the key as the detector judged it, copied out of the observer call.
struct JudgedMinute {
  common::Minute minute{};
  std::uint32_t calls = 0;
  std::uint32_t calm_below = 0;
  double score = 0.0;
  bool warm = false;
  std::vector<detector::WindowJudgement> windows;
};

// Keeps the key's judged minutes between `from` and `to`, and how many minutes of the key
// were judged in all.
class KeyTimeline final : public detector::MinuteObserver {
 public:
  KeyTimeline(const KeySpec& key, common::Minute from, common::Minute to)
      : key_(key), from_(from), to_(to) {}

  void OnMinuteClosed(const detector::MinuteJudgement& judgement) override {
    if (!key_.Matches(judgement.type, judgement.account, judgement.region, judgement.event_source,
                      judgement.event_name, judgement.error_code)) {
      return;
    }
    if (judged_ == 0) first_ = judgement.minute;
    last_ = judgement.minute;
    ++judged_;
    if (judgement.minute < from_ || judgement.minute > to_) return;
    in_range_.push_back({.minute = judgement.minute,
                         .calls = judgement.calls,
                         .calm_below = judgement.calm_below,
                         .score = judgement.score,
                         .warm = judgement.warm,
                         .windows = {judgement.windows.begin(), judgement.windows.end()}});
  }

  const std::vector<JudgedMinute>& in_range() const { return in_range_; }
  std::uint64_t judged() const { return judged_; }
  common::Minute first() const { return first_; }
  common::Minute last() const { return last_; }

 private:
  const KeySpec& key_;  // outlives the timeline: both live in RunExplain
  const common::Minute from_, to_;
  std::vector<JudgedMinute> in_range_;
  std::uint64_t judged_ = 0;
  common::Minute first_{}, last_{};
};

// Keeps every insight record on the key; writes nothing.
class KeyFindings final : public common::FindingSink {
 public:
  explicit KeyFindings(const KeySpec& key) : key_(key) {}
  common::Status Publish(const common::Finding& finding) override {
    const common::InsightKey& k = finding.key;
    if (key_.Matches(k.type, k.account, k.region, k.event_source, k.event_name, k.error_code)) {
      findings_.push_back(finding);
    }
    return common::Ok();
  }
  common::Status Flush() override { return common::Ok(); }

  const std::vector<common::Finding>& findings() const { return findings_; }

 private:
  const KeySpec& key_;  // outlives the sink: both live in RunExplain
  std::vector<common::Finding> findings_;
};

// Counts unreadable records: explain reports them, `trailsight replay` writes them.
class CountedDeadLetters final : public common::DeadLetterSink {
 public:
  void Write(const common::DeadLetter&) override { ++count_; }
  std::uint64_t count() const { return count_; }

 private:
  std::uint64_t count_ = 0;
};

std::string Number(double value) {
  if (value < 1.0) return fmt::format("{:.3g}", value);
  return value < 10.0 ? fmt::format("{:.2f}", value) : fmt::format("{:.1f}", value);
}

// One insight on the key, from its Start and, once it ended, its End.
struct Episode {
  const common::Finding* start = nullptr;
  const common::Finding* end = nullptr;  // null while still open at the end of the input

  // Whether `minute` lies within the insight: from its start to the minute before the
  // End's date, the first minute back to normal.
  bool Covers(common::Minute minute) const {
    return start->start <= minute && (end == nullptr || minute < end->event_time);
  }
};

std::vector<Episode> Episodes(const std::vector<common::Finding>& findings) {
  std::vector<Episode> episodes;
  for (const common::Finding& finding : findings) {
    if (finding.state == common::InsightState::kStart) episodes.push_back({.start = &finding});
  }
  for (const common::Finding& finding : findings) {
    if (finding.state != common::InsightState::kEnd) continue;
    for (Episode& episode : episodes) {
      if (episode.start->start == finding.start) episode.end = &finding;
    }
  }
  return episodes;
}

// The first window that reached its firing level, if any.
const detector::WindowJudgement* Reached(const JudgedMinute& minute) {
  for (const detector::WindowJudgement& window : minute.windows) {
    if (window.calls >= window.fire_at) return &window;
  }
  return nullptr;
}

// The window that came closest to firing: the highest score, the shortest on a tie.
const detector::WindowJudgement* Closest(const JudgedMinute& minute) {
  const detector::WindowJudgement* closest = nullptr;
  for (const detector::WindowJudgement& window : minute.windows) {
    if (closest == nullptr || window.score > closest->score) closest = &window;
  }
  return closest;
}

// Describes a window that reached its threshold.
std::string WindowClause(const detector::WindowJudgement& window) {
  return fmt::format("the {}-minute window's {} calls reached its threshold {} (expected {})",
                     window.minutes, window.calls, window.fire_at, Number(window.expected));
}

// Says why `minute` did or did not start an insight, given the key's insights.
std::string Verdict(const JudgedMinute& minute, const std::vector<Episode>& episodes,
                    const KeySpec& key, const detector::DetectorOptions& options) {
  const detector::WindowJudgement* reached = Reached(minute);
  for (const Episode& episode : episodes) {
    if (episode.start->start == minute.minute) {
      return fmt::format("fired: {}; an insight started in this minute.",
                         reached != nullptr ? WindowClause(*reached)
                                            : std::string("a window reached its threshold"));
    }
    if (episode.Covers(minute.minute)) {
      return fmt::format(
          "within the insight that started {}: {} calls, against a one-minute calm level of {}.",
          FormatMinute(episode.start->start), minute.calls, minute.calm_below);
    }
    if (episode.end != nullptr && episode.end->event_time == minute.minute) {
      return fmt::format(
          "back to normal: the insight that started {} ended after {} calm minutes; its End is "
          "dated at this minute.",
          FormatMinute(episode.start->start), options.end_after_quiet_minutes);
    }
  }
  if (!minute.warm) {
    return fmt::format(
        "did not fire: {}/{} was still warming up (insights need {} h of its history){}.",
        key.account, key.region, options.warmup.count(),
        reached != nullptr ? fmt::format(", though {}", WindowClause(*reached)) : "");
  }
  if (reached != nullptr) {
    return fmt::format(
        "did not fire although {}: the config holds this key back (an override that disables "
        "it or its windows, an exclusion, or a quiet window).",
        WindowClause(*reached));
  }
  const detector::WindowJudgement* closest = Closest(minute);
  if (closest == nullptr) return "did not fire: no window was judged.";
  return fmt::format(
      "did not fire: every window stayed below its threshold; closest was the {}-minute "
      "window, {} calls against {} (expected {}, score {:.2f}).",
      closest->minutes, closest->calls, closest->fire_at, Number(closest->expected),
      closest->score);
}

void PrintMinute(const JudgedMinute& minute, bool marked, std::string_view verdict) {
  fmt::print("{}  {} calls, score {:.2f}{}\n", FormatMinute(minute.minute), minute.calls,
             minute.score, marked ? "   <- --at" : "");
  fmt::print("  {:>7} {:>7} {:>9} {:>8} {:>6}\n", "window", "calls", "expected", "fire at",
             "score");
  for (const detector::WindowJudgement& window : minute.windows) {
    fmt::print("  {:>3} min {:>7} {:>9} {:>8} {:>6.2f}\n", window.minutes, window.calls,
               Number(window.expected), window.fire_at, window.score);
  }
  fmt::print("  {}\n\n", verdict);
}

void PrintInsights(const std::vector<Episode>& episodes, common::Minute at) {
  const common::Minute from = at - kFindingsAround, to = at + kFindingsAround;
  int listed = 0;
  for (const Episode& episode : episodes) {
    const common::Minute last =
        episode.end != nullptr ? episode.end->event_time : common::Minute::max();
    if (episode.start->start > to || last < from) continue;
    ++listed;
    fmt::print(
        "  Start {}: fired as its first minute reached {} calls, against a baseline of "
        "{}/min\n",
        FormatMinute(episode.start->start), Number(episode.start->insight_average),
        Number(episode.start->baseline_average));
    if (episode.end != nullptr) {
      fmt::print("  End   {}: after {} minutes at {}/min on average\n",
                 FormatMinute(episode.end->event_time), episode.end->insight_duration_minutes,
                 Number(episode.end->insight_average));
    } else {
      fmt::print("  (still open at the end of the input)\n");
    }
  }
  if (listed == 0) {
    fmt::print("  none between {} and {} ({} in the whole input)\n", FormatMinute(from),
               FormatMinute(to), episodes.size());
  }
}

}  // namespace

CLI::App* AddExplainCommand(CLI::App& app, ExplainFlags& flags) {
  CLI::App* explain = app.add_subcommand(
      "explain",
      "Explain, for one key and minute, each window's count, baseline, threshold "
      "and score, and why it did or did not fire");
  explain
      ->add_option("--input", flags.inputs,
                   "CloudTrail inputs to replay, as for `trailsight replay` (files, AWSLogs/ "
                   "folders, - for stdin)")
      ->required();
  explain
      ->add_option("--key", flags.key,
                   "ACCOUNT/REGION/SOURCE/NAME (call rate) or "
                   "ACCOUNT/REGION/SOURCE/NAME/ERRORCODE (error rate)")
      ->required();
  explain->add_option("--at", flags.at, "The minute, e.g. 2026-11-07T14:07Z (UTC)")->required();
  explain->add_option("--config", flags.config_path,
                      "YAML config file (see config/trailsight.yaml)");
  explain->add_option("--around", flags.around, "Minutes shown before and after --at")
      ->check(CLI::Range(0, 120))
      ->capture_default_str();
  return explain;
}

int RunExplain(const ExplainFlags& flags) {
  common::Result<KeySpec> key = ParseKey(flags.key);
  if (!key) {
    fmt::print(stderr, "{}\n", key.error().message);
    return 2;
  }
  common::Result<common::Seconds> at_time = ParseTimeText(flags.at);
  if (!at_time) {
    fmt::print(stderr, "explain: --at {}\n", at_time.error().message);
    return 2;
  }
  const common::Minute at = common::FloorMinute(*at_time);
  common::Result<config::Config> loaded = config::LoadConfigFileOrDefaults(flags.config_path);
  if (!loaded) {
    fmt::print(stderr, "{}\n", loaded.error().message);
    return 2;
  }
  config::Config config = *std::move(loaded);
  common::Result<consumers::InputList> inputs = consumers::ExpandInputs(flags.inputs);
  if (!inputs) {
    fmt::print(stderr, "explain: {}\n", inputs.error().message);
    return 2;
  }

  const minutes around{flags.around};
  KeyTimeline timeline(*key, at - around, at + around);
  KeyFindings findings(*key);
  CountedDeadLetters dead_letters;
  common::StringInterner interner;
  detector::Detector detector(config.detector, interner, findings);
  detector.SetMinuteObserver(&timeline);
  consumers::ReplayReader reader(interner, dead_letters,
                                 {.max_record_bytes = config.input.max_record_bytes,
                                  .min_event_time = config.input.min_event_time});
  int status = 0;
  for (const common::Error& unreadable : inputs->unreadable) {
    spdlog::error("explain: {} (not read)", unreadable.message);
    status = 1;
  }
  {
    common::UnwrittenAlerts alerts;  // explain shows one key's minutes, not alerts
    detector::Pipeline feed(interner, /*tamper=*/nullptr, /*novelty=*/nullptr, &detector, alerts);
    for (const std::string& input : inputs->files) {
      if (common::Status read = reader.ReadInput(input, feed); !read) {
        spdlog::error("explain: {}", read.error().message);
        status = 1;
      }
    }
  }
  detector.FinishInput();

  const consumers::InputCounters& in = reader.counters();
  fmt::print("Key {} ({})\n", flags.key,
             key->type == common::InsightType::kApiErrorRate ? "error rate" : "call rate");
  fmt::print("Replayed {} inputs, {} records ({} unreadable). ", in.inputs, in.records,
             dead_letters.count());
  if (timeline.judged() == 0) {
    fmt::print("No minute of this key was judged: it had no calls in scope in the input.\n");
    return status;
  }
  fmt::print("{} minutes of this key were judged, from {} to {}.\n\n", timeline.judged(),
             FormatMinute(timeline.first()), FormatMinute(timeline.last()));

  const std::vector<Episode> episodes = Episodes(findings.findings());
  auto next = timeline.in_range().begin();
  for (common::Minute minute = at - around; minute <= at + around; minute += minutes{1}) {
    if (next == timeline.in_range().end() || next->minute != minute) {
      fmt::print("{}  0 calls: nothing to judge (no calls and no open insight){}\n\n",
                 FormatMinute(minute), minute == at ? "   <- --at" : "");
      continue;
    }
    PrintMinute(*next, minute == at, Verdict(*next, episodes, *key, config.detector));
    ++next;
  }
  fmt::print("Insights on this key within {} h of {}:\n", kFindingsAround.count(),
             FormatMinute(at));
  PrintInsights(episodes, at);
  return status;
}

}  // namespace trailsight::app
