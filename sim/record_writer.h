#pragma once

#include <string>
#include <string_view>

#include "sim/traffic.h"
#include "sim/world.h"

namespace trailsight::sim {

// Renders simulated calls as CloudTrail records (eventVersion 1.09), field order and shapes
// as AWS writes them: userIdentity per identity kind, user agent and source address per
// client, requestParameters from the API's template, errors, tlsDetails, data events.
// Stateless: the record of a call depends only on the World and the call (its salt), so
// rendering order does not matter. Reads the World, which must outlive it.
class RecordWriter {
 public:
  explicit RecordWriter(const World& world) : world_(world) {}

  // Appends the JSON object of `call` (no trailing newline) to `out`.
  void Append(const Call& call, std::string& out) const;

 private:
  const World& world_;  // outlives the writer; see Generate()
};

// Appends `text` to `out` as the inside of a JSON string (quotes, backslashes and control
// characters escaped).
void AppendJsonEscaped(std::string_view text, std::string& out);

}  // namespace trailsight::sim
