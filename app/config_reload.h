#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "config/config.h"
#include "detector/tamper_rules.h"
#include "detector/tuning.h"

namespace trailsight::app {

// One line for the log about a reload.
struct ReloadNote {
  enum class Level { kInfo, kWarning, kError };
  Level level = Level::kInfo;
  std::string text;
};

// What a reload of the config file does.
struct ReloadDecision {
  // The new file as loaded; nullopt when it was refused, and the running config stays.
  std::optional<config::Config> file_config;
  // Its `detection:` section compiled, for the detector; set exactly when accepted.
  std::optional<detector::CompiledTuning> tuning;
  // Its `tamper:` section, for TamperRules::Reconfigure; set when accepted and it changed.
  std::optional<detector::TamperOptions> tamper;
  // Its `novelty:` section, for NoveltyRules::Reconfigure; set when accepted and it changed.
  std::optional<detector::NoveltyOptions> novelty;
  // Why it was refused (every problem, one per note), or what changed and what needs a
  // restart.
  std::vector<ReloadNote> notes;
};

// Decides a reload, without I/O: `previous` is the file as last accepted (before command-line
// flags were applied), `loaded` the result of loading it again. A file that does not load is
// refused, with each of its problems as an error note. Otherwise the new `detection:` section
// (thresholds, overrides, exclusions, criticality, suppressions), `tamper:` section (rules,
// trail buckets) and `novelty:` section are accepted, and every other field that differs from
// `previous` gets a warning that it needs a restart: inputs, outputs, Kafka, the state folder and
// the engine's windows keep their running values.
ReloadDecision DecideReload(const config::Config& previous, common::Result<config::Config> loaded);

// What an accepted reload hands to the service.
struct AcceptedReload {
  detector::CompiledTuning tuning;                  // for Detector::Retune
  std::optional<detector::TamperOptions> tamper;    // for TamperRules::Reconfigure, if changed
  std::optional<detector::NoveltyOptions> novelty;  // for NoveltyRules::Reconfigure, if changed
};

// Reloads the config file when asked (SIGHUP) or when the file changes (its modification
// time or size, looked at no more often than `check_every`), logs what the reload did, and
// returns what to apply. Owned by the service loop's thread.
class ConfigReloader {
 public:
  using Clock = std::chrono::steady_clock;

  // `file_config` is the file as loaded at start, before flags were applied.
  ConfigReloader(std::filesystem::path path, config::Config file_config,
                 std::chrono::seconds check_every, Clock::time_point now);

  // Reloads when `requested` or when the file changed since the last look; returns what to
  // apply when a reload was accepted, nullopt when none was due or it was refused (the
  // running config then stays, and the log says why).
  std::optional<AcceptedReload> Poll(bool requested, Clock::time_point now);

  // The file as last accepted.
  const config::Config& file_config() const { return file_config_; }

 private:
  struct Stamp {
    bool exists = false;
    std::filesystem::file_time_type modified{};
    std::uintmax_t size = 0;
    bool operator==(const Stamp&) const = default;
  };
  Stamp Look() const;

  const std::filesystem::path path_;
  config::Config file_config_;
  const std::chrono::seconds check_every_;
  Clock::time_point last_check_;
  Stamp stamp_;
};

}  // namespace trailsight::app
