// trailsight: CloudTrail Insights on your own stream. This file only wires subcommands.
#include <spdlog/sinks/stdout_color_sinks.h>  // also declares stderr_color_mt
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include "app/explain_command.h"
#include "app/generate_command.h"
#include "app/replay_command.h"
#include "app/report_command.h"
#include "app/run_command.h"
#include "app/score_command.h"
#include "app/validate_config_command.h"

int main(int argc, char** argv) {
  // Logs go to stderr: stdout carries findings when --insights-out is "-".
  spdlog::set_default_logger(spdlog::stderr_color_mt("trailsight"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  CLI::App app{"trailsight: API call-rate insights from CloudTrail, in the AWS Insights schema"};
  app.set_version_flag("--version", std::string("trailsight ") + TRAILSIGHT_VERSION);
  app.require_subcommand(1);

  trailsight::app::ReplayFlags replay_flags;
  CLI::App* replay = trailsight::app::AddReplayCommand(app, replay_flags);
  trailsight::app::GenerateFlags generate_flags;
  CLI::App* generate = trailsight::app::AddGenerateCommand(app, generate_flags);
  trailsight::app::RunFlags run_flags;
  CLI::App* run = trailsight::app::AddRunCommand(app, run_flags);
  trailsight::app::ValidateConfigFlags validate_flags;
  CLI::App* validate = trailsight::app::AddValidateConfigCommand(app, validate_flags);
  trailsight::app::ExplainFlags explain_flags;
  CLI::App* explain = trailsight::app::AddExplainCommand(app, explain_flags);
  trailsight::app::ScoreFlags score_flags;
  CLI::App* score = trailsight::app::AddScoreCommand(app, score_flags);
  trailsight::app::ReportFlags report_flags;
  CLI::App* report = trailsight::app::AddReportCommand(app, report_flags);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int status = app.exit(error);
    return status == 0 ? 0 : 2;
  }
  if (run->parsed()) return trailsight::app::RunService(run_flags);
  if (replay->parsed()) return trailsight::app::RunReplay(replay_flags);
  if (generate->parsed()) return trailsight::app::RunGenerate(generate_flags);
  if (validate->parsed()) return trailsight::app::RunValidateConfig(validate_flags);
  if (explain->parsed()) return trailsight::app::RunExplain(explain_flags);
  if (score->parsed()) return trailsight::app::RunScore(score_flags);
  if (report->parsed()) return trailsight::app::RunReport(report_flags);
  return 2;
}
