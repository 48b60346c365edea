#include "app/snapshot_store.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/files.h"

namespace trailsight::app {
namespace {

namespace fs = std::filesystem;

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

  // The snapshot files, oldest first.
  std::vector<fs::path> Files() const {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir_)) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
  }

  static Snapshot Make(std::int64_t offset, std::string state) {
    return {.offsets = {{"cloudtrail", 0, offset}, {"cloudtrail", 1, offset + 1}},
            .detector_state = std::move(state),
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

}  // namespace
}  // namespace trailsight::app
