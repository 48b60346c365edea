#pragma once

// Test support: a fixture whose tests each get a SnapshotStore (keeping 3 snapshots) on a
// fresh folder under the temp dir, removed after the test.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "app/snapshot_store.h"

namespace trailsight::app {

class SnapshotStoreFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("trailsight-{}-{}-{}",
                       ::testing::UnitTest::GetInstance()->current_test_info()->name(), ::getpid(),
                       std::rand());
    auto store = SnapshotStore::Open(dir_, 3);
    ASSERT_TRUE(store.has_value()) << store.error().message;
    store_ = *std::move(store);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::unique_ptr<SnapshotStore> store_;
};

}  // namespace trailsight::app
