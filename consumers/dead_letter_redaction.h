#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace trailsight::consumers {

// Reduces a rejected record to the fields that say which call it was, so a dead letter can
// be kept or shipped without the identities, keys, request parameters and addresses the
// record carried (`input.dead_letter_redact`).
//
// The redacted form is a JSON object holding, in this order, those of the record's top-level
// eventTime, eventSource, eventName, awsRegion and recipientAccountId that are strings of at
// most kMaxValueBytes ASCII letters, digits and `-_.:+` (what genuine values are made of; a
// value with anything else is dropped, not escaped). The record is read up to its first
// malformed part, so a record cut short or broken later still gives the fields before that.
// Anything that is not a JSON object, or holds none of these fields, redacts to nothing.
//
// The redactor owns a padded buffer and a simdjson parser that it reuses, so in steady state
// Redact() allocates nothing.
//
// Thread safety: none; each sink owns its redactor and calls it under its own lock.
class DeadLetterRedactor {
 public:
  // A genuine value is far shorter: eventName, the longest, stays under 128 bytes.
  static constexpr std::size_t kMaxValueBytes = 128;
  // Only this much of a payload is read: the kept fields come early in genuine records, and an
  // oversized one (up to input.max_record_bytes) must not be copied whole.
  static constexpr std::size_t kMaxReadBytes = 1u << 20;

  DeadLetterRedactor();
  ~DeadLetterRedactor();
  DeadLetterRedactor(const DeadLetterRedactor&) = delete;
  DeadLetterRedactor& operator=(const DeadLetterRedactor&) = delete;

  // Returns the redacted form of `payload` (empty when nothing is kept), valid until the next
  // call.
  std::string_view Redact(std::string_view payload);

 private:
  struct State;  // hides simdjson from every includer
  std::unique_ptr<State> state_;
};

}  // namespace trailsight::consumers
