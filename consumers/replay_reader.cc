#include "consumers/replay_reader.h"

#include <unistd.h>

#include <memory>

#include "consumers/input_session.h"
#include "consumers/input_stream.h"

namespace trailsight::consumers {

ReplayReader::ReplayReader(common::StringInterner& interner, common::DeadLetterSink& dead_letters,
                           InputOptions options)
    : parser_(interner), dead_letters_(dead_letters), options_(options) {}

ReplayReader::~ReplayReader() = default;

common::Status ReplayReader::ReadInput(const std::string& input, common::EventReceiver& receiver) {
  if (input == "-") return ReadDescriptor(STDIN_FILENO, "stdin", receiver);
  common::Result<std::unique_ptr<InputStream>> stream = InputStream::Open(input);
  if (!stream) return std::move(stream).error();
  return ReadStream(**stream, input, receiver);
}

common::Status ReplayReader::ReadDescriptor(int fd, std::string_view source,
                                            common::EventReceiver& receiver) {
  common::Result<std::unique_ptr<InputStream>> stream =
      InputStream::FromDescriptor(fd, std::string(source));
  if (!stream) return std::move(stream).error();
  return ReadStream(**stream, source, receiver);
}

common::Status ReplayReader::ReadStream(InputStream& stream, std::string_view source,
                                        common::EventReceiver& receiver) {
  InputSession session(InputSession::Context{.parser = parser_,
                                             .dead_letters = dead_letters_,
                                             .options = options_,
                                             .counters = counters_,
                                             .buffer = buffer_},
                       stream, source, receiver);
  common::Status status = session.Run();
  if (status) ++counters_.inputs;
  counters_.oversized_fields = parser_.field_limit_counters().oversized_records;
  counters_.values_cut = parser_.field_limit_counters().values_cut;
  return status;
}

}  // namespace trailsight::consumers
