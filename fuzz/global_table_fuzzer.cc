// libFuzzer target: FuzzGlobalTable() (fuzz/targets.h); corpus in fuzz/corpus/global_table_fuzzer/.
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>

#include "fuzz/targets.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::critical);  // warnings about bad input are the normal case
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  trailsight::fuzz::FuzzGlobalTable(trailsight::fuzz::Bytes(data, size));
  return 0;
}
