#pragma once

#include <spdlog/spdlog.h>

#include <cstdlib>

// Aborts with a message when an invariant of our own code is broken. Expected failures
// (bad input, I/O) are returned as Error values instead; see common/result.h.
#define TRAILSIGHT_CHECK(condition, ...)                                                \
  do {                                                                                  \
    if (!(condition)) [[unlikely]] {                                                    \
      spdlog::critical("check failed at {}:{}: {}: {}", __FILE__, __LINE__, #condition, \
                       fmt::format(__VA_ARGS__));                                       \
      std::abort();                                                                     \
    }                                                                                   \
  } while (false)
