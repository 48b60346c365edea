#include "app/kafka_property_check.h"

#include "kafka/config.h"

namespace trailsight::app {

config::KafkaPropertyCheck LibrdkafkaPropertyCheck() {
  return {.refusal = kafka::KafkaPropertyRefusal, .known_names = kafka::KafkaPropertyNames()};
}

}  // namespace trailsight::app
