// Scoring one method on one test dataset: per sample and per frame position, order-aware
// (blurkit/core/frame_metrics.h), with re-blur consistency and the field's clip metrics
// (blurkit/bench/clip_metrics.h), in parallel over samples (TBB); every mean with a 95% bootstrap
// interval over clips.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "blurkit/bench/clip_metrics.h"
#include "blurkit/bench/metrics.h"
#include "blurkit/bench/predictions.h"
#include "blurkit/core/shard.h"

namespace blurkit::bench {

// How a test set is scored. kBlur2vidGopro is blur2vid's GoPro protocol: 1280 x 720 ground truth,
// every frame reduced 2x with area averaging before any metric, RGB, no crop, each metric's own
// better order per clip (per-metric-max), 40 x 40 SSIM tiles.
enum class Protocol { kBlurkit, kBlur2vidGopro };
Protocol ParseProtocol(const std::string& text);  // "blurkit" or "blur2vid-gopro"; throws InputError
std::string ToString(Protocol protocol);

struct ScoreOptions {
  MetricProfile profile;
  OrderRule order = OrderRule::kBestMeanPsnr;
  Protocol protocol = Protocol::kBlurkit;
  int patch = 40;                    // patch SSIM tile side
  bool clip_metrics = true;          // PWPSNR, pooled PSNR, re-blur against GT, EPE (DIS), patch SSIM
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
  double psnr_p = 0;  // blur2vid's "PSNR": the better order's mean per-frame PSNR (capped), RGB, no
                      // crop, whatever the profile; NaN for F = 1
  double reblur_psnr_input = 0;    // re-blurred prediction against the blurred input; NaN for F = 1
  ClipScores clip;                 // the field's clip metrics (NaN where F = 1 or not computed)
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
double ReblurPsnr(const uint8_t* blurred, const uint8_t* frames, int count, int height, int width,
                  const MetricProfile& profile);

// One number per scored clip for every metric a table shows, in per_sample.csv's names
// ("psnr_middle", "psnr_others", "ssim_initial", "pwpsnr", "epe_dis", ...): PSNR-like values capped
// at kPsnrCap, "others" the clip's mean over its non-middle positions. Means over clips of these
// are the tables' means; bootstrap intervals and paired comparisons resample them.
struct ClipMetric {
  std::string name;
  std::string label;  // as the tables head it: "PSNR middle", "PWPSNR", "EPE (DIS)"
  bool lower_is_better = false;
  std::vector<double> values;
};
std::vector<ClipMetric> PerClipMetrics(const ScoreRun& run);

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
  double reblur_psnr_input = 0;             // NaN when F = 1
  double psnr_p = 0, pwpsnr = 0, psnr_pooled = 0, reblur_psnr_gt = 0, epe_dis = 0, patch_ssim = 0;
  // 95% bootstrap intervals (Bootstrap: fixed seed, Bootstrap::kResamples resamples of the clips)
  // of every mean above, by PerClipMetrics name ("psnr_initial", "ssim_middle", "pwpsnr", ...).
  std::map<std::string, Interval> ci;
  int64_t capped = 0;                       // infinite PSNR values capped in the means
  int64_t reversed = 0;                     // samples scored in reverse order (PSNR)
  int64_t missing = 0;
  Json model_info = Json::object();
};
MethodSummary Summarize(const ScoreRun& run);
std::string PositionName(int j, int frames);

// One clip's mean over its non-middle positions (j != F / 2) of per-position values, each capped
// at kPsnrCap when `psnr`; NaN for F = 1. The one definition of "non-middle" / "others" that every
// table, interval and bin uses.
double NonMiddleMean(const std::vector<double>& per_position, bool psnr);

// Samples binned by blur magnitude: `bins` equal-width bins over [lo, hi]. PSNR middle and
// non-middle are means over the bin's clips (psnr_others of NonMiddleMean's values); psnr_all and
// ssim_all over every position of every clip.
struct BlurBin {
  double lo = 0, hi = 0;
  int64_t count = 0;
  double psnr_middle = 0, psnr_others = 0, psnr_all = 0, ssim_all = 0;
  // 95% bootstrap over the bin's clips; {NaN, NaN} (no interval shown) for a bin of fewer than
  // kMinClipsForBinInterval clips.
  Interval psnr_middle_ci, psnr_others_ci;
};
// Below 10 clips the percentile bootstrap's 95% interval is too narrow to mean 95%: drawn from a
// normal distribution, it held the true mean in 90% of 4000 trials at 10 clips, 85% at 5, 74% at
// 3 and 49% at 2 (docs/bench.md).
inline constexpr int64_t kMinClipsForBinInterval = 10;
std::vector<BlurBin> BinByMagnitude(const ScoreRun& run, int bins, double lo, double hi);

// Paired comparison of two methods on the same clips (blurkit-bench compare): for every metric,
// the means of A and of B and the mean of B - A, all three over the same clips (those both scored
// where both have a value), the 95% bootstrap interval of B - A, and the fraction of those clips
// where B is better (lower for EPE).
struct PairedDifference {
  std::string name, label;
  bool lower_is_better = false;
  int64_t clips = 0;  // clips both scored where both have a value: every number below is over these
  int64_t left_out = 0;  // clips both scored where A or B has no value (NaN)
  double mean_a = 0, mean_b = 0, difference = 0;
  Interval ci;
  double b_wins = 0;  // fraction of clips, ties count half
};
struct PairedComparison {
  int64_t clips_a = 0, clips_b = 0;  // clips each method scored
  int64_t shared = 0;                // clips both scored; the others are left out of every metric
  std::vector<PairedDifference> metrics;  // metrics with a value on at least one shared clip
};
PairedComparison ComparePaired(const ScoreRun& a, const ScoreRun& b);

}  // namespace blurkit::bench
