#include "consumers/input_paths.h"

#include <gmock/gmock.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "consumers/replay_reader.h"
#include "tests/consumers/test_inputs.h"

namespace trailsight::consumers {
namespace {

using test_support::MakeRecord;
using test_support::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::string_view kOrgTrail =
    "AWSLogs/o-abc123/111122223333/CloudTrail/us-east-1/2024/01/02/";
constexpr std::string_view kDigest =
    "AWSLogs/o-abc123/111122223333/CloudTrail-Digest/us-east-1/2024/01/02/";

// Lays out an organization trail's bucket: two record files out of name order, a JSON lines
// file, a digest and an insight folder that must be skipped, and a file that is not JSON.
void WriteOrganizationTrail(const TempDir& dir) {
  const std::string prefix = "111122223333_CloudTrail_us-east-1_20240102T";
  dir.WriteGzip(std::string(kOrgTrail) + prefix + "0310Z_b.json.gz",
                R"({"Records":[)" + MakeRecord("Second") + "]}");
  dir.WriteGzip(std::string(kOrgTrail) + prefix + "0305Z_a.json.gz",
                R"({"Records":[)" + MakeRecord("First") + "]}");
  dir.Write("AWSLogs/o-abc123/111122223333/CloudTrail/us-east-1/2024/01/03/late.jsonl",
            MakeRecord("Third") + "\n");
  dir.WriteGzip(std::string(kDigest) + "111122223333_CloudTrail-Digest_us-east-1_x.json.gz",
                R"({"awsAccountId":"111122223333","digestStartTime":"2024-01-02T03:00:00Z"})");
  dir.Write("AWSLogs/o-abc123/111122223333/CloudTrail-Insight/us-east-1/2024/01/02/i.json.gz",
            "{}");
  dir.Write(std::string(kOrgTrail) + "notes.txt", "not records");
}

TEST(ExpandInputsTest, ListsAnS3LayoutTreeInPathOrderSkippingDigestAndInsightFolders) {
  TempDir dir;
  WriteOrganizationTrail(dir);

  const common::Result<InputList> inputs = ExpandInputs({dir.Path("AWSLogs")});

  ASSERT_TRUE(inputs.has_value()) << inputs.error().message;
  const std::string day = dir.Path(kOrgTrail) + "111122223333_CloudTrail_us-east-1_20240102T";
  EXPECT_TRUE(inputs->unreadable.empty());
  EXPECT_THAT(inputs->files,
              ElementsAre(day + "0305Z_a.json.gz", day + "0310Z_b.json.gz",
                          dir.Path("AWSLogs/o-abc123/111122223333/CloudTrail/us-east-1/2024/01/03/"
                                   "late.jsonl")));
}

TEST(ExpandInputsTest, KeepsFilesAndDashAsGivenInArgumentOrder) {
  TempDir dir;
  const std::string text = dir.Write("records.txt", MakeRecord("A"));
  const std::string json = dir.Write("sub/a.json", MakeRecord("B"));

  const common::Result<InputList> inputs = ExpandInputs({text, "-", dir.Path("sub")});

  ASSERT_TRUE(inputs.has_value()) << inputs.error().message;
  EXPECT_THAT(inputs->files, ElementsAre(text, "-", json));
}

TEST(ExpandInputsTest, FailsNamingAPathThatDoesNotExist) {
  TempDir dir;

  const common::Result<InputList> inputs = ExpandInputs({dir.Path("AWSLogs"), dir.Path("nowhere")});

  ASSERT_FALSE(inputs.has_value());
  EXPECT_EQ(inputs.error().code, common::ErrorCode::kInvalidArgument);
  EXPECT_THAT(inputs.error().message, HasSubstr(dir.Path("AWSLogs")));
}

// Every name of a file lists it once: a symbolic link to a file, a hard link, a folder linked
// into the tree, a link back to a parent and a path given twice. The first name in path order
// is kept.
TEST(ExpandInputsTest, ListsEachFileOnceWhateverItsNames) {
  namespace fs = std::filesystem;
  TempDir dir;
  const std::string first = dir.Write("logs/a.json", MakeRecord("A"));
  const std::string second = dir.Write("logs/sub/b.json", MakeRecord("B"));
  fs::create_symlink(first, dir.Path("logs/link.json"));
  fs::create_hard_link(first, dir.Path("logs/zz-hard.json"));
  fs::create_directory_symlink(dir.Path("logs/sub"), dir.Path("logs/sub-mirror"));
  fs::create_directory_symlink(dir.Path("logs"), dir.Path("logs/sub/parent"));

  const common::Result<InputList> inputs = ExpandInputs({dir.Path("logs"), first, second});

  ASSERT_TRUE(inputs.has_value()) << inputs.error().message;
  EXPECT_TRUE(inputs->unreadable.empty());
  EXPECT_THAT(inputs->files, ElementsAre(first, second));
}

// Links that lead nowhere: one named like a record file and a loop are reported, and one
// with another name is not a record file, so it is passed over.
TEST(ExpandInputsTest, ReportsLinksToRecordsThatLeadNowhere) {
  namespace fs = std::filesystem;
  TempDir dir;
  const std::string kept = dir.Write("logs/a.json", MakeRecord("A"));
  fs::create_symlink(dir.Path("gone.json"), dir.Path("logs/b.json"));
  fs::create_symlink(dir.Path("gone"), dir.Path("logs/notes"));
  fs::create_symlink(dir.Path("logs/loop"), dir.Path("logs/loop"));

  const common::Result<InputList> inputs = ExpandInputs({dir.Path("logs")});

  ASSERT_TRUE(inputs.has_value()) << inputs.error().message;
  EXPECT_THAT(inputs->files, ElementsAre(kept));
  ASSERT_EQ(inputs->unreadable.size(), 2u);
  EXPECT_EQ(inputs->unreadable[0].message,
            "cannot inspect " + dir.Path("logs/b.json") + ": No such file or directory");
  EXPECT_EQ(inputs->unreadable[1].message,
            "cannot inspect " + dir.Path("logs/loop") + ": Too many levels of symbolic links");
}

// Leaves the process running as nobody when it runs as root (for whom mode 000 hides
// nothing); returns false when that fails.
bool RunAsNobodyIfRoot() {
  if (::geteuid() != 0) return true;
  constexpr id_t kNobody = 65534;
  return ::setgroups(0, nullptr) == 0 && ::setgid(kNobody) == 0 && ::setuid(kNobody) == 0;
}

// Lists `root` as nobody when running as root; returns 0 when exactly `files` were listed and
// `locked` alone reported, else prints what was found and returns non-zero.
int ListAsNobody(const std::string& root, const std::vector<std::string>& files,
                 const std::string& locked) {
  if (!RunAsNobodyIfRoot()) {
    std::perror("cannot run as nobody");
    return 3;
  }
  const common::Result<InputList> inputs = ExpandInputs({root});
  if (!inputs) {
    std::fprintf(stderr, "failed: %s\n", inputs.error().message.c_str());
    return 2;
  }
  for (const std::string& file : inputs->files) std::fprintf(stderr, "file %s\n", file.c_str());
  for (const common::Error& error : inputs->unreadable) {
    std::fprintf(stderr, "unreadable %s\n", error.message.c_str());
  }
  const bool reported =
      inputs->unreadable.size() == 1 &&
      inputs->unreadable[0].message == "cannot list " + locked + ": Permission denied";
  return inputs->files == files && reported ? 0 : 1;
}

// A folder that cannot be listed costs only itself: the others are listed, and it is named.
// As root the listing runs as nobody, in a child process.
TEST(ExpandInputsTest, AFolderThatCannotBeListedIsReportedAndTheRestListed) {
  namespace fs = std::filesystem;
  TempDir dir;
  fs::permissions(dir.Path(""), fs::perms::owner_all | fs::perms::group_read |
                                    fs::perms::group_exec | fs::perms::others_read |
                                    fs::perms::others_exec);
  const std::string before = dir.Write("a/1.json", MakeRecord("A"));
  dir.Write("locked/2.json", MakeRecord("B"));
  const std::string after = dir.Write("z/3.json", MakeRecord("C"));
  fs::permissions(dir.Path("locked"), fs::perms::none);

  const std::vector<std::string> readable = {before, after};
  EXPECT_EXIT(std::_Exit(ListAsNobody(dir.Path(""), readable, dir.Path("locked"))),
              ::testing::ExitedWithCode(0), "");
  fs::permissions(dir.Path("locked"), fs::perms::owner_all);
}

TEST(ExpandInputsTest, ReplaysAnOrganizationTrailInTimeOrder) {
  TempDir dir;
  WriteOrganizationTrail(dir);
  common::StringInterner interner;
  test_support::CollectingDeadLetters dead_letters;
  test_support::CollectingReceiver receiver;
  ReplayReader reader(interner, dead_letters, {});

  const common::Result<InputList> inputs = ExpandInputs({dir.Path("")});
  ASSERT_TRUE(inputs.has_value()) << inputs.error().message;
  for (const std::string& input : inputs->files)
    ASSERT_TRUE(reader.ReadInput(input, receiver).ok());

  EXPECT_THAT(test_support::Names(receiver.events, interner),
              ElementsAre("First", "Second", "Third"));
  EXPECT_TRUE(dead_letters.letters.empty());
  EXPECT_EQ(interner.Resolve(receiver.events[0].account), "111122223333");
}

}  // namespace
}  // namespace trailsight::consumers
