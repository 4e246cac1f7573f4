#include "blurkit/train/losses.h"

#include <gtest/gtest.h>

#include "blurkit/core/error.h"

namespace blurkit::train {
namespace {

// An output of F frames at two scales (2x2 and 4x4), each a constant image.
ModelOutput Constant(const std::vector<float>& values, int64_t batch = 1) {
  ModelOutput out;
  for (float v : values) {
    out.images.push_back({torch::full({batch, 3, 2, 2}, v), torch::full({batch, 3, 4, 4}, v)});
    out.thetas.emplace_back();
  }
  return out;
}

// Ground truth frames: constant 4x4 images of 0.2, 0.5 and 0.9.
torch::Tensor GroundTruth() {
  return torch::stack({torch::full({1, 3, 4, 4}, 0.2f), torch::full({1, 3, 4, 4}, 0.5f),
                       torch::full({1, 3, 4, 4}, 0.9f)}, 1);
}

TEST(Losses, PhotometricIsTheWeightedL1AtEachScale) {
  // Predictions 0.3, 0.5, 0.5.
  const torch::Tensor sharp = GroundTruth();
  const ModelOutput out = Constant({0.3f, 0.5f, 0.5f});
  // Two scales take the last two weights (0.5 at 2x2, 1 at 4x4): per frame 1.5 x |error|, mean
  // over frames: 1.5 * (0.1 + 0 + 0.4) / 3 = 0.25.
  const double loss = MultiScalePhotometric(out, sharp, {0.0625, 0.125, 0.25, 0.5, 1.0}, false).item<double>();
  EXPECT_NEAR(loss, 0.25, 1e-6);
  // Order-invariant: reversed, the errors are |0.3-0.9|, 0, |0.5-0.2| = 0.9 > 0.5, so the
  // forward order is kept.
  EXPECT_NEAR(MultiScalePhotometric(out, sharp, {0.5, 1.0}, true).item<double>(), 0.25, 1e-6);
  // A prediction in reverse order costs the same under the order-invariant loss.
  const ModelOutput reversed = Constant({0.9f, 0.5f, 0.2f});
  EXPECT_NEAR(MultiScalePhotometric(reversed, sharp, {0.5, 1.0}, true).item<double>(), 0.0, 1e-6);
  EXPECT_GT(MultiScalePhotometric(reversed, sharp, {0.5, 1.0}, false).item<double>(), 0.5);
}

TEST(Losses, CharbonnierAndL2Distances) {
  // The same case as above: errors 0.1, 0, 0.4 per frame, weights 0.5 and 1 (1.5 per frame).
  const torch::Tensor sharp = GroundTruth();
  const ModelOutput out = Constant({0.3f, 0.5f, 0.5f});
  const double l2 = MultiScalePhotometric(out, sharp, {0.5, 1.0}, false, "l2").item<double>();
  EXPECT_NEAR(l2, 1.5 * (0.01 + 0 + 0.16) / 3, 1e-6);
  const double charbonnier = MultiScalePhotometric(out, sharp, {0.5, 1.0}, false, "charbonnier").item<double>();
  const double expected = 1.5 * (std::sqrt(0.01 + 1e-6) + std::sqrt(1e-6) + std::sqrt(0.16 + 1e-6)) / 3;
  EXPECT_NEAR(charbonnier, expected, 1e-6);
  LossOptions options;
  options.distance = "l3";
  EXPECT_THROW(options.Check(), InputError);
}

TEST(Losses, PenaltyIsMinusTheDistanceToTheTimeSymmetricFrame) {
  const torch::Tensor sharp = GroundTruth();
  const ModelOutput out = Constant({0.3f, 0.5f, 0.5f});
  // Frame 0 (0.3) against ground truth frame 2 (0.9): 0.6; frame 2 (0.5) against frame 0 (0.2): 0.3.
  EXPECT_NEAR(SymmetricPenalty(out, sharp).item<double>(), -(0.6 + 0.3) / 2, 1e-6);
}

TEST(Losses, TransformationConsistencyComparesNeighbouringScales) {
  ModelOutput out = Constant({0.1f, 0.2f, 0.3f});
  auto theta = [](float t) { return torch::tensor({1.0f, 0.0f, t, 0.0f, 1.0f, 0.0f}).view({1, 2, 3}); };
  out.thetas[0] = {theta(0.0f), theta(0.3f), theta(0.3f)};  // differences 0.3 and 0 in one of 6
  out.thetas[2] = {theta(0.1f), theta(0.1f), theta(0.1f)};
  // Mean |difference| per pair: 0.3 / 6, 0, 0, 0 -> averaged over the 4 pairs.
  EXPECT_NEAR(TransformationConsistency(out).item<double>(), (0.3 / 6) / 4, 1e-7);
}

TEST(Losses, MiddleWeightAndFrequencyTerm) {
  const torch::Tensor sharp = GroundTruth();
  LossOptions options;
  options.scale_weights = {0.5, 1.0};
  // Errors 0.1, 0.1, 0.4; the middle frame counts 3 times: 1.5 * (0.1 + 3 * 0.1 + 0.4) / (2 + 3).
  options.middle_weight = 3;
  const ModelOutput out = Constant({0.3f, 0.6f, 0.5f});
  EXPECT_NEAR(MultiScalePhotometric(out, sharp, options).item<double>(), 1.5 * 0.8 / 5, 1e-6);
  // A constant error c on an h x w image has one orthonormal Fourier coefficient, c sqrt(h w), among
  // h (w / 2 + 1) complex ones (2 real numbers each).
  options.middle_weight = 1;
  options.frequency = 0.5;
  auto per_frame = [](double c) {
    auto spectrum = [c](double n) { return c * n / (n * (n / 2 + 1) * 2); };
    return 0.5 * (c + 0.5 * spectrum(2)) + 1.0 * (c + 0.5 * spectrum(4));
  };
  const double expected = (per_frame(0.1) + per_frame(0.1) + per_frame(0.4)) / 3;
  EXPECT_NEAR(MultiScalePhotometric(out, sharp, options).item<double>(), expected, 1e-6);
  options.middle_weight = 0;
  EXPECT_THROW(options.Check(), InputError);
  options.middle_weight = 1;
  options.frequency = -1;
  EXPECT_THROW(options.Check(), InputError);
}

TEST(Losses, TotalWeighsTheTerms) {
  const torch::Tensor sharp = GroundTruth();
  LossOptions options;
  options.scale_weights = {0.5, 1.0};
  options.penalty = 0.1;
  const LossTerms t = ComputeLoss(Constant({0.3f, 0.5f, 0.5f}), sharp, options);
  EXPECT_NEAR(t.total.item<double>(), 0.25 + 0.1 * -0.45, 1e-6);
  options.scale_weights = {};
  EXPECT_THROW(options.Check(), InputError);
}

}  // namespace
}  // namespace blurkit::train
