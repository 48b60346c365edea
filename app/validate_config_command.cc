#include "app/validate_config_command.h"

#include <fmt/format.h>

#include "app/kafka_property_check.h"
#include "config/config.h"

namespace trailsight::app {

CLI::App* AddValidateConfigCommand(CLI::App& app, ValidateConfigFlags& flags) {
  CLI::App* validate = app.add_subcommand(
      "validate-config", "Check a YAML config file; list every problem with its line and field");
  validate->add_option("file", flags.path, "The config file")->required();
  return validate;
}

int RunValidateConfig(const ValidateConfigFlags& flags) {
  common::Result<config::Config> loaded =
      config::LoadConfigFile(flags.path, LibrdkafkaPropertyCheck());
  if (!loaded) {
    fmt::print(stderr, "{}\n", loaded.error().message);
    return 2;
  }
  fmt::print("{}: ok\n", flags.path);
  return 0;
}

}  // namespace trailsight::app
