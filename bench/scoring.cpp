#include "blurkit/bench/scoring.h"

#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <limits>
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

// The mean of the values that are not NaN (NaN when none is).
double MeanOf(const std::vector<double>& v) {
  double sum = 0;
  int64_t count = 0;
  for (double x : v) {
    if (std::isnan(x)) continue;
    sum += x;
    ++count;
  }
  return count ? sum / count : NAN;
}

// blur2vid's "PSNR" (docs/bench.md, M:151-156, M:291-297): per order, the mean over the F frames
// of the per-frame PSNR on RGB without a crop, whatever the metric profile (each frame capped at
// kPsnrCap, blurkit's); the better order. `forward` and `reverse` are the clip's per-frame PSNRs
// under `profile`, reused when that profile is RGB without a crop.
double PsnrP(const uint8_t* predicted, const uint8_t* truth, int f, int height, int width,
             const MetricProfile& profile, const std::vector<double>& forward,
             const std::vector<double>& reverse) {
  const bool rgb = profile.channels == MetricProfile::Channels::kRgb && profile.crop_border == 0;
  const size_t image = static_cast<size_t>(height) * width * 3;
  double sum_forward = 0, sum_reverse = 0;
  for (int j = 0; j < f; ++j) {
    const ImageView g{truth + j * image, height, width};
    sum_forward +=
        CappedPsnr(rgb ? forward[j] : Psnr(ImageView{predicted + j * image, height, width}, g, {}));
    sum_reverse += CappedPsnr(
        rgb ? reverse[j] : Psnr(ImageView{predicted + (f - 1 - j) * image, height, width}, g, {}));
  }
  return std::max(sum_forward, sum_reverse) / f;
}

}  // namespace

double NonMiddleMean(const std::vector<double>& per_position, bool psnr) {
  const int f = static_cast<int>(per_position.size());
  if (f < 2) return NAN;
  double sum = 0;
  for (int j = 0; j < f; ++j) {
    if (j != f / 2) sum += psnr ? CappedPsnr(per_position[j]) : per_position[j];
  }
  return sum / (f - 1);
}

std::string PositionName(int j, int frames) {
  if (frames == 1 || j == frames / 2) return "middle";
  if (j == 0) return "initial";
  if (j == frames - 1) return "final";
  return "f" + std::to_string(j + 1);
}

double ReblurPsnr(const uint8_t* blurred, const uint8_t* frames, int count, int height, int width,
                  const MetricProfile& profile) {
  const auto& lut = SrgbToLinear();
  const size_t n = static_cast<size_t>(height) * width * 3;
  std::vector<float> sum(n, 0.0f);
  for (int j = 0; j < count; ++j) {
    const uint8_t* f = frames + j * n;
    for (size_t k = 0; k < n; ++k) sum[k] += lut[f[k]];
  }
  for (size_t k = 0; k < n; ++k) {
    const double x = std::clamp(double(sum[k]) / count, 0.0, 1.0);
    sum[k] = static_cast<float>(255.0 * (x <= 0.0031308 ? 12.92 * x
                                                        : 1.055 * std::pow(x, 1 / 2.4) - 0.055));
  }
  return Psnr(sum.data(), ImageView{blurred, height, width}, profile);
}

Protocol ParseProtocol(const std::string& text) {
  if (text == "blurkit") return Protocol::kBlurkit;
  if (text == "blur2vid-gopro") return Protocol::kBlur2vidGopro;
  throw InputError(Msg() << "--protocol must be blurkit or blur2vid-gopro, got '" << text << "'");
}

std::string ToString(Protocol protocol) {
  return protocol == Protocol::kBlur2vidGopro ? "blur2vid-gopro" : "blurkit";
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
  const bool halve = options.protocol == Protocol::kBlur2vidGopro;
  if (halve) {
    if (spec.width != 1280 || spec.height != 720) {
      throw InputError(Msg() << ground_truth.string() << ": --protocol blur2vid-gopro scores 1280x720 "
                             << "test sets (GoPro, reduced 2x to 640x360), this one is " << spec.width
                             << "x" << spec.height);
    }
    if (options.profile.channels != MetricProfile::Channels::kRgb || options.profile.crop_border != 0 ||
        options.order != OrderRule::kPerMetricMax) {
      throw InputError("--protocol blur2vid-gopro scores RGB without a crop, each metric in its own "
                       "better order: leave --profile and --order at rgb and per-metric-max");
    }
  }
  // The size every metric sees.
  const int height = halve ? spec.height / 2 : spec.height, width = halve ? spec.width / 2 : spec.width;

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
  const size_t full = static_cast<size_t>(spec.height) * spec.width * 3;
  const size_t image = static_cast<size_t>(height) * width * 3;
  tbb::parallel_for(int64_t{0}, n, [&](int64_t i) {
    if (StopRequested()) {
      throw Interrupted(Msg() << "stopped by " << StopSignalName()
                              << " while scoring; nothing was written (run the command again)",
                        StopSignalNumber());
    }
    Sample gt = reader.Read(i);
    auto predicted = predictions.Frames(gt, spec);
    if (!predicted) {
      progress.Advance();
      return;
    }
    const int fp = predicted->frames;
    if (predicted->rgb.size() != full * fp) {
      throw InputError(Msg() << "predictions '" << run.method << "', sample '" << gt.id
                             << "': frames have the wrong size");
    }
    // An F = 1 ground truth (imported pairs) is scored on the predicted middle frame only.
    if (spec.frames > 1 && fp != spec.frames) {
      throw InputError(Msg() << "predictions '" << run.method << "', sample '" << gt.id << "': "
                             << fp << " frames, the ground truth has " << spec.frames);
    }
    const int f = spec.frames;
    if (halve) {
      gt.sharp = HalveFrames(gt.sharp.data(), f, spec.height, spec.width);
      gt.blurred = HalveFrames(gt.blurred.data(), 1, spec.height, spec.width);
      predicted->rgb = HalveFrames(predicted->rgb.data(), fp, spec.height, spec.width);
    }
    const uint8_t* sharp = gt.sharp.data();
    std::vector<double> fp_psnr(f), fp_ssim(f), rv_psnr(f), rv_ssim(f);
    auto view = [&](const uint8_t* data) { return ImageView{data, height, width}; };
    for (int j = 0; j < f; ++j) {
      const ImageView truth = view(sharp + j * image);
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
    s.psnr_p = f > 1 ? PsnrP(predicted->rgb.data(), sharp, f, height, width, options.profile,
                             fp_psnr, rv_psnr)
                     : NAN;
    s.reblur_psnr_input =
        f > 1 ? ReblurPsnr(gt.blurred.data(), predicted->rgb.data(), f, height, width, options.profile)
              : NAN;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    s.clip = {nan, nan, nan, nan, nan};
    if (options.clip_metrics) {
      // F = 1 ground truth: the predicted middle frame against it.
      const uint8_t* pred = predicted->rgb.data() + (f == 1 ? (fp / 2) * image : 0);
      s.clip = ScoreClip(ClipView{pred, f, height, width}, ClipView{sharp, f, height, width},
                         options.patch);
    }
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

std::vector<ClipMetric> PerClipMetrics(const ScoreRun& run) {
  const int f = run.spec.frames;
  std::vector<ClipMetric> out;
  auto add = [&](std::string name, std::string label, bool lower, auto value) {
    ClipMetric m{std::move(name), std::move(label), lower, {}};
    m.values.reserve(run.samples.size());
    for (const auto& s : run.samples) m.values.push_back(value(s));
    out.push_back(std::move(m));
  };
  for (int j = 0; j < f; ++j) {
    const std::string pos = PositionName(j, f);
    add("psnr_" + pos, "PSNR " + pos, false, [j](const SampleScore& s) { return CappedPsnr(s.psnr[j]); });
    add("ssim_" + pos, "SSIM " + pos, false, [j](const SampleScore& s) { return s.ssim[j]; });
  }
  if (f > 1) {
    add("psnr_others", "PSNR non-middle", false,
        [](const SampleScore& s) { return NonMiddleMean(s.psnr, true); });
    add("ssim_others", "SSIM non-middle", false,
        [](const SampleScore& s) { return NonMiddleMean(s.ssim, false); });
    add("psnr_p", "PSNR_p", false, [](const SampleScore& s) { return s.psnr_p; });
    add("pwpsnr", "PWPSNR", false, [](const SampleScore& s) { return CappedPsnr(s.clip.pwpsnr); });
    add("psnr_pooled", "pooled PSNR", false,
        [](const SampleScore& s) { return CappedPsnr(s.clip.psnr_pooled); });
    add("reblur_psnr_gt", "re-blur PSNR vs GT", false,
        [](const SampleScore& s) { return CappedPsnr(s.clip.reblur_psnr_gt); });
    add("reblur_psnr_input", "re-blur PSNR vs input", false,
        [](const SampleScore& s) { return CappedPsnr(s.reblur_psnr_input); });
    add("epe_dis", "EPE (DIS)", true, [](const SampleScore& s) { return s.clip.epe_dis; });
  }
  add("patch_ssim", "patch SSIM", false, [](const SampleScore& s) { return s.clip.patch_ssim; });
  return out;
}


MethodSummary Summarize(const ScoreRun& run) {
  MethodSummary m;
  m.method = run.method;
  m.samples = static_cast<int64_t>(run.samples.size());
  m.missing = static_cast<int64_t>(run.missing.size());
  m.model_info = run.model_info;
  for (const auto& s : run.samples) {
    for (double p : s.psnr) m.capped += std::isinf(p) ? 1 : 0;
    if (s.psnr_reversed) ++m.reversed;
  }
  // Every mean is the mean over clips of PerClipMetrics' values (NaN where a metric is not
  // defined for the test set, e.g. the clip metrics for F = 1), so each mean and its interval
  // come from the same numbers.
  const std::vector<ClipMetric> metrics = PerClipMetrics(run);
  std::map<std::string, double> mean;
  for (const ClipMetric& c : metrics) mean[c.name] = MeanOf(c.values);
  auto get = [&](const std::string& name) {
    auto it = mean.find(name);
    return it == mean.end() ? NAN : it->second;
  };
  const int f = run.spec.frames;
  for (int j = 0; j < f; ++j) {
    const std::string pos = PositionName(j, f);
    m.positions.push_back({pos, get("psnr_" + pos), get("ssim_" + pos)});
  }
  m.psnr_middle = get("psnr_middle");
  m.ssim_middle = get("ssim_middle");
  m.psnr_others = get("psnr_others");
  m.ssim_others = get("ssim_others");
  m.reblur_psnr_input = get("reblur_psnr_input");
  m.psnr_p = get("psnr_p");
  m.pwpsnr = get("pwpsnr");
  m.psnr_pooled = get("psnr_pooled");
  m.reblur_psnr_gt = get("reblur_psnr_gt");
  m.epe_dis = get("epe_dis");
  m.patch_ssim = get("patch_ssim");
  if (run.samples.empty()) return m;
  std::vector<const std::vector<double>*> values;
  for (const ClipMetric& c : metrics) values.push_back(&c.values);
  const std::vector<Interval> ci = Bootstrap(m.samples).MeanIntervals(values);
  for (size_t k = 0; k < metrics.size(); ++k) m.ci[metrics[k].name] = ci[k];
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
  std::vector<std::vector<double>> all(bins), ssim(bins);  // every position of every clip
  std::vector<std::vector<double>> clip_mid(bins), clip_others(bins);  // one value per clip
  const int f = run.spec.frames;
  for (const auto& s : run.samples) {
    int b = width > 0 ? static_cast<int>((s.magnitude - lo) / width) : 0;
    b = std::clamp(b, 0, bins - 1);
    out[b].count++;
    clip_mid[b].push_back(CappedPsnr(s.psnr[f / 2]));
    clip_others[b].push_back(NonMiddleMean(s.psnr, true));
    for (int j = 0; j < f; ++j) {
      all[b].push_back(CappedPsnr(s.psnr[j]));
      ssim[b].push_back(s.ssim[j]);
    }
  }
  for (int b = 0; b < bins; ++b) {
    out[b].psnr_middle = MeanOf(clip_mid[b]);
    out[b].psnr_others = MeanOf(clip_others[b]);
    out[b].psnr_all = MeanOf(all[b]);
    out[b].ssim_all = MeanOf(ssim[b]);
    out[b].psnr_middle_ci = out[b].psnr_others_ci = {NAN, NAN};
    if (out[b].count >= kMinClipsForBinInterval) {
      const auto ci = Bootstrap(out[b].count).MeanIntervals({&clip_mid[b], &clip_others[b]});
      out[b].psnr_middle_ci = ci[0];
      out[b].psnr_others_ci = ci[1];
    }
  }
  return out;
}

PairedComparison ComparePaired(const ScoreRun& a, const ScoreRun& b) {
  if (a.spec.frames != b.spec.frames) {
    throw InputError(Msg() << "compare: '" << a.method << "' and '" << b.method
                           << "' were scored on test sets with different frame counts");
  }
  PairedComparison out;
  out.clips_a = static_cast<int64_t>(a.samples.size());
  out.clips_b = static_cast<int64_t>(b.samples.size());
  // The clips both scored, in the ground truth's order.
  std::map<std::string, size_t> in_b;
  for (size_t k = 0; k < b.samples.size(); ++k) in_b[b.samples[k].id] = k;
  std::vector<size_t> pick_a, pick_b;
  for (size_t k = 0; k < a.samples.size(); ++k) {
    auto it = in_b.find(a.samples[k].id);
    if (it == in_b.end()) continue;
    pick_a.push_back(k);
    pick_b.push_back(it->second);
  }
  out.shared = static_cast<int64_t>(pick_a.size());
  if (pick_a.empty()) {
    throw InputError(Msg() << "compare: '" << a.method << "' and '" << b.method
                           << "' have no scored sample in common");
  }
  const auto ma = PerClipMetrics(a), mb = PerClipMetrics(b);
  // Per metric, A, B and B - A over the same clips: those both scored where both have a value.
  std::vector<std::vector<double>> diffs;
  for (size_t m = 0; m < ma.size(); ++m) {
    PairedDifference d;
    d.name = ma[m].name;
    d.label = ma[m].label;
    d.lower_is_better = ma[m].lower_is_better;
    std::vector<double> va, vb, diff(pick_a.size(), NAN);
    double wins = 0;
    for (size_t k = 0; k < pick_a.size(); ++k) {
      const double x = ma[m].values[pick_a[k]], y = mb[m].values[pick_b[k]];
      if (std::isnan(x) || std::isnan(y)) continue;
      va.push_back(x);
      vb.push_back(y);
      diff[k] = y - x;
      const bool better = d.lower_is_better ? y < x : y > x;
      wins += better ? 1.0 : (y == x ? 0.5 : 0.0);
    }
    d.clips = static_cast<int64_t>(va.size());
    d.left_out = out.shared - d.clips;
    if (d.clips == 0) continue;  // not defined on this test set (e.g. EPE for F = 1)
    d.mean_a = MeanOf(va);
    d.mean_b = MeanOf(vb);
    d.difference = MeanOf(diff);
    d.b_wins = wins / d.clips;
    out.metrics.push_back(d);
    diffs.push_back(std::move(diff));
  }
  // The shared clips are resampled, the same draws for every metric; a metric's clips without
  // both values are left out of each resample's mean.
  std::vector<const std::vector<double>*> values;
  for (const auto& diff : diffs) values.push_back(&diff);
  const std::vector<Interval> ci = Bootstrap(out.shared).MeanIntervals(values);
  for (size_t k = 0; k < out.metrics.size(); ++k) out.metrics[k].ci = ci[k];
  return out;
}

}  // namespace blurkit::bench
