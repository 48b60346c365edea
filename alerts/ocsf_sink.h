#pragma once

#include <filesystem>
#include <fstream>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "alerts/kafka_publisher.h"
#include "common/alert.h"
#include "common/finding.h"
#include "common/result.h"

namespace trailsight::alerts {

// The OCSF stream as JSON lines: every alert, and every insight handed to it, as one OCSF
// Detection Finding per line (ocsf_record.h), to a file it owns or a stream it does not
// (stdout, a test's std::ostringstream). It is both sinks, so one stream holds alerts and the
// mirror of the insights (see MirroredFindingSink). Publish() writes into the stream's
// buffer; Flush() pushes it out; the destructor flushes an owned file.
//
// Thread safety: none. The detector's thread is the only caller, as both sinks require.
class OcsfLinesSink final : public common::AlertSink, public common::FindingSink {
 public:
  // Opens what an --alerts-out value (or outputs.alerts) names: "-" for stdout, else a file,
  // created or truncated. Fails with kInvalidArgument for an empty value and with kIo naming
  // the path when the file cannot be opened for writing.
  static common::Result<std::unique_ptr<OcsfLinesSink>> Open(const std::string& target);

  // Writes to `out`, which is not owned and must outlive the sink. `name` appears in error
  // messages ("stdout").
  explicit OcsfLinesSink(std::ostream& out, std::string name = "stream");

  // Each appends one line. Fails with kIo naming the destination once the stream has failed.
  common::Status Publish(const common::Alert& alert) override;
  common::Status Publish(const common::Finding& finding) override;
  // Flushes the stream. Fails with kIo naming the destination when the write fails.
  common::Status Flush() override;

 private:
  OcsfLinesSink(std::unique_ptr<std::ofstream> file, std::string name);

  common::Status Write(const std::string& line);
  common::Status StreamFailed(std::string_view action) const;

  std::unique_ptr<std::ofstream> file_;  // set when the sink owns its file
  std::ostream& out_;                    // *file_, or a caller's stream that outlives us
  std::string name_;                     // the path or "stdout", for error messages
};

// The OCSF stream on Kafka: renders alerts and insights as OCSF JSON and publishes them
// through `publisher` (its topic is kafka.alerts_topic), so they share its sequence numbers,
// acknowledgements and retries. Alerts are keyed "account/region"; insights by their insight
// key, so a mirrored Start and its End stay in order. Header trailsight.eventID is the OCSF
// metadata.uid; insights also carry trailsight.state.
//
// Thread safety: none; the service loop is the only caller, as the publisher requires.
class OcsfKafkaSink final : public common::AlertSink, public common::FindingSink {
 public:
  // Keeps `publisher`, which must outlive the sink.
  explicit OcsfKafkaSink(KafkaFindingPublisher& publisher) : publisher_(publisher) {}

  common::Status Publish(const common::Alert& alert) override;
  common::Status Publish(const common::Finding& finding) override;
  // Waits for Kafka's acknowledgement of everything published; see KafkaFindingPublisher.
  common::Status Flush() override { return publisher_.Flush(); }

 private:
  KafkaFindingPublisher& publisher_;  // outlives the sink; see the constructor
};

// Hands every finding to `primary` (the Insights output) and then to `mirror` (the OCSF
// stream), so the OCSF stream holds every insight next to the alerts. Both get every finding
// even when one fails; the first failure is returned.
//
// Thread safety: none, as FindingSink requires.
class MirroredFindingSink final : public common::FindingSink {
 public:
  // Keeps both sinks, which must outlive this one.
  MirroredFindingSink(common::FindingSink& primary, common::FindingSink& mirror)
      : primary_(primary), mirror_(mirror) {}

  common::Status Publish(const common::Finding& finding) override;
  common::Status Flush() override;

 private:
  common::FindingSink& primary_;  // both outlive this sink; see the constructor
  common::FindingSink& mirror_;
};

}  // namespace trailsight::alerts
