#include "app/replay_command.h"

#include <spdlog/spdlog.h>

#include "alerts/insight_sink.h"
#include "app/progress.h"
#include "app/snapshot_store.h"
#include "config/config.h"
#include "consumers/dead_letter_file.h"
#include "consumers/replay_reader.h"
#include "detector/detector.h"

namespace trailsight::app {
namespace {

// Feeds parsed events to the detector and the progress line.
class DetectorFeed final : public consumers::EventReceiver {
 public:
  explicit DetectorFeed(detector::Detector& detector) : detector_(detector) {}
  void OnEvent(const common::Event& event) override {
    detector_.OnEvent(event);
    progress_.Tick(event.time);
  }

 private:
  detector::Detector& detector_;  // outlives the feed: both live in RunReplay
  ProgressLine progress_;
};

}  // namespace

CLI::App* AddReplayCommand(CLI::App& app, ReplayFlags& flags) {
  CLI::App* replay = app.add_subcommand(
      "replay", "Replay CloudTrail files, S3-layout folders or stdin (-) and write insights");
  replay
      ->add_option("paths", flags.paths,
                   "Inputs: {\"Records\":[...]} .json/.json.gz files, JSON arrays, JSON lines, "
                   "AWSLogs/ folders (recursive), or - for stdin")
      ->required();
  replay->add_option("--config", flags.config_path,
                     "YAML config file (see config/trailsight.yaml)");
  replay->add_option("--insights-out", flags.insights_out,
                     "Where insights go: - (stdout, JSON lines), FILE (JSON lines) or DIR/ "
                     "(S3 layout AWSLogs/<acct>/CloudTrail-Insight/...)");
  replay->add_option("--dead-letter-out", flags.dead_letter_out,
                     "JSON-lines file for rejected records (default from config)");
  replay->add_option("--state-out", flags.state_out,
                     "Write the learned state as a snapshot in this folder, so `trailsight run` "
                     "with state.dir there starts warm");
  return replay;
}

int RunReplay(const ReplayFlags& flags) {
  config::Config config;
  if (!flags.config_path.empty()) {
    common::Result<config::Config> loaded = config::LoadConfigFile(flags.config_path);
    if (!loaded) {
      fmt::print(stderr, "{}\n", loaded.error().message);
      return 2;
    }
    config = *std::move(loaded);
  }
  if (flags.insights_out) config.outputs.insights = *flags.insights_out;
  if (flags.dead_letter_out) config.input.dead_letter_path = *flags.dead_letter_out;

  common::Result<std::vector<std::string>> inputs = consumers::ExpandInputs(flags.paths);
  if (!inputs) {
    fmt::print(stderr, "replay: {}\n", inputs.error().message);
    return 2;
  }
  auto insights = alerts::OpenInsightSink(config.outputs.insights);
  if (!insights) {
    fmt::print(stderr, "replay: {}\n", insights.error().message);
    return 2;
  }
  auto dead_letters = consumers::FileDeadLetterSink::Create(config.input.dead_letter_path);
  if (!dead_letters) {
    fmt::print(stderr, "replay: {}\n", dead_letters.error().message);
    return 2;
  }

  common::StringInterner interner;
  detector::Detector detector(config.detector, interner, **insights);
  consumers::ReplayReader reader(interner, **dead_letters,
                                 {.max_record_bytes = config.input.max_record_bytes});
  int status = 0;
  {
    DetectorFeed feed(detector);
    for (const std::string& input : *inputs) {
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
    common::Status written =
        store ? (*store)->Write({.offsets = {}, .detector_state = detector.SaveState()})
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

  const consumers::InputCounters& in = reader.counters();
  const detector::DetectorCounters& out = detector.counters();
  spdlog::info(
      "replay: {} inputs, {} records, {} malformed{}, {} late dropped, {} keys, {} findings",
      in.inputs, in.records, in.malformed,
      in.malformed > 0 ? fmt::format(" (see {})", config.input.dead_letter_path) : "",
      out.late_dropped, detector.key_count(), out.findings);
  if (out.publish_errors > 0) status = 1;
  return status;
}

}  // namespace trailsight::app
