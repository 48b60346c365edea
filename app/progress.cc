#include "app/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace trailsight::app {

ProgressLine::ProgressLine()
    : enabled_(isatty(STDERR_FILENO) == 1),
      started_(std::chrono::steady_clock::now()),
      last_print_(started_) {}

ProgressLine::~ProgressLine() {
  if (enabled_ && events_ > 0xFFFF) Print(true);
}

void ProgressLine::Print(bool final) {
  const auto now = std::chrono::steady_clock::now();
  if (!final && now - last_print_ < std::chrono::milliseconds{500}) return;
  last_print_ = now;
  const double seconds = std::chrono::duration<double>(now - started_).count();
  const double rate = seconds > 0 ? static_cast<double>(events_) / seconds : 0.0;
  fmt::print(stderr, "\rreplay: {} events, {:.0f} events/s, event time {}{}", events_, rate,
             common::FormatUtcTimestamp(newest_), final ? "\n" : "   ");
  std::fflush(stderr);
}

}  // namespace trailsight::app
