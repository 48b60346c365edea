#include "app/snapshot_store.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/files.h"

namespace trailsight::app {
namespace {

namespace fs = std::filesystem;

// Named like snapshots, but not as the store names them: a backup script's copies, say.
constexpr std::array<const char*, 4> kStrays = {"snapshot-backup.bin", "snapshot-7.bin.orig",
                                                "snapshot-12.bin",
                                                "snapshot-99999999999999999999.bin"};  // > 2^64

// The permission bits of `path` in octal, "0700" say.
std::string Mode(const fs::path& path) {
  return fmt::format("{:04o}", static_cast<unsigned>(fs::status(path).permissions()));
}

// Sets the process umask for one test and restores it after.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : previous_(::umask(mask)) {}
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;
  ~ScopedUmask() { ::umask(previous_); }

 private:
  mode_t previous_;
};

class SnapshotStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("trailsight-snapshots-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<SnapshotStore> Open(int keep = 3) {
    auto store = SnapshotStore::Open(dir_, keep);
    EXPECT_TRUE(store) << store.error().message;
    return std::move(*store);
  }

  // The files named snapshot-*, by name (the store's own: oldest first).
  std::vector<fs::path> Files() const {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      if (entry.path().filename().string().starts_with("snapshot-")) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
  }

  // Every entry of the folder, by name.
  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  static Snapshot Make(std::int64_t offset, std::string state) {
    return {.offsets = {{"cloudtrail", 0, offset}, {"cloudtrail", 1, offset + 1}},
            .detector_state = std::move(state),
            .partitions = {},
            .trail_buckets = {}};
  }

  fs::path dir_;
};

TEST_F(SnapshotStoreTest, ReadsBackTheNewestSnapshot) {
  auto store = Open();
  ASSERT_TRUE(store->Write(Make(10, std::string("first\0state", 11))));
  ASSERT_TRUE(store->Write(Make(20, std::string("second\0state", 12))));

  const std::optional<Snapshot> loaded = store->LoadNewest();

  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->offsets, Make(20, "").offsets);
  EXPECT_EQ(loaded->detector_state, std::string("second\0state", 12));
}

TEST_F(SnapshotStoreTest, KeepsTheLearnedTrailBuckets) {
  auto store = Open();
  Snapshot snapshot = Make(7, "state");
  snapshot.trail_buckets = {"org-trail-logs", "audit-bucket"};
  ASSERT_TRUE(store->Write(snapshot));

  const std::optional<Snapshot> loaded = store->LoadNewest();

  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->trail_buckets, snapshot.trail_buckets);
}

TEST_F(SnapshotStoreTest, KeepsEachPartitionsState) {
  auto store = Open();
  Snapshot snapshot = Make(7, "");
  snapshot.partitions = {{"cloudtrail", 0, 7, std::string("zero\0", 5)},
                         {"cloudtrail", 1, 3, "one"}};
  ASSERT_TRUE(store->Write(snapshot));

  const std::optional<Snapshot> loaded = store->LoadNewest();

  ASSERT_TRUE(loaded);
  ASSERT_EQ(loaded->partitions.size(), 2u);
  EXPECT_EQ(loaded->partitions[0].topic, "cloudtrail");
  EXPECT_EQ(loaded->partitions[0].partition, 0);
  EXPECT_EQ(loaded->partitions[0].offset, 7);
  EXPECT_EQ(loaded->partitions[0].detector_state, std::string("zero\0", 5));
  EXPECT_EQ(loaded->partitions[1].partition, 1);
  EXPECT_EQ(loaded->partitions[1].offset, 3);
  EXPECT_EQ(loaded->partitions[1].detector_state, "one");
}

TEST_F(SnapshotStoreTest, ASnapshotWrittenBeforeTrailBucketsWereKeptHasNone) {
  // The payload as earlier builds wrote it: offsets and detector state only.
  const nlohmann::json document = {
      {"offsets", nlohmann::json::array({nlohmann::json::array({"cloudtrail", 0, 42})})},
      {"detector", nlohmann::json::binary({'o', 'l', 'd'})}};
  const std::vector<std::uint8_t> packed = nlohmann::json::to_msgpack(document);
  const std::string payload(packed.begin(), packed.end());
  const auto crc =
      crc32(0L, reinterpret_cast<const Bytef*>(payload.data()), static_cast<uInt>(payload.size()));
  fs::create_directories(dir_);
  std::ofstream(dir_ / "snapshot-00000000000000000001.bin", std::ios::binary)
      << fmt::format("trailsight-snapshot 1 {} {:08x}\n", payload.size(), crc) << payload;

  const std::optional<Snapshot> loaded = Open()->LoadNewest();

  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->offsets, (std::vector<consumers::PartitionOffset>{{"cloudtrail", 0, 42}}));
  EXPECT_EQ(loaded->detector_state, "old");
  EXPECT_TRUE(loaded->trail_buckets.empty());
  EXPECT_TRUE(loaded->partitions.empty());
}

TEST_F(SnapshotStoreTest, KeepsOnlyTheNewestFew) {
  auto store = Open(2);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store->Write(Make(i, "state")));

  EXPECT_EQ(Files().size(), 2u);
  EXPECT_EQ(store->LoadNewest()->offsets, Make(4, "").offsets);
}

TEST_F(SnapshotStoreTest, SkipsCorruptTruncatedForeignAndNewerFilesForTheNextOlder) {
  auto store = Open(10);
  ASSERT_TRUE(store->Write(Make(1, "good")));
  for (const char* damage : {"flip", "truncate", "foreign", "newer"}) {
    ASSERT_TRUE(store->Write(Make(2, "damaged")));
    const fs::path newest = Files().back();
    std::string content = test_support::ReadFile(newest);
    if (std::string(damage) == "flip") content[content.size() - 3] ^= 0x55;
    if (std::string(damage) == "truncate") content.resize(content.size() - 10);
    if (std::string(damage) == "foreign") content = "PK\x03\x04 a zip file, say";
    if (std::string(damage) == "newer") content.replace(content.find(" 1 "), 3, " 9 ");
    std::ofstream(newest, std::ios::binary | std::ios::trunc) << content;

    const std::optional<Snapshot> loaded = store->LoadNewest();

    ASSERT_TRUE(loaded) << damage;
    EXPECT_EQ(loaded->detector_state, "good") << damage;
    fs::remove(newest);
  }
}

TEST_F(SnapshotStoreTest, AnEmptyFolderMeansStartFresh) { EXPECT_FALSE(Open()->LoadNewest()); }

TEST_F(SnapshotStoreTest, ASecondStoreOnAHeldFolderIsRefusedNamingTheHolder) {
  auto first = Open();

  auto second = SnapshotStore::Open(dir_, 3);

  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, common::ErrorCode::kIo);
  const std::string& message = second.error().message;
  EXPECT_NE(message.find(fmt::format("state folder {} is in use by pid {} on host ", dir_.string(),
                                     ::getpid())),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("one instance per state folder"), std::string::npos) << message;
}

TEST_F(SnapshotStoreTest, AFolderHeldByAnotherProcessIsRefusedUntilThatProcessExits) {
  int ready[2];
  int release[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(release), 0);
  const pid_t holder = ::fork();
  ASSERT_GE(holder, 0);
  if (holder == 0) {  // the other process: holds the folder until `release` closes
    ::close(ready[0]);
    ::close(release[1]);
    auto store = SnapshotStore::Open(dir_, 3);
    const char opened = store ? 'y' : 'n';
    if (::write(ready[1], &opened, 1) != 1) std::_Exit(2);
    char ignored = 0;
    while (::read(release[0], &ignored, 1) > 0) {
    }
    std::_Exit(0);
  }
  ::close(ready[1]);
  ::close(release[0]);
  char opened = 'n';
  ASSERT_EQ(::read(ready[0], &opened, 1), 1);
  ASSERT_EQ(opened, 'y');

  auto refused = SnapshotStore::Open(dir_, 3);
  ::close(release[1]);
  int status = 0;
  ASSERT_EQ(::waitpid(holder, &status, 0), holder);
  ::close(ready[0]);
  auto after_exit = SnapshotStore::Open(dir_, 3);  // its LOCK file stays, its lock does not

  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find(fmt::format("is in use by pid {} on host", holder)),
            std::string::npos)
      << refused.error().message;
  EXPECT_TRUE(after_exit) << after_exit.error().message;
}

TEST_F(SnapshotStoreTest, ReleasesTheFolderWhenDestroyed) {
  auto first = Open();
  ASSERT_FALSE(SnapshotStore::Open(dir_, 3));

  first.reset();
  auto second = SnapshotStore::Open(dir_, 3);

  ASSERT_TRUE(second) << second.error().message;
  EXPECT_TRUE((*second)->Write(Make(1, "state")));
}

TEST_F(SnapshotStoreTest, CreatesItsFolderAndFilesForTheOwnerOnlyWhateverTheUmask) {
  const ScopedUmask permissive(0);
  auto store = Open();

  ASSERT_TRUE(store->Write(Make(1, "state")));

  EXPECT_EQ(Mode(dir_), "0700");
  EXPECT_EQ(Names(), (std::vector<std::string>{"LOCK", "snapshot-00000000000000000001.bin"}));
  for (const std::string& name : Names()) {
    EXPECT_EQ(Mode(dir_ / name), "0600") << name;
  }
}

TEST_F(SnapshotStoreTest, LeavesAnExistingFoldersModeButWritesItsFilesForTheOwnerOnly) {
  const ScopedUmask permissive(0);
  fs::create_directories(dir_);
  fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
  // A temporary left by a crash mid-write, open to everyone: the next write reuses its name.
  const fs::path stale = dir_ / ".snapshot-00000000000000000001.bin.tmp";
  std::ofstream(stale) << "half a snapshot";
  fs::permissions(stale, fs::perms::all);
  auto store = Open();

  ASSERT_TRUE(store->Write(Make(1, "state")));

  EXPECT_EQ(Mode(dir_), "0755");
  EXPECT_EQ(Names(), (std::vector<std::string>{"LOCK", "snapshot-00000000000000000001.bin"}));
  for (const std::string& name : Names()) {
    EXPECT_EQ(Mode(dir_ / name), "0600") << name;
  }
}

TEST_F(SnapshotStoreTest, LoadsItsOwnNewestSnapshotIgnoringStrayCopies) {
  {
    auto store = Open();
    ASSERT_TRUE(store->Write(Make(1, "older")));
    ASSERT_TRUE(store->Write(Make(2, "newest")));
  }
  const fs::path older = Files().front();
  for (const char* stray : kStrays) fs::copy_file(older, dir_ / stray);

  const std::optional<Snapshot> loaded = Open()->LoadNewest();

  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->detector_state, "newest");
}

TEST_F(SnapshotStoreTest, PrunesOnlyItsOwnSnapshotsAndNeverRemovesStrayFiles) {
  fs::create_directories(dir_);
  for (const char* stray : kStrays) std::ofstream(dir_ / stray) << "a copy of " << stray;
  auto store = Open(2);

  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store->Write(Make(i, "state")));

  EXPECT_EQ(Names(),
            (std::vector<std::string>{"LOCK", "snapshot-00000000000000000004.bin",
                                      "snapshot-00000000000000000005.bin", "snapshot-12.bin",
                                      "snapshot-7.bin.orig", "snapshot-99999999999999999999.bin",
                                      "snapshot-backup.bin"}));
  for (const char* stray : kStrays) {
    EXPECT_EQ(test_support::ReadFile(dir_ / stray), fmt::format("a copy of {}", stray));
  }
  EXPECT_EQ(store->LoadNewest()->offsets, Make(4, "").offsets);
}

}  // namespace
}  // namespace trailsight::app
