#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace trailsight::app {

// `trailsight validate-config FILE`: checks a config file and lists every problem.
struct ValidateConfigFlags {
  std::string path;
};

CLI::App* AddValidateConfigCommand(CLI::App& app, ValidateConfigFlags& flags);

// Prints "FILE: ok" and returns 0, or prints one line per problem and returns 2.
int RunValidateConfig(const ValidateConfigFlags& flags);

}  // namespace trailsight::app
