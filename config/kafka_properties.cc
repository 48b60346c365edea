#include "config/kafka_properties.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <span>

#include "config/did_you_mean.h"

namespace trailsight::config {
namespace {

// Spellings librdkafka reads as each value the service needs (its enums and booleans are read
// without regard to case).
constexpr std::array<std::string_view, 3> kTrue = {"true", "t", "1"};
constexpr std::array<std::string_view, 3> kFalse = {"false", "f", "0"};
constexpr std::array<std::string_view, 2> kAll = {"all", "-1"};
constexpr std::array<std::string_view, 3> kEarliest = {"earliest", "smallest", "beginning"};
constexpr std::array<std::string_view, 1> kReadCommitted = {"read_committed"};

// A property the service sets on its clients and rests on.
struct ServiceProperty {
  std::string_view name;                    // librdkafka's name, or an alias of it
  std::span<const std::string_view> needs;  // the values allowed; empty: the entry is refused
  std::string_view why;                     // what follows "PATH: "
};

constexpr std::string_view kAcksWhy =
    "must be all (or -1): the service counts a record as written once every in-sync replica "
    "has it; with fewer acknowledgements a broker's failure loses findings, dead letters and "
    "state";
constexpr std::string_view kAutoCommitWhy =
    "must be false: the service commits input offsets itself, together with the state and "
    "findings they produced; an automatic commit can skip records a crash left unprocessed";
constexpr std::string_view kBrokersWhy =
    "is set by the service from kafka.brokers, for every client: set kafka.brokers instead";

constexpr std::array<ServiceProperty, 14> kServiceProperties = {{
    {"acks", kAll, kAcksWhy},
    {"request.required.acks", kAll, kAcksWhy},
    {"enable.idempotence", kTrue,
     "must be true: without it a retried send can write a record twice or out of order, and the "
     "state changelog's transactions need it"},
    {"enable.auto.commit", kFalse, kAutoCommitWhy},
    {"auto.commit.enable", kFalse, kAutoCommitWhy},
    {"enable.auto.offset.store", kFalse,
     "must be false: the service chooses the offsets to commit, only those whose records' "
     "state is checkpointed; offsets librdkafka stores on receipt get ahead of that state"},
    {"isolation.level", kReadCommitted,
     "must be read_committed: the repartition, changelog and global topics are written in "
     "transactions, and read_uncommitted takes in the records of aborted ones, which are "
     "written again"},
    {"auto.offset.reset", kEarliest,
     "must be earliest: a partition without a committed offset (a new group, an offset the "
     "broker deleted) is read from its start, or its records are skipped unread"},
    {"enable.partition.eof", kTrue,
     "must be true: --until-caught-up and state restores learn that a partition is read to its "
     "end from it"},
    {"allow.auto.create.topics", kFalse,
     "must be false: the service creates its topics itself, compacted or not and with the "
     "partitions its state needs; a topic a broker creates on first use has neither"},
    {"transactional.id",
     {},
     "is set by the service, one per instance (from kafka.group_id and the instance's id): a "
     "shared one would fence the instances against each other"},
    {"group.id",
     {},
     "is set by the service from kafka.group_id, which also names its topics and transactions: "
     "set kafka.group_id instead"},
    {"bootstrap.servers", {}, kBrokersWhy},
    {"metadata.broker.list", {}, kBrokersWhy},
}};

bool SameIgnoringCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

}  // namespace

std::optional<std::string> ServicePropertyProblem(std::string_view name, std::string_view value) {
  // librdkafka reads "topic.NAME" as the topic property NAME.
  if (name.starts_with("topic.")) name.remove_prefix(6);
  for (const ServiceProperty& property : kServiceProperties) {
    if (property.name != name) continue;
    const bool allowed = std::any_of(
        property.needs.begin(), property.needs.end(),
        [value](std::string_view spelling) { return SameIgnoringCase(spelling, value); });
    if (allowed) return std::nullopt;
    return std::string(property.why);
  }
  return std::nullopt;
}

std::optional<std::string> LibrdkafkaPropertyProblem(std::string_view name,
                                                     const std::string& value,
                                                     const KafkaPropertyCheck& check) {
  if (!check.refusal) return std::nullopt;
  std::optional<std::string> refusal = check.refusal(std::string(name), value);
  if (!refusal) return std::nullopt;
  const bool known = std::find(check.known_names.begin(), check.known_names.end(), name) !=
                     check.known_names.end();
  if (!known) {
    if (std::optional<std::string> nearest = NearestWord(name, check.known_names)) {
      *refusal += fmt::format("; did you mean '{}'?", *nearest);
    }
  }
  return refusal;
}

}  // namespace trailsight::config
