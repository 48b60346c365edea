#include "app/replay_command.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

#include "alerts/insight_sink.h"
#include "alerts/ocsf_sink.h"
#include "alerts/text_lines_sink.h"
#include "app/config_reload.h"
#include "app/dead_letters.h"
#include "app/progress.h"
#include "app/series_writer.h"
#include "app/snapshot_store.h"
#include "config/config.h"
#include "consumers/dead_letter_file.h"
#include "consumers/replay_reader.h"
#include "detector/detector.h"
#include "detector/pipeline.h"
#include "detector/tamper_rules.h"

namespace trailsight::app {
namespace {

// Feeds parsed events through the pipeline, and the progress line.
class ReplayFeed final : public common::EventReceiver {
 public:
  explicit ReplayFeed(detector::Pipeline& pipeline) : pipeline_(pipeline) {}
  void OnEvent(const common::Event& event) override {
    pipeline_.OnEvent(event);
    progress_.Tick(event.time);
  }

 private:
  detector::Pipeline& pipeline_;  // outlives the feed: both live in RunReplay
  ProgressLine progress_;
};

}  // namespace

CLI::App* AddReplayCommand(CLI::App& app, ReplayFlags& flags) {
  CLI::App* replay = app.add_subcommand(
      "replay", "Replay CloudTrail files, S3-layout folders or stdin (-) and write insights");
  replay->add_option("paths", flags.paths,
                     "Inputs: {\"Records\":[...]} .json/.json.gz files, JSON arrays, JSON lines, "
                     "AWSLogs/ folders (recursive), or - for stdin; default: input.files of the "
                     "config");
  replay->add_option("--config", flags.config_path,
                     "YAML config file (see config/trailsight.yaml)");
  replay->add_option("--insights-out", flags.insights_out,
                     "Where insights go: - (stdout, JSON lines), FILE (JSON lines) or DIR/ "
                     "(S3 layout AWSLogs/<acct>/CloudTrail-Insight/...)");
  replay->add_option("--alerts-out", flags.alerts_out,
                     "Where tamper alerts and a mirror of every insight go, as OCSF Detection "
                     "Findings: - (stdout) or FILE (JSON lines); default: not written");
  replay->add_option("--dead-letter-out", flags.dead_letter_out,
                     "JSON-lines file for rejected records (default from config)");
  replay->add_option("--state-out", flags.state_out,
                     "Write the learned state as a snapshot in this folder, so `trailsight run` "
                     "with state.dir there starts warm");
  replay->add_option("--series", flags.series_out,
                     "Write every judged key-minute (calls, expected, thresholds, scores, "
                     "insight state) as CSV to this file (- for stdout), for notebooks");
  replay->add_option("--series-key", flags.series_keys,
                     "Only keys matching this glob in --series, as ACCOUNT/REGION/SOURCE/NAME"
                     "[/ERRORCODE] (e.g. '*/TerminateInstances'); repeatable");
  replay
      ->add_option("--format", flags.format,
                   "How findings and alerts sent to stdout are written: text (one line each: "
                   "time, state, type, API, account/region, count against baseline, top "
                   "principal), json (JSON lines, as files are written) or auto (text on a "
                   "terminal, json otherwise)")
      ->check(CLI::IsMember({"auto", "text", "json"}))
      ->capture_default_str();
  return replay;
}

StdoutChoice ChooseStdout(std::string_view format, bool stdout_is_terminal, const char* no_color) {
  const bool text = format == "text" || (format != "json" && stdout_is_terminal);
  const bool colour_allowed = no_color == nullptr || *no_color == '\0';
  return {.text = text, .colour = text && stdout_is_terminal && colour_allowed};
}

int RunReplay(const ReplayFlags& flags) {
  common::Result<config::Config> loaded = config::LoadConfigFileOrDefaults(flags.config_path);
  if (!loaded) {
    fmt::print(stderr, "{}\n", loaded.error().message);
    return 2;
  }
  config::Config config = *std::move(loaded);
  if (flags.insights_out) config.outputs.insights = *flags.insights_out;
  if (flags.dead_letter_out) config.input.dead_letter_path = *flags.dead_letter_out;
  if (flags.alerts_out) config.outputs.alerts = *flags.alerts_out;
  common::Result<detector::CompiledTuning> tuning =
      detector::CompiledTuning::Compile(config.tuning);
  if (!tuning) {
    fmt::print(stderr, "replay: detection.{}\n", tuning.error().message);
    return 2;
  }

  const std::vector<std::string>& paths = flags.paths.empty() ? config.input.files : flags.paths;
  if (paths.empty()) {
    fmt::print(stderr, "replay: no input: give PATH... or set input.files in the config\n");
    return 2;
  }
  common::Result<consumers::InputList> inputs = consumers::ExpandInputs(paths);
  if (!inputs) {
    fmt::print(stderr, "replay: {}\n", inputs.error().message);
    return 2;
  }
  const StdoutChoice choice =
      ChooseStdout(flags.format, isatty(STDOUT_FILENO) == 1, std::getenv("NO_COLOR"));
  const alerts::StdoutFormat to_stdout{.text = choice.text, .style = {.colour = choice.colour}};
  auto insights = alerts::OpenInsightSink(config.outputs.insights, to_stdout);
  if (!insights) {
    fmt::print(stderr, "replay: {}\n", insights.error().message);
    return 2;
  }
  // The alerts output, where every insight is mirrored next to the alerts: OCSF lines, or
  // readable lines when it is stdout as text.
  std::unique_ptr<alerts::OcsfLinesSink> ocsf;
  std::unique_ptr<alerts::TextLinesSink> alert_lines;
  common::AlertSink* alert_out = nullptr;
  common::FindingSink* mirror = nullptr;
  if (config.outputs.alerts == "-" && to_stdout.text) {
    alert_lines = std::make_unique<alerts::TextLinesSink>(std::cout, to_stdout.style, "stdout");
    alert_out = alert_lines.get();
    // Insights already on stdout as lines are not printed twice.
    if (config.outputs.insights != "-") mirror = alert_lines.get();
  } else if (!config.outputs.alerts.empty()) {
    auto opened = alerts::OcsfLinesSink::Open(config.outputs.alerts);
    if (!opened) {
      fmt::print(stderr, "replay: {}\n", opened.error().message);
      return 2;
    }
    ocsf = *std::move(opened);
    alert_out = ocsf.get();
    mirror = ocsf.get();
  }
  auto dead_letters = consumers::FileDeadLetterSink::Create(config.input.dead_letter_path,
                                                            DeadLetterFileOptionsFor(config.input));
  if (!dead_letters) {
    fmt::print(stderr, "replay: {}\n", dead_letters.error().message);
    return 2;
  }

  std::optional<alerts::MirroredFindingSink> mirrored;
  if (mirror != nullptr) mirrored.emplace(**insights, *mirror);
  common::FindingSink& findings =
      mirrored ? static_cast<common::FindingSink&>(*mirrored) : **insights;
  common::UnwrittenAlerts unwritten;
  common::AlertSink& alert_sink = alert_out != nullptr ? *alert_out : unwritten;

  common::StringInterner interner({.max_strings = config.input.max_interned_strings,
                                   .max_bytes = config.input.max_interned_bytes});
  detector::TamperRules tamper(config.tamper, interner);
  detector::AccountFacts account_facts(interner);
  detector::NoveltyRules novelty(config.novelty, interner, account_facts);
  detector::Detector detector(config.detector, interner, findings);
  detector.Retune(*std::move(tuning));
  detector.SetAlertSink(&alert_sink);  // silent sources
  std::unique_ptr<SeriesWriter> series;
  if (!flags.series_out.empty()) {
    auto opened = SeriesWriter::Create(flags.series_out, flags.series_keys);
    if (!opened) {
      fmt::print(stderr, "replay: {}\n", opened.error().message);
      return 2;
    }
    series = *std::move(opened);
    detector.SetMinuteObserver(series.get());
  }
  consumers::ReplayReader reader(interner, **dead_letters,
                                 {.max_record_bytes = config.input.max_record_bytes,
                                  .min_event_time = config.input.min_event_time});
  // A folder that cannot be listed costs only itself: the rest is replayed, and the status
  // says something was left unread.
  int status = 0;
  for (const common::Error& unreadable : inputs->unreadable) {
    spdlog::error("replay: {} (not replayed)", unreadable.message);
    status = 1;
  }
  {
    detector::Pipeline pipeline(interner, &tamper, &novelty, &detector, alert_sink);
    ReplayFeed feed(pipeline);
    for (const std::string& input : inputs->files) {
      if (common::Status read = reader.ReadInput(input, feed); !read) {
        spdlog::error("replay: {}", read.error().message);
        status = 1;
      }
    }
  }
  if (!flags.state_out.empty()) {
    // Saved before the end-of-input close, so minutes still open stay open for the live
    // stream that continues this history.
    auto store = SnapshotStore::Open(flags.state_out, config.state.keep);
    common::Status written = store ? (*store)->Write({.offsets = {},
                                                      .detector_state = detector.SaveState(),
                                                      .partitions = {},
                                                      .trail_buckets = tamper.LearnedBuckets()})
                                   : common::Status(store.error());
    if (!written) {
      spdlog::error("replay: {}", written.error().message);
      status = 1;
    } else {
      spdlog::info("replay: state for {} keys written to {}", detector.key_count(),
                   flags.state_out);
    }
  }
  detector.FinishInput();
  if (series) {
    common::Result<std::uint64_t> rows = series->Finish();
    if (!rows) {
      spdlog::error("replay: {}", rows.error().message);
      status = 1;
    } else {
      spdlog::info("replay: {} key-minutes written to {}", *rows, flags.series_out);
    }
  }
  if (common::Status flushed = alert_sink.Flush(); !flushed) {
    spdlog::error("replay: {}", flushed.error().message);
    status = 1;
  }

  const consumers::InputCounters& in = reader.counters();
  const detector::DetectorCounters& out = detector.counters();
  const detector::TamperCounters& tampering = tamper.counters();
  const std::uint64_t letters_lost = (*dead_letters)->lost();
  std::string see_letters;
  if (in.malformed > 0) {
    see_letters = letters_lost == 0 ? fmt::format(" (see {})", config.input.dead_letter_path)
                                    : fmt::format(" (see {}; {} lost)",
                                                  config.input.dead_letter_path, letters_lost);
  }
  spdlog::info(
      "replay: {} inputs, {} records, {} malformed{}{}, {} long values cut, {} late dropped{}, "
      "{} keys, {} findings, {} alerts{}",
      in.inputs, in.records, in.malformed,
      in.oversized_fields > 0
          ? fmt::format(" ({} with a field beyond its bound)", in.oversized_fields)
          : "",
      see_letters, in.values_cut, out.late_dropped,
      out.far_ahead_held > 0
          ? fmt::format(", {} held far ahead of their region ({} never reached: dropped)",
                        out.far_ahead_held, out.far_ahead_dropped)
          : "",
      detector.key_count(), out.findings, tampering.alerts + novelty.counters().alerts + out.alerts,
      tampering.alerts + novelty.counters().alerts + out.alerts > 0 && alert_out == nullptr
          ? " (not written: set --alerts-out or outputs.alerts)"
          : "");
  if (out.publish_errors > 0 || tampering.publish_errors > 0 ||
      novelty.counters().publish_errors > 0) {
    status = 1;
  }
  if (letters_lost > 0) {
    spdlog::error(
        "replay: {} of {} dead letters could not be written to {}: that rejected "
        "input is lost",
        letters_lost, in.malformed, config.input.dead_letter_path);
    status = 1;
  }
  return status;
}

}  // namespace trailsight::app
