#include "eval/evaluation.h"

#include <fmt/format.h>

#include <algorithm>

namespace trailsight::eval {
namespace {

using std::chrono::seconds;

constexpr std::size_t kMaxFalseListed = 40;
constexpr std::size_t kMaxTracedMinutes = 75;  // a slow rise's whole window

std::string Latency(std::optional<seconds> latency) {
  return latency ? fmt::format("{}s", latency->count()) : std::string("-");
}

std::string Clock(common::Seconds time) {
  return common::FormatUtcTimestamp(time).substr(5, 11);  // "MM-DDTHH:MM"
}

std::string ScoreLine(const RunScore& score) {
  return fmt::format("recall {}/{} = {:.1f}%, false findings {} = {:.2f}/day, median latency {}",
                     score.hits(), score.incidents(), 100.0 * score.recall(),
                     score.false_findings(), score.false_per_day(),
                     Latency(score.median_latency()));
}

void PrintTrace(std::FILE* out, const std::vector<TracedMinute>& trace) {
  if (trace.empty()) {
    fmt::print(out, "      no minute of this key was judged in the window (no calls counted)\n");
    return;
  }
  for (std::size_t i = 0; i < trace.size() && i < kMaxTracedMinutes; ++i) {
    const TracedMinute& minute = trace[i];
    std::string windows;
    for (const TracedMinute::Window& window : minute.windows) {
      windows += fmt::format(" {}m {}/{}", window.minutes, window.calls, window.fire_at);
    }
    fmt::print(out, "      {} calls {:3} | calls/fire_at:{}{}{}\n",
               Clock(common::Seconds{minute.minute}), minute.calls, windows,
               minute.warm ? "" : " (not warm)", minute.insight_open ? " (open)" : "");
  }
}

}  // namespace

common::Result<SeedResult> EvaluateSeed(const ScenarioOptions& scenario_options,
                                        const HarnessOptions& options) {
  common::Result<Scenario> scenario = PlanScenario(scenario_options);
  if (!scenario) return std::move(scenario).error();
  common::Result<RunOutput> run = RunScenario(scenario->generator, {}, scenario->labels, options);
  if (!run) return std::move(run).error();
  SeedResult result;
  result.seed = scenario_options.seed;
  result.detector = Score(scenario->labels, run->findings, run->alerts, scenario->evaluated_from,
                          scenario->evaluated_to);
  for (const std::vector<common::Finding>& naive : run->naive) {
    result.naive.push_back(
        Score(scenario->labels, naive, {}, scenario->evaluated_from, scenario->evaluated_to));
  }
  result.traces = std::move(run->traces);
  result.shortfalls = scenario->shortfalls;
  result.records = run->records;
  result.rejected = run->rejected;
  return result;
}

void Pooled::Add(const RunScore& score) {
  incidents += score.incidents();
  hits += score.hits();
  false_findings += score.false_findings();
  days += score.evaluated_days;
  for (const LabelOutcome& outcome : score.outcomes) {
    if (outcome.label.expect == Expect::kNothing) continue;
    Tally& kind = by_kind[outcome.label.kind];
    ++kind.incidents;
    if (!outcome.hit) continue;
    ++kind.hits;
    latencies.push_back(outcome.latency);
  }
}

std::optional<seconds> Pooled::median_latency() const {
  if (latencies.empty()) return std::nullopt;
  std::vector<seconds> sorted = latencies;
  std::sort(sorted.begin(), sorted.end());
  return sorted[(sorted.size() - 1) / 2];
}

Targets OrganizationTargets() {
  return Targets{.recall = 0.97, .recall_per_kind = 0.90, .min_incidents_per_kind = 10};
}

std::vector<Verdict> Judge(const Pooled& detector, const std::vector<Pooled>& naive,
                           const std::vector<double>& ks, const Targets& targets) {
  std::vector<Verdict> verdicts;
  verdicts.push_back({fmt::format("recall >= {:g}%", 100.0 * targets.recall),
                      detector.recall() >= targets.recall,
                      fmt::format("{}/{} = {:.1f}%", detector.hits, detector.incidents,
                                  100.0 * detector.recall())});
  for (const auto& [kind, tally] : detector.by_kind) {
    if (targets.recall_per_kind > 0) {
      verdicts.push_back(
          {fmt::format("{} recall >= {:g}%", kind, 100.0 * targets.recall_per_kind),
           tally.recall() >= targets.recall_per_kind,
           fmt::format("{}/{} = {:.1f}%", tally.hits, tally.incidents, 100.0 * tally.recall())});
    }
    if (targets.min_incidents_per_kind > 0) {
      verdicts.push_back({fmt::format("{} incidents >= {}", kind, targets.min_incidents_per_kind),
                          tally.incidents >= targets.min_incidents_per_kind,
                          fmt::format("{}", tally.incidents)});
    }
  }
  verdicts.push_back({fmt::format("false findings <= {:g}/day", targets.false_per_day),
                      detector.false_per_day() <= targets.false_per_day,
                      fmt::format("{} in {:.0f} days = {:.2f}/day", detector.false_findings,
                                  detector.days, detector.false_per_day())});
  const std::optional<seconds> median = detector.median_latency();
  verdicts.push_back({fmt::format("median latency <= {}s", targets.median_latency.count()),
                      median && *median <= targets.median_latency,
                      fmt::format("{} over {} hits", Latency(median), detector.latencies.size())});
  for (std::size_t k = 0; k < naive.size() && k < ks.size(); ++k) {
    const bool recall_ok = detector.hits * naive[k].incidents >= naive[k].hits * detector.incidents;
    const bool false_ok = detector.false_per_day() <= naive[k].false_per_day();
    const bool strict = detector.hits * naive[k].incidents > naive[k].hits * detector.incidents ||
                        detector.false_per_day() < naive[k].false_per_day();
    verdicts.push_back({fmt::format("beats naive k={}", ks[k]), recall_ok && false_ok && strict,
                        fmt::format("recall {:.1f}% vs {:.1f}%, false {:.2f}/day vs {:.2f}/day",
                                    100.0 * detector.recall(), 100.0 * naive[k].recall(),
                                    detector.false_per_day(), naive[k].false_per_day())});
  }
  return verdicts;
}

std::string DescribeKey(const common::InsightKey& key, Expect expect) {
  const char* type = expect == Expect::kAlert                         ? "TamperAlert"
                     : expect == Expect::kNothing                     ? "control"
                     : key.type == common::InsightType::kApiErrorRate ? "ApiErrorRateInsight"
                                                                      : "ApiCallRateInsight";
  std::string text = fmt::format("{} {}/{}", type, key.account, key.region);
  if (!key.event_name.empty()) text += fmt::format(" {} {}", key.event_source, key.event_name);
  if (!key.error_code.empty()) text += fmt::format(" [{}]", key.error_code);
  return text;
}

void PrintSeed(std::FILE* out, const SeedResult& result, const std::vector<double>& ks) {
  fmt::print(out, "== seed {}: {} records", result.seed, result.records);
  if (result.rejected > 0) fmt::print(out, ", {} REJECTED by the parser", result.rejected);
  fmt::print(out, "\n");
  for (const std::string& shortfall : result.shortfalls) {
    fmt::print(out, "  plan shortfall: {}\n", shortfall);
  }
  for (std::size_t i = 0; i < result.detector.outcomes.size(); ++i) {
    const LabelOutcome& outcome = result.detector.outcomes[i];
    const Label& label = outcome.label;
    const std::string what = DescribeKey(label.key, label.expect);
    if (label.expect == Expect::kNothing) {
      fmt::print(out, "  {:<22} {:<12} {} {} {}\n", label.id, label.kind, Clock(label.start),
                 outcome.hit ? fmt::format("FIRED x{}", outcome.starts) : std::string("quiet"),
                 what);
      continue;
    }
    fmt::print(out, "  {:<22} {:<12} {} {:<4} {:>6} {}\n", label.id, label.kind, Clock(label.start),
               outcome.hit ? "hit" : "MISS",
               outcome.hit ? Latency(outcome.latency) : std::string("-"), what);
    if (!outcome.hit && label.expect == Expect::kInsight && i < result.traces.size()) {
      PrintTrace(out, result.traces[i]);
    }
  }
  const std::vector<common::Finding>& false_starts = result.detector.false_starts;
  for (std::size_t i = 0; i < false_starts.size() && i < kMaxFalseListed; ++i) {
    const common::Finding& start = false_starts[i];
    fmt::print(out, "  false insight {} {} (count {:.0f}, baseline {:.3f}/min)\n",
               Clock(common::Seconds{start.start}), DescribeKey(start.key, Expect::kInsight),
               start.insight_average, start.baseline_average);
  }
  if (false_starts.size() > kMaxFalseListed) {
    fmt::print(out, "  ... and {} more false insights\n", false_starts.size() - kMaxFalseListed);
  }
  const std::vector<common::Alert>& false_alerts = result.detector.false_alerts;
  for (std::size_t i = 0; i < false_alerts.size() && i < kMaxFalseListed; ++i) {
    const common::Alert& alert = false_alerts[i];
    fmt::print(out, "  false alert {} {} {}/{} {} {}: {}\n", Clock(alert.time), alert.rule,
               alert.account, alert.region, alert.event_source, alert.event_name, alert.message);
  }
  if (false_alerts.size() > kMaxFalseListed) {
    fmt::print(out, "  ... and {} more false alerts\n", false_alerts.size() - kMaxFalseListed);
  }
  if (result.detector.unmatched_alerts > 0) {
    fmt::print(out, "  {} tamper alerts matched no tamper incident\n",
               result.detector.unmatched_alerts);
  }
  for (const auto& [rule, tally] : result.detector.novelty) {
    fmt::print(out, "  {} alerts: {}, {} of them on incidents\n", rule, tally.alerts,
               tally.on_incidents);
  }
  fmt::print(out, "  trailsight      : {}\n", ScoreLine(result.detector));
  for (std::size_t k = 0; k < result.naive.size() && k < ks.size(); ++k) {
    fmt::print(out, "  naive k={:<7}: {}\n", ks[k], ScoreLine(result.naive[k]));
  }
}

void PrintVerdicts(std::FILE* out, const std::vector<Verdict>& verdicts) {
  for (const Verdict& verdict : verdicts) {
    fmt::print(out, "{} {}: {}\n", verdict.met ? "PASS" : "FAIL", verdict.target, verdict.detail);
  }
}

}  // namespace trailsight::eval
