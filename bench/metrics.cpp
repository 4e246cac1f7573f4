#include "blurkit/bench/metrics.h"

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "blurkit/core/error.h"

namespace blurkit::bench {
namespace {

constexpr int kWindow = 11;       // 2 * int(3.5 * 1.5 + 0.5) + 1, scikit-image's truncate = 3.5
constexpr double kSigma = 1.5;
constexpr double kC1 = (0.01 * 255) * (0.01 * 255);
constexpr double kC2 = (0.03 * 255) * (0.03 * 255);

void CheckSameShape(ImageView a, ImageView b) {
  BLURKIT_CHECK(a.data && b.data && a.height == b.height && a.width == b.width)
      << a.width << "x" << a.height << " vs " << b.width << "x" << b.height;
}

// The planes the metrics see: 3 RGB planes or the Y plane, as float, border-cropped.
std::vector<cv::Mat> Planes(ImageView image, const MetricProfile& profile) {
  const int crop = profile.crop_border;
  if (image.height <= 2 * crop || image.width <= 2 * crop) {
    throw InputError(Msg() << "border crop " << crop << " leaves nothing of a " << image.width
                           << "x" << image.height << " image");
  }
  const cv::Mat rgb(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.data));
  const cv::Mat cropped = rgb(cv::Rect(crop, crop, image.width - 2 * crop, image.height - 2 * crop));
  std::vector<cv::Mat> planes;
  if (profile.channels == MetricProfile::Channels::kRgb) {
    cv::Mat f;
    cropped.convertTo(f, CV_32F);
    cv::split(f, planes);
  } else {
    cv::Mat y(cropped.rows, cropped.cols, CV_32F);
    for (int r = 0; r < cropped.rows; ++r) {
      const uint8_t* p = cropped.ptr<uint8_t>(r);
      float* out = y.ptr<float>(r);
      for (int c = 0; c < cropped.cols; ++c, p += 3) {
        out[c] = static_cast<float>(16.0 + (65.481 * p[0] + 128.553 * p[1] + 24.966 * p[2]) / 255.0);
      }
    }
    planes.push_back(y);
  }
  return planes;
}

double PlaneSsim(const cv::Mat& x, const cv::Mat& y) {
  // Local statistics by separable Gaussian filtering, in double for the variances (they are small
  // differences of large numbers).
  cv::Mat xd, yd;
  x.convertTo(xd, CV_64F);
  y.convertTo(yd, CV_64F);
  const cv::Mat kernel = cv::getGaussianKernel(kWindow, kSigma, CV_64F);
  auto blur = [&](const cv::Mat& in) {
    cv::Mat out;
    cv::sepFilter2D(in, out, CV_64F, kernel, kernel, cv::Point(-1, -1), 0, cv::BORDER_REFLECT);
    return out;
  };
  const cv::Mat ux = blur(xd), uy = blur(yd);
  const cv::Mat uxx = blur(xd.mul(xd)), uyy = blur(yd.mul(yd)), uxy = blur(xd.mul(yd));
  const int pad = (kWindow - 1) / 2;
  double sum = 0;
  int64_t count = 0;
  for (int r = pad; r < x.rows - pad; ++r) {
    const double* pux = ux.ptr<double>(r);
    const double* puy = uy.ptr<double>(r);
    const double* pxx = uxx.ptr<double>(r);
    const double* pyy = uyy.ptr<double>(r);
    const double* pxy = uxy.ptr<double>(r);
    for (int c = pad; c < x.cols - pad; ++c) {
      const double mx = pux[c], my = puy[c];
      const double vx = pxx[c] - mx * mx, vy = pyy[c] - my * my, vxy = pxy[c] - mx * my;
      sum += ((2 * mx * my + kC1) * (2 * vxy + kC2)) / ((mx * mx + my * my + kC1) * (vx + vy + kC2));
      ++count;
    }
  }
  if (count == 0) {
    throw InputError(Msg() << "SSIM needs images of at least " << kWindow << "x" << kWindow
                           << " pixels after the border crop, got " << x.cols << "x" << x.rows);
  }
  return sum / count;
}

}  // namespace

namespace {

double PlanesSsim(const std::vector<cv::Mat>& pa, const std::vector<cv::Mat>& pb) {
  double sum = 0;
  for (size_t k = 0; k < pa.size(); ++k) sum += PlaneSsim(pa[k], pb[k]);
  return sum / pa.size();
}

}  // namespace

double Ssim(ImageView a, ImageView b, const MetricProfile& profile) {
  CheckSameShape(a, b);
  return PlanesSsim(Planes(a, profile), Planes(b, profile));
}

FrameScore ScoreFrame(ImageView a, ImageView b, const MetricProfile& profile) {
  CheckSameShape(a, b);
  const auto pa = Planes(a, profile), pb = Planes(b, profile);
  return {Psnr(a, b, profile), PlanesSsim(pa, pb)};
}

}  // namespace blurkit::bench
