#pragma once

#include "config/kafka_properties.h"

namespace trailsight::app {

// Returns the check that asks librdkafka about every kafka.properties entry at load
// (kafka::KafkaPropertyRefusal, and its names for "did you mean"), for the commands that
// read a file meant for the service: validate-config, run and its reloads.
config::KafkaPropertyCheck LibrdkafkaPropertyCheck();

}  // namespace trailsight::app
