#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/alert.h"
#include "common/finding.h"
#include "common/result.h"
#include "detector/novelty_rules.h"
#include "detector/options.h"
#include "detector/tamper_rules.h"
#include "detector/tuning.h"
#include "eval/naive_detector.h"
#include "eval/scorer.h"
#include "sim/generator.h"

namespace trailsight::eval {

// What a run feeds the engine with, besides the generated records.
struct HarnessOptions {
  detector::DetectorOptions detector;  // from the config file, or the defaults
  // The config's `detection:` section, applied with Detector::Retune() before the first
  // event; none: the Detector's default tuning. Must compile (check it first).
  std::optional<detector::Tuning> tuning;
  detector::TamperOptions tamper;
  detector::NoveltyOptions novelty;
  NaiveOptions naive;
};

// A record from elsewhere (a recorded attack) merged into the generated stream: it is
// handed over after every generated record delivered before `delivery_time`.
struct ExtraRecord {
  common::Seconds delivery_time;
  std::string json;
};

// One minute of a labelled key as the detector judged it, kept to explain a miss.
struct TracedMinute {
  common::Minute minute{};
  std::uint32_t calls = 0;
  bool warm = false;
  bool insight_open = false;
  struct Window {
    int minutes = 1;
    std::uint32_t calls = 0;    // calls in the window
    std::uint32_t fire_at = 0;  // the count at which it fires
  };
  std::vector<Window> windows;  // as the detector judged them (1, 5, 15, 60 minutes)
};

// Everything a run produced.
struct RunOutput {
  std::vector<common::Finding> findings;            // the detector's Starts and Ends, in order
  std::vector<common::Alert> alerts;                // tamper rules and the detector's own alerts
  std::vector<std::vector<common::Finding>> naive;  // per NaiveOptions::ks entry
  std::vector<std::vector<TracedMinute>> traces;    // per label: its key's judged minutes
  std::uint64_t records = 0;                        // records parsed into events
  std::uint64_t rejected = 0;  // records the parser refused (a bug in the generator)
};

// Generates the scenario in memory, renders each record as CloudTrail JSON and parses it
// back with consumers::RecordParser (the real ingest path), in delivery order, merging
// `extra` (sorted by delivery time) into it; feeds every event to the tamper rules, the
// Detector (with its alerts) and the naive detector; then finishes the input. Minutes of
// each label's key inside its scoring window are traced for explanations. Fails with the
// generator's error on unusable options.
common::Result<RunOutput> RunScenario(const sim::GeneratorOptions& generator,
                                      const std::vector<ExtraRecord>& extra,
                                      const std::vector<Label>& labels,
                                      const HarnessOptions& options);

}  // namespace trailsight::eval
