#pragma once

// Owning handles for the librdkafka types the Kafka publisher uses. Declared here without
// including <librdkafka/rdkafka.h>, so that alerts' public headers do not need librdkafka's;
// the deleters are defined in kafka_publisher.cc. Private to alerts/: consumers/ has its own.

#include <memory>

extern "C" {
typedef struct rd_kafka_s rd_kafka_t;
typedef struct rd_kafka_conf_s rd_kafka_conf_t;
typedef struct rd_kafka_error_s rd_kafka_error_t;
typedef struct rd_kafka_headers_s rd_kafka_headers_t;
}

namespace trailsight::alerts {

// Destroys each librdkafka object with its own destroy function.
struct ProducerDeleter {
  // rd_kafka_destroy(): purges what is still queued, without serving delivery reports.
  void operator()(rd_kafka_t* producer) const;
  void operator()(rd_kafka_conf_t* conf) const;
  void operator()(rd_kafka_error_t* error) const;
  void operator()(rd_kafka_headers_t* headers) const;
};

using ProducerHandle = std::unique_ptr<rd_kafka_t, ProducerDeleter>;
using ProducerConfHandle = std::unique_ptr<rd_kafka_conf_t, ProducerDeleter>;
using ProducerErrorHandle = std::unique_ptr<rd_kafka_error_t, ProducerDeleter>;
using ProducerHeadersHandle = std::unique_ptr<rd_kafka_headers_t, ProducerDeleter>;

}  // namespace trailsight::alerts
