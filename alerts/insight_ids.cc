#include "alerts/insight_ids.h"

#include <array>
#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/string_generator.hpp>
#include <boost/uuid/uuid.hpp>
#include <boost/uuid/uuid_io.hpp>
#include <cstdint>

#include "alerts/insight_record.h"
#include "alerts/ocsf_record.h"
#include "common/time.h"

namespace trailsight::alerts {
namespace {

const boost::uuids::uuid& Namespace() {
  static const boost::uuids::uuid kNamespace =
      boost::uuids::string_generator()(std::string(kInsightIdNamespace));
  return kNamespace;
}

void AppendField(std::string& name, std::string_view field) {
  name += std::to_string(field.size());
  name += ':';
  name += field;
  name += ',';
}

std::string NameBasedId(const std::string& name) {
  const boost::uuids::uuid id = boost::uuids::name_generator_sha1(Namespace())(name);
  return boost::uuids::to_string(id);  // canonical text, lower case
}

std::string IdFor(const common::Finding& finding, std::string_view role) {
  const common::InsightKey& key = finding.key;
  std::string name;
  AppendField(name, InsightTypeName(key.type));
  AppendField(name, key.account);
  AppendField(name, key.region);
  AppendField(name, key.event_source);
  AppendField(name, key.event_name);
  AppendField(name, key.error_code);
  AppendField(name, common::FormatUtcTimestamp(finding.start));
  AppendField(name, role);
  return NameBasedId(name);
}

}  // namespace

InsightIds DeriveInsightIds(const common::Finding& finding) {
  return InsightIds{.event_id = IdFor(finding, InsightStateName(finding.state)),
                    .shared_event_id = IdFor(finding, "shared")};
}

std::string DeriveAlertId(const common::Alert& alert) {
  std::string name;
  AppendField(name, "alert");
  AppendField(name, AlertKindName(alert.kind));
  AppendField(name, alert.rule);
  AppendField(name, alert.account);
  AppendField(name, alert.region);
  AppendField(name, alert.event_source);
  AppendField(name, alert.event_name);
  AppendField(name, alert.record_id);
  AppendField(name, common::FormatUtcTimestamp(alert.time));
  return NameBasedId(name);
}

std::string DeriveObjectId(std::string_view event_id) {
  static constexpr std::string_view kAlphabet =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  // Hash the text (whatever its form) so every character is spread evenly.
  const boost::uuids::uuid digest =
      boost::uuids::name_generator_sha1(Namespace())(std::string(event_id));
  std::string id;
  id.reserve(16);
  for (std::size_t half = 0; half < 2; ++half) {
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < 8; ++i) bits = (bits << 8) | digest.data[half * 8 + i];
    for (int digit = 0; digit < 8; ++digit) {  // 62^8 < 2^64: 8 digits per half
      id += kAlphabet[bits % kAlphabet.size()];
      bits /= kAlphabet.size();
    }
  }
  return id;
}

}  // namespace trailsight::alerts
