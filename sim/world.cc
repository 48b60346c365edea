#include "sim/world.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/check.h"
#include "sim/random.h"

namespace trailsight::sim {
namespace {

constexpr double kAccountScales[] = {1.0, 0.6, 0.35};
constexpr double kOtherAccountScale = 0.5;
constexpr double kSecondaryRegionScale = 0.35;
constexpr int kUtcOffsets[] = {-5, 1, -8, 9, 0, -3};  // New York, Paris, Seattle, Tokyo, ...

// An organization's accounts after its management account, in order (then again).
constexpr AccountKind kMemberKinds[] = {
    AccountKind::kProduction, AccountKind::kDev,     AccountKind::kStaging,
    AccountKind::kCiCd,       AccountKind::kData,    AccountKind::kDev,
    AccountKind::kProduction, AccountKind::kStaging, AccountKind::kDev,
    AccountKind::kCiCd,       AccountKind::kData,    AccountKind::kProduction,
    AccountKind::kDev,        AccountKind::kStaging, AccountKind::kDev,
    AccountKind::kCiCd,       AccountKind::kData,    AccountKind::kProduction,
    AccountKind::kDev};

// The size of an organization's account of `kind`; the first production account is the
// organization's main one.
double OrganizationScale(AccountKind kind, bool first_production) {
  switch (kind) {
    case AccountKind::kProduction:
      return first_production ? 1.0 : 0.6;
    case AccountKind::kStaging:
      return 0.3;
    case AccountKind::kDev:
      return 0.2;
    case AccountKind::kCiCd:
      return 0.25;
    case AccountKind::kData:
      return 0.4;
    case AccountKind::kManagement:
      return 0.15;
  }
  return 1.0;
}

// Whether an organization's account of `kind` uses region `region` (0: the first region of
// the list): production and staging use every region, data the first two, the others the
// first only.
bool UsesRegion(AccountKind kind, int region) {
  switch (kind) {
    case AccountKind::kProduction:
    case AccountKind::kStaging:
      return true;
    case AccountKind::kData:
      return region < 2;
    default:
      return region == 0;
  }
}

std::vector<std::string> Ids(Rng& rng, std::string_view prefix, int count) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    std::string id(prefix);
    rng.AppendHex(id, 17);
    out.push_back(std::move(id));
  }
  return out;
}

std::vector<std::string> Ips(Rng& rng, std::initializer_list<int> first_octets, int count) {
  const std::vector<int> octets(first_octets);
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    out.push_back(fmt::format("{}.{}.{}.{}", octets[rng.Below(octets.size())], rng.Between(1, 254),
                              rng.Between(0, 255), rng.Between(1, 254)));
  }
  return out;
}

ResourcePools MakePools(Rng& rng, const std::string& account_id, std::size_t regions) {
  ResourcePools pools;
  for (std::string_view purpose :
       {"app-assets", "build-artifacts", "access-logs", "data-lake", "backups", "tf-state"}) {
    pools.buckets.push_back(fmt::format("northwind-{}-{}", purpose, account_id));
  }
  pools.functions = {"orders-api",  "payments-webhook", "thumbnail-resizer", "nightly-report",
                     "user-signup", "inventory-sync",   "search-indexer",    "email-sender"};
  pools.stacks = {"orders-service", "payments", "platform-network", "data-pipeline",
                  "observability"};
  pools.roles = {"app-instance-role",      "orders-service-lambda-role", "github-actions-deployer",
                 "DatadogIntegrationRole", "ebs-nightly-backup-role",    "data-pipeline-role",
                 "reporting-readonly"};
  pools.users = {"terraform-ci", "security-audit", "legacy-reporting", "break-glass-admin"};
  pools.params = {"/orders-service/prod/db-url", "/orders-service/prod/api-key",
                  "/payments/prod/stripe-secret", "/platform/feature-flags",
                  "/data-pipeline/prod/warehouse-dsn"};
  pools.databases = {"orders-db", "payments-db", "analytics-replica"};
  pools.auto_scaling_groups = {"web-asg", "worker-asg", "batch-asg"};
  for (int i = 0; i < 3; ++i) pools.kms_keys.push_back(rng.Uuid());
  pools.people = {"maria.garcia", "tom.becker", "li.wei", "sam.okafor", "nina.petrova"};
  for (std::size_t r = 0; r < regions; ++r) {
    pools.instances.push_back(Ids(rng, "i-0", 24));
    pools.volumes.push_back(Ids(rng, "vol-0", 24));
    pools.snapshots.push_back(Ids(rng, "snap-0", 40));
    pools.security_groups.push_back(Ids(rng, "sg-0", 8));
    pools.subnets.push_back(Ids(rng, "subnet-0", 6));
    pools.vpcs.push_back(Ids(rng, "vpc-0", 2));
    pools.images.push_back(Ids(rng, "ami-0", 4));
  }
  return pools;
}

// Fills the identity fields of `principal` from an ARN (incident principals).
void IdentityFromArn(const std::string& arn, const std::string& account_id, Rng& rng,
                     Principal& principal) {
  const auto slash_after = [&](std::string_view marker) -> std::string_view {
    const std::size_t at = arn.find(marker);
    return at == std::string::npos ? std::string_view{}
                                   : std::string_view(arn).substr(at + marker.size());
  };
  if (std::string_view rest = slash_after(":assumed-role/"); !rest.empty()) {
    const std::size_t slash = rest.find('/');
    principal.identity = IdentityKind::kAssumedRole;
    principal.name = std::string(rest.substr(0, slash));
    principal.sessions = {slash == std::string_view::npos ? "session"
                                                          : std::string(rest.substr(slash + 1))};
    principal.arn = fmt::format("arn:aws:iam::{}:role/{}", account_id, principal.name);
    principal.principal_id = "AROA" + rng.Chars(kUpperDigits, 17);
  } else if (std::string_view role = slash_after(":role/"); !role.empty()) {
    principal.identity = IdentityKind::kAssumedRole;
    principal.name = std::string(role.substr(role.rfind('/') + 1));
    principal.sessions = {"session"};
    principal.arn = arn;
    principal.principal_id = "AROA" + rng.Chars(kUpperDigits, 17);
  } else {
    principal.identity = IdentityKind::kIamUser;
    principal.name = arn.substr(arn.rfind('/') + 1);
    principal.arn = arn;
    principal.principal_id = "AIDA" + rng.Chars(kUpperDigits, 17);
    principal.access_key = "AKIA" + rng.Chars(kUpperDigits, 16);
  }
}

// Maps an incident's error code onto its API's vocabulary. Fails with kInvalidArgument when
// the code is not one the API's service uses.
common::Result<CallError> IncidentError(const Incident& incident, const ApiSpec& api) {
  const std::string& code = incident.error_code;
  if (code.empty()) return CallError::kNone;
  const ServiceErrors& errors = ErrorsOf(api.service);
  if (code == errors.denied_code) return CallError::kDenied;
  if (code == errors.throttle_code) return CallError::kThrottled;
  if (code == api.not_found && !code.empty()) return CallError::kNotFound;
  return common::Error{
      common::ErrorCode::kInvalidArgument,
      fmt::format("incident {}: {}:{} does not fail with {} (it uses {}, {}{}{})", incident.id,
                  api.service, api.name, code, errors.denied_code, errors.throttle_code,
                  api.not_found.empty() ? "" : ", ", api.not_found)};
}

}  // namespace

std::string_view ServiceOf(std::string_view event_source) {
  const std::size_t dot = event_source.find('.');
  return dot == std::string_view::npos ? event_source : event_source.substr(0, dot);
}

AccountKind OrganizationKind(int index) {
  if (index == 0) return AccountKind::kManagement;
  return kMemberKinds[static_cast<std::size_t>(index - 1) % std::size(kMemberKinds)];
}

std::string AccountId(std::uint64_t seed, int index) {
  const std::uint64_t raw = DeriveSeed(seed, {kAccountIdTag, static_cast<std::uint64_t>(index)});
  return std::to_string(100'000'000'000ULL + raw % 900'000'000'000ULL);
}

int World::FindApi(std::string_view service, std::string_view name) const {
  for (std::size_t i = 0; i < apis_.size(); ++i) {
    if (apis_[i].service == service && apis_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

common::Result<World> World::Create(const GeneratorOptions& options) {
  using common::Error;
  using common::ErrorCode;
  if (options.days < 1 || options.days > 366) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("days must be 1..366, not {}", options.days)};
  }
  if (options.accounts < 1 || options.accounts > 1000) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("accounts must be 1..1000, not {}", options.accounts)};
  }
  if (options.regions.empty()) {
    return Error{ErrorCode::kInvalidArgument, "at least one region is needed"};
  }
  if (!std::isfinite(options.volume) || options.volume < 0 || options.volume > 1000) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("volume must be between 0 and 1000, not {}", options.volume)};
  }
  if (!std::isfinite(options.daily_growth) || options.daily_growth < 0 ||
      options.daily_growth > 0.5) {
    return Error{
        ErrorCode::kInvalidArgument,
        fmt::format("daily growth must be between 0 and 0.5, not {}", options.daily_growth)};
  }
  if (!(options.deploy_day_share >= 0 && options.deploy_day_share <= 1)) {
    return Error{
        ErrorCode::kInvalidArgument,
        fmt::format("deploy day share must be between 0 and 1, not {}", options.deploy_day_share)};
  }
  if (options.account_ids.size() > static_cast<std::size_t>(options.accounts)) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("{} account ids given for {} accounts", options.account_ids.size(),
                             options.accounts)};
  }
  if (options.new_account_day >= options.days ||
      (options.new_account_day >= 0 && options.accounts < 2) || options.new_account_day < -1) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("a new account's first day must be -1 or within the {} days (with "
                             "another account beside it), not {}",
                             options.days, options.new_account_day)};
  }
  for (const std::string& id : options.account_ids) {
    if (id.size() != 12 || id.find_first_not_of("0123456789") != std::string::npos) {
      return Error{ErrorCode::kInvalidArgument,
                   fmt::format("account id '{}' is not 12 digits", id)};
    }
  }

  World world;
  world.options_ = &options;
  const ApiSpec* catalog_begin = ApiCatalog().data();
  world.apis_.assign(catalog_begin, catalog_begin + ApiCatalog().size());
  world.incidents_ = options.incidents.empty() && options.inject_default_incident
                         ? DefaultIncidents(options)
                         : options.incidents;

  const auto home = std::find(options.regions.begin(), options.regions.end(), "us-east-1");
  const int home_region =
      home == options.regions.end() ? 0 : static_cast<int>(home - options.regions.begin());
  std::vector<const ActorSpec*> actors;
  for (const ActorSpec& spec : ActorCatalog()) actors.push_back(&spec);
  if (options.platform_workloads) {
    for (const ActorSpec& spec : PlatformActorCatalog()) actors.push_back(&spec);
  }
  for (int a = 0; a < options.accounts; ++a) {
    Account account;
    account.id = a < static_cast<int>(options.account_ids.size()) ? options.account_ids[a]
                                                                  : AccountId(options.seed, a);
    account.utc_offset_hours = kUtcOffsets[a % std::size(kUtcOffsets)];
    account.scale =
        a < static_cast<int>(std::size(kAccountScales)) ? kAccountScales[a] : kOtherAccountScale;
    account.first_day = options.start;
    if (options.new_account_day >= 0 && a == options.accounts - 1) {
      account.first_day += std::chrono::days{options.new_account_day};
    }
    if (options.organization) {
      account.kind = OrganizationKind(a);
      account.scale = OrganizationScale(account.kind, a == 1);
    }
    Rng rng(DeriveSeed(options.seed, {kPoolTag, static_cast<std::uint64_t>(a)}));
    account.pools = MakePools(rng, account.id, options.regions.size());
    account.office_ips = Ips(rng, {81, 92, 145, 178, 203}, 3);
    account.ci_ips = Ips(rng, {4, 20, 40}, 6);
    for (std::size_t r = 0; r < options.regions.size(); ++r) {
      account.ec2_ips.push_back(Ips(rng, {3, 18, 34, 44, 52, 54}, 8));
    }
    if (options.daily_growth > 0) {
      Rng growth_rng(DeriveSeed(options.seed, {kGrowthTag, static_cast<std::uint64_t>(a)}));
      account.log_growth_per_day = std::log1p(options.daily_growth * (0.5 + growth_rng.Uniform()));
    }
    for (std::size_t i = 0; i < actors.size(); ++i) {
      const ActorSpec& spec = *actors[i];
      Rng id_rng(DeriveSeed(options.seed, {kPrincipalTag, static_cast<std::uint64_t>(a), i}));
      Principal principal;
      principal.spec = &spec;
      principal.identity = spec.identity;
      principal.name = std::string(spec.name);
      if (const std::size_t at = principal.name.find("$hash"); at != std::string::npos) {
        std::string hash;
        id_rng.AppendHex(hash, 16);
        principal.name.replace(at, 5, hash);
      }
      const bool user = spec.identity == IdentityKind::kIamUser;
      if (spec.identity != IdentityKind::kAwsService) {
        principal.arn = fmt::format("arn:aws:iam::{}:{}{}{}", account.id, user ? "user" : "role",
                                    spec.path, principal.name);
        principal.principal_id = (user ? "AIDA" : "AROA") + id_rng.Chars(kUpperDigits, 17);
      }
      if (user) principal.access_key = "AKIA" + id_rng.Chars(kUpperDigits, 16);
      principal.invoked_by = std::string(spec.invoked_by);
      principal.sessions.assign(spec.sessions.begin(), spec.sessions.end());
      principal.agents = spec.agents;
      double total = 0;
      for (const ApiWeight& weighted : spec.apis) {
        const std::size_t colon = weighted.api.find(':');
        const int api =
            world.FindApi(weighted.api.substr(0, colon), weighted.api.substr(colon + 1));
        TRAILSIGHT_CHECK(api >= 0, "actor {} calls {}, which is not in the API catalog", spec.id,
                         weighted.api);
        total += weighted.weight;
        principal.api_ids.push_back(static_cast<std::uint16_t>(api));
        principal.cumulative.push_back(total);
      }
      account.principals.push_back(std::move(principal));
    }
    world.accounts_.push_back(std::move(account));
    for (int r = 0; r < static_cast<int>(options.regions.size()); ++r) {
      world.streams_.push_back(Stream{
          .account = a,
          .region = r,
          .scale = !options.organization || UsesRegion(world.accounts_.back().kind, r)
                       ? world.accounts_.back().scale * (r == 0 ? 1.0 : kSecondaryRegionScale)
                       : 0.0,
          .home = r == home_region});
    }
  }

  for (std::size_t i = 0; i < world.incidents_.size(); ++i) {
    const Incident& incident = world.incidents_[i];
    const auto account = std::find_if(world.accounts_.begin(), world.accounts_.end(),
                                      [&](const Account& x) { return x.id == incident.account; });
    const auto region = std::find(options.regions.begin(), options.regions.end(), incident.region);
    if (account == world.accounts_.end() || region == options.regions.end()) {
      return Error{ErrorCode::kInvalidArgument,
                   fmt::format("incident {}: account {} / region {} is not simulated", incident.id,
                               incident.account, incident.region)};
    }
    if (incident.duration.count() <= 0 || incident.calls_per_minute < 0 ||
        incident.event_name.empty() || incident.event_source.empty()) {
      return Error{
          ErrorCode::kInvalidArgument,
          fmt::format("incident {}: needs an API, a positive duration and rate", incident.id)};
    }
    static constexpr std::string_view kKinds[] = {"burst",        "slow-rise",     "error-storm",
                                                  "off-hours",    "never-seen",    "new-region",
                                                  "many-targets", "weekend-burst", "tamper"};
    if (std::find(std::begin(kKinds), std::end(kKinds), incident.kind) == std::end(kKinds)) {
      return Error{ErrorCode::kInvalidArgument,
                   fmt::format("incident {}: unknown kind '{}'", incident.id, incident.kind)};
    }
    if (incident.kind == "slow-rise" &&
        (!(incident.rise_factor >= 1.0) || incident.ramp.count() <= 0)) {
      return Error{
          ErrorCode::kInvalidArgument,
          fmt::format("incident {}: a slow rise needs a factor >= 1 and a ramp", incident.id)};
    }
    const std::string_view service = ServiceOf(incident.event_source);
    int api = world.FindApi(service, incident.event_name);
    if (api < 0) {
      const std::string_view name = incident.event_name;
      const bool read = name.starts_with("Get") || name.starts_with("List") ||
                        name.starts_with("Describe") || name.starts_with("Head") ||
                        name.starts_with("Lookup") || name.starts_with("BatchGet");
      world.apis_.push_back(ApiSpec{.service = service, .name = name, .read_only = read});
      api = static_cast<int>(world.apis_.size()) - 1;
    }
    const int a = static_cast<int>(account - world.accounts_.begin());
    common::Result<CallError> error = IncidentError(incident, world.apis_[api]);
    if (!error) return std::move(error).error();
    world.incident_errors_.push_back(*error);
    if (!incident.actor.empty()) {
      const auto usual = std::find_if(
          account->principals.begin(), account->principals.end(),
          [&](const Principal& p) { return p.spec != nullptr && p.spec->id == incident.actor; });
      if (usual == account->principals.end()) {
        return Error{ErrorCode::kInvalidArgument,
                     fmt::format("incident {}: no actor '{}' in this scenario", incident.id,
                                 incident.actor)};
      }
      world.incident_principals_.push_back(static_cast<int>(usual - account->principals.begin()));
    } else {
      Rng rng(DeriveSeed(options.seed, {kPrincipalTag, static_cast<std::uint64_t>(a), 1000 + i}));
      Principal principal;
      IdentityFromArn(incident.principal_arn, account->id, rng, principal);
      principal.user_agent = incident.user_agent;
      principal.source_ip = incident.source_ip;
      principal.distinct_targets = incident.distinct_targets;
      principal.agents = {AgentKind::kCli};
      account->principals.push_back(std::move(principal));
      world.incident_principals_.push_back(static_cast<int>(account->principals.size()) - 1);
    }
    world.incident_apis_.push_back(api);
    world.incident_streams_.push_back(a * static_cast<int>(options.regions.size()) +
                                      static_cast<int>(region - options.regions.begin()));
  }
  TRAILSIGHT_CHECK(world.apis_.size() < 65535, "too many APIs: {}", world.apis_.size());
  return world;
}

}  // namespace trailsight::sim
