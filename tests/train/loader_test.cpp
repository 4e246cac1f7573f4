#include "blurkit/train/loader.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "blurkit/core/error.h"
#include "test_data.h"

namespace blurkit::train {
namespace {
namespace fs = std::filesystem;

class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("blurkit_loader_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    testing::WriteMovingSquares(dir_, 20, 3, 64, 1);
    reader_ = std::make_shared<DatasetReader>(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::shared_ptr<DatasetReader> reader_;
};

TEST_F(LoaderTest, BatchesDoNotDependOnTheNumberOfWorkers) {
  LoaderOptions a;
  a.batch = 4;
  a.crop = 32;
  a.workers = 1;
  a.seed = 3;
  LoaderOptions b = a;
  b.workers = 3;
  Loader la(reader_, a), lb(reader_, b);
  EXPECT_EQ(la.BatchesPerEpoch(), 5);
  la.StartEpoch(2);
  lb.StartEpoch(2);
  int count = 0;
  while (auto x = la.Next()) {
    auto y = lb.Next();
    ASSERT_TRUE(y);
    EXPECT_TRUE(torch::equal(x->blurred, y->blurred));
    EXPECT_TRUE(torch::equal(x->sharp, y->sharp));
    EXPECT_EQ(x->ids, y->ids);
    ++count;
  }
  EXPECT_EQ(count, 5);
  EXPECT_FALSE(lb.Next());
}

TEST_F(LoaderTest, ResumingInsideAnEpochGivesTheSameBatches) {
  LoaderOptions o;
  o.batch = 4;
  o.crop = 32;
  Loader full(reader_, o), resumed(reader_, o);
  full.StartEpoch(1);
  resumed.StartEpoch(1, 3);
  full.Next();
  full.Next();
  full.Next();
  EXPECT_TRUE(torch::equal(full.Next()->sharp, resumed.Next()->sharp));
}

TEST_F(LoaderTest, AugmentationKeepsTheSequenceConsistent) {
  // The blurred image is the mean of the frames (up to rounding); crops, flips and time reversal
  // applied to all of them must keep it so.
  LoaderOptions o;
  o.batch = 5;
  o.crop = 32;
  for (int epoch = 0; epoch < 3; ++epoch) {
    const Batch b = MakeBatch(*reader_, reader_->ShuffledOrder(0, epoch), epoch, 0, o);
    EXPECT_EQ(b.blurred.sizes(), (std::vector<int64_t>{5, 3, 32, 32}));
    EXPECT_EQ(b.sharp.sizes(), (std::vector<int64_t>{5, 3, 3, 32, 32}));
    const torch::Tensor mean = b.sharp.mean(1);
    EXPECT_LT((mean - b.blurred).abs().max().item<double>(), 1.0 / 255 + 1e-6);
    EXPECT_GE(b.sharp.min().item<double>(), 0.0);
    EXPECT_LE(b.sharp.max().item<double>(), 1.0);
  }
}

TEST_F(LoaderTest, RanksTakeSlicesOfTheGlobalBatchOfOneProcess) {
  // Data-parallel: 2 ranks x batch 2 see, together, exactly batch k of 1 process x batch 4, with
  // the same crops, flips and reversals.
  LoaderOptions one;
  one.batch = 4;
  one.crop = 32;
  one.seed = 5;
  const auto order = reader_->ShuffledOrder(one.seed, 1);
  for (int64_t k = 0; k < 5; ++k) {
    const Batch whole = MakeBatch(*reader_, order, 1, k, one);
    for (int rank = 0; rank < 2; ++rank) {
      LoaderOptions part = one;
      part.batch = 2;
      part.rank = rank;
      part.world_size = 2;
      const Batch slice = MakeBatch(*reader_, order, 1, k, part);
      EXPECT_TRUE(torch::equal(slice.sharp, whole.sharp.narrow(0, 2 * rank, 2))) << k << " " << rank;
      EXPECT_TRUE(torch::equal(slice.blurred, whole.blurred.narrow(0, 2 * rank, 2)));
      EXPECT_EQ(slice.ids[0], whole.ids[2 * rank]);
    }
  }
  LoaderOptions part = one;
  part.batch = 2;
  part.world_size = 2;
  EXPECT_EQ(Loader(reader_, part).BatchesPerEpoch(), Loader(reader_, one).BatchesPerEpoch());
}

TEST_F(LoaderTest, SeveralDatasetsMixInProportionToTheirSizes) {
  // 20 samples of 64x64 ("m") and 10 of 96x96 ("b"), trained together on 32x32 crops.
  const fs::path other = dir_.string() + "_b";
  fs::remove_all(other);
  testing::WriteMovingSquares(other, 10, 3, 96, 5, "b");
  auto b = std::make_shared<DatasetReader>(other);
  LoaderOptions o;
  o.batch = 3;
  o.crop = 32;
  o.seed = 4;
  const std::vector<std::shared_ptr<const DatasetReader>> both{reader_, b};
  const std::vector<int64_t> order = MixedOrder(both, {0, 20}, o, 1);
  // A permutation of the 30 global indices; each dataset's own order kept (the first dataset
  // with the run's seed, so one dataset alone is unchanged); every prefix within one sample of
  // its share (2:1).
  std::vector<int64_t> sorted = order, first, second;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 30; ++i) ASSERT_EQ(sorted[i], i);
  int64_t from_first = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    if (order[k] < 20) {
      first.push_back(order[k]);
      ++from_first;
    } else {
      second.push_back(order[k] - 20);
    }
    EXPECT_LE(std::abs(3 * from_first - 2 * int64_t(k + 1)), 3) << "after " << k + 1 << " samples";
  }
  EXPECT_EQ(first, reader_->ShuffledOrder(4, 1, o.shuffle_shards));
  EXPECT_EQ(MixedOrder({reader_}, {0}, o, 1), reader_->ShuffledOrder(4, 1, o.shuffle_shards));
  EXPECT_NE(second, b->ShuffledOrder(4, 1, o.shuffle_shards));  // a seed of its own
  // The loader's batches hold the samples of that order, each from its own dataset.
  Loader loader(both, o);
  EXPECT_EQ(loader.BatchesPerEpoch(), 10);
  loader.StartEpoch(1);
  size_t position = 0;
  while (auto batch = loader.Next()) {
    EXPECT_EQ(batch->blurred.sizes(), (std::vector<int64_t>{3, 3, 32, 32}));
    for (const std::string& id : batch->ids) {
      const int64_t g = order[position++];
      EXPECT_EQ(id, g < 20 ? "m" + std::to_string(g) : "b" + std::to_string(g - 20));
    }
  }
  EXPECT_EQ(position, 30u);
  // Whole images of two sizes cannot share a batch; datasets of another F cannot train together.
  o.crop = 0;
  try {
    Loader whole(both, o);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("96x96"), std::string::npos) << e.what();
  }
  o.crop = 32;
  const fs::path five = dir_.string() + "_f5";
  fs::remove_all(five);
  testing::WriteMovingSquares(five, 10, 5, 64, 6);
  try {
    Loader mixed({reader_, std::make_shared<DatasetReader>(five)}, o);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("5 frames per sample"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("agree on F"), std::string::npos) << e.what();
  }
  fs::remove_all(other);
  fs::remove_all(five);
}

TEST_F(LoaderTest, CropLargerThanTheImagesIsAClearError) {
  LoaderOptions o;
  o.batch = 2;
  o.crop = 96;
  Loader loader(reader_, o);
  loader.StartEpoch(0);
  try {
    loader.Next();
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("96x96"), std::string::npos) << e.what();
  }
  o.crop = 40;
  EXPECT_THROW(o.Check(), InputError);
}

}  // namespace
}  // namespace blurkit::train
