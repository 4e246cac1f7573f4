// PSNR and SSIM against scikit-image (Debian's python3-skimage, installed by scripts/setup.sh) on
// the same images: equal to 1e-4.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "blurkit/bench/metrics.h"
#include "blurkit/core/random.h"

namespace blurkit::bench {
namespace {
namespace fs = std::filesystem;

TEST(SkimageParity, PsnrAndSsimEqualScikitImageTo1e4) {
  const fs::path dir = fs::temp_directory_path() / ("blurkit_parity_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  struct Case {
    int h, w;
    double noise;
  };
  const std::vector<Case> cases = {{48, 64, 10}, {77, 100, 30}, {120, 90, 3}};
  std::ofstream script(dir / "ref.py");
  script << "import sys, cv2, numpy as np\n"
            "from skimage.metrics import structural_similarity, peak_signal_noise_ratio\n"
            "for k in range(" << cases.size() << "):\n"
            "    a = cv2.imread(f'" << dir.string() << "/a{k}.png')[:, :, ::-1]\n"
            "    b = cv2.imread(f'" << dir.string() << "/b{k}.png')[:, :, ::-1]\n"
            "    s = structural_similarity(a, b, gaussian_weights=True, sigma=1.5,\n"
            "        use_sample_covariance=False, data_range=255, channel_axis=-1)\n"
            "    p = peak_signal_noise_ratio(a, b, data_range=255)\n"
            "    ya = 16 + (65.481 * a[..., 0] + 128.553 * a[..., 1] + 24.966 * a[..., 2]) / 255\n"
            "    yb = 16 + (65.481 * b[..., 0] + 128.553 * b[..., 1] + 24.966 * b[..., 2]) / 255\n"
            "    sy = structural_similarity(ya, yb, gaussian_weights=True, sigma=1.5,\n"
            "        use_sample_covariance=False, data_range=255)\n"
            "    print(f'{p:.10f} {s:.10f} {sy:.10f}')\n";
  script.close();
  std::vector<cv::Mat> as, bs;
  for (size_t k = 0; k < cases.size(); ++k) {
    cv::Mat a(cases[k].h, cases[k].w, CV_8UC3), noise(a.size(), CV_32FC3), b;
    RandomStream rng(k, RandomPurpose::kSampleGeometry, 0);
    for (int y = 0; y < a.rows; ++y)
      for (int x = 0; x < a.cols; ++x)
        a.at<cv::Vec3b>(y, x) = {uint8_t(128 + 100 * std::sin(x * 0.2)), uint8_t(rng.UniformInt(256)),
                                 uint8_t(x * 2 + y)};
    cv::randn(noise, 0, cases[k].noise);
    a.convertTo(b, CV_32FC3);
    b += noise;
    b.convertTo(b, CV_8UC3);
    cv::imwrite((dir / ("a" + std::to_string(k) + ".png")).string(), a);
    cv::imwrite((dir / ("b" + std::to_string(k) + ".png")).string(), b);
    cv::cvtColor(a, a, cv::COLOR_BGR2RGB);
    cv::cvtColor(b, b, cv::COLOR_BGR2RGB);
    as.push_back(a);
    bs.push_back(b);
  }
  const std::string out = (dir / "ref.txt").string();
  ASSERT_EQ(std::system(("/usr/bin/python3 " + (dir / "ref.py").string() + " > " + out).c_str()), 0)
      << "python3-skimage is needed (scripts/setup.sh installs it)";
  std::ifstream in(out);
  for (size_t k = 0; k < cases.size(); ++k) {
    double psnr, ssim, ssim_y;
    ASSERT_TRUE(in >> psnr >> ssim >> ssim_y);
    const ImageView a{as[k].data, as[k].rows, as[k].cols}, b{bs[k].data, bs[k].rows, bs[k].cols};
    EXPECT_NEAR(Psnr(a, b, {}), psnr, 1e-4) << k;
    EXPECT_NEAR(Ssim(a, b, {}), ssim, 1e-4) << k;
    EXPECT_NEAR(Ssim(a, b, MetricProfile::Parse("y")), ssim_y, 1e-4) << k;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace blurkit::bench
