// `trailsight validate-config FILE`, run as an operator would.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;

struct Outcome {
  int status = -1;
  std::string out, err;
};

std::string Slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Outcome Validate(const fs::path& config) {
  // Named after the test: ctest runs the tests of this file in parallel.
  const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  const fs::path out = fs::path(::testing::TempDir()) / (name + ".out");
  const fs::path err = fs::path(::testing::TempDir()) / (name + ".err");
  const std::string command =
      fmt::format("'{}' validate-config '{}' >'{}' 2>'{}'", TRAILSIGHT_BINARY, config.string(),
                  out.string(), err.string());
  const int status = std::system(command.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, Slurp(out), Slurp(err)};
}

TEST(ValidateConfigTest, ListsEveryMistakeWithItsLineAndExitsTwo) {
  const fs::path config = fs::path(::testing::TempDir()) / "mistakes.yaml";
  std::ofstream(config) << R"(detection:
  sensitivty: high
  min_calls: lots
  windows: [1, 30]
  overrides:
    - {event_name: "Delete[Bucket", disabled: true}
baseline:
  window_days: 30
)";

  const Outcome outcome = Validate(config);

  EXPECT_EQ(outcome.status, 2);
  const std::string file = config.string();
  EXPECT_EQ(
      outcome.err,
      fmt::format("{0}:2:3: detection.sensitivty: unknown key; did you mean 'sensitivity'?\n"
                  "{0}:3:14: detection.min_calls: must be a number\n"
                  "{0}:4:12: detection.windows: every window must be 1, 5, 15 or 60 (minutes)\n"
                  "{0}:6:20: detection.overrides.0.event_name: bad pattern \"Delete[Bucket\": '[' "
                  "at position 7 is never closed by ']' (write \"[[]\" for a '[')\n"
                  "{0}:8:16: baseline.window_days: must be between 1 and 7\n",
                  file));
  EXPECT_TRUE(outcome.out.empty()) << outcome.out;
}

TEST(ValidateConfigTest, TheDocumentedExampleIsValid) {
  const fs::path config = fs::path(TRAILSIGHT_SOURCE_DIR) / "config" / "trailsight.yaml";

  const Outcome outcome = Validate(config);

  EXPECT_EQ(outcome.status, 0) << outcome.err;
  EXPECT_EQ(outcome.out, config.string() + ": ok\n");
}

}  // namespace
