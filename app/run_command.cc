#include "app/run_command.h"

#include <spdlog/spdlog.h>

#include <csignal>
#include <memory>

#include "app/config_reload.h"
#include "app/kafka_property_check.h"
#include "app/service.h"
#include "config/config.h"
#include "detector/tuning.h"
#include "ops/json_log.h"

namespace trailsight::app {
namespace {

using Clock = std::chrono::steady_clock;

volatile std::sig_atomic_t stop_requested = 0;
extern "C" void RequestStop(int /*signal*/) { stop_requested = 1; }
constexpr std::chrono::seconds kConfigCheckEvery{5};  // a look at the config file's mtime
volatile std::sig_atomic_t reload_requested = 0;
extern "C" void RequestReload(int /*signal*/) { reload_requested = 1; }

}  // namespace

CLI::App* AddRunCommand(CLI::App& app, RunFlags& flags) {
  CLI::App* run =
      app.add_subcommand("run", "Consume CloudTrail from Kafka and publish insights until SIGTERM");
  run->add_option("--config", flags.config_path, "YAML config file (kafka:, state:, ...)")
      ->required();
  run->add_option("--brokers", flags.brokers, "Kafka bootstrap servers (overrides kafka.brokers)");
  run->add_option("--state-dir", flags.state_dir, "Snapshot folder (overrides state.dir)");
  run->add_flag("--until-caught-up", flags.until_caught_up,
                "Stop (flush, snapshot, commit) once the input topics are drained: for backfills "
                "and benchmarks");
  run->add_option("--metrics-bind", flags.metrics_bind,
                  "host:port of /metrics and /healthz, port 0 for any free port (overrides "
                  "metrics.bind, and metrics.enabled: false)");
  run->add_option("--log-format", flags.log_format, "text or json (overrides logging.format)")
      ->check(CLI::IsMember({"text", "json"}));
  return run;
}

int RunService(const RunFlags& flags) {
  common::Result<config::Config> loaded =
      config::LoadConfigFile(flags.config_path, LibrdkafkaPropertyCheck());
  if (!loaded) {
    fmt::print(stderr, "{}\n", loaded.error().message);
    return 2;
  }
  config::Config config = *std::move(loaded);
  // Reloads compare the file with the file: constructed before the flags below change `config`.
  auto reloader =
      std::make_unique<ConfigReloader>(flags.config_path, config, kConfigCheckEvery, Clock::now());
  common::Result<detector::CompiledTuning> tuning =
      detector::CompiledTuning::Compile(config.tuning);
  if (!tuning) {
    fmt::print(stderr, "{}: detection.{}\n", flags.config_path, tuning.error().message);
    return 2;
  }
  if (flags.brokers) config.kafka.brokers = *flags.brokers;
  if (flags.state_dir) config.state.dir = *flags.state_dir;
  if (config.kafka.brokers.empty()) {
    fmt::print(stderr, "{}: kafka.brokers is required for trailsight run (or --brokers)\n",
               flags.config_path);
    return 2;
  }

  if (flags.log_format) {
    config.logging.format =
        config::ParseLogFormat(*flags.log_format).value_or(config.logging.format);
  }
  if (config.logging.format == config::LogFormat::kJson) ops::UseJsonLogs();
  if (flags.metrics_bind) {
    common::Result<config::BindAddress> bind = config::ParseBindAddress(*flags.metrics_bind);
    if (!bind) {
      fmt::print(stderr, "--metrics-bind: {}\n", bind.error().message);
      return 2;
    }
    config.metrics = {.enabled = true, .bind = *std::move(bind)};
  }

  std::signal(SIGTERM, RequestStop);
  std::signal(SIGINT, RequestStop);
  std::signal(SIGHUP, RequestReload);

  common::Result<std::unique_ptr<Service>> service =
      Service::Start({.config = std::move(config),
                      .tuning = *std::move(tuning),
                      .reloader = std::move(reloader),
                      .until_caught_up = flags.until_caught_up});
  if (!service) {
    spdlog::error("run: {}", service.error().message);
    return 1;
  }
  while (stop_requested == 0) {
    const bool reload = reload_requested != 0;
    reload_requested = 0;
    const Service::Step step = (*service)->RunOnce(reload);
    if (step == Service::Step::kFailed) return 1;
    if (step == Service::Step::kDrained) break;
  }
  return (*service)->Stop();
}

}  // namespace trailsight::app
