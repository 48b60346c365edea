#include "eval/scorer.h"

#include <algorithm>

namespace trailsight::eval {
namespace {

using std::chrono::seconds;

// Minute-grained at the front: a Start is dated by its minute, so the minute holding
// `start - kHitBefore` counts.
bool InWindow(const Label& label, common::Seconds time) {
  return time >= common::FloorMinute(label.start - kHitBefore) && time <= label.end + kHitAfter;
}

bool SameApi(const common::InsightKey& a, const std::string& account, const std::string& region,
             const std::string& source, const std::string& name) {
  return a.account == account && a.region == region && a.event_source == source &&
         a.event_name == name;
}

bool SameKey(const common::InsightKey& a, const common::InsightKey& b) {
  return a.type == b.type && a.error_code == b.error_code &&
         SameApi(a, b.account, b.region, b.event_source, b.event_name);
}

void Record(LabelOutcome& outcome, common::Seconds fired) {
  const seconds latency = std::max(seconds{0}, fired - outcome.label.start);
  outcome.latency = outcome.hit ? std::min(outcome.latency, latency) : latency;
  outcome.hit = true;
  ++outcome.starts;
}

// A control covers a finding on its account, its region when it names one, and its API when
// it names one.
bool OnControl(const Label& control, const std::string& account, const std::string& region,
               const std::string& source, const std::string& name) {
  const common::InsightKey& c = control.key;
  return c.account == account && (c.region.empty() || c.region == region) &&
         (c.event_name.empty() || (c.event_source == source && c.event_name == name));
}

// Records a false finding against every control it falls on.
void OnControls(std::vector<LabelOutcome>& outcomes, common::Seconds time,
                const std::string& account, const std::string& region, const std::string& source,
                const std::string& name, common::Seconds fired) {
  for (LabelOutcome& outcome : outcomes) {
    if (outcome.label.expect == Expect::kNothing && InWindow(outcome.label, time) &&
        OnControl(outcome.label, account, region, source, name)) {
      Record(outcome, fired);
    }
  }
}

}  // namespace

int RunScore::incidents() const {
  return static_cast<int>(std::count_if(outcomes.begin(), outcomes.end(), [](const auto& o) {
    return o.label.expect != Expect::kNothing;
  }));
}

int RunScore::hits() const {
  return static_cast<int>(std::count_if(outcomes.begin(), outcomes.end(), [](const auto& o) {
    return o.label.expect != Expect::kNothing && o.hit;
  }));
}

double RunScore::recall() const {
  const int total = incidents();
  return total == 0 ? 1.0 : static_cast<double>(hits()) / total;
}

double RunScore::false_per_day() const {
  return evaluated_days <= 0 ? 0.0 : static_cast<double>(false_findings()) / evaluated_days;
}

std::optional<seconds> RunScore::median_latency() const {
  std::vector<seconds> latencies;
  for (const LabelOutcome& outcome : outcomes) {
    if (outcome.label.expect != Expect::kNothing && outcome.hit) {
      latencies.push_back(outcome.latency);
    }
  }
  if (latencies.empty()) return std::nullopt;
  const auto middle = latencies.begin() + static_cast<std::ptrdiff_t>((latencies.size() - 1) / 2);
  std::nth_element(latencies.begin(), middle, latencies.end());
  return *middle;
}

RunScore Score(const std::vector<Label>& labels, const std::vector<common::Finding>& findings,
               const std::vector<common::Alert>& alerts, common::Seconds from, common::Seconds to) {
  RunScore score;
  score.evaluated_days = std::chrono::duration<double, std::ratio<86400>>(to - from).count();
  for (const Label& label : labels) score.outcomes.push_back(LabelOutcome{.label = label});

  for (const common::Finding& finding : findings) {
    if (finding.state != common::InsightState::kStart) continue;
    const common::Seconds start{finding.start};
    if (start < from || start >= to) continue;
    bool matched = false;
    for (LabelOutcome& outcome : score.outcomes) {
      if (outcome.label.expect != Expect::kInsight || !InWindow(outcome.label, start)) continue;
      if (!SameKey(outcome.label.key, finding.key)) continue;
      Record(outcome, finding.fired_at);
      matched = true;
    }
    if (matched) continue;
    score.false_starts.push_back(finding);
    const common::InsightKey& k = finding.key;
    OnControls(score.outcomes, start, k.account, k.region, k.event_source, k.event_name,
               finding.fired_at);
  }

  for (const common::Alert& alert : alerts) {
    if (alert.kind != common::AlertKind::kNovelty || alert.time < from || alert.time >= to)
      continue;
    NoveltyTally& tally = score.novelty[alert.rule];
    ++tally.alerts;
    bool matched = false;
    for (LabelOutcome& outcome : score.outcomes) {
      if (outcome.label.expect == Expect::kNothing || !InWindow(outcome.label, alert.time)) {
        continue;
      }
      if (!SameApi(outcome.label.key, alert.account, alert.region, alert.event_source,
                   alert.event_name)) {
        continue;
      }
      Record(outcome, alert.time);
      matched = true;
    }
    if (matched) {
      ++tally.on_incidents;
      continue;
    }
    score.false_alerts.push_back(alert);
    OnControls(score.outcomes, alert.time, alert.account, alert.region, alert.event_source,
               alert.event_name, alert.time);
  }
  for (const common::Alert& alert : alerts) {
    if (alert.kind != common::AlertKind::kTamper || alert.time < from || alert.time >= to) continue;
    bool matched = false;
    for (LabelOutcome& outcome : score.outcomes) {
      if (outcome.label.expect != Expect::kAlert || !InWindow(outcome.label, alert.time)) continue;
      if (!SameApi(outcome.label.key, alert.account, alert.region, alert.event_source,
                   alert.event_name)) {
        continue;
      }
      Record(outcome, alert.time);
      matched = true;
    }
    if (!matched) ++score.unmatched_alerts;
  }
  return score;
}

}  // namespace trailsight::eval
