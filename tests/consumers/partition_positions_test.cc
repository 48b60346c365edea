#include "consumers/partition_positions.h"

#include <gtest/gtest.h>

#include <vector>

namespace trailsight::consumers {
namespace {

TEST(PartitionPositionsTest, OffsetsOnlyMoveForwardAndOnlyForAssignedPartitions) {
  PartitionPositions positions;
  positions.Add({{"a", 0, kUnknownOffset}, {"a", 1, 7}});

  positions.Advance("a", 0, 5);
  positions.Advance("a", 0, 3);  // behind: ignored
  positions.Advance("b", 0, 9);  // not assigned: ignored

  EXPECT_EQ(positions.Known(), (std::vector<PartitionOffset>{{"a", 0, 5}, {"a", 1, 7}}));
}

TEST(PartitionPositionsTest, AllAtEndOnlyWhenEveryPartitionsLastReadWasItsEnd) {
  PartitionPositions positions;
  EXPECT_FALSE(positions.AllAtEnd()) << "nothing assigned is not caught up";
  positions.Add({{"a", 0, kUnknownOffset}, {"a", 1, kUnknownOffset}});

  positions.AdvanceToEnd("a", 0, 4);
  EXPECT_FALSE(positions.AllAtEnd());
  positions.AdvanceToEnd("a", 1, 0);  // an empty partition has its end at 0
  EXPECT_TRUE(positions.AllAtEnd());
  EXPECT_EQ(positions.Known(), (std::vector<PartitionOffset>{{"a", 0, 4}, {"a", 1, 0}}));

  positions.Advance("a", 1, 1);  // a message arrived after the end
  EXPECT_FALSE(positions.AllAtEnd());
  positions.AdvanceToEnd("a", 1, 1);
  EXPECT_TRUE(positions.AllAtEnd());

  positions.Add({{"b", 0, kUnknownOffset}});  // a newly assigned partition is not read yet
  EXPECT_FALSE(positions.AllAtEnd());
  positions.Remove({{"b", 0, kUnknownOffset}});
  EXPECT_TRUE(positions.AllAtEnd());
  positions.Add({{"a", 0, 2}});  // re-added with a start offset: to be read again
  EXPECT_FALSE(positions.AllAtEnd());
}

}  // namespace
}  // namespace trailsight::consumers
