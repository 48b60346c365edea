#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace trailsight::config {

// Returns why the service refuses a `kafka.properties` entry, never quoting `value` (it may
// be a secret); nullopt when it is left to librdkafka. A property the service sets itself for
// delivery, exactly-once or its own wiring may not be given another value (`acks` other than
// all or -1, `enable.idempotence` false, `enable.auto.commit` true, `isolation.level`
// read_uncommitted, `auto.offset.reset` other than earliest, ...), and one it derives from
// other keys (`group.id`, `transactional.id`, `bootstrap.servers`) may not be given at all.
// Names match as librdkafka matches them: "topic.acks" and the alias "request.required.acks"
// are `acks`; values are read without regard to case, and "t" or "1" is true.
std::optional<std::string> ServicePropertyProblem(std::string_view name, std::string_view value);

}  // namespace trailsight::config
