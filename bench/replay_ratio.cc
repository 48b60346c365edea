// Benchmark (not a test): `trailsight replay` against a parse-only reference.
//
// The reference reads the same JSON-lines file in 4 MiB chunks and parses every line with
// simdjson On-Demand, touching every field the replay path reads (eventTime, the account,
// region, source, name, errorCode, userAgent, readOnly, category, userIdentity, eventID,
// sourceIPAddress, requestParameters' bucket): the fastest a replay could go if detection
// were free. The replay is the real executable, `trailsight replay FILE --insights-out
// /dev/null`, reading the same file. They alternate three times (the file is in the page
// cache after the first read) and the medians' ratios, replay / reference in records per
// second, are printed: by wall clock, and by CPU time (the fair one on a shared machine,
// where either side may lose the processor to other work).
//
//   replay_ratio --trailsight PATH FILE.jsonl
#include <fmt/format.h>
#include <simdjson.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace trailsight::bench {
namespace {

namespace od = simdjson::ondemand;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kChunkBytes = 4u << 20;
constexpr int kRounds = 3;

struct ReferenceResult {
  std::size_t records = 0;
  std::size_t touched_bytes = 0;  // summed lengths of the fields read: keeps the work live
};

std::size_t StringLength(od::value value) {
  std::string_view text;
  return value.get_string().get(text) == simdjson::SUCCESS ? text.size() : 0;
}

// Parses one record and touches the fields RecordParser reads.
std::size_t TouchRecord(od::parser& parser, const char* data, std::size_t size,
                        std::size_t capacity) {
  od::document document;
  if (parser.iterate(data, size, capacity).get(document) != simdjson::SUCCESS) return 0;
  od::object object;
  if (document.get_object().get(object) != simdjson::SUCCESS) return 0;
  std::size_t touched = 0;
  for (auto member : object) {
    od::field field;
    if (std::move(member).get(field) != simdjson::SUCCESS) return touched;
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) return touched;
    if (key == "eventTime" || key == "eventSource" || key == "eventName" || key == "awsRegion" ||
        key == "recipientAccountId" || key == "errorCode" || key == "userAgent" ||
        key == "eventCategory" || key == "eventID" || key == "sourceIPAddress") {
      touched += StringLength(field.value());
    } else if (key == "readOnly" || key == "managementEvent") {
      bool flag = false;
      if (field.value().get_bool().get(flag) == simdjson::SUCCESS) touched += flag ? 1 : 0;
    } else if (key == "userIdentity" || key == "requestParameters") {
      od::object inner;
      if (field.value().get_object().get(inner) != simdjson::SUCCESS) continue;
      for (auto inner_member : inner) {
        od::field inner_field;
        if (std::move(inner_member).get(inner_field) != simdjson::SUCCESS) break;
        std::string_view inner_key;
        if (inner_field.unescaped_key().get(inner_key) != simdjson::SUCCESS) break;
        if (inner_key == "arn" || inner_key == "invokedBy" || inner_key == "type" ||
            inner_key == "accountId" || inner_key == "bucketName" || inner_key == "s3BucketName") {
          od::json_type type;
          if (inner_field.value().type().get(type) == simdjson::SUCCESS &&
              type == od::json_type::string) {
            touched += StringLength(inner_field.value());
          }
        }
      }
    }
  }
  return touched;
}

// Reads `path` in chunks and parses every line in place (the chunk has simdjson's padding).
ReferenceResult ParseOnly(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buffer(kChunkBytes + simdjson::SIMDJSON_PADDING);
  od::parser parser;
  ReferenceResult result;
  std::size_t filled = 0;
  while (true) {
    in.read(buffer.data() + filled, static_cast<std::streamsize>(kChunkBytes - filled));
    const auto got = static_cast<std::size_t>(in.gcount());
    filled += got;
    const bool last = got == 0;
    std::size_t start = 0;
    while (start < filled) {
      const char* newline =
          static_cast<const char*>(std::memchr(buffer.data() + start, '\n', filled - start));
      if (newline == nullptr && !last) break;
      const std::size_t end = newline != nullptr ? newline - buffer.data() : filled;
      if (end > start) {
        result.touched_bytes +=
            TouchRecord(parser, buffer.data() + start, end - start, buffer.size() - start);
        ++result.records;
      }
      start = end + 1;
    }
    if (last) break;
    if (start < filled) {
      if (start == 0) buffer.resize(buffer.size() * 2);  // a line longer than the buffer
      std::memmove(buffer.data(), buffer.data() + start, filled - start);
      filled -= start;
    } else {
      filled = 0;
    }
  }
  return result;
}

// Runs `trailsight replay` on `path`; returns the CPU seconds it used, or a negative number
// when it fails.
double Replay(const std::string& trailsight, const std::string& path) {
  std::fflush(stdout);
  const pid_t child = fork();
  if (child < 0) return -1.0;
  if (child == 0) {
    if (std::freopen("/dev/null", "w", stderr) == nullptr) _exit(127);
    execl(trailsight.c_str(), trailsight.c_str(), "replay", path.c_str(), "--insights-out",
          "/dev/null", "--dead-letter-out", "/dev/null", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  if (wait4(child, &status, 0, &usage) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return -1.0;
  }
  auto seconds = [](const timeval& time) {
    return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// CPU seconds this process has used so far.
double ProcessCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

double Seconds(Clock::duration duration) { return std::chrono::duration<double>(duration).count(); }

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

int Run(const std::string& trailsight, const std::string& path) {
  std::vector<double> reference_rates, replay_rates;          // records per wall second
  std::vector<double> reference_cpu_rates, replay_cpu_rates;  // records per CPU second
  std::size_t records = 0;
  for (int round = 1; round <= kRounds; ++round) {
    Clock::time_point start = Clock::now();
    const double cpu_start = ProcessCpuSeconds();
    const ReferenceResult reference = ParseOnly(path);
    const double reference_cpu = ProcessCpuSeconds() - cpu_start;
    const double reference_seconds = Seconds(Clock::now() - start);
    records = reference.records;
    if (records == 0) {
      fmt::print(stderr, "replay_ratio: {} has no records\n", path);
      return 1;
    }
    start = Clock::now();
    const double replay_cpu = Replay(trailsight, path);
    if (replay_cpu < 0) {
      fmt::print(stderr, "replay_ratio: {} replay {} failed\n", trailsight, path);
      return 1;
    }
    const double replay_seconds = Seconds(Clock::now() - start);
    const auto count = static_cast<double>(records);
    reference_rates.push_back(count / reference_seconds);
    replay_rates.push_back(count / replay_seconds);
    reference_cpu_rates.push_back(count / reference_cpu);
    replay_cpu_rates.push_back(count / replay_cpu);
    fmt::print(
        "replay_ratio: run {}  parse-only {:>9.0f} records/s ({:>9.0f} per CPU s)   trailsight "
        "replay {:>9.0f} records/s ({:>9.0f} per CPU s)   ({} bytes touched)\n",
        round, reference_rates.back(), reference_cpu_rates.back(), replay_rates.back(),
        replay_cpu_rates.back(), reference.touched_bytes);
  }
  fmt::print(
      "replay_ratio: {} records; medians  parse-only {:.0f} records/s   trailsight replay {:.0f} "
      "records/s   ratio {:.2f} (wall)   ratio {:.2f} (CPU time)\n",
      records, Median(reference_rates), Median(replay_rates),
      Median(replay_rates) / Median(reference_rates),
      Median(replay_cpu_rates) / Median(reference_cpu_rates));
  return 0;
}

}  // namespace
}  // namespace trailsight::bench

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() != 3 || args[0] != "--trailsight") {
    fmt::print(stderr, "usage: replay_ratio --trailsight PATH FILE.jsonl\n");
    return 2;
  }
  if (access(args[1].c_str(), X_OK) != 0 || access(args[2].c_str(), R_OK) != 0) {
    fmt::print(stderr, "replay_ratio: {} must be executable and {} readable\n", args[1], args[2]);
    return 2;
  }
  return trailsight::bench::Run(args[1], args[2]);
}
