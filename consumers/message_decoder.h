#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "common/event.h"
#include "common/interner.h"
#include "consumers/record_parser.h"

namespace trailsight::consumers {

// Receives what a MessageDecoder finds in one message, in message order.
class DecodedRecordHandler {
 public:
  virtual ~DecodedRecordHandler() = default;
  // A record that parsed. `index` is its 1-based place in a {"Records":[...]} batch, or 0 when
  // the record is the whole message (or an envelope's detail). `payload` is what a dead letter
  // for it would carry: the record's own bytes in a batch, else the whole message.
  virtual void OnRecord(const common::Event& event, std::size_t index,
                        std::string_view payload) = 0;
  // A record, or the whole message (index 0), that cannot become an Event, with the reason.
  virtual void OnBadRecord(std::string_view reason, std::size_t index,
                           std::string_view payload) = 0;
};

// Turns the payload of one Kafka message into records. A payload is one of:
// - one CloudTrail record (a JSON object with none of the keys below);
// - a batch, {"Records":[record, ...]}, as CloudTrail writes to S3 (other keys are ignored);
// - an EventBridge envelope whose "detail-type" is "AWS API Call via CloudTrail", "AWS Console
//   Sign In via CloudTrail" or "AWS Service Event via CloudTrail", with the record in
//   "detail". Envelopes of any other detail-type are rejected.
// Each record goes through RecordParser. A bad record in a batch costs that record only; JSON
// that breaks the batch's structure costs the rest of the batch (the records before it have
// been handed over by then). Anything else that is bad costs the whole message.
//
// A message holding one record is parsed once (RecordParser::ParsePlainMessage); a batch or an
// envelope is read once for its shape and each record in it once more, as is a message the
// one-pass parse refused (so that the reason names what is wrong).
//
// Owns a padded copy of the payload and a simdjson parser, both reused, so in steady state it
// allocates only where RecordParser does (strings never seen before).
//
// Thread safety: none; the consumer's thread owns it.
class MessageDecoder {
 public:
  // Keeps `interner`, which must outlive the decoder.
  explicit MessageDecoder(common::StringInterner& interner);
  ~MessageDecoder();
  MessageDecoder(const MessageDecoder&) = delete;
  MessageDecoder& operator=(const MessageDecoder&) = delete;

  // Decodes `payload` and reports every record, good or bad, to `handler` before returning.
  void Decode(std::string_view payload, DecodedRecordHandler& handler);

  // What the record parser did about values beyond their bounds, each record counted once.
  const FieldLimitCounters& field_limit_counters() const;

 private:
  struct State;  // hides simdjson from every includer
  std::unique_ptr<State> state_;
};

}  // namespace trailsight::consumers
