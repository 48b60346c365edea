#pragma once

// Owning smart pointers for librdkafka's C handles (STYLE.md section 5): every handle is owned
// by a unique_ptr from the moment librdkafka returns it. Self-contained on purpose (librdkafka
// and the standard library only); the one home of these deleters for kafka/, consumers/, alerts/
// and the tests.

#include <librdkafka/rdkafka.h>

#include <cstdlib>
#include <cstring>
#include <memory>

namespace trailsight::kafka {

// Releases each librdkafka type with its own destructor function.
struct RdKafkaDeleter {
  // Destroys a client. A consumer should be closed first (rd_kafka_consumer_close) so that it
  // leaves its group cleanly; a producer should be flushed first, or queued messages are lost.
  void operator()(rd_kafka_t* handle) const { rd_kafka_destroy(handle); }
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
  void operator()(rd_kafka_topic_conf_t* conf) const { rd_kafka_topic_conf_destroy(conf); }
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
  void operator()(rd_kafka_headers_t* headers) const { rd_kafka_headers_destroy(headers); }
  void operator()(rd_kafka_error_t* error) const { rd_kafka_error_destroy(error); }
  void operator()(rd_kafka_DeleteTopic_t* topic) const { rd_kafka_DeleteTopic_destroy(topic); }
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
  void operator()(rd_kafka_consumer_group_metadata_t* metadata) const {
    rd_kafka_consumer_group_metadata_destroy(metadata);
  }
};

using KafkaHandle = std::unique_ptr<rd_kafka_t, RdKafkaDeleter>;  // a client of any type
using KafkaConf = std::unique_ptr<rd_kafka_conf_t, RdKafkaDeleter>;
using KafkaTopicConf = std::unique_ptr<rd_kafka_topic_conf_t, RdKafkaDeleter>;
using KafkaMessage = std::unique_ptr<rd_kafka_message_t, RdKafkaDeleter>;
using KafkaPartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, RdKafkaDeleter>;
using KafkaHeaders = std::unique_ptr<rd_kafka_headers_t, RdKafkaDeleter>;
using KafkaError = std::unique_ptr<rd_kafka_error_t, RdKafkaDeleter>;
using KafkaDeleteTopic = std::unique_ptr<rd_kafka_DeleteTopic_t, RdKafkaDeleter>;
using KafkaTopic = std::unique_ptr<rd_kafka_topic_t, RdKafkaDeleter>;
using KafkaMetadata = std::unique_ptr<const rd_kafka_metadata_t, RdKafkaDeleter>;
using KafkaEvent = std::unique_ptr<rd_kafka_event_t, RdKafkaDeleter>;
using KafkaQueue = std::unique_ptr<rd_kafka_queue_t, RdKafkaDeleter>;
using KafkaNewTopic = std::unique_ptr<rd_kafka_NewTopic_t, RdKafkaDeleter>;
using KafkaConfigResource = std::unique_ptr<rd_kafka_ConfigResource_t, RdKafkaDeleter>;
using KafkaAdminOptions = std::unique_ptr<rd_kafka_AdminOptions_t, RdKafkaDeleter>;
// A consumer's group id, generation and member id, for rd_kafka_send_offsets_to_transaction.
using KafkaGroupMetadata = std::unique_ptr<rd_kafka_consumer_group_metadata_t, RdKafkaDeleter>;

// Gives an offset of a partition list `size` bytes of commit metadata from `data`: a copy in
// memory the list frees with itself (librdkafka frees an element's metadata with free()).
inline void SetOffsetMetadata(rd_kafka_topic_partition_t& element, const char* data,
                              std::size_t size) {
  if (size == 0) return;
  void* copy = std::malloc(size);
  if (copy == nullptr) return;
  std::memcpy(copy, data, size);
  element.metadata = copy;
  element.metadata_size = size;
}

}  // namespace trailsight::kafka
