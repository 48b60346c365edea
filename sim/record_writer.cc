#include "sim/record_writer.h"

#include <fmt/format.h>

#include <cctype>
#include <chrono>
#include <utility>
#include <vector>

#include "sim/random.h"
#include "sim/record_context.h"

namespace trailsight::sim {
namespace {

using std::chrono::hours;

constexpr std::string_view kBrowserUserAgent =
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36";
constexpr std::string_view kBoto3UserAgent =
    "Boto3/1.35.39 md/Botocore#1.35.39 ua/2.0 os/linux#6.1.109-118.189.amzn2023.x86_64 "
    "md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.39";
constexpr std::string_view kLambdaBoto3UserAgent =
    "Boto3/1.34.145 md/Botocore#1.34.145 ua/2.0 os/linux#5.10.227-239.884.amzn2.x86_64 "
    "md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 "
    "cfg/retry-mode#legacy Botocore/1.34.145";
constexpr std::string_view kSsmAgentUserAgent =
    "aws-sdk-go/1.55.5 (go1.22.7; linux; amd64) amazon-ssm-agent/3.3.987.0";

// FNV-1a: a hash that is the same on every platform (std::hash is not).
std::uint64_t Fnv1a(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : text) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return hash;
}

// "UpdateFunctionCode20150331v2" -> "UpdateFunctionCode" (the IAM action name).
std::string_view ActionName(std::string_view event_name) {
  const std::size_t digit = event_name.find_first_of("0123456789");
  return digit == std::string_view::npos ? event_name : event_name.substr(0, digit);
}

// "DescribeInstances" -> "describe-instances" (the aws-cli command).
std::string Kebab(std::string_view name) {
  std::string out;
  for (char c : ActionName(name)) {
    if (c >= 'A' && c <= 'Z') {
      if (!out.empty()) out.push_back('-');
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void AppendField(std::string_view key, std::string_view value, std::string& out) {
  out += ",\"";
  out += key;
  out += "\":\"";
  AppendJsonEscaped(value, out);
  out += '"';
}

// Appends the userIdentity object and returns the caller's ARN (for error messages).
std::string AppendIdentity(RecordContext& context, common::Seconds time, std::string& out) {
  const Principal& principal = context.principal();
  const std::string& account = context.account().id;
  switch (principal.identity) {
    case IdentityKind::kAwsService:
      out += R"({"type":"AWSService","invokedBy":")";
      out += principal.invoked_by;
      out += "\"}";
      return principal.invoked_by;
    case IdentityKind::kIamUser:
      out += R"({"type":"IAMUser")";
      AppendField("principalId", principal.principal_id, out);
      AppendField("arn", principal.arn, out);
      AppendField("accountId", account, out);
      AppendField("accessKeyId", principal.access_key, out);
      AppendField("userName", principal.name, out);
      out += '}';
      return principal.arn;
    case IdentityKind::kAssumedRole:
    case IdentityKind::kServiceRole:
      break;
  }
  std::string session =
      principal.sessions.empty() ? "session" : PickFrom(context.rng(), principal.sessions);
  if (session == "$instance" || session == "$function") {
    const std::string_view pool = session == "$instance" ? "instance" : "function";
    session = std::string(context.Value(pool, pool));
  }
  const std::string arn =
      fmt::format("arn:aws:sts::{}:assumed-role/{}/{}", account, principal.name, session);
  // Credentials are renewed every hour: same session and hour, same key and creation date.
  const common::Seconds created =
      std::chrono::floor<hours>(time - std::chrono::minutes{3}) + std::chrono::minutes{3};
  Rng key_rng(
      DeriveSeed(Fnv1a(arn), {static_cast<std::uint64_t>(created.time_since_epoch().count())}));
  out += R"({"type":"AssumedRole")";
  AppendField("principalId", principal.principal_id + ":" + session, out);
  AppendField("arn", arn, out);
  AppendField("accountId", account, out);
  AppendField("accessKeyId", "ASIA" + key_rng.Chars(kUpperDigits, 16), out);
  out += R"(,"sessionContext":{"sessionIssuer":{"type":"Role")";
  AppendField("principalId", principal.principal_id, out);
  AppendField("arn", principal.arn, out);
  AppendField("accountId", account, out);
  AppendField("userName", principal.name, out);
  out += R"(},"attributes":{"creationDate":")";
  out += common::FormatUtcTimestamp(created);
  out += R"(","mfaAuthenticated":")";
  out += principal.arn.find("AWSReservedSSO") != std::string::npos ? "true" : "false";
  out += "\"}}";
  if (!principal.invoked_by.empty()) AppendField("invokedBy", principal.invoked_by, out);
  out += '}';
  return arn;
}

}  // namespace

void AppendJsonEscaped(std::string_view text, std::string& out) {
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<int>(c));
        } else {
          out.push_back(c);
        }
    }
  }
}

void RecordWriter::Append(const Call& call, std::string& out) const {
  RecordContext context(world_, call);
  const Principal& principal = context.principal();
  const ApiSpec& api = context.api();
  Rng& rng = context.rng();
  const AgentKind agent =
      principal.agents.empty() ? AgentKind::kCli
      : principal.agents.size() == 1
          ? principal.agents.front()
          : principal.agents[rng.Chance(0.5) ? 0 : rng.Below(principal.agents.size())];
  const bool by_service = agent == AgentKind::kService || agent == AgentKind::kLambdaWorker;

  out += R"({"eventVersion":"1.09","userIdentity":)";
  const std::string caller_arn = AppendIdentity(context, call.event_time, out);
  AppendField("eventTime", common::FormatUtcTimestamp(call.event_time), out);
  const std::string source = fmt::format("{}.amazonaws.com", api.service);
  AppendField("eventSource", source, out);
  AppendField("eventName", api.name, out);
  AppendField("awsRegion", context.region(), out);

  const Account& account = context.account();
  const int region = world_.streams()[call.stream].region;
  std::string address;
  std::string user_agent;
  const Shape shape = principal.spec != nullptr ? principal.spec->shape : Shape::kFlat;
  if (!principal.source_ip.empty()) {
    address = principal.source_ip;
  } else if (agent == AgentKind::kService) {
    address = principal.invoked_by.empty() ? "AWS Internal" : principal.invoked_by;
  } else if (shape == Shape::kBusinessHours) {
    address = PickFrom(rng, account.office_ips);
  } else if (shape == Shape::kExtended) {
    address = PickFrom(rng, account.ci_ips);
  } else {
    address = PickFrom(rng, account.ec2_ips[region]);
  }
  switch (agent) {
    case AgentKind::kConsole:
      user_agent = rng.Chance(0.5) ? "AWS Internal" : kBrowserUserAgent;
      break;
    case AgentKind::kCli:
      user_agent = fmt::format(
          "aws-cli/2.18.4 md/awscrt#0.22.0 ua/2.0 os/macos#23.6.0 md/arch#arm64 lang/python#3.12.6 "
          "md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off "
          "md/command#{}.{}",
          api.service == "monitoring" ? "cloudwatch" : api.service, Kebab(api.name));
      break;
    case AgentKind::kBoto3:
      user_agent = kBoto3UserAgent;
      break;
    case AgentKind::kLambda:
      user_agent = kLambdaBoto3UserAgent;
      break;
    case AgentKind::kTerraform:
      user_agent = fmt::format(
          "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) "
          "terraform-provider-aws/5.73.0 (+https://registry.terraform.io/providers/hashicorp/aws) "
          "aws-sdk-go-v2/1.32.2 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 "
          "api/{}#1.40.1",
          api.service);
      break;
    case AgentKind::kGoSdk:
      user_agent = fmt::format(
          "aws-sdk-go-v2/1.32.2 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 "
          "api/{}#1.37.2",
          api.service);
      break;
    case AgentKind::kSsmAgent:
      user_agent = kSsmAgentUserAgent;
      break;
    case AgentKind::kLambdaWorker:
      user_agent = "awslambda-worker";
      break;
    case AgentKind::kService:
      user_agent = address;
      break;
  }
  if (!principal.user_agent.empty()) user_agent = principal.user_agent;
  AppendField("sourceIPAddress", address, out);
  AppendField("userAgent", user_agent, out);

  const ServiceErrors& errors = ErrorsOf(api.service);
  const std::string action = fmt::format("{}:{}", api.service, ActionName(api.name));
  std::string message;
  switch (call.error) {
    case CallError::kNone:
      break;
    case CallError::kDenied:
      AppendField("errorCode", errors.denied_code, out);
      message = errors.denied_message;
      break;
    case CallError::kThrottled:
      AppendField("errorCode", errors.throttle_code, out);
      message = errors.throttle_message;
      break;
    case CallError::kNotFound:
      AppendField("errorCode", api.not_found, out);
      message = fmt::format("The specified resource was not found ({}).", api.not_found);
      break;
  }
  if (!message.empty()) {
    for (std::size_t at; (at = message.find("$arn")) != std::string::npos;) {
      message.replace(at, 4, caller_arn);
    }
    for (std::size_t at; (at = message.find("$action")) != std::string::npos;) {
      message.replace(at, 7, action);
    }
    AppendField("errorMessage", message, out);
  }

  out += R"(,"requestParameters":)";
  context.Render(api.request, out);
  out += R"(,"responseElements":)";
  if (call.error == CallError::kNone) {
    context.Render(api.response, out);
  } else {
    out += "null";
  }
  const bool s3 = api.service == "s3";
  if (s3) {
    out +=
        R"(,"additionalEventData":{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":")";
    out += rng.Chars(kAlphanumeric, 56);
    out += R"(","bytesTransferredOut":)";
    out += std::to_string(rng.Below(40000));
    out += '}';
  }
  AppendField("requestID", s3 ? rng.Chars("0123456789ABCDEF", 16) : rng.Uuid(), out);
  AppendField("eventID", rng.Uuid(), out);
  out += R"(,"readOnly":)";
  out += api.read_only ? "true" : "false";
  if (api.data_event) {
    out += R"(,"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::)";
    context.Render("$bucket/$object", out);
    out += R"("},{"accountId":")";
    out += account.id;
    out += R"(","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::)";
    context.Render("$bucket", out);
    out += "\"}]";
  }
  out += R"(,"eventType":"AwsApiCall","managementEvent":)";
  out += api.data_event ? "false" : "true";
  AppendField("recipientAccountId", account.id, out);
  AppendField("eventCategory", api.data_event ? "Data" : "Management", out);
  if (agent == AgentKind::kConsole) AppendField("sessionCredentialFromConsole", "true", out);
  if (!by_service) {
    out +=
        R"(,"tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":")";
    if (api.data_event) {
      context.Render("$bucket.s3.$region.amazonaws.com", out);
    } else if (api.global || (s3 && !api.data_event)) {
      out += source;
    } else {
      out += fmt::format("{}.{}.amazonaws.com", api.service, context.region());
    }
    out += "\"}";
  }
  out += '}';
}

}  // namespace trailsight::sim
