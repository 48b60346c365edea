#include "eval/harness.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/check.h"
#include "common/interner.h"
#include "consumers/record_parser.h"
#include "detector/detector.h"
#include "detector/minute_observer.h"
#include "detector/pipeline.h"
#include "sim/layout.h"

namespace trailsight::eval {
namespace {

class CollectingFindings final : public common::FindingSink {
 public:
  explicit CollectingFindings(std::vector<common::Finding>& out) : out_(out) {}
  common::Status Publish(const common::Finding& finding) override {
    out_.push_back(finding);
    return common::Ok();
  }
  common::Status Flush() override { return common::Ok(); }

 private:
  std::vector<common::Finding>& out_;  // outlives the sink
};

class CollectingAlerts final : public common::AlertSink {
 public:
  explicit CollectingAlerts(std::vector<common::Alert>& out) : out_(out) {}
  common::Status Publish(const common::Alert& alert) override {
    out_.push_back(alert);
    return common::Ok();
  }
  common::Status Flush() override { return common::Ok(); }

 private:
  std::vector<common::Alert>& out_;  // outlives the sink
};

// Keeps the judged minutes of labelled keys inside their labels' windows.
class LabelTracer final : public detector::MinuteObserver {
 public:
  LabelTracer(const std::vector<Label>& labels, std::vector<std::vector<TracedMinute>>& out)
      : labels_(labels), out_(out) {
    out_.resize(labels.size());
  }

  void OnMinuteClosed(const detector::MinuteJudgement& judgement) override {
    const common::Seconds time{judgement.minute};
    for (std::size_t i = 0; i < labels_.size(); ++i) {
      const Label& label = labels_[i];
      if (label.expect != Expect::kInsight || time < label.start - kHitBefore ||
          time > label.end + kHitAfter) {
        continue;
      }
      const common::InsightKey& key = label.key;
      if (judgement.type != key.type || judgement.event_name != key.event_name ||
          judgement.account != key.account || judgement.region != key.region ||
          judgement.event_source != key.event_source || judgement.error_code != key.error_code) {
        continue;
      }
      TracedMinute& traced = out_[i].emplace_back();
      traced.minute = judgement.minute;
      traced.calls = judgement.calls;
      traced.warm = judgement.warm;
      traced.insight_open = judgement.insight_open;
      for (const detector::WindowJudgement& window : judgement.windows) {
        traced.windows.push_back({window.minutes, window.calls, window.fire_at});
      }
    }
  }

 private:
  const std::vector<Label>& labels_;             // outlives the tracer
  std::vector<std::vector<TracedMinute>>& out_;  // outlives the tracer
};

// Receives generated records in delivery order and runs each, with the extra records due
// before it, through the parser, the pipeline (cap check, tamper rules, detector) and the
// naive detector.
class ScenarioRun final : public sim::RecordSink {
 public:
  ScenarioRun(const std::vector<ExtraRecord>& extra, const std::vector<Label>& labels,
              const HarnessOptions& options, RunOutput& out)
      : extra_(extra),
        out_(out),
        parser_(interner_),
        findings_(out.findings),
        alerts_(out.alerts),
        tracer_(labels, out.traces),
        detector_(options.detector, interner_, findings_),
        tamper_(options.tamper, interner_),
        account_facts_(interner_),
        novelty_(options.novelty, interner_, account_facts_),
        pipeline_(interner_, &tamper_, &novelty_, &detector_, alerts_),
        naive_(options.naive, interner_) {
    detector_.SetAlertSink(&alerts_);
    detector_.SetMinuteObserver(&tracer_);
    if (options.tuning) {
      common::Result<detector::CompiledTuning> tuning =
          detector::CompiledTuning::Compile(*options.tuning);
      TRAILSIGHT_CHECK(tuning.has_value(), "eval: tuning was not checked: {}",
                       tuning.error().message);
      detector_.Retune(*std::move(tuning));
    }
  }

  common::Status Write(const sim::Call& call, std::string_view json) override {
    while (next_extra_ < extra_.size() && extra_[next_extra_].delivery_time <= call.delivery_time) {
      Feed(extra_[next_extra_++].json);
    }
    Feed(json);
    return common::Ok();
  }

  common::Status Close() override {
    while (next_extra_ < extra_.size()) Feed(extra_[next_extra_++].json);
    detector_.FinishInput();
    naive_.FinishInput();
    for (std::size_t k = 0; k < naive_.options().ks.size(); ++k) {
      out_.naive.push_back(naive_.findings(k));
    }
    return common::Ok();
  }

  std::uint64_t files() const override { return 0; }

 private:
  void Feed(std::string_view json) {
    common::Result<common::Event> event = parser_.Parse(json);
    if (!event) {
      if (out_.rejected++ == 0) spdlog::error("eval: record rejected: {}", event.error().message);
      return;
    }
    ++out_.records;
    pipeline_.OnEvent(*event);
    naive_.OnEvent(*event);
  }

  const std::vector<ExtraRecord>& extra_;  // outlives the run
  std::size_t next_extra_ = 0;
  RunOutput& out_;  // outlives the run
  common::StringInterner interner_;
  consumers::RecordParser parser_;
  CollectingFindings findings_;
  CollectingAlerts alerts_;
  LabelTracer tracer_;
  detector::Detector detector_;
  detector::TamperRules tamper_;
  detector::AccountFacts account_facts_;
  detector::NoveltyRules novelty_;
  detector::Pipeline pipeline_;
  NaiveDetector naive_;
};

}  // namespace

common::Result<RunOutput> RunScenario(const sim::GeneratorOptions& generator,
                                      const std::vector<ExtraRecord>& extra,
                                      const std::vector<Label>& labels,
                                      const HarnessOptions& options) {
  RunOutput out;
  ScenarioRun run(extra, labels, options, out);
  common::Result<sim::GeneratorSummary> summary = sim::Generate(generator, run);
  if (!summary) return std::move(summary).error();
  return out;
}

}  // namespace trailsight::eval
