#include "detector/novelty_rules.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "detector/call_alert.h"

namespace trailsight::detector {
namespace {

constexpr std::string_view kNewRegionRule = "novelty.new-region";
constexpr std::string_view kFirstSensitiveCallRule = "novelty.first-sensitive-call";

// What both novelty rules ask of a fact's last day before `today`: nullopt when it lies
// within `window` days (the fact is in use: no alert), else how the alert words its last
// use: `last` ("its last write there was N days earlier") or `never` without one.
std::optional<std::string> LastUseBeyond(std::optional<AccountFacts::Day> last_day,
                                         AccountFacts::Day today, std::chrono::days window,
                                         std::string_view last, std::string_view never) {
  if (last_day && today - *last_day <= static_cast<AccountFacts::Day>(window.count())) {
    return std::nullopt;
  }
  if (!last_day) return std::string(never);
  return fmt::format("{} {} days earlier", last, today - *last_day);
}

}  // namespace

std::vector<SensitiveApi> DefaultSensitiveApis() {
  // Calls that, made for the first time in a while by an account that has a history, are
  // how stolen credentials are turned into lasting or wider access: rare in steady work, so
  // their first use is worth a look. Calls that are routine in most accounts are left out
  // even when attackers use them too, because their first use is not news:
  // secretsmanager GetSecretValue (every application that reads its secrets at start),
  // sts AssumeRole, and ec2 AuthorizeSecurityGroupIngress (which needs the rule's CIDR to
  // tell a rule open to the world from a routine one, and records carry no CIDR yet).
  constexpr std::string_view kIam = "iam.amazonaws.com";
  constexpr std::string_view kKms = "kms.amazonaws.com";
  constexpr std::string_view kS3 = "s3.amazonaws.com";
  constexpr std::string_view kEc2 = "ec2.amazonaws.com";
  const std::pair<std::string_view, std::string_view> calls[] = {
      // IAM: privilege escalation (policies attached, inlined or rewritten; a role's trust
      // policy opened) and persistence (new users, keys, console passwords, group members).
      {kIam, "AttachUserPolicy"},
      {kIam, "AttachRolePolicy"},
      {kIam, "AttachGroupPolicy"},
      {kIam, "PutUserPolicy"},
      {kIam, "PutRolePolicy"},
      {kIam, "PutGroupPolicy"},
      {kIam, "CreatePolicyVersion"},
      {kIam, "SetDefaultPolicyVersion"},
      {kIam, "UpdateAssumeRolePolicy"},
      {kIam, "CreateUser"},
      {kIam, "CreateAccessKey"},
      {kIam, "CreateLoginProfile"},
      {kIam, "UpdateLoginProfile"},
      {kIam, "AddUserToGroup"},
      // STS: federated sessions that outlive the deletion of the key that made them.
      {"sts.amazonaws.com", "GetFederationToken"},
      // KMS: destroying or locking away keys (ransom, destruction of encrypted data).
      {kKms, "ScheduleKeyDeletion"},
      {kKms, "DisableKey"},
      {kKms, "PutKeyPolicy"},
      // S3: buckets opened to other accounts or the world, or their guard removed.
      {kS3, "PutBucketPolicy"},
      {kS3, "PutBucketAcl"},
      {kS3, "DeleteBucketPolicy"},
      // Organizations: an account leaving the organization's guardrails.
      {"organizations.amazonaws.com", "LeaveOrganization"},
      // EC2: snapshots and images shared with another account (data theft).
      {kEc2, "ModifySnapshotAttribute"},
      {kEc2, "ModifyImageAttribute"},
  };
  std::vector<SensitiveApi> apis;
  apis.reserve(std::size(calls));
  for (const auto& [source, name] : calls) apis.push_back({std::string(source), std::string(name)});
  return apis;
}

NoveltyRules::NoveltyRules(NoveltyOptions options, common::StringInterner& interner,
                           AccountFacts& facts)
    : interner_(interner), facts_(facts), many_targets_(options.many_targets, interner) {
  Reconfigure(std::move(options));
}

void NoveltyRules::Reconfigure(NoveltyOptions options) {
  options_ = std::move(options);
  many_targets_.Reconfigure(options_.many_targets);
  sensitive_.clear();
  for (const SensitiveApi& api : options_.sensitive_apis) {
    const common::Symbol source = interner_.Intern(api.event_source);
    const common::Symbol name = interner_.Intern(api.event_name);
    // The overflow symbol stands for every refused name: no one API.
    if (source == common::kNoSymbol || name == common::kNoSymbol ||
        source == interner_.overflow_symbol() || name == interner_.overflow_symbol()) {
      spdlog::warn("novelty: sensitive API {}:{} not applied: the string interner is at its cap",
                   api.event_source, api.event_name);
      continue;
    }
    sensitive_.insert(CallKey(source, name));
  }
}

void NoveltyRules::OnEvent(const common::Event& event, common::AlertSink& sink) {
  const bool sensitive =
      !sensitive_.empty() && sensitive_.contains(CallKey(event.source, event.name));
  const AccountFacts::Before before = facts_.Observe(event, sensitive);
  CheckNewRegion(event, before, sink);
  if (sensitive) {
    CheckSensitiveCall(event, before, sink);
    CheckManyTargets(event, before, sink);
  }
}

bool NoveltyRules::Warm(const common::Event& event, const AccountFacts::Before& before) const {
  // A young account (or one trailsight has only just met) is warming up.
  return before.first_seen && event.time - *before.first_seen >= options_.warmup;
}

void NoveltyRules::CheckNewRegion(const common::Event& event, const AccountFacts::Before& before,
                                  common::AlertSink& sink) {
  if (!options_.new_region || event.read_only || event.region == common::kNoSymbol ||
      event.region == interner_.overflow_symbol() || !Warm(event, before)) {
    return;
  }
  const std::optional<std::string> last_use =
      LastUseBeyond(before.last_write_day, AccountFacts::DayOf(event.time), options_.region_window,
                    "its last write there was", "it had never written there");
  if (!last_use) return;  // in use

  common::Alert alert = CallAlert(common::AlertKind::kNovelty, std::string(kNewRegionRule),
                                  common::Severity::kMedium, event, interner_);
  alert.message = fmt::format(
      "{}{} by {} in account {}: the account's first write in region {} in {} days ({}); an "
      "unused region is where stolen keys are spent.",
      alert.event_name,
      alert.error_code.empty() ? "" : fmt::format(" (failed: {})", alert.error_code),
      alert.principal.empty() ? "an unknown caller" : alert.principal, alert.account, alert.region,
      options_.region_window.count(), *last_use);
  Publish(alert, sink);
}

void NoveltyRules::CheckSensitiveCall(const common::Event& event,
                                      const AccountFacts::Before& before, common::AlertSink& sink) {
  // A failed call changed nothing (an attacker's AccessDenied probes are the tamper rules'
  // and the error-rate insight's business), and taught the facts nothing either.
  if (!options_.first_sensitive_call || event.error_code != common::kNoSymbol ||
      !Warm(event, before)) {
    return;
  }
  const std::optional<std::string> last_use =
      LastUseBeyond(before.last_sensitive_call_day, AccountFacts::DayOf(event.time),
                    options_.sensitive_window, "its last one was", "it had never made it");
  if (!last_use) return;  // made within the window: known
  // Medium, as for a new region: in a warm account these calls are also an administrator's
  // rare but legitimate work (a new user, a policy change), so a first use asks for a look
  // rather than proving an attack; high is for the tamper rules, which blind the logging.
  common::Alert alert = CallAlert(common::AlertKind::kNovelty, std::string(kFirstSensitiveCallRule),
                                  common::Severity::kMedium, event, interner_);
  alert.resource = interner_.Resolve(event.resource);
  alert.message = fmt::format(
      "{} by {} in account {}: the account's first successful {} {} in {} days ({}); a call "
      "attackers use to keep, widen or spend stolen access.",
      alert.event_name, alert.principal.empty() ? "an unknown caller" : alert.principal,
      alert.account, alert.event_source, alert.event_name, options_.sensitive_window.count(),
      *last_use);
  Publish(alert, sink);
}

void NoveltyRules::CheckManyTargets(const common::Event& event, const AccountFacts::Before& before,
                                    common::AlertSink& sink) {
  // As for a first call: a failed call changed nothing, and a young account's spread is its
  // own setup (its first users and their keys).
  if (event.error_code != common::kNoSymbol || !Warm(event, before)) return;
  if (std::optional<common::Alert> alert = many_targets_.OnSensitiveCall(event)) {
    Publish(*alert, sink);
  }
}

void NoveltyRules::Publish(const common::Alert& alert, common::AlertSink& sink) {
  ++counters_.alerts;
  if (common::Status published = sink.Publish(alert); !published) {
    ++counters_.publish_errors;
    spdlog::error("alert sink: {}", published.error().message);
  }
}

}  // namespace trailsight::detector
