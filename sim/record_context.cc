#include "sim/record_context.h"

#include <fmt/format.h>

#include <cctype>
#include <chrono>

namespace trailsight::sim {

using std::chrono::hours;

void RecordContext::Render(std::string_view text, std::string& out) {
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t dollar = text.find('$', i);
    out.append(text.substr(i, dollar - i));
    if (dollar == std::string_view::npos) break;
    std::size_t end = dollar + 1;
    while (end < text.size() && std::isalnum(static_cast<unsigned char>(text[end]))) ++end;
    out.append(Value(text.substr(dollar + 1, end - dollar - 1), text.substr(dollar, end - dollar)));
    i = end;
  }
}

std::string RecordContext::Draw(std::string_view name, std::string_view literal) {
  const ResourcePools& pools = account_.pools;
  const int r = stream_.region;
  const common::Seconds time = call_.event_time;
  std::string fresh;
  if (name == "instance") return PickFrom(rng_, pools.instances[r]);
  if (name == "volume") return PickFrom(rng_, pools.volumes[r]);
  if (name == "snapshot") return PickFrom(rng_, pools.snapshots[r]);
  if (name == "sg") return PickFrom(rng_, pools.security_groups[r]);
  if (name == "subnet") return PickFrom(rng_, pools.subnets[r]);
  if (name == "vpc") return PickFrom(rng_, pools.vpcs[r]);
  if (name == "ami") return PickFrom(rng_, pools.images[r]);
  if (name == "bucket") return PickFrom(rng_, pools.buckets);
  if (name == "role") return PickFrom(rng_, pools.roles);
  if (name == "user" && principal_.distinct_targets) {
    fresh = "svc-";
    rng_.AppendHex(fresh, 8);
    return fresh;
  }
  if (name == "user") return PickFrom(rng_, pools.users);
  if (name == "function") return PickFrom(rng_, pools.functions);
  if (name == "stack") return PickFrom(rng_, pools.stacks);
  if (name == "param") return PickFrom(rng_, pools.params);
  if (name == "db") return PickFrom(rng_, pools.databases);
  if (name == "asg") return PickFrom(rng_, pools.auto_scaling_groups);
  if (name == "kmskey") return PickFrom(rng_, pools.kms_keys);
  if (name == "person") return PickFrom(rng_, pools.people);
  if (name == "acct") return account_.id;
  if (name == "region") return region();
  if (name == "uuid") return rng_.Uuid();
  if (name == "newinstance") fresh = "i-0";
  if (name == "newsnapshot") fresh = "snap-0";
  if (name == "hex17" || !fresh.empty()) {
    rng_.AppendHex(fresh, 17);
    return fresh;
  }
  if (name == "hex16" || name == "hex8") {
    rng_.AppendHex(fresh, name == "hex8" ? 8 : 16);
    return fresh;
  }
  if (name == "key16") return rng_.Chars(kUpperDigits, 16);
  if (name == "key17") return rng_.Chars(kUpperDigits, 17);
  if (name == "n") return std::to_string(rng_.Between(1, 9));
  if (name == "n0") return std::to_string(10 * rng_.Between(1, 9));
  if (name == "now") return common::FormatUtcTimestamp(time);
  if (name == "earlier") return common::FormatUtcTimestamp(time - hours{1});
  if (name == "later") return common::FormatUtcTimestamp(time + hours{1});
  if (name == "epochms") return std::to_string(1000 * (time - hours{1}).time_since_epoch().count());
  if (name == "date") return common::FormatUtcTimestamp(time).substr(0, 10);
  // sts:AssumeRole by a service: the role it assumes for us, and the session it names.
  if (name == "assumedrole" || name == "assumedrolename" || name == "assumedsession") {
    const bool by_ec2 = principal_.invoked_by == "ec2.amazonaws.com";
    if (name == "assumedsession") return std::string(Value(by_ec2 ? "instance" : "function", ""));
    if (name == "assumedrolename" || by_ec2) {
      return by_ec2 ? "app-instance-role" : "orders-service-lambda-role";
    }
    return "service-role/orders-service-lambda-role";
  }
  if (name == "object") {
    static constexpr std::string_view kPrefixes[] = {"uploads", "exports", "reports", "thumbs"};
    return fmt::format("{}/{}/part-{:05}.json", kPrefixes[rng_.Below(4)],
                       common::FormatUtcTimestamp(time).substr(0, 10), rng_.Below(5000));
  }
  return std::string(literal);
}

}  // namespace trailsight::sim
