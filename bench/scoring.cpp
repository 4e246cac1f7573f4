#include "blurkit/bench/scoring.h"

#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "blurkit/core/error.h"
#include "blurkit/core/stop_signal.h"
#include "blurkit/core/progress.h"

namespace blurkit::bench {
namespace fs = std::filesystem;

namespace {

std::string ListSome(const std::vector<std::string>& ids) {
  Msg msg;
  for (size_t i = 0; i < ids.size() && i < 10; ++i) msg << (i ? ", " : "") << ids[i];
  if (ids.size() > 10) msg << ", ... (" << ids.size() << " in all)";
  return msg;
}

// sRGB (IEC 61966-2-1) decoding table of the 256 codes, for re-blurring.
const std::vector<float>& SrgbToLinear() {
  static const std::vector<float> table = [] {
    std::vector<float> t(256);
    for (int v = 0; v < 256; ++v) {
      const double c = v / 255.0;
      t[v] = static_cast<float>(c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4));
    }
    return t;
  }();
  return table;
}

double MeanOf(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? NAN : sum / v.size();
}

}  // namespace

std::string PositionName(int j, int frames) {
  if (frames == 1 || j == frames / 2) return "middle";
  if (j == 0) return "initial";
  if (j == frames - 1) return "final";
  return "f" + std::to_string(j + 1);
}

double ReblurPsnr(const Sample& gt, const PredictedFrames& frames, int height, int width,
                  const MetricProfile& profile) {
  const auto& lut = SrgbToLinear();
  const size_t n = static_cast<size_t>(height) * width * 3;
  std::vector<float> sum(n, 0.0f);
  for (int j = 0; j < frames.frames; ++j) {
    const uint8_t* f = frames.rgb.data() + j * n;
    for (size_t k = 0; k < n; ++k) sum[k] += lut[f[k]];
  }
  for (size_t k = 0; k < n; ++k) {
    const double x = std::clamp(double(sum[k]) / frames.frames, 0.0, 1.0);
    sum[k] = static_cast<float>(255.0 * (x <= 0.0031308 ? 12.92 * x
                                                        : 1.055 * std::pow(x, 1 / 2.4) - 0.055));
  }
  return Psnr(sum.data(), ImageView{gt.blurred.data(), height, width}, profile);
}

ScoreRun ScoreMethod(const fs::path& ground_truth, const PredictionSource& predictions,
                     const ScoreOptions& options) {
  DatasetReader reader(ground_truth);
  ScoreRun run;
  run.method = predictions.Name();
  run.ground_truth = ground_truth;
  run.spec = reader.spec();
  run.options = options;
  run.model_info = predictions.ModelInfo();
  const DatasetSpec& spec = run.spec;
  const auto gt_ids = reader.SampleIds();

  if (auto ids = predictions.Ids()) {
    const std::set<std::string> have(ids->begin(), ids->end());
    const std::set<std::string> want(gt_ids.begin(), gt_ids.end());
    for (const auto& id : gt_ids) {
      if (!have.count(id)) run.missing.push_back(id);
    }
    for (const auto& id : *ids) {
      if (!want.count(id)) run.extra.push_back(id);
    }
    if (!options.allow_missing && (!run.missing.empty() || !run.extra.empty())) {
      Msg msg;
      msg << "predictions '" << predictions.Name() << "' do not match " << ground_truth.string()
          << ":";
      if (!run.missing.empty()) msg << " missing " << ListSome(run.missing) << ";";
      if (!run.extra.empty()) msg << " not in the ground truth " << ListSome(run.extra) << ";";
      msg << " pass --allow-missing to score the rest";
      throw InputError(msg);
    }
  }

  const int64_t n = reader.size();
  std::vector<std::optional<SampleScore>> scores(n);
  const int threads = options.threads > 0 ? options.threads : tbb::info::default_concurrency();
  tbb::global_control control(tbb::global_control::max_allowed_parallelism, threads);
  Progress progress("score " + run.method, n, "samples", options.progress);
  const size_t image = static_cast<size_t>(spec.height) * spec.width * 3;
  tbb::parallel_for(int64_t{0}, n, [&](int64_t i) {
    if (StopRequested()) {
      throw Interrupted(Msg() << "stopped by " << StopSignalName()
                              << " while scoring; nothing was written (run the command again)",
                        StopSignalNumber());
    }
    const Sample gt = reader.Read(i);
    auto predicted = predictions.Frames(gt, spec);
    if (!predicted) {
      progress.Advance();
      return;
    }
    const int fp = predicted->frames;
    if (predicted->rgb.size() != image * fp) {
      throw InputError(Msg() << "predictions '" << run.method << "', sample '" << gt.id
                             << "': frames have the wrong size");
    }
    // An F = 1 ground truth (imported pairs) is scored on the predicted middle frame only.
    if (spec.frames > 1 && fp != spec.frames) {
      throw InputError(Msg() << "predictions '" << run.method << "', sample '" << gt.id << "': "
                             << fp << " frames, the ground truth has " << spec.frames);
    }
    const int f = spec.frames;
    std::vector<double> fp_psnr(f), fp_ssim(f), rv_psnr(f), rv_ssim(f);
    auto view = [&](const uint8_t* data) { return ImageView{data, spec.height, spec.width}; };
    for (int j = 0; j < f; ++j) {
      const ImageView truth = view(gt.SharpFrame(j, spec));
      const int forward = f == 1 ? fp / 2 : j;
      const int backward = f == 1 ? fp / 2 : f - 1 - j;
      const FrameScore a = ScoreFrame(view(predicted->rgb.data() + forward * image), truth,
                                      options.profile);
      fp_psnr[j] = a.psnr;
      fp_ssim[j] = a.ssim;
      if (backward == forward) {
        rv_psnr[j] = a.psnr;
        rv_ssim[j] = a.ssim;
      } else {
        const FrameScore b = ScoreFrame(view(predicted->rgb.data() + backward * image), truth,
                                        options.profile);
        rv_psnr[j] = b.psnr;
        rv_ssim[j] = b.ssim;
      }
    }
    const OrderedScores ordered = ApplyOrderRule(fp_psnr, fp_ssim, rv_psnr, rv_ssim, options.order);
    SampleScore s;
    s.id = gt.id;
    s.index = gt.index;
    s.magnitude = gt.blur_magnitude;
    s.psnr = ordered.psnr;
    s.ssim = ordered.ssim;
    s.psnr_reversed = ordered.psnr_reversed;
    s.ssim_reversed = ordered.ssim_reversed;
    s.reblur_psnr = f > 1 ? ReblurPsnr(gt, *predicted, spec.height, spec.width, options.profile) : NAN;
    scores[i] = std::move(s);
    progress.Advance();
  });
  progress.Finish();
  for (auto& s : scores) {
    if (s) run.samples.push_back(std::move(*s));
  }
  if (run.samples.empty()) {
    throw InputError(Msg() << "predictions '" << run.method << "': no sample of "
                           << ground_truth.string() << " has predictions");
  }
  return run;
}

MethodSummary Summarize(const ScoreRun& run) {
  MethodSummary m;
  m.method = run.method;
  m.samples = static_cast<int64_t>(run.samples.size());
  m.missing = static_cast<int64_t>(run.missing.size());
  m.model_info = run.model_info;
  const int f = run.spec.frames;
  std::vector<std::vector<double>> psnr(f), ssim(f);
  std::vector<double> others_psnr, others_ssim, reblur;
  for (const auto& s : run.samples) {
    for (int j = 0; j < f; ++j) {
      if (std::isinf(s.psnr[j])) ++m.capped;
      psnr[j].push_back(CappedPsnr(s.psnr[j]));
      ssim[j].push_back(s.ssim[j]);
      if (j != f / 2) {
        others_psnr.push_back(CappedPsnr(s.psnr[j]));
        others_ssim.push_back(s.ssim[j]);
      }
    }
    if (s.psnr_reversed) ++m.reversed;
    if (!std::isnan(s.reblur_psnr)) reblur.push_back(CappedPsnr(s.reblur_psnr));
  }
  for (int j = 0; j < f; ++j) m.positions.push_back({PositionName(j, f), MeanOf(psnr[j]), MeanOf(ssim[j])});
  m.psnr_middle = MeanOf(psnr[f / 2]);
  m.ssim_middle = MeanOf(ssim[f / 2]);
  m.psnr_others = MeanOf(others_psnr);
  m.ssim_others = MeanOf(others_ssim);
  m.reblur_psnr = MeanOf(reblur);
  return m;
}

std::vector<BlurBin> BinByMagnitude(const ScoreRun& run, int bins, double lo, double hi) {
  BLURKIT_CHECK(bins > 0);
  std::vector<BlurBin> out(bins);
  const double width = (hi - lo) / bins;
  for (int b = 0; b < bins; ++b) {
    out[b].lo = lo + b * width;
    out[b].hi = lo + (b + 1) * width;
  }
  std::vector<std::vector<double>> mid(bins), others(bins), all(bins), ssim(bins);
  const int f = run.spec.frames;
  for (const auto& s : run.samples) {
    int b = width > 0 ? static_cast<int>((s.magnitude - lo) / width) : 0;
    b = std::clamp(b, 0, bins - 1);
    out[b].count++;
    for (int j = 0; j < f; ++j) {
      const double p = CappedPsnr(s.psnr[j]);
      (j == f / 2 ? mid : others)[b].push_back(p);
      all[b].push_back(p);
      ssim[b].push_back(s.ssim[j]);
    }
  }
  for (int b = 0; b < bins; ++b) {
    out[b].psnr_middle = MeanOf(mid[b]);
    out[b].psnr_others = MeanOf(others[b]);
    out[b].psnr_all = MeanOf(all[b]);
    out[b].ssim_all = MeanOf(ssim[b]);
  }
  return out;
}

}  // namespace blurkit::bench
