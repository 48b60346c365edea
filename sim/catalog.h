#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace trailsight::sim {

// One AWS API the simulator calls. Templates are JSON text in which `$name` placeholders
// (`$instance`, `$bucket`, `$role`, ... see record_context.cc) are replaced per record with
// names from the account's resource pools; "null" renders as JSON null.
struct ApiSpec {
  std::string_view service{};          // eventSource is "<service>.amazonaws.com"
  std::string_view name{};             // eventName, as CloudTrail spells it
  bool read_only = true;               // readOnly
  std::string_view request = "null";   // requestParameters template
  std::string_view response = "null";  // responseElements template (writes only)
  std::string_view not_found = "";     // error code when the named resource is missing
  bool data_event = false;             // eventCategory Data, managementEvent false
  bool global = false;                 // IAM: logged in us-east-1 only (the home region)
};

// How a service reports refusals and throttling (errorCode and errorMessage templates).
struct ServiceErrors {
  std::string_view denied_code = "AccessDenied";
  std::string_view denied_message =
      "User: $arn is not authorized to perform: $action because no identity-based policy "
      "allows the $action action";
  std::string_view throttle_code = "ThrottlingException";
  std::string_view throttle_message = "Rate exceeded";
};

// How a simulated call fails, in its service's vocabulary (ServiceErrors, ApiSpec::not_found).
enum class CallError : std::uint8_t { kNone, kDenied, kNotFound, kThrottled };

// The kind of userIdentity an actor has.
enum class IdentityKind {
  kAssumedRole,  // AssumedRole with sessionContext.sessionIssuer (SSO users, app roles)
  kServiceRole,  // AssumedRole used by an AWS service on our behalf (invokedBy, no TLS)
  kIamUser,      // IAMUser with a long-term AKIA key
  kAwsService,   // AWSService: the service itself (sts:AssumeRole by lambda.amazonaws.com)
};

// The client an actor calls from; decides userAgent and sourceIPAddress.
enum class AgentKind {
  kConsole,       // the AWS console in a browser (sessionCredentialFromConsole)
  kCli,           // aws-cli v2, with the command in the user agent
  kBoto3,         // Python scripts and tools
  kLambda,        // boto3 inside a Lambda function
  kTerraform,     // terraform-provider-aws
  kGoSdk,         // applications on EC2
  kSsmAgent,      // amazon-ssm-agent on every instance
  kLambdaWorker,  // the Lambda runtime itself ("awslambda-worker")
  kService,       // an AWS service acting for us: its DNS name as address and agent
};

// The shape of an actor's rate over the day and the week.
enum class Shape {
  kBusinessHours,  // people: raised cosine over 07:30-19:30 local, low floor, quiet weekends
  kExtended,       // CI and tooling driven by people: wider day, higher floor
  kAppLoad,        // applications: smooth 24 h cosine peaking mid-afternoon, busier weekdays
  kFlat,           // pollers and agents: the same every minute of the week
};

struct ApiWeight {
  std::string_view api;  // "service:Name" in the API catalog
  double weight;         // relative share of the actor's calls
};

// A family of callers that exists in every account: one principal with its sessions,
// clients and a Poisson call rate shaped by `shape`.
struct ActorSpec {
  std::string_view id{};  // short handle used by jobs ("backup", "ci")
  IdentityKind identity = IdentityKind::kAssumedRole;
  std::string_view name{};                   // role or user name; "$hash" becomes 16 hex digits
  std::string_view path = "/";               // IAM path of the role or user
  std::vector<std::string_view> sessions{};  // session names; "$instance"/"$function" use pools
  std::string_view invoked_by{};             // kServiceRole / kAwsService: the acting service
  std::vector<AgentKind> agents{};           // one is picked per call, first most often
  Shape shape = Shape::kFlat;
  double per_minute = 0;          // calls per minute at the shape's peak, busiest stream
  bool home_region_only = false;  // only in the first region of the list
  double denied = 0.006;          // chance a call is refused (AccessDenied & co.)
  double not_found = 0.02;        // chance a call naming a resource finds none
  double throttled = 0.008;       // chance a call is throttled
  std::vector<ApiWeight> apis{};
};

// One step of a scheduled job: `min_calls..max_calls` calls of `api` spread over
// `spread` seconds, starting `offset` seconds after the job starts.
struct JobStep {
  std::string_view api{};
  int min_calls = 1;
  int max_calls = 1;
  int offset = 0;
  int spread = 30;
};

// What an account of an organization is for (GeneratorOptions::organization): it decides the
// account's size, the regions it uses and its recurring work (OrganizationJobCatalog()).
enum class AccountKind : std::uint8_t {
  kProduction,
  kStaging,
  kDev,
  kCiCd,
  kData,
  kManagement,
};

// A set of account kinds, for JobSpec::kinds.
constexpr std::uint32_t KindBit(AccountKind kind) { return 1U << static_cast<unsigned>(kind); }
inline constexpr std::uint32_t kAnyKind = ~0U;

// Automation that runs every day (or weekday), at the same time or at random times in a
// span: every occurrence has about the same size, so a baseline that has seen a week of it
// calls it normal at the times it ran (a job at a fixed time), or at any time (a job at
// random times: bursty work).
struct JobSpec {
  std::string_view actor{};       // ActorSpec::id of the caller
  std::chrono::minutes at{0};     // time of day: UTC, or the account's local time (`local`)
  int jitter_minutes = 0;         // the start moves by up to this many minutes either way
  std::chrono::minutes every{0};  // 0: once a day; else repeats from `at` every `every`
  bool local = false;             // `at` is the account's local time, not UTC
  // When runs_max > 0, the job runs runs_min..runs_max times a day instead, each at a random
  // minute of [at, at + within).
  int runs_min = 0;
  int runs_max = 0;
  std::chrono::minutes within{0};
  std::uint8_t days_of_week = 0x7F;  // bit d: the job runs on ISO weekday d + 1 (Monday: bit 0)
  std::uint32_t kinds = kAnyKind;    // the account kinds that run it (organizations only)
  bool weekdays_only = false;
  bool home_region_only = false;
  bool deploy = false;           // also runs at the extra waves of deploy days (DeployWaves())
  double secondary_scale = 1.0;  // call counts in regions after the first
  std::vector<JobStep> steps{};
};

std::span<const ApiSpec> ApiCatalog();
std::span<const ActorSpec> ActorCatalog();
// The busier workloads of a larger platform, added after ActorCatalog()'s actors when
// GeneratorOptions::platform_workloads is set.
std::span<const ActorSpec> PlatformActorCatalog();
std::span<const JobSpec> JobCatalog();
// The recurring work of an organization's accounts, by account kind, added after
// JobCatalog()'s jobs when GeneratorOptions::organization is set: jittered nightly clean-ups,
// weekday deploys and evening releases across many APIs, dev teams' teardowns and CI
// pipelines at random working times, key rotation by hand.
std::span<const JobSpec> OrganizationJobCatalog();
// Returns the error vocabulary of `service` (a default one for services without quirks).
const ServiceErrors& ErrorsOf(std::string_view service);

}  // namespace trailsight::sim
