#include "eval/scenario.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>
#include <string_view>
#include <utility>

#include "common/check.h"
#include "sim/catalog.h"
#include "sim/random.h"
#include "sim/traffic.h"
#include "sim/world.h"

namespace trailsight::eval {
namespace {

using common::Error;
using common::ErrorCode;
using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;

constexpr std::string_view kRegions[] = {"us-east-1",      "eu-west-1",    "us-west-2",
                                         "ap-northeast-1", "eu-central-1", "sa-east-1"};
constexpr std::uint64_t kPlanTag = 300;

// An API and the catalog actor that normally calls it (empty: nobody in particular).
struct ApiCaller {
  std::string_view api;  // "service:Name"
  std::string_view actor;
};

constexpr std::string_view kBurstApis[] = {"ec2:TerminateInstances",
                                           "ec2:RunInstances",
                                           "ec2:StopInstances",
                                           "ec2:DeleteSnapshot",
                                           "ec2:AuthorizeSecurityGroupIngress",
                                           "lambda:UpdateFunctionCode20150331v2",
                                           "ssm:SendCommand",
                                           "rds:ModifyDBInstance",
                                           "iam:AttachRolePolicy",
                                           "s3:PutBucketTagging",
                                           "logs:PutRetentionPolicy",
                                           "ssm:PutParameter",
                                           "autoscaling:UpdateAutoScalingGroup"};
constexpr ApiCaller kRisingApis[] = {{"states:StartExecution", "ops-portal"},
                                     {"ecs:RunTask", "batch-scheduler"},
                                     {"ec2:CreateTags", "karpenter"},
                                     {"ecr:InitiateLayerUpload", "image-builder"},
                                     {"ecr:CompleteLayerUpload", "image-builder"}};
constexpr ApiCaller kRefusedApis[] = {{"s3:ListBuckets", "developer"},
                                      {"secretsmanager:GetSecretValue", "app"},
                                      {"ssm:GetParameter", "lambda"},
                                      {"ec2:DescribeInstances", "monitoring"},
                                      {"kms:Decrypt", "app"},
                                      {"lambda:ListFunctions20150331", "developer"},
                                      {"iam:ListRoles", "admin"},
                                      {"dynamodb:DescribeTable", "app"},
                                      {"logs:FilterLogEvents", "developer"},
                                      {"states:DescribeExecution", "ops-portal"},
                                      {"ecs:DescribeTasks", "batch-scheduler"}};
constexpr std::string_view kNeverSeenApis[] = {
    "iam:CreateAccessKey",      "iam:PutUserPolicy",      "iam:CreateUser",
    "iam:AttachUserPolicy",     "iam:CreateLoginProfile", "ec2:ModifySnapshotAttribute",
    "ec2:ModifyImageAttribute", "ec2:CreateKeyPair",      "s3:PutBucketPolicy"};
constexpr std::string_view kTamperApis[] = {"cloudtrail:StopLogging",
                                            "cloudtrail:DeleteTrail",
                                            "cloudtrail:PutEventSelectors",
                                            "cloudtrail:UpdateTrail",
                                            "ec2:DeleteFlowLogs",
                                            "guardduty:DeleteDetector",
                                            "config:StopConfigurationRecorder",
                                            "config:DeleteDeliveryChannel",
                                            "route53resolver:DeleteResolverQueryLogConfig"};
// Identities an intruder brings: a leaked key, stolen CI credentials, a forgotten admin.
constexpr std::string_view kIntruders[] = {"arn:aws:iam::{}:user/legacy-reporting",
                                           "arn:aws:sts::{}:assumed-role/github-actions-deployer/x",
                                           "arn:aws:iam::{}:user/break-glass-admin",
                                           "arn:aws:sts::{}:assumed-role/contractor-temp/s7"};
constexpr std::string_view kIntruderAgents[] = {
    "aws-cli/2.13.5 Python/3.11.4 Linux/6.2.0-1011-aws exe/x86_64.ubuntu.22 prompt/off",
    "Boto3/1.28.3 Python/3.10.12 Linux/5.15.0-1040-aws Botocore/1.31.3", "python-requests/2.31.0",
    "Pacu/1.5.1 Boto3/1.26.137"};

enum class Kind {
  kBurst,
  kSlowRise,
  kErrorStorm,
  kOffHours,
  kNeverSeen,
  kTamper,
  kNewRegion,
  kManyTargets,
  kWeekendBurst
};
// Every scenario plans the first six kinds; an organization all of them.
constexpr std::pair<Kind, std::string_view> kKinds[] = {{Kind::kBurst, "burst"},
                                                        {Kind::kSlowRise, "slow-rise"},
                                                        {Kind::kErrorStorm, "error-storm"},
                                                        {Kind::kOffHours, "off-hours"},
                                                        {Kind::kNeverSeen, "never-seen"},
                                                        {Kind::kTamper, "tamper"},
                                                        {Kind::kNewRegion, "new-region"},
                                                        {Kind::kManyTargets, "many-targets"},
                                                        {Kind::kWeekendBurst, "weekend-burst"}};
constexpr std::size_t kEveryScenarioKinds = 6;

bool IsWeekend(common::Day day) {
  const std::chrono::weekday weekday{day};
  return weekday == std::chrono::Saturday || weekday == std::chrono::Sunday;
}

std::pair<std::string_view, std::string_view> Split(std::string_view api) {
  const std::size_t colon = api.find(':');
  return {api.substr(0, colon), api.substr(colon + 1)};
}

template <typename T, std::size_t N>
const T& Pick(sim::Rng& rng, const T (&items)[N]) {
  return items[rng.Below(N)];
}

double Between(sim::Rng& rng, double low, double high) {
  return low + (high - low) * rng.Uniform();
}

// Places incidents into one planned scenario; see PlanScenario().
// Account kinds that use one region only (sim/world.cc), and those that do not create
// access keys by hand (sim/organization_catalog.cc).
constexpr std::uint32_t kOneRegionKinds = sim::KindBit(sim::AccountKind::kDev) |
                                          sim::KindBit(sim::AccountKind::kCiCd) |
                                          sim::KindBit(sim::AccountKind::kManagement);
constexpr std::uint32_t kKeysNotCreated =
    sim::KindBit(sim::AccountKind::kDev) | sim::KindBit(sim::AccountKind::kCiCd);

class Planner {
 public:
  Planner(const sim::World& world, const ScenarioOptions& options)
      : world_(world), model_(world), options_(options) {}

  // Plans one incident on a key (account, region, API) no other incident of the scenario
  // uses: an attack does not recur on the same key, and one that did would overlap another's
  // window or teach the baseline a daily habit. Falls back to a used key (at another time)
  // only when the scenario is too small to offer a fresh one.
  sim::Incident Plan(Kind kind, std::string_view kind_name, int day, int n) {
    for (int attempt = 0;; ++attempt) {
      sim::Rng rng(sim::DeriveSeed(
          options_.seed,
          {kPlanTag, static_cast<std::uint64_t>(day), static_cast<std::uint64_t>(kind),
           static_cast<std::uint64_t>(n), static_cast<std::uint64_t>(attempt)}));
      sim::Incident incident = PlanOnce(kind, kind_name, day, n, rng);
      const bool used = used_keys_.contains(KeyOf(incident));
      if (attempt < kFreshKeyAttempts && used) continue;
      if (used) shortfalls_.push_back(fmt::format("{}: its key has another incident", incident.id));
      if (kind == Kind::kSlowRise && rise_miss_ > 0) {
        shortfalls_.push_back(fmt::format(
            "{}: background {:.1f} calls/min at the start and {:.1f} at the top of the ramp, "
            "outside the 2-8 and >= 1.5 asked",
            incident.id, rise_start_rate_, rise_top_rate_));
      }
      used_keys_.insert(KeyOf(incident));
      return incident;
    }
  }

  common::Seconds from() const {
    return common::Seconds{world_.options().start + days{options_.warmup_days}};
  }
  common::Seconds to() const {
    return common::Seconds{world_.options().start + days{options_.days}};
  }
  // Where the plan fell short of its rules; see Scenario::shortfalls.
  const std::vector<std::string>& shortfalls() const { return shortfalls_; }

 private:
  static constexpr int kFreshKeyAttempts = 100;

  static std::string KeyOf(const sim::Incident& incident) {
    return fmt::format("{}/{}/{}/{}", incident.account, incident.region, incident.event_source,
                       incident.event_name);
  }

  sim::Incident PlanOnce(Kind kind, std::string_view kind_name, int day, int n, sim::Rng& rng) {
    sim::Incident incident;
    incident.id = n == 0 ? fmt::format("d{}-{}", day + 1, kind_name)
                         : fmt::format("d{}-{}-{}", day + 1, kind_name, n + 1);
    incident.kind = std::string(kind_name);
    const common::Day date = world_.options().start + days{day};
    switch (kind) {
      case Kind::kBurst:
        SetApi(incident, rng, Pick(rng, kBurstApis));
        incident.calls_per_minute = Between(rng, 15, 50);
        incident.duration = minutes{rng.Between(3, 8)};
        Intruder(incident, rng);
        incident.start = AnyTime(rng, date, incident.duration);
        break;
      case Kind::kSlowRise:
        PlanRise(incident, rng, date);
        break;
      case Kind::kErrorStorm: {
        const ApiCaller& caller = Pick(rng, kRefusedApis);
        SetApi(incident, rng, caller.api);
        incident.error_code = std::string(sim::ErrorsOf(Split(caller.api).first).denied_code);
        incident.calls_per_minute = Between(rng, 12, 40);
        incident.duration = minutes{rng.Between(4, 12)};
        if (rng.Chance(0.5)) {
          incident.actor = std::string(caller.actor);
        } else {
          Intruder(incident, rng);
        }
        incident.start = AnyTime(rng, date, incident.duration);
        break;
      }
      case Kind::kOffHours: {
        SetApi(incident, rng, "states:StartExecution");
        incident.actor = "ops-portal";
        incident.calls_per_minute = Between(rng, 8, 15);
        incident.duration = minutes{rng.Between(10, 20)};
        const int offset = world_.accounts()[AccountIndex(incident.account)].utc_offset_hours;
        // 00:30-04:30 local, on the night that falls within this UTC day.
        common::Seconds start{date + minutes{rng.Between(30, 270)} - hours{offset}};
        if (start < common::Seconds{date}) start += days{1};
        if (start >= common::Seconds{date + days{1}}) start -= days{1};
        incident.start = start;
        break;
      }
      case Kind::kNeverSeen: {
        const std::string_view api = Pick(rng, kNeverSeenApis);
        // Where keys are created by hand every weekday, a new one is not never-seen.
        SetApi(incident, rng, api,
               options_.organization && api == "iam:CreateAccessKey" ? kKeysNotCreated
                                                                     : sim::kAnyKind);
        incident.calls_per_minute =
            options_.organization ? Between(rng, 2, 8) : Between(rng, 3, 10);
        incident.duration = minutes{rng.Between(4, 10)};
        Intruder(incident, rng);
        incident.start = AnyTime(rng, date, incident.duration);
        break;
      }
      case Kind::kNewRegion: {
        SetApi(incident, rng, "ec2:RunInstances", kOneRegionKinds);
        const std::vector<std::string>& regions = world_.options().regions;
        TRAILSIGHT_CHECK(regions.size() > 1, "a new-region incident needs a second region");
        incident.region = regions[1 + rng.Below(regions.size() - 1)];
        incident.duration = minutes{10};
        incident.calls_per_minute = Between(rng, 1.0, 1.6);
        Intruder(incident, rng);
        incident.start = AnyTime(rng, date, incident.duration);
        break;
      }
      case Kind::kManyTargets:
        SetApi(incident, rng, "iam:CreateAccessKey", ~kKeysNotCreated);
        incident.distinct_targets = true;
        incident.duration = minutes{10};
        incident.calls = rng.Between(13, 18);
        Intruder(incident, rng);
        incident.start = AnyTime(rng, date, incident.duration);
        break;
      case Kind::kWeekendBurst: {
        SetApi(incident, rng, "ec2:TerminateInstances", sim::KindBit(sim::AccountKind::kDev));
        incident.actor = "developer";
        // The size of the team's larger weekday teardowns (6-14 within two minutes).
        incident.duration = minutes{rng.Between(1, 2)};
        incident.calls = rng.Between(9, 14);
        const int offset = world_.accounts()[AccountIndex(incident.account)].utc_offset_hours;
        incident.start =
            common::Seconds{date + minutes{rng.Between(9 * 60, 18 * 60 - 5)} - hours{offset}};
        break;
      }
      case Kind::kTamper: {
        const std::string_view api = Pick(rng, kTamperApis);
        SetApi(incident, rng, api);
        if (rng.Chance(1.0 / 3)) {
          incident.error_code = std::string(sim::ErrorsOf(Split(api).first).denied_code);
        }
        incident.duration = minutes{1};
        if (rng.Chance(0.5)) {
          incident.actor = "admin";
        } else {
          Intruder(incident, rng);
        }
        incident.start = AnyTime(rng, date, incident.duration);
        break;
      }
    }
    return incident;
  }

  std::size_t AccountIndex(const std::string& id) const {
    for (std::size_t a = 0; a < world_.accounts().size(); ++a) {
      if (world_.accounts()[a].id == id) return a;
    }
    TRAILSIGHT_CHECK(false, "account {} is not in the scenario", id);
    return 0;
  }

  // Whether an incident may fall in account `a`: not in a new account (its first days are its
  // warm-up), and, when `kinds` is not kAnyKind, only in an organization's account of those
  // kinds.
  bool MayHold(std::size_t a, std::uint32_t kinds) const {
    const sim::Account& account = world_.accounts()[a];
    if (account.first_day != world_.options().start) return false;
    return kinds == sim::kAnyKind || (sim::KindBit(account.kind) & kinds) != 0;
  }

  // Sets the incident's API, account (one of `kinds`) and region; a global (IAM) API goes to
  // the home region, where CloudTrail logs it.
  void SetApi(sim::Incident& incident, sim::Rng& rng, std::string_view api,
              std::uint32_t kinds = sim::kAnyKind) {
    const auto [service, name] = Split(api);
    const int index = world_.FindApi(service, name);
    TRAILSIGHT_CHECK(index >= 0, "{} is not in the API catalog", api);
    std::vector<std::size_t> accounts;
    for (std::size_t a = 0; a < world_.accounts().size(); ++a) {
      if (MayHold(a, kinds)) accounts.push_back(a);
    }
    TRAILSIGHT_CHECK(!accounts.empty(), "no account may hold incident {}", incident.id);
    const std::size_t account = accounts[rng.Below(accounts.size())];
    incident.account = world_.accounts()[account].id;
    // A region the account uses (a new-region incident moves it afterwards).
    const std::vector<std::string>& regions = world_.options().regions;
    std::vector<std::size_t> used;
    for (std::size_t r = 0; r < regions.size(); ++r) {
      if (world_.streams()[account * regions.size() + r].scale > 0) used.push_back(r);
    }
    incident.region =
        world_.apis()[index].global ? regions.front() : regions[used[rng.Below(used.size())]];
    incident.event_source = fmt::format("{}.amazonaws.com", service);
    incident.event_name = std::string(name);
  }

  void Intruder(sim::Incident& incident, sim::Rng& rng) const {
    incident.principal_arn = fmt::format(fmt::runtime(Pick(rng, kIntruders)), incident.account);
    incident.user_agent = std::string(Pick(rng, kIntruderAgents));
  }

  // A start minute on `date` that leaves the incident and its scoring window inside the day.
  static common::Seconds AnyTime(sim::Rng& rng, common::Day date, minutes duration) {
    const int latest = 24 * 60 - static_cast<int>(duration.count()) - 20;
    return common::Seconds{date + minutes{rng.Between(10, latest)}};
  }

  // Finds a (key, time) whose background is a few calls a minute at the start and still at
  // least 1.5 at the top of the rise, on a key no incident uses yet; keeps the closest
  // candidate when none fits exactly.
  void PlanRise(sim::Incident& incident, sim::Rng& rng, common::Day date) {
    incident.rise_factor = 3.0;
    incident.ramp = minutes{30};
    incident.duration = minutes{45};
    double best_miss = 1e9;
    sim::Incident candidate = incident;
    for (int attempt = 0; attempt < 400 && best_miss > 0; ++attempt) {
      const ApiCaller& caller = Pick(rng, kRisingApis);
      SetApi(candidate, rng, caller.api);
      candidate.actor = std::string(caller.actor);
      candidate.start = AnyTime(rng, date, candidate.duration);
      const std::size_t stream =
          AccountIndex(candidate.account) * world_.options().regions.size() +
          static_cast<std::size_t>(std::find(world_.options().regions.begin(),
                                             world_.options().regions.end(), candidate.region) -
                                   world_.options().regions.begin());
      const auto [service, name] = Split(caller.api);
      const auto api = static_cast<std::size_t>(world_.FindApi(service, name));
      const common::Minute first = common::FloorMinute(candidate.start);
      const double at_start = model_.ApiRate(stream, api, first);
      const double at_top = model_.ApiRate(stream, api, first + candidate.ramp);
      const double rate_miss = std::max({0.0, 2.0 - at_start, at_start - 8.0, 1.5 - at_top});
      const double miss = rate_miss + (used_keys_.contains(KeyOf(candidate)) ? 100.0 : 0.0);
      if (miss < best_miss) {
        best_miss = miss;
        rise_miss_ = rate_miss;
        rise_start_rate_ = at_start;
        rise_top_rate_ = at_top;
        incident = candidate;
      }
    }
  }

  const sim::World& world_;
  const sim::TrafficModel model_;
  const ScenarioOptions& options_;
  std::set<std::string> used_keys_;  // KeyOf() of every incident planned so far
  std::vector<std::string> shortfalls_;
  double rise_miss_ = 0, rise_start_rate_ = 0, rise_top_rate_ = 0;  // of the last PlanRise()
};

Label LabelOf(const sim::Incident& incident) {
  Label label;
  label.id = incident.id;
  label.kind = incident.kind;
  const std::string_view type = sim::ExpectedInsightType(incident);
  label.expect = type.empty() ? Expect::kAlert : Expect::kInsight;
  label.key.type = type == "ApiErrorRateInsight" ? common::InsightType::kApiErrorRate
                                                 : common::InsightType::kApiCallRate;
  label.key.account = incident.account;
  label.key.region = incident.region;
  label.key.event_source = incident.event_source;
  label.key.event_name = incident.event_name;
  if (label.key.type == common::InsightType::kApiErrorRate) {
    label.key.error_code = incident.error_code;
  }
  label.start = incident.start;
  label.end = incident.start + incident.duration;
  return label;
}

}  // namespace

common::Result<Scenario> PlanScenario(const ScenarioOptions& options) {
  if (options.warmup_days < 1 || options.days <= options.warmup_days || options.days > 120) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("need 1 <= warm-up days < days <= 120, not {} warm-up of {} days",
                             options.warmup_days, options.days)};
  }
  if (options.regions < 1 || options.regions > static_cast<int>(std::size(kRegions))) {
    return Error{ErrorCode::kInvalidArgument, fmt::format("regions must be 1..{}, not {}",
                                                          std::size(kRegions), options.regions)};
  }
  if (options.accounts < 1 || options.accounts > 50) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("accounts must be 1..50, not {}", options.accounts)};
  }
  if (options.incidents_per_kind_per_day < 0 || options.incidents_per_kind_per_day > 10) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("incidents per kind and day must be 0..10, not {}",
                             options.incidents_per_kind_per_day)};
  }
  Scenario scenario;
  sim::GeneratorOptions& generator = scenario.generator;
  generator.seed = options.seed;
  generator.days = options.days;
  generator.accounts = options.accounts;
  generator.regions.assign(kRegions, kRegions + options.regions);
  generator.volume = options.volume;
  generator.daily_growth = options.daily_growth;
  generator.deploy_day_share = options.deploy_day_share;
  generator.platform_workloads = true;
  generator.inject_default_incident = false;
  generator.organization = options.organization;
  if (options.organization && options.accounts > 1) {
    // On the second evaluated day, or the only one.
    generator.new_account_day = std::min(options.warmup_days + 1, options.days - 1);
  }

  common::Result<sim::World> world = sim::World::Create(generator);
  if (!world) return std::move(world).error();
  Planner planner(*world, options);
  scenario.evaluated_from = planner.from();
  scenario.evaluated_to = planner.to();
  // Weekends first: they have the fewest keys busy enough for a slow rise, and every
  // incident takes its key for good.
  std::vector<int> plan_days;
  for (int day = options.warmup_days; day < options.days; ++day) plan_days.push_back(day);
  std::stable_partition(plan_days.begin(), plan_days.end(),
                        [&](int day) { return IsWeekend(generator.start + days{day}); });
  const std::size_t kinds = options.organization ? std::size(kKinds) : kEveryScenarioKinds;
  for (int day : plan_days) {
    const bool weekend = IsWeekend(generator.start + days{day});
    for (std::size_t k = 0; k < kinds; ++k) {
      const auto& [kind, name] = kKinds[k];
      int count = options.incidents_per_kind_per_day;
      if (kind == Kind::kWeekendBurst) count = weekend ? 2 * count : 0;
      for (int n = 0; n < count; ++n) {
        generator.incidents.push_back(planner.Plan(kind, name, day, n));
      }
    }
  }
  std::stable_sort(
      generator.incidents.begin(), generator.incidents.end(),
      [](const sim::Incident& a, const sim::Incident& b) { return a.start < b.start; });
  for (const sim::Incident& incident : generator.incidents) {
    scenario.labels.push_back(LabelOf(incident));
  }
  scenario.shortfalls = planner.shortfalls();

  if (generator.new_account_day >= 0) {
    Label control;
    control.id = "new-account";
    control.kind = "new-account";
    control.expect = Expect::kNothing;
    control.key.account = world->accounts().back().id;  // every region
    control.start = common::Seconds{world->accounts().back().first_day};
    control.end = scenario.evaluated_to - kHitAfter;
    scenario.labels.push_back(std::move(control));
  }
  int wave_number = 0;
  for (const sim::DeployWave& wave : sim::DeployWaves(generator)) {
    const common::Seconds start{wave.start - minutes{2}};  // the job's jitter
    if (start < scenario.evaluated_from || start >= scenario.evaluated_to) continue;
    Label control;
    control.id = fmt::format("deploy-wave-{}", ++wave_number);
    control.kind = "deploy-wave";
    control.expect = Expect::kNothing;
    control.key.account = world->accounts()[wave.account].id;
    control.key.region = generator.regions.front();  // the deployment job's region
    control.start = start;
    control.end = start + minutes{12};
    scenario.labels.push_back(std::move(control));
  }
  return scenario;
}

}  // namespace trailsight::eval
