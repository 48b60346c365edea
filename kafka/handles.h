#pragma once

// Owning smart pointers for the librdkafka C handles that kafka/ uses (STYLE.md section 5):
// every handle is owned by a unique_ptr from the moment librdkafka returns it. Self-contained on
// purpose (librdkafka and <memory> only).
//
// A copy of the part of consumers/kafka_handles.h that the admin client needs, because kafka/
// is below consumers/ and must not include it; once the consumer and the publisher move onto
// kafka/, consumers/kafka_handles.h goes and this header is the only one.

#include <librdkafka/rdkafka.h>

#include <memory>

namespace trailsight::kafka {

// Releases each librdkafka type with its own destructor function.
struct RdKafkaDeleter {
  // Destroys a client. A producer should be flushed first, or queued messages are lost; the
  // admin client queues none.
  void operator()(rd_kafka_t* handle) const { rd_kafka_destroy(handle); }
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
  void operator()(rd_kafka_topic_t* topic) const { rd_kafka_topic_destroy(topic); }
  void operator()(const rd_kafka_metadata_t* metadata) const {
    rd_kafka_metadata_destroy(metadata);
  }
  void operator()(rd_kafka_event_t* event) const { rd_kafka_event_destroy(event); }
  void operator()(rd_kafka_queue_t* queue) const { rd_kafka_queue_destroy(queue); }
  void operator()(rd_kafka_NewTopic_t* topic) const { rd_kafka_NewTopic_destroy(topic); }
  void operator()(rd_kafka_ConfigResource_t* resource) const {
    rd_kafka_ConfigResource_destroy(resource);
  }
  void operator()(rd_kafka_AdminOptions_t* options) const {
    rd_kafka_AdminOptions_destroy(options);
  }
};

using KafkaHandle = std::unique_ptr<rd_kafka_t, RdKafkaDeleter>;  // a client of any type
using KafkaConf = std::unique_ptr<rd_kafka_conf_t, RdKafkaDeleter>;
using KafkaTopic = std::unique_ptr<rd_kafka_topic_t, RdKafkaDeleter>;
using KafkaMetadata = std::unique_ptr<const rd_kafka_metadata_t, RdKafkaDeleter>;
using KafkaEvent = std::unique_ptr<rd_kafka_event_t, RdKafkaDeleter>;
using KafkaQueue = std::unique_ptr<rd_kafka_queue_t, RdKafkaDeleter>;
using KafkaNewTopic = std::unique_ptr<rd_kafka_NewTopic_t, RdKafkaDeleter>;
using KafkaConfigResource = std::unique_ptr<rd_kafka_ConfigResource_t, RdKafkaDeleter>;
using KafkaAdminOptions = std::unique_ptr<rd_kafka_AdminOptions_t, RdKafkaDeleter>;

}  // namespace trailsight::kafka
