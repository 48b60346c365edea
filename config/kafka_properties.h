#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// Asks librdkafka about `kafka.properties` entries. config/ does not link librdkafka: app/
// passes one built on kafka/config.h (app/kafka_property_check.h); without one, only the
// service's rules above are checked.
struct KafkaPropertyCheck {
  // Returns why librdkafka refuses `name` set to `value` (already resolved from ${env:NAME}
  // or ${file:PATH}), in words that never quote the value; nullopt when librdkafka takes it.
  std::function<std::optional<std::string>(const std::string& name, const std::string& value)>
      refusal;
  // Every property name librdkafka knows: an unknown one close to one of these gets
  // "did you mean 'X'?".
  std::vector<std::string> known_names;
};

// Returns why `check` refuses `name` set to `value`, followed by "; did you mean 'X'?" for a
// name librdkafka does not know that is close to one it does ("sasl.pasword"); nullopt when
// it takes it or `check` has no refusal function. Never quotes `value`.
std::optional<std::string> LibrdkafkaPropertyProblem(std::string_view name,
                                                     const std::string& value,
                                                     const KafkaPropertyCheck& check);

}  // namespace trailsight::config
