#include "sim/generator.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "sim/layout.h"
#include "sim/record_writer.h"
#include "sim/traffic.h"
#include "sim/world.h"

namespace trailsight::sim {
namespace {

using common::Error;
using common::ErrorCode;
using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;

common::Status WriteLabels(const World& world, const std::filesystem::path& path) {
  if (path.has_parent_path()) {
    std::error_code error;
    std::filesystem::create_directories(path.parent_path(), error);
    if (error) return Error{ErrorCode::kIo, fmt::format("{}: {}", path.string(), error.message())};
  }
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file)
    return Error{ErrorCode::kIo, fmt::format("{}: cannot open for writing", path.string())};
  for (std::size_t i = 0; i < world.incidents().size(); ++i) {
    const Incident& incident = world.incidents()[i];
    const std::string_view type = ExpectedInsightType(incident);
    const Account& account = world.accounts()[world.streams()[world.incident_stream(i)].account];
    nlohmann::ordered_json label;
    label["id"] = incident.id;
    label["kind"] = incident.kind;
    label["insightType"] = type.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(type);
    label["account"] = incident.account;
    label["region"] = incident.region;
    label["eventSource"] = incident.event_source;
    label["eventName"] = incident.event_name;
    if (!incident.error_code.empty()) label["errorCode"] = incident.error_code;
    label["start"] = common::FormatUtcTimestamp(incident.start);
    label["end"] = common::FormatUtcTimestamp(incident.start + incident.duration);
    label["principal"] = incident.actor.empty()
                             ? incident.principal_arn
                             : account.principals[world.incident_principal(i)].arn;
    file << label.dump() << '\n';
  }
  file.close();
  if (!file) return Error{ErrorCode::kIo, fmt::format("{}: write failed", path.string())};
  return common::Ok();
}

}  // namespace

std::vector<Incident> DefaultIncidents(const GeneratorOptions& options) {
  const std::string account = AccountId(options.seed, 0);
  const int day = std::clamp(options.days - 1, 0, 5);
  Incident incident;
  incident.id = "terminate-burst";
  incident.kind = "burst";
  incident.account = account;
  incident.region = options.regions.empty() ? "us-east-1" : options.regions.front();
  incident.event_source = "ec2.amazonaws.com";
  incident.event_name = "TerminateInstances";
  incident.start = common::Seconds{options.start + days{day} + hours{14} + minutes{7}};
  incident.duration = minutes{6};
  incident.calls_per_minute = 40;
  // A forgotten IAM user whose access key leaked: it has never touched EC2 before.
  incident.principal_arn = fmt::format("arn:aws:iam::{}:user/legacy-reporting", account);
  incident.user_agent =
      "aws-cli/2.13.5 Python/3.11.4 Linux/6.2.0-1011-aws exe/x86_64.ubuntu.22 prompt/off "
      "command/ec2.terminate-instances";
  return {incident};
}

std::string_view ExpectedInsightType(const Incident& incident) {
  if (incident.kind == "tamper") return "";
  return incident.error_code.empty() ? "ApiCallRateInsight" : "ApiErrorRateInsight";
}

std::vector<DeployWave> DeployWaves(const GeneratorOptions& options) {
  std::vector<DeployWave> waves;
  for (int day = 0; day < options.days; ++day) {
    for (int account = 0; account < options.accounts; ++account) {
      for (common::Minute start : ExtraDeployStarts(options, account, options.start + days{day})) {
        waves.push_back(DeployWave{account, start});
      }
    }
  }
  std::stable_sort(waves.begin(), waves.end(),
                   [](const DeployWave& a, const DeployWave& b) { return a.start < b.start; });
  return waves;
}

common::Result<GeneratorSummary> Generate(const GeneratorOptions& options, RecordSink& sink) {
  common::Result<World> world = World::Create(options);
  if (!world) return std::move(world).error();
  const TrafficModel model(*world);
  const RecordWriter writer(*world);
  GeneratorSummary summary;
  std::vector<Call> pending;  // generated, not yet delivered
  std::string json;
  const auto deliver_before = [&](common::Seconds limit) -> common::Status {
    std::sort(pending.begin(), pending.end(), DeliveredBefore);
    const auto cut = std::partition_point(pending.begin(), pending.end(),
                                          [&](const Call& c) { return c.delivery_time < limit; });
    for (auto it = pending.begin(); it != cut; ++it) {
      json.clear();
      writer.Append(*it, json);
      if (common::Status status = sink.Write(*it, json); !status) return status;
      ++summary.records;
    }
    pending.erase(pending.begin(), cut);
    return common::Ok();
  };

  // Hour by hour: once every stream's calls of an hour exist, every call delivered before
  // the hour's end is known (delivery never precedes the call), so it can be written.
  const common::Hour first{options.start};
  const common::Hour last = first + days{options.days};
  for (common::Hour hour = first; hour < last; hour += hours{1}) {
    for (std::size_t stream = 0; stream < world->streams().size(); ++stream) {
      model.GenerateHour(stream, hour, pending);
    }
    if (common::Status status = deliver_before(hour + hours{1}); !status) return status.error();
  }
  if (common::Status status = deliver_before(common::Seconds::max()); !status) {
    return status.error();
  }
  if (common::Status status = sink.Close(); !status) return status.error();
  summary.files = sink.files();
  return summary;
}

common::Result<GeneratorSummary> Generate(const GeneratorOptions& options,
                                          const std::filesystem::path& out,
                                          const std::filesystem::path& labels) {
  common::Result<World> world = World::Create(options);
  if (!world) return std::move(world).error();
  common::Result<std::unique_ptr<RecordSink>> sink = options.layout == GeneratorOptions::Layout::kS3
                                                         ? MakeS3Sink(*world, out)
                                                         : MakeJsonLinesSink(out);
  if (!sink) return std::move(sink).error();
  common::Result<GeneratorSummary> summary = Generate(options, **sink);
  if (!summary) return summary;
  if (common::Status status = WriteLabels(*world, labels); !status) return status.error();
  return summary;
}

}  // namespace trailsight::sim
