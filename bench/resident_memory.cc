#include "bench/resident_memory.h"

#include <malloc.h>
#include <unistd.h>

#include <fstream>

namespace trailsight::bench {

std::size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t total_pages = 0;
  std::size_t resident_pages = 0;
  if (!(statm >> total_pages >> resident_pages)) return 0;
  return resident_pages * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

void ReleaseFreeHeap() { malloc_trim(0); }

}  // namespace trailsight::bench
