#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "config/config.h"
#include "detector/tuning.h"

namespace trailsight::app {

class ConfigReloader;

// The Kafka service (`trailsight run`) as an object: Start() builds and connects its parts,
// RunOnce() is one turn of its loop, Stop() its orderly end. The process around it
// (app/run_command.cc) owns the signals and the config file's flags; tests can drive it
// turn by turn.
//
// Thread safety: none; one thread calls every method. The parts run librdkafka's threads and
// the metrics endpoint's.
class Service {
 public:
  struct Options {
    config::Config config;                     // with the command line's overrides applied
    detector::CompiledTuning tuning;           // config.tuning, compiled
    std::unique_ptr<ConfigReloader> reloader;  // watches the config file; required
    bool until_caught_up = false;              // RunOnce says kDrained once the input is read
  };

  // Builds the parts in this order, each failure an error naming what failed: the state
  // folder (locked first, so a second instance on it is refused before anything else), the
  // metrics endpoint (/healthz says "starting" from then on), the topics, the producers, the
  // state (snapshot; with a keyed input the changelog writer and the global table, read in
  // full) and the consumer, which joins the group.
  static common::Result<std::unique_ptr<Service>> Start(Options options);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  enum class Step {
    kRunning,  // go on
    kDrained,  // until_caught_up and the input is drained: Stop()
    kFailed,   // stop without a checkpoint, as a crash would (logged): exit 1, no Stop()
  };
  // One turn: polls the input (up to 100 ms) and the producers, applies a reload (`reload`:
  // SIGHUP; a changed config file counts too), ticks quiet regions by the wall clock when
  // caught up, starts and completes checkpoints, and updates the metrics.
  Step RunOnce(bool reload);

  // Flushes the findings, takes the last checkpoint and leaves the group; returns the exit
  // status: 0, or 1 when the last checkpoint could not complete.
  int Stop();

 private:
  struct Parts;  // app/service.cc
  explicit Service(Options options);

  std::unique_ptr<Parts> parts_;
};

}  // namespace trailsight::app
