// Scoring one method on one test dataset: per sample and per frame position, order-aware
// (blurkit/core/frame_metrics.h), with re-blur consistency, in parallel over samples (TBB).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "blurkit/bench/metrics.h"
#include "blurkit/bench/predictions.h"
#include "blurkit/core/shard.h"

namespace blurkit::bench {

struct ScoreOptions {
  MetricProfile profile;
  OrderRule order = OrderRule::kBestMeanPsnr;
  bool allow_missing = false;  // score the samples that have predictions, report the rest
  int threads = 0;             // 0 = all cores
  bool progress = true;
};

struct SampleScore {
  std::string id;
  int64_t index = 0;
  float magnitude = 0;
  std::vector<double> psnr, ssim;  // per ground-truth position, after the order rule
  bool psnr_reversed = false, ssim_reversed = false;
  double reblur_psnr = 0;          // NaN for F = 1 ground truth
};

struct ScoreRun {
  std::string method;
  std::filesystem::path ground_truth;
  DatasetSpec spec;                  // of the ground truth
  ScoreOptions options;
  std::vector<SampleScore> samples;  // in dataset order, scored samples only
  std::vector<std::string> missing;  // ground-truth samples without predictions
  std::vector<std::string> extra;    // predictions for samples not in the ground truth
  Json model_info = Json::object();
};

// Throws InputError listing missing or extra samples (unless allow_missing), wrong sizes or frame
// counts.
ScoreRun ScoreMethod(const std::filesystem::path& ground_truth, const PredictionSource& predictions,
                     const ScoreOptions& options);

// The predicted frames averaged in linear light (sRGB decoded, averaged, encoded without rounding)
// against the blurred input: a prediction must explain the blur it came from.
double ReblurPsnr(const Sample& gt, const PredictedFrames& frames, int height, int width,
                  const MetricProfile& profile);

// Means over samples, each PSNR capped at kPsnrCap.
struct PositionMean {
  std::string name;  // "initial", "middle", "final", or "f2", "f3", ... in between
  double psnr = 0, ssim = 0;
};
struct MethodSummary {
  std::string method;
  int64_t samples = 0;
  std::vector<PositionMean> positions;
  double psnr_middle = 0, ssim_middle = 0;
  double psnr_others = 0, ssim_others = 0;  // non-middle positions (NaN when F = 1)
  double reblur_psnr = 0;                   // NaN when F = 1
  int64_t capped = 0;                       // infinite PSNR values capped in the means
  int64_t reversed = 0;                     // samples scored in reverse order (PSNR)
  int64_t missing = 0;
  Json model_info = Json::object();
};
MethodSummary Summarize(const ScoreRun& run);
std::string PositionName(int j, int frames);

// Samples binned by blur magnitude: `bins` equal-width bins over [lo, hi].
struct BlurBin {
  double lo = 0, hi = 0;
  int64_t count = 0;
  double psnr_middle = 0, psnr_others = 0, psnr_all = 0, ssim_all = 0;
};
std::vector<BlurBin> BinByMagnitude(const ScoreRun& run, int bins, double lo, double hi);

}  // namespace blurkit::bench
