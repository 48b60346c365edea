#pragma once

#include <string>
#include <string_view>

#include "common/alert.h"
#include "common/finding.h"

namespace trailsight::alerts {

// The namespace every insight ID is derived under (RFC 4122 name-based UUIDs need one).
// Computed once as Python's uuid.uuid5(uuid.NAMESPACE_URL, "urn:trailsight:insight-ids");
// it must never change, or replays stop re-emitting the IDs downstream has already seen.
inline constexpr std::string_view kInsightIdNamespace = "752773c2-c798-5a9c-92a5-b3a4f5c2ade0";

// The two IDs of one Insights record, in lower-case canonical UUID text.
struct InsightIds {
  std::string event_id;         // unique to this record: a Start and its End differ
  std::string shared_event_id;  // the episode's ID: equal in a Start and its End
};

// Derives the IDs of `finding` as UUID version 5 (SHA-1) under kInsightIdNamespace. The
// name is the netstring-style concatenation "<len>:<field>," (byte lengths, so no field
// value can imitate a separator) of: insightType, account, region, eventSource, eventName,
// errorCode (empty for call rate), the start minute as "YYYY-MM-DDTHH:MM:SSZ" and the
// record's role: "Start" or "End" for `event_id`, "shared" for `shared_event_id`. The
// same finding therefore always gets the same IDs, across replays and restarts.
InsightIds DeriveInsightIds(const common::Finding& finding);

// Derives an alert's ID (OCSF finding_info.uid and metadata.uid) as UUID version 5 under
// kInsightIdNamespace, netstring-style as above, from: "alert", the kind ("Tamper"), rule,
// account, region, eventSource, eventName, the triggering record's eventID and the alert's
// time. Re-deriving an alert from the same record (a replay, a restart) gives the same ID.
std::string DeriveAlertId(const common::Alert& alert);

// Derives the 16-character [A-Za-z0-9] suffix of an S3 object name from a record's
// eventID, so that a replay writes the same object names.
std::string DeriveObjectId(std::string_view event_id);

}  // namespace trailsight::alerts
