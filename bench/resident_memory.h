#pragma once

#include <cstddef>

namespace trailsight::bench {

// Returns the process's resident memory in bytes, from /proc/self/statm (resident pages
// times the page size); 0 when /proc is not mounted.
std::size_t ResidentBytes();

// Hands memory that malloc holds but no object uses back to the kernel (malloc_trim), so
// that two ResidentBytes() readings differ by live data rather than by allocator slack.
void ReleaseFreeHeap();

}  // namespace trailsight::bench
