#include "blurkit/synth/frame_interpolation.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "test_clips.h"

namespace blurkit::synth {
namespace {
using testing::PatternFrame;

// Mean absolute difference over the interior (borders see replicated pixels after warping).
double InteriorError(const cv::Mat& a, const cv::Mat& b, int margin = 8) {
  const cv::Rect inner(margin, margin, a.cols - 2 * margin, a.rows - 2 * margin);
  cv::Mat diff;
  cv::absdiff(a(inner), b(inner), diff);
  const cv::Scalar mean = cv::mean(diff);
  return (mean[0] + mean[1] + mean[2]) / 3;
}

TEST(Flow, MeanMagnitudeOfATranslationIsItsLength) {
  const cv::Mat a = PatternFrame(96, 80, 0, 0), b = PatternFrame(96, 80, 3, 4);
  EXPECT_NEAR(MeanFlowMagnitude(a, b), 5.0, 0.35);
  EXPECT_NEAR(MeanFlowMagnitude(a, a), 0.0, 0.05);
  // Downscaled for the flow, reported in the input's pixels.
  const cv::Mat c = testing::TextureFrame(400, 200, 0, 0), d = testing::TextureFrame(400, 200, 6, 8);
  EXPECT_NEAR(MeanFlowMagnitude(c, d, 200), 10.0, 0.8);
  EXPECT_NEAR(MeanFlowMagnitude(c, d), 10.0, 0.8);
}

TEST(Interpolation, TranslatingPatternLandsBetweenItsNeighbours) {
  const cv::Mat i0 = PatternFrame(96, 80, 0, 0), i1 = PatternFrame(96, 80, 6, 2);
  const auto between = InterpolateBetween(i0, i1, 2);
  ASSERT_EQ(between.size(), 1u);
  const cv::Mat truth = PatternFrame(96, 80, 3, 1);
  const double error = InteriorError(between[0], truth);
  cv::Mat blend;
  cv::addWeighted(i0, 0.5, i1, 0.5, 0, blend);  // what plain averaging (ghosting) gives
  EXPECT_LT(error, 3.0);
  EXPECT_LT(error, 0.3 * InteriorError(blend, truth));
  EXPECT_LT(error, 0.2 * InteriorError(i0, truth));
  EXPECT_LT(error, 0.2 * InteriorError(i1, truth));
  // Flow from each neighbour to the new frame is half the motion.
  EXPECT_NEAR(MeanFlowMagnitude(i0, between[0]), std::hypot(3.0, 1.0), 0.35);
}

TEST(Interpolation, FactorKGivesKMinusOneFramesAtEvenTimes) {
  const cv::Mat i0 = PatternFrame(96, 80, 0, 0), i1 = PatternFrame(96, 80, 6, 0);
  EXPECT_TRUE(InterpolateBetween(i0, i1, 1).empty());
  const auto between = InterpolateBetween(i0, i1, 3);
  ASSERT_EQ(between.size(), 2u);
  EXPECT_LT(InteriorError(between[0], PatternFrame(96, 80, 2, 0)), 3.0);
  EXPECT_LT(InteriorError(between[1], PatternFrame(96, 80, 4, 0)), 3.0);
}

}  // namespace
}  // namespace blurkit::synth
