#include "blurkit/bench/clip_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

#include "blurkit/core/error.h"
#include "blurkit/core/random.h"

namespace blurkit::bench {
namespace {

void CheckClips(const ClipView& p, const ClipView& g) {
  BLURKIT_CHECK(p.data && g.data && p.frames == g.frames && p.height == g.height &&
                p.width == g.width && p.frames > 0)
      << p.frames << "x" << p.width << "x" << p.height << " vs " << g.frames << "x" << g.width
      << "x" << g.height;
}

size_t Values(const ClipView& c) { return static_cast<size_t>(c.height) * c.width * 3; }

// 10 log10(1 / mse) with peak 1; +inf for mse 0, as the references compute it.
double PsnrOfMse(double mse) {
  return mse > 0 ? 10.0 * std::log10(1.0 / mse) : std::numeric_limits<double>::infinity();
}

// 8-bit grey (cv::COLOR_RGB2GRAY), resized bilinearly to (H/8*8, W/8*8) as blur2vid's EPE resizes.
cv::Mat FlowInput(ImageView frame) {
  cv::Mat rgb(frame.height, frame.width, CV_8UC3, const_cast<uint8_t*>(frame.data)), grey;
  cv::cvtColor(rgb, grey, cv::COLOR_RGB2GRAY);
  const int h = frame.height / 8 * 8, w = frame.width / 8 * 8;
  if (h == 0 || w == 0) {
    throw InputError(Msg() << "EPE (DIS) needs frames of at least 8x8 pixels, got " << frame.width
                           << "x" << frame.height);
  }
  if (h == frame.height && w == frame.width) return grey;
  cv::Mat resized;
  cv::resize(grey, resized, cv::Size(w, h), 0, 0, cv::INTER_LINEAR);
  return resized;
}

cv::Mat Flow(const cv::Mat& from, const cv::Mat& to) {
  // One instance per thread, reused: calc without an initial flow keeps no state between calls.
  thread_local cv::Ptr<cv::DISOpticalFlow> dis =
      cv::DISOpticalFlow::create(cv::DISOpticalFlow::PRESET_MEDIUM);
  cv::Mat flow;
  dis->calc(from, to, flow);
  return flow;
}

}  // namespace

namespace {

// PWPSNR, the pooled PSNR and the re-blur PSNR against the truth in one pass over the clip, with
// buffers kept per thread (the clips of one run have one size). Squared differences of 8-bit
// values are integers: PWPSNR and the pooled PSNR are summed exactly and divided by 255^2 once.
// A value's sum over F frames is at most F * 255^2: int32 up to kInt32Frames frames (half the
// memory traffic of int64 on the clips people score), int64 above, so that no clip length
// overflows it. The re-blur is computed in float, as blur2vid computes it (float32 arrays): its
// error is far below what a PSNR shows.
struct PsnrFamily {
  double pwpsnr = 0, pooled = 0, reblur = 0;
};

constexpr int kInt32Frames = INT32_MAX / (255 * 255);  // 33025

template <typename Sum>
PsnrFamily ComputePsnrFamilyWith(const ClipView& p, const ClipView& g, bool pw, bool pooled,
                                 bool reblur) {
  static const std::vector<float> power = [] {
    std::vector<float> t(256);
    for (int v = 0; v < 256; ++v) t[v] = static_cast<float>(std::pow(v / 255.0, 2.2));
    return t;
  }();
  const size_t n = Values(p);
  const int f = p.frames;
  thread_local std::vector<Sum> forward, reverse;  // at most F * 255^2
  thread_local std::vector<float> bp, bg;
  if (pw) {
    forward.assign(n, 0);
    reverse.assign(n, 0);
  }
  if (reblur) {
    bp.assign(n, 0.0f);
    bg.assign(n, 0.0f);
  }
  int64_t pooled_fw = 0, pooled_rv = 0;
  for (int k = 0; k < f; ++k) {
    const uint8_t* gk = g.Frame(k).data;
    const uint8_t* pk = p.Frame(k).data;
    const uint8_t* rk = p.Frame(f - 1 - k).data;
    if (pw || pooled) {
      int64_t fw_sum = 0, rv_sum = 0;  // one frame: at most 255^2 * H * W * 3
      Sum* fw = pw ? forward.data() : nullptr;
      Sum* rv = pw ? reverse.data() : nullptr;
      for (size_t i = 0; i < n; ++i) {
        const int32_t a = int32_t(pk[i]) - gk[i], b = int32_t(rk[i]) - gk[i];
        const int32_t aa = a * a, bb = b * b;
        fw_sum += aa;
        rv_sum += bb;
        if (fw) {
          fw[i] += aa;
          rv[i] += bb;
        }
      }
      pooled_fw += fw_sum;
      pooled_rv += rv_sum;
    }
    if (reblur) {
      float* sp = bp.data();
      float* sg = bg.data();
      for (size_t i = 0; i < n; ++i) {
        sp[i] += power[pk[i]];
        sg[i] += power[gk[i]];
      }
    }
  }
  PsnrFamily out;
  const double scale = 255.0 * 255.0 * f * double(n);
  if (pw) {
    int64_t sum = 0;
    for (size_t i = 0; i < n; ++i) sum += std::min(forward[i], reverse[i]);
    out.pwpsnr = PsnrOfMse(double(sum) / scale);
  }
  if (pooled) out.pooled = PsnrOfMse(double(std::min(pooled_fw, pooled_rv)) / scale);
  if (reblur) {
    const float inverse = 1.0f / f, exponent = 1.0f / 2.2f;
    double sum = 0;
    for (size_t i = 0; i < n; ++i) {
      if (bp[i] == bg[i]) continue;  // equal sums re-blur to equal values
      const double d = double(std::pow(bp[i] * inverse, exponent)) - std::pow(bg[i] * inverse, exponent);
      sum += d * d;
    }
    out.reblur = PsnrOfMse(sum / n);
  }
  return out;
}

PsnrFamily ComputePsnrFamily(const ClipView& p, const ClipView& g, bool pw, bool pooled,
                             bool reblur) {
  CheckClips(p, g);
  return p.frames <= kInt32Frames ? ComputePsnrFamilyWith<int32_t>(p, g, pw, pooled, reblur)
                                  : ComputePsnrFamilyWith<int64_t>(p, g, pw, pooled, reblur);
}

}  // namespace

double Pwpsnr(const ClipView& p, const ClipView& g) { return ComputePsnrFamily(p, g, true, false, false).pwpsnr; }
double PooledPsnr(const ClipView& p, const ClipView& g) { return ComputePsnrFamily(p, g, false, true, false).pooled; }
double ReblurPsnrAgainstTruth(const ClipView& p, const ClipView& g) {
  return ComputePsnrFamily(p, g, false, false, true).reblur;
}

double EpeDis(const ClipView& p, const ClipView& g) {
  CheckClips(p, g);
  const int last = p.frames - 1;
  const cv::Mat p0 = FlowInput(p.Frame(0)), pl = FlowInput(p.Frame(last));
  const cv::Mat g0 = FlowInput(g.Frame(0)), gl = FlowInput(g.Frame(last));
  const cv::Mat fw = Flow(p0, pl), bw = Flow(pl, p0), gt = Flow(g0, gl);
  double sum = 0;
  for (int r = 0; r < gt.rows; ++r) {
    const cv::Vec2f* a = fw.ptr<cv::Vec2f>(r);
    const cv::Vec2f* b = bw.ptr<cv::Vec2f>(r);
    const cv::Vec2f* t = gt.ptr<cv::Vec2f>(r);
    for (int c = 0; c < gt.cols; ++c) {
      const double ax = double(a[c][0]) - t[c][0], ay = double(a[c][1]) - t[c][1];
      const double bx = double(b[c][0]) - t[c][0], by = double(b[c][1]) - t[c][1];
      const double e_fw = std::sqrt(ax * ax + ay * ay), e_bw = std::sqrt(bx * bx + by * by);
      sum += std::min(e_fw, e_bw);
    }
  }
  return sum / (double(gt.rows) * gt.cols);
}

namespace {

constexpr int kSsimWin = 7, kSsimPad = 3;  // scikit-image's default win_size, (win_size - 1) // 2

// Sums of one per-value quantity (x, x^2 or x*y of 8-bit values, per channel) over 7x7 windows,
// streamed down the frame: each image row is summed across (each value with the 6 to its right in
// its channel), and a running sum keeps the last 7 such rows. After image row r, `down` holds
// the sums of the windows whose top row is r - 6 (centred on pixel row r - 3), for every window
// column. Integers throughout: exact.
class WindowStream {
 public:
  explicit WindowStream(int width)
      : width_(width), row_values_(static_cast<size_t>(width - kSsimWin + 1) * 3) {
    ring_.assign(static_cast<size_t>(kSsimWin) * row_values_, 0);
    down_.assign(row_values_, 0);
    values_.resize(static_cast<size_t>(width) * 3);
  }
  template <typename Value>
  void AddRow(int r, Value value) {
    const size_t base = static_cast<size_t>(r) * width_ * 3;
    for (size_t j = 0; j < values_.size(); ++j) values_[j] = value(base + j);
    int32_t* slot = ring_.data() + (r % kSsimWin) * row_values_;
    const int32_t* v = values_.data();
    int32_t* d = down_.data();
    for (size_t j = 0; j < row_values_; ++j) {
      const int32_t across = v[j] + v[j + 3] + v[j + 6] + v[j + 9] + v[j + 12] + v[j + 15] + v[j + 18];
      d[j] += across - slot[j];
      slot[j] = across;
    }
  }
  const int32_t* down() const { return down_.data(); }

 private:
  int width_;
  size_t row_values_;
  std::vector<int32_t> ring_, down_, values_;
};

}  // namespace

double PatchSsim(const ClipView& p, const ClipView& g, int patch) {
  CheckClips(p, g);
  if (patch < kSsimWin) {
    throw InputError(Msg() << "--patch must be at least " << kSsimWin << ", got " << patch);
  }
  const int tiles_y = g.height / patch, tiles_x = g.width / patch;
  if (tiles_y == 0 || tiles_x == 0) {
    throw InputError(Msg() << "patch SSIM: no whole " << patch << "x" << patch << " tile fits a "
                           << g.width << "x" << g.height << " frame (choose a smaller --patch)");
  }
  const int tiles = tiles_y * tiles_x, f = p.frames, w = g.width;
  // With N = 49 values of a window and sums S: mean = S / N, sample variance and covariance
  // (N S_xy - S_x S_y) / (N (N - 1)), in units of 1/255. The numerators are exact integers
  // (N S_xx - S_x^2 < 2^31); the ratio is formed in float, as scikit-image does on blur2vid's
  // float32 frames.
  constexpr int kN = kSsimWin * kSsimWin;
  constexpr float kMean = 1.0f / (255.0f * kN), kCov = 1.0f / (255.0f * 255.0f * kN * (kN - 1));
  constexpr float kC1 = 0.01f * 0.01f, kC2 = 0.03f * 0.03f;  // K1, K2 with data range 1
  const int inner = patch - 2 * kSsimPad;  // window positions per tile side
  // The pairs scored: (predicted frame, ground-truth frame, order), the middle frame once for both.
  struct Pair {
    int a, k;
    bool forward, reverse;
  };
  std::vector<Pair> pairs;
  for (int k = 0; k < f; ++k) {
    pairs.push_back({k, k, true, f - 1 - k == k});
    if (f - 1 - k != k) pairs.push_back({f - 1 - k, k, false, true});
  }
  std::vector<WindowStream> px, pxx, gy, gyy, xy;
  for (int k = 0; k < f; ++k) {
    px.emplace_back(w);
    pxx.emplace_back(w);
    gy.emplace_back(w);
    gyy.emplace_back(w);
  }
  for (size_t q = 0; q < pairs.size(); ++q) xy.emplace_back(w);
  std::vector<double> forward(tiles, 0.0), reverse(tiles, 0.0);
  const int n = ((tiles_x - 1) * patch + inner) * 3;  // to the last tile's last window
  std::vector<float> ssim(n);
  for (int r = 0; r < tiles_y * patch; ++r) {
    for (int k = 0; k < f; ++k) {
      const uint8_t* x = p.Frame(k).data;
      const uint8_t* y = g.Frame(k).data;
      px[k].AddRow(r, [x](size_t i) { return int32_t(x[i]); });
      pxx[k].AddRow(r, [x](size_t i) { return int32_t(x[i]) * x[i]; });
      gy[k].AddRow(r, [y](size_t i) { return int32_t(y[i]); });
      gyy[k].AddRow(r, [y](size_t i) { return int32_t(y[i]) * y[i]; });
    }
    for (size_t q = 0; q < pairs.size(); ++q) {
      const uint8_t* x = p.Frame(pairs[q].a).data;
      const uint8_t* y = g.Frame(pairs[q].k).data;
      xy[q].AddRow(r, [x, y](size_t i) { return int32_t(x[i]) * y[i]; });
    }
    const int top = r - (kSsimWin - 1);  // the window row now complete
    if (top < 0 || top % patch >= inner) continue;
    const int ty = top / patch;
    for (size_t q = 0; q < pairs.size(); ++q) {
      const int32_t* ax = px[pairs[q].a].down();
      const int32_t* axx = pxx[pairs[q].a].down();
      const int32_t* ay = gy[pairs[q].k].down();
      const int32_t* ayy = gyy[pairs[q].k].down();
      const int32_t* axy = xy[q].down();
      for (int i = 0; i < n; ++i) {
        const float ux = float(ax[i]) * kMean, uy = float(ay[i]) * kMean;
        const float vx = float(kN * axx[i] - ax[i] * ax[i]) * kCov;
        const float vy = float(kN * ayy[i] - ay[i] * ay[i]) * kCov;
        const float vxy = float(kN * axy[i] - ax[i] * ay[i]) * kCov;
        ssim[i] = (2 * ux * uy + kC1) * (2 * vxy + kC2) / ((ux * ux + uy * uy + kC1) * (vx + vy + kC2));
      }
      for (int tx = 0; tx < tiles_x; ++tx) {
        double sum = 0;
        for (int i = tx * patch * 3, end = (tx * patch + inner) * 3; i < end; ++i) sum += ssim[i];
        sum /= 3.0 * inner * inner;
        if (pairs[q].forward) forward[ty * tiles_x + tx] += sum;
        if (pairs[q].reverse) reverse[ty * tiles_x + tx] += sum;
      }
    }
  }
  // Per tile, the mean over frames in each order, then the better order (blur2vid keeps the tile
  // axes until it picks the order), then the mean over tiles.
  double sum = 0;
  for (int t = 0; t < tiles; ++t) sum += std::max(forward[t], reverse[t]) / f;
  return sum / tiles;
}

ClipScores ScoreClip(const ClipView& p, const ClipView& g, int patch) {
  ClipScores s;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const bool clip = p.frames > 1;
  const PsnrFamily family = clip ? ComputePsnrFamily(p, g, true, true, true) : PsnrFamily{nan, nan, nan};
  s.pwpsnr = family.pwpsnr;
  s.psnr_pooled = family.pooled;
  s.reblur_psnr_gt = family.reblur;
  s.epe_dis = clip && g.height >= 8 && g.width >= 8 ? EpeDis(p, g) : nan;
  s.patch_ssim = g.height >= patch && g.width >= patch ? PatchSsim(p, g, patch) : nan;
  return s;
}

std::vector<uint8_t> HalveFrames(const uint8_t* rgb, int frames, int height, int width) {
  const int h = height / 2, w = width / 2;
  std::vector<uint8_t> out(static_cast<size_t>(frames) * h * w * 3);
  for (int k = 0; k < frames; ++k) {
    const cv::Mat in(height, width, CV_8UC3,
                     const_cast<uint8_t*>(rgb + static_cast<size_t>(k) * height * width * 3));
    cv::Mat half(h, w, CV_8UC3, out.data() + static_cast<size_t>(k) * h * w * 3);
    cv::resize(in, half, cv::Size(w, h), 0, 0, cv::INTER_AREA);
  }
  return out;
}

Bootstrap::Bootstrap(int64_t clips, int resamples, uint64_t seed)
    : clips_(clips), resamples_(resamples), seed_(seed) {
  BLURKIT_CHECK(clips > 0 && resamples > 0);
}

Interval Bootstrap::MeanInterval(const std::vector<double>& values) const {
  return MeanIntervals({&values}).front();
}

std::vector<Interval> Bootstrap::MeanIntervals(
    const std::vector<const std::vector<double>*>& metrics) const {
  const size_t m = metrics.size();
  for (const auto* values : metrics) {
    BLURKIT_CHECK(static_cast<int64_t>(values->size()) == clips_)
        << values->size() << " vs " << clips_;
  }
  // The draws are made again on every call, one resample at a time, in the order they always had
  // (resample by resample, clip by clip, from one stream): nothing of size resamples x clips is
  // kept, and each metric's resample means are the same as when the draws were stored.
  RandomStream rng(seed_, RandomPurpose::kBootstrap, static_cast<uint64_t>(clips_));
  std::vector<std::vector<double>> means(m);
  for (auto& v : means) v.reserve(resamples_);
  std::vector<double> sum(m);
  std::vector<int64_t> count(m);
  for (int b = 0; b < resamples_; ++b) {
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(count.begin(), count.end(), 0);
    for (int64_t i = 0; i < clips_; ++i) {
      const size_t d = static_cast<size_t>(rng.UniformInt(static_cast<uint64_t>(clips_)));
      for (size_t k = 0; k < m; ++k) {
        const double v = (*metrics[k])[d];
        if (std::isnan(v)) continue;
        sum[k] += v;
        ++count[k];
      }
    }
    for (size_t k = 0; k < m; ++k) {
      if (count[k] > 0) means[k].push_back(sum[k] / count[k]);
    }
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<Interval> out(m, Interval{nan, nan});
  for (size_t k = 0; k < m; ++k) {
    std::vector<double>& v = means[k];
    if (v.empty()) continue;
    std::sort(v.begin(), v.end());
    // numpy.percentile's default (linear interpolation between order statistics).
    auto percentile = [&](double q) {
      const double pos = q * (v.size() - 1);
      const size_t i = static_cast<size_t>(std::floor(pos));
      const size_t j = std::min(i + 1, v.size() - 1);
      return v[i] + (pos - i) * (v[j] - v[i]);
    };
    out[k] = {percentile(0.025), percentile(0.975)};
  }
  return out;
}

}  // namespace blurkit::bench
