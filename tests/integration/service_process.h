#pragma once

// What the service's integration tests share: the broker address, shell commands, polling,
// and a `trailsight run` child process.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "kafka/topic_admin.h"
#include "tests/support/files.h"

namespace trailsight::test_support {

// The broker the test script started (KAFKA_BROKERS); empty when none was.
inline std::string Brokers() {
  const char* brokers = std::getenv("KAFKA_BROKERS");
  return brokers == nullptr ? "" : brokers;
}

// Creates `topic` on `brokers` with `partitions` partitions unless it exists: the test broker,
// like production ones, does not create a topic on the first produce to it.
inline common::Status CreateTopic(const std::string& brokers, const std::string& topic,
                                  int partitions = 1) {
  auto admin = kafka::TopicAdmin::Create(
      {.brokers = brokers, .properties = {}, .timeout = std::chrono::seconds{30}});
  if (!admin) return admin.error();
  auto created = (*admin)->Ensure({.name = topic, .partitions = partitions, .configs = {}});
  if (!created) return created.error();
  return common::Ok();
}

// Returns the sum of the input offsets in the newest snapshot of `state_dir` (0 when none):
// how many input messages the service's saved state covers, on a one-record-per-message topic.
inline std::int64_t SnapshotOffsets(const std::filesystem::path& state_dir) {
  std::vector<std::filesystem::path> files;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(state_dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("snapshot-") && name.ends_with(".bin")) files.push_back(entry.path());
  }
  if (files.empty()) return 0;
  std::sort(files.begin(), files.end());
  const std::string content = ReadFile(files.back());
  const nlohmann::json snapshot =
      nlohmann::json::from_msgpack(content.substr(content.find('\n') + 1));
  std::int64_t sum = 0;
  for (const nlohmann::json& row : snapshot.at("offsets")) sum += row.at(2).get<std::int64_t>();
  return sum;
}

// Runs `command` with /bin/sh; returns its exit status, -1 when it did not exit.
inline int Shell(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// What a reader of `isolation` (read_committed or read_uncommitted) finds in `topic` on
// `brokers`: its records with a key (on the repartition topic, the events: the source marks
// each commit adds have none), and the sum of its partitions' end offsets (which count
// transaction markers and source marks too); -1 for both when kcat fails.
struct TopicEnds {
  std::int64_t records = -1;
  std::int64_t end_offsets = -1;
};
inline TopicEnds ReadTopicEnds(const std::string& brokers, const std::string& topic,
                               const std::string& isolation = "read_committed") {
  const std::filesystem::path out = std::filesystem::temp_directory_path() /
                                    ("trailsight-ends-" + std::to_string(::getpid()) + "-" + topic);
  if (Shell("kcat -C -b '" + brokers + "' -t '" + topic + "' -X isolation.level=" + isolation +
            " -e -f '%k\\n' > '" + out.string() + ".out' 2> '" + out.string() + ".err'") != 0) {
    return {};
  }
  TopicEnds ends{.records = 0, .end_offsets = 0};
  const std::string records = ReadFile(out.string() + ".out");
  std::istringstream lines(records);
  for (std::string key; std::getline(lines, key);) ends.records += key.empty() ? 0 : 1;
  const std::string log = ReadFile(out.string() + ".err");
  const std::regex at_end(R"(Reached end of topic .* at offset (\d+))");
  for (auto match = std::sregex_iterator(log.begin(), log.end(), at_end);
       match != std::sregex_iterator(); ++match) {
    ends.end_offsets += std::stoll((*match)[1]);
  }
  std::filesystem::remove(out.string() + ".out");
  std::filesystem::remove(out.string() + ".err");
  return ends;
}

// Whether a service re-keying its input through `repartition` (on `brokers`) has `records`
// input records in the state of `state_dir`: every one committed to the repartition topic, and
// the newest snapshot at that topic's end.
inline bool CheckpointedRekeyed(const std::filesystem::path& state_dir, const std::string& brokers,
                                const std::string& repartition, std::int64_t records) {
  const TopicEnds ends = ReadTopicEnds(brokers, repartition);
  return ends.records == records && SnapshotOffsets(state_dir) == ends.end_offsets;
}

// Polls `condition` every 250 ms until it holds or `timeout` passes; returns its last value.
inline bool WaitFor(const std::function<bool()>& condition, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{250});
  }
  return condition();
}

// A `trailsight run --config CONFIG ARGS...` process, its stdout and stderr in a log file.
// Killed (SIGKILL) when destroyed while still running.
class ServiceProcess {
 public:
  ServiceProcess(const std::filesystem::path& config, std::filesystem::path log,
                 const std::vector<std::string>& args = {})
      : log_(std::move(log)) {
    std::vector<std::string> argv = {TRAILSIGHT_BINARY, "run", "--config", config.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      std::FILE* file = std::fopen(log_.c_str(), "a");
      ::dup2(::fileno(file), STDOUT_FILENO);
      ::dup2(::fileno(file), STDERR_FILENO);
      std::vector<char*> pointers;
      for (std::string& arg : argv) pointers.push_back(arg.data());
      pointers.push_back(nullptr);
      ::execv(pointers[0], pointers.data());
      std::_Exit(127);
    }
  }
  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;
  ~ServiceProcess() {
    if (pid_ > 0) Kill();
  }

  // SIGTERM, then the exit status (or -1 if it did not exit within a minute).
  int Stop() {
    ::kill(pid_, SIGTERM);
    return Wait(std::chrono::seconds{60});
  }
  // Sends `signal` (SIGHUP: reload the config) and returns at once.
  void Signal(int signal) { ::kill(pid_, signal); }
  // SIGKILL: no shutdown snapshot, no flush.
  void Kill() {
    ::kill(pid_, SIGKILL);
    Wait(std::chrono::seconds{30});
  }
  std::string Log() const { return ReadFile(log_); }
  // Its exit status once it has exited on its own (128 + the signal when one ended it),
  // nullopt while it runs.
  std::optional<int> ExitedWith() {
    if (pid_ <= 0) return exited_with_;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) != pid_) return std::nullopt;
    pid_ = -1;
    exited_with_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return exited_with_;
  }

 private:
  int Wait(std::chrono::seconds timeout) {
    int status = 0;
    const bool exited = WaitFor([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, timeout);
    pid_ = -1;
    return exited && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::filesystem::path log_;
  pid_t pid_ = -1;
  std::optional<int> exited_with_;
};

// Returns the port of `service`'s operations endpoint, which it logs when bound to port 0; 0
// when it has not logged one within a minute.
inline int MetricsPort(const ServiceProcess& service) {
  int port = 0;
  WaitFor(
      [&] {
        std::smatch match;
        const std::string log = service.Log();
        if (!std::regex_search(log, match,
                               std::regex(R"(metrics: serving .* on http://127\.0\.0\.1:(\d+))"))) {
          return false;
        }
        port = std::stoi(match[1]);
        return true;
      },
      std::chrono::seconds{60});
  return port;
}

}  // namespace trailsight::test_support
