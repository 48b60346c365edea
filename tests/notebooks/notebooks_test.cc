// The analyst notebooks, as scripts/notebooks executed them: every cell ran without an
// error, the figures were rendered, and what each notebook found holds. The folder comes
// from TRAILSIGHT_NOTEBOOK_ARTIFACTS; without it the test fails (run scripts/notebooks).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

fs::path Artifacts() {
  const char* dir = std::getenv("TRAILSIGHT_NOTEBOOK_ARTIFACTS");
  return dir != nullptr ? fs::path(dir) : fs::path();
}

Json ReadJson(const fs::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  return in.good() ? Json::parse(in, nullptr, false) : Json();
}

class NotebooksTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_FALSE(Artifacts().empty())
        << "TRAILSIGHT_NOTEBOOK_ARTIFACTS is not set: run scripts/notebooks, which executes the "
           "notebooks and then this test";
  }
  fs::path Notebook() const { return Artifacts() / (GetParam() + ".ipynb"); }
  Json Results() const { return ReadJson(Artifacts() / GetParam() / "results.json"); }
};

TEST_P(NotebooksTest, EveryCellRanWithoutAnError) {
  const Json notebook = ReadJson(Notebook());
  ASSERT_TRUE(notebook.contains("cells")) << Notebook();
  int code_cells = 0;
  for (const Json& cell : notebook["cells"]) {
    if (cell["cell_type"] != "code") continue;
    ++code_cells;
    EXPECT_TRUE(cell["execution_count"].is_number()) << "not executed:\n" << cell["source"];
    for (const Json& output : cell["outputs"]) {
      EXPECT_NE(output["output_type"], "error")
          << output.value("ename", "") << ": " << output.value("evalue", "") << "\nin:\n"
          << cell["source"];
    }
  }
  EXPECT_GE(code_cells, 5);
}

TEST_P(NotebooksTest, RenderedEveryFigureItLists) {
  const Json results = Results();
  ASSERT_TRUE(results.contains("figures"));
  EXPECT_GE(results["figures"].size(), 3u);
  for (const Json& figure : results["figures"]) {
    const fs::path path = Artifacts() / GetParam() / figure.get<std::string>();
    std::ifstream in(path, std::ios::binary);
    std::string magic(8, '\0');
    in.read(magic.data(), 8);
    EXPECT_EQ(magic, "\x89PNG\r\n\x1a\n") << path;
    EXPECT_GT(fs::file_size(path), 10'000u) << path << " looks empty";
  }
}

INSTANTIATE_TEST_SUITE_P(Notebooks, NotebooksTest,
                         ::testing::Values("explore_baselines", "tune_sensitivity"));

TEST(ExploreBaselinesNotebookTest, FoundExplainedAndScoredTheBurst) {
  ASSERT_FALSE(Artifacts().empty()) << "TRAILSIGHT_NOTEBOOK_ARTIFACTS is not set";
  const Json results = ReadJson(Artifacts() / "explore_baselines" / "results.json");

  EXPECT_EQ(results["detected"], true);
  EXPECT_LE(results["start_delay_minutes"].get<double>(), 1.0);
  EXPECT_EQ(results["explain_fired"], true);
  EXPECT_EQ(results["incident_score"].get<double>(), 1.0);
  EXPECT_GT(results["series_rows"].get<int>(), 1000);
  EXPECT_GT(results["series_keys"].get<int>(), 50);
}

TEST(TuneSensitivityNotebookTest, SweepTradesRecallForFalseInsights) {
  ASSERT_FALSE(Artifacts().empty()) << "TRAILSIGHT_NOTEBOOK_ARTIFACTS is not set";
  const Json results = ReadJson(Artifacts() / "tune_sensitivity" / "results.json");
  const Json& sweep = results["sweep"];
  ASSERT_GE(sweep.size(), 4u);

  for (const Json& run : sweep) {
    EXPECT_GE(run["recall"].get<double>(), 0.0);
    EXPECT_LE(run["recall"].get<double>(), 1.0);
    EXPECT_GE(run["false_per_day"].get<double>(), 0.0);
  }
  const Json& loosest = sweep.front();
  const Json& strictest = sweep.back();
  EXPECT_GT(loosest["recall"].get<double>(), strictest["recall"].get<double>());
  EXPECT_GT(loosest["false_per_day"].get<double>(), strictest["false_per_day"].get<double>());
}

TEST(TuneSensitivityNotebookTest, ChoseASettingWithinBudgetThatHoldsOnHeldOutData) {
  ASSERT_FALSE(Artifacts().empty()) << "TRAILSIGHT_NOTEBOOK_ARTIFACTS is not set";
  const Json results = ReadJson(Artifacts() / "tune_sensitivity" / "results.json");
  const double budget = results["budget_false_per_day"].get<double>();

  EXPECT_LE(results["chosen"]["false_per_day"].get<double>(), budget);
  EXPECT_GE(results["chosen"]["recall"].get<double>(), 0.5);
  EXPECT_GE(results["held_out"]["recall"].get<double>(), 0.5);
  EXPECT_LE(results["held_out"]["false_per_day"].get<double>(), 2 * budget);
}

TEST(TuneSensitivityNotebookTest, WroteAConfigThatValidateConfigAccepts) {
  ASSERT_FALSE(Artifacts().empty()) << "TRAILSIGHT_NOTEBOOK_ARTIFACTS is not set";
  const Json results = ReadJson(Artifacts() / "tune_sensitivity" / "results.json");
  const fs::path yaml = results["yaml_path"].get<std::string>();
  ASSERT_TRUE(fs::exists(yaml)) << yaml;

  const std::string command =
      fmt::format("'{}' validate-config '{}' >/dev/null", TRAILSIGHT_BINARY, yaml.string());
  const int status = std::system(command.c_str());

  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << command;
  EXPECT_EQ(results["validate_config_exit"], 0);
}

}  // namespace
