#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/catalog.h"
#include "sim/generator.h"

namespace trailsight::sim {

// Names that requestParameters templates draw from, per account (EC2 ids per region).
struct ResourcePools {
  std::vector<std::string> buckets, functions, stacks, roles, users, params, databases,
      auto_scaling_groups, kms_keys, people;
  // Per region index:
  std::vector<std::vector<std::string>> instances, volumes, snapshots, security_groups, subnets,
      vpcs, images;
};

// One caller instantiated in one account: a catalog actor, or an incident's principal.
struct Principal {
  IdentityKind identity = IdentityKind::kAssumedRole;
  std::string arn;                    // IAM user ARN, or the role ARN for assumed roles
  std::string name;                   // role or user name
  std::string principal_id;           // AROA... / AIDA...
  std::string access_key;             // AKIA... for IAM users
  bool distinct_targets = false;      // each call names a user of its own (incidents)
  std::string invoked_by;             // service acting on our behalf, if any
  std::vector<std::string> sessions;  // session names for assumed roles
  std::vector<AgentKind> agents;
  std::string user_agent;              // fixed userAgent (incidents); empty: from `agents`
  std::string source_ip;               // fixed sourceIPAddress (incidents); empty: from `agents`
  const ActorSpec* spec = nullptr;     // catalog actor, null for incidents
  std::vector<std::uint16_t> api_ids;  // what it calls ...
  std::vector<double> cumulative;      // ... with cumulative weights for picking
};

struct Account {
  std::string id;
  AccountKind kind = AccountKind::kProduction;  // organizations only; see OrganizationKind()
  common::Day first_day{};                      // nothing happens in the account before this day
  int utc_offset_hours = 0;                     // business hours and weekends are local
  double scale = 1.0;                           // relative size of the account's background traffic
  double log_growth_per_day = 0.0;    // background volume is scale x exp(this x days elapsed)
  std::vector<Principal> principals;  // index = actor index, then incident principals
  ResourcePools pools;
  std::vector<std::string> office_ips, ci_ips;
  std::vector<std::vector<std::string>> ec2_ips;  // per region
};

// One (account, region): the unit of delivery, ordering and file naming.
struct Stream {
  int account = 0;
  int region = 0;
  double scale = 1.0;  // account scale x region scale; 0 in a region the account does not use
  bool home = false;   // receives global (IAM) events
};

// Everything fixed for a run, derived from GeneratorOptions: accounts, their principals and
// resource names, streams, and the API table (the catalog plus any API an incident names).
// Immutable after construction; TrafficModel and RecordWriter read it. The options passed
// in must outlive the World.
class World {
 public:
  // Fails with kInvalidArgument when the options cannot describe a scenario.
  static common::Result<World> Create(const GeneratorOptions& options);

  const GeneratorOptions& options() const { return *options_; }
  const std::vector<ApiSpec>& apis() const { return apis_; }
  const std::vector<Account>& accounts() const { return accounts_; }
  const std::vector<Stream>& streams() const { return streams_; }
  const std::vector<Incident>& incidents() const { return incidents_; }
  const std::string& region_name(int region) const { return options_->regions[region]; }
  // Index of "service:Name" in apis(); -1 when unknown.
  int FindApi(std::string_view service, std::string_view name) const;
  // Principal index of incident `i` within its account.
  int incident_principal(std::size_t i) const { return incident_principals_[i]; }
  int incident_api(std::size_t i) const { return incident_apis_[i]; }
  int incident_stream(std::size_t i) const { return incident_streams_[i]; }
  // How every call of incident `i` fails (kNone: they succeed).
  CallError incident_error(std::size_t i) const { return incident_errors_[i]; }

 private:
  World() = default;

  const GeneratorOptions* options_ = nullptr;
  std::vector<ApiSpec> apis_;
  std::vector<Account> accounts_;
  std::vector<Stream> streams_;
  std::vector<Incident> incidents_;
  std::vector<int> incident_principals_, incident_apis_, incident_streams_;
  std::vector<CallError> incident_errors_;
};

// Returns "<service>" for "<service>.amazonaws.com" (CloudTrail's eventSource).
std::string_view ServiceOf(std::string_view event_source);

}  // namespace trailsight::sim
