#include "blurkit/core/frame_metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "blurkit/core/error.h"

namespace blurkit {

MetricProfile MetricProfile::Parse(const std::string& text) {
  MetricProfile profile;
  std::string channels = text;
  const auto dash = text.find("-crop");
  if (dash != std::string::npos) {
    channels = text.substr(0, dash);
    try {
      size_t used = 0;
      profile.crop_border = std::stoi(text.substr(dash + 5), &used);
      if (used != text.size() - dash - 5) throw std::invalid_argument("trailing");
    } catch (const std::logic_error&) {
      throw InputError(Msg() << "profile '" << text << "': expected e.g. rgb, y or y-crop4");
    }
    if (profile.crop_border < 0) throw InputError(Msg() << "profile '" << text << "': negative crop");
  }
  if (channels == "rgb") {
    profile.channels = Channels::kRgb;
  } else if (channels == "y") {
    profile.channels = Channels::kY;
  } else {
    throw InputError(Msg() << "profile '" << text << "': expected rgb or y, optionally -crop<N>");
  }
  return profile;
}

std::string MetricProfile::Name() const {
  std::string name = channels == Channels::kRgb ? "rgb" : "y";
  if (crop_border > 0) name += "-crop" + std::to_string(crop_border);
  return name;
}

namespace {

inline double Luma(double r, double g, double b) {
  return 16.0 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0;
}

template <typename A>
double PsnrImpl(const A* a, ImageView b, const MetricProfile& profile) {
  const int crop = profile.crop_border;
  if (b.height <= 2 * crop || b.width <= 2 * crop) {
    throw InputError(Msg() << "border crop " << crop << " leaves nothing of a " << b.width << "x"
                           << b.height << " image");
  }
  double squared = 0;
  int64_t count = 0;
  for (int y = crop; y < b.height - crop; ++y) {
    const size_t row = static_cast<size_t>(y) * b.width * 3;
    for (int x = crop; x < b.width - crop; ++x) {
      const A* pa = a + row + 3 * x;
      const uint8_t* pb = b.data + row + 3 * x;
      if (profile.channels == MetricProfile::Channels::kRgb) {
        for (int c = 0; c < 3; ++c) {
          const double d = double(pa[c]) - double(pb[c]);
          squared += d * d;
        }
        count += 3;
      } else {
        const double d = Luma(pa[0], pa[1], pa[2]) - Luma(pb[0], pb[1], pb[2]);
        squared += d * d;
        count += 1;
      }
    }
  }
  const double mse = squared / count;
  if (mse == 0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(255.0 * 255.0 / mse);
}

double Mean(const std::vector<double>& v, bool cap) {
  double sum = 0;
  for (double x : v) sum += cap ? CappedPsnr(x) : x;
  return v.empty() ? 0 : sum / v.size();
}

}  // namespace

double Psnr(ImageView a, ImageView b, const MetricProfile& profile) {
  BLURKIT_CHECK(a.height == b.height && a.width == b.width);
  if (profile.channels != MetricProfile::Channels::kRgb) return PsnrImpl(a.data, b, profile);
  // RGB: exact integer sums of squared differences, row by row (vectorises well).
  const int crop = profile.crop_border;
  if (b.height <= 2 * crop || b.width <= 2 * crop) {
    throw InputError(Msg() << "border crop " << crop << " leaves nothing of a " << b.width << "x"
                           << b.height << " image");
  }
  int64_t squared = 0;
  const int begin = 3 * crop, end = 3 * (b.width - crop);
  for (int y = crop; y < b.height - crop; ++y) {
    const uint8_t* pa = a.data + static_cast<size_t>(y) * b.width * 3;
    const uint8_t* pb = b.data + static_cast<size_t>(y) * b.width * 3;
    // Chunks of 16384 values keep a uint32 partial sum exact (16384 * 255^2 < 2^32).
    for (int chunk = begin; chunk < end; chunk += 16384) {
      const int stop = std::min(end, chunk + 16384);
      uint32_t part = 0;
      for (int k = chunk; k < stop; ++k) {
        const int32_t d = int32_t(pa[k]) - int32_t(pb[k]);
        part += static_cast<uint32_t>(d * d);
      }
      squared += part;
    }
  }
  if (squared == 0) return std::numeric_limits<double>::infinity();
  const double mse = double(squared) / (double(b.height - 2 * crop) * (b.width - 2 * crop) * 3);
  return 10.0 * std::log10(255.0 * 255.0 / mse);
}

double Psnr(const float* a_rgb, ImageView b, const MetricProfile& profile) {
  return PsnrImpl(a_rgb, b, profile);
}

OrderRule ParseOrderRule(const std::string& text) {
  if (text == "best-mean-psnr" || text == "best") return OrderRule::kBestMeanPsnr;
  if (text == "per-metric-max" || text == "max") return OrderRule::kPerMetricMax;
  if (text == "ground-truth" || text == "gt") return OrderRule::kGroundTruth;
  throw InputError(Msg() << "order rule '" << text
                         << "': expected best-mean-psnr, per-metric-max or ground-truth");
}

std::string ToString(OrderRule rule) {
  switch (rule) {
    case OrderRule::kBestMeanPsnr: return "best-mean-psnr";
    case OrderRule::kPerMetricMax: return "per-metric-max";
    case OrderRule::kGroundTruth: return "ground-truth";
  }
  return "?";
}

OrderedScores ApplyOrderRule(const std::vector<double>& forward_psnr,
                             const std::vector<double>& forward_ssim,
                             const std::vector<double>& reverse_psnr,
                             const std::vector<double>& reverse_ssim, OrderRule rule) {
  BLURKIT_CHECK(forward_psnr.size() == reverse_psnr.size() &&
                forward_ssim.size() == reverse_ssim.size());
  OrderedScores out;
  const bool psnr_reverse = Mean(reverse_psnr, true) > Mean(forward_psnr, true);
  switch (rule) {
    case OrderRule::kGroundTruth:
      break;
    case OrderRule::kBestMeanPsnr:
      out.psnr_reversed = out.ssim_reversed = psnr_reverse;
      break;
    case OrderRule::kPerMetricMax:
      out.psnr_reversed = psnr_reverse;
      out.ssim_reversed = Mean(reverse_ssim, false) > Mean(forward_ssim, false);
      break;
  }
  out.psnr = out.psnr_reversed ? reverse_psnr : forward_psnr;
  out.ssim = out.ssim_reversed ? reverse_ssim : forward_ssim;
  return out;
}

}  // namespace blurkit
