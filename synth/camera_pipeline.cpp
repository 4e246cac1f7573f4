#include "blurkit/synth/camera_pipeline.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "blurkit/core/error.h"

namespace blurkit::synth {
namespace {

// Linear sRGB (D65) -> CIE XYZ, IEC 61966-2-1 (the values MATLAB's rgb2xyz uses, as RSBlur's
// mat_collections/M_lin2xyz.mat holds them).
const cv::Matx33d kXyzFromRgb(0.4124564391, 0.3575760776, 0.1804374833,  //
                              0.2126728514, 0.7151521553, 0.0721749933,  //
                              0.0193338956, 0.1191920259, 0.9503040785);
// The Sony a7R III's XYZ -> camera RGB as RSBlur calibrated it (mat_collections/a7r3_xyz2cam.mat,
// "final_xyz2cam"); it maps D65 white to camera (1, 1, 1).
const cv::Matx33d kXyz2CamA7r3(1.6954175654, -0.4716018439, -0.1284329873,  //
                               -0.4883823389, 1.2130305898, 0.2306716125,   //
                               -0.1267231946, 0.2135024215, 0.8329529617);

struct Preset {
  const char* name;
  bool isp;
  double beta1, beta2;
  double saturation_lo, saturation_hi;
  int jpeg_lo, jpeg_hi;
};
// rsblur: RSBlur's full pipeline with the noise it calibrated for its own camera (README and
// dataset_RealisticDeblur.py, "bsd : 2.3282e-05, my : 0.0001" and "my : 9.1504e-04").
// realblur-j: the same with RealBlur's a7R III noise (beta1 = 8.8915e-5, beta2 = 2.9430e-5, the
// values RSBlur's code uses for RealBlur) and camera JPEG: RealBlur-J holds the a7R III's own JPEGs,
// whose quality the dataset does not state; 90-98 spans cameras' fine and extra-fine settings.
const Preset kPresets[] = {
    {"none", false, 0, 0, 0, 0, 0, 0},
    {"rsblur", true, 1e-4, 9.1504e-4, 0.25, 1.75, 0, 0},
    {"realblur-j", true, 8.8915e-5, 2.9430e-5, 0.25, 1.75, 90, 98},
};

bool Contains(const std::vector<std::string>& set, const char* name) {
  return std::find(set.begin(), set.end(), name) != set.end();
}

cv::Matx33d ReadMatrix(const std::string& spec) {
  if (spec == "a7r3") return kXyz2CamA7r3;
  std::ifstream in(spec);
  if (!in) {
    throw MissingInputError(Msg() << "--camera-matrix '" << spec
                                  << "': not a7r3 and not a readable file of 9 numbers (xyz2cam, row-major)");
  }
  std::vector<double> v;
  std::string token;
  while (in >> token) {
    for (char& c : token) {
      if (c == ',' || c == ';') c = ' ';
    }
    std::istringstream cells(token);
    std::string cell;
    while (cells >> cell) {
      char* end = nullptr;
      const double x = std::strtod(cell.c_str(), &end);
      if (end != cell.c_str() + cell.size() || !std::isfinite(x)) {
        throw InputError(Msg() << spec << ": '" << cell << "' is not a finite number (expected 9 numbers, "
                               << "the xyz2cam matrix row-major)");
      }
      v.push_back(x);
    }
  }
  if (v.size() != 9) {
    throw InputError(Msg() << spec << ": " << v.size() << " numbers, expected 9 (the xyz2cam matrix row-major)");
  }
  const cv::Matx33d m(v.data());
  if (!(std::abs(cv::determinant(m)) > 1e-6)) {
    throw InputError(Msg() << spec << ": the matrix is singular (determinant " << cv::determinant(m) << ")");
  }
  return m;
}

BayerPattern ParsePattern(const std::string& s) {
  if (s == "rggb") return BayerPattern::kRggb;
  if (s == "bggr") return BayerPattern::kBggr;
  if (s == "grbg") return BayerPattern::kGrbg;
  if (s == "gbrg") return BayerPattern::kGbrg;
  throw InputError(Msg() << "--bayer must be rggb, bggr, grbg, gbrg or random, got '" << s << "'");
}

// Malvar-He-Cutler's filters (IEEE ICASSP 2004, figure 2), /8.
cv::Mat Kernel(std::initializer_list<float> v) {
  cv::Mat k(5, 5, CV_32F);
  std::copy(v.begin(), v.end(), k.ptr<float>());
  return k / 8.0f;
}
const cv::Mat& GreenAtRedOrBlue() {
  static const cv::Mat k = Kernel({0, 0, -1, 0, 0, 0, 0, 2, 0, 0, -1, 2, 4, 2, -1, 0, 0, 2, 0, 0, 0, 0, -1, 0, 0});
  return k;
}
// At a green site: the colour of the site's row (its left and right neighbours).
const cv::Mat& RowColorAtGreen() {
  static const cv::Mat k = Kernel({0, 0, 0.5f, 0, 0, 0, -1, 0, -1, 0, -1, 4, 5, 4, -1, 0, -1, 0, -1, 0, 0, 0, 0.5f, 0, 0});
  return k;
}
// At a green site: the colour of the site's column (its upper and lower neighbours).
const cv::Mat& ColumnColorAtGreen() {
  static const cv::Mat k = Kernel({0, 0, -1, 0, 0, 0, -1, 4, -1, 0, 0.5f, 0, 5, 0, 0.5f, 0, -1, 4, -1, 0, 0, 0, -1, 0, 0});
  return k;
}
// Red at a blue site, blue at a red one.
const cv::Mat& OppositeAtRedOrBlue() {
  static const cv::Mat k = Kernel({0, 0, -1.5f, 0, 0, 0, 2, 0, 2, 0, -1.5f, 0, 6, 0, -1.5f, 0, 2, 0, 2, 0, 0, 0, -1.5f, 0, 0});
  return k;
}

}  // namespace

std::string ToString(BayerPattern p) {
  switch (p) {
    case BayerPattern::kRggb: return "rggb";
    case BayerPattern::kBggr: return "bggr";
    case BayerPattern::kGrbg: return "grbg";
    case BayerPattern::kGbrg: return "gbrg";
  }
  return "?";
}

int BayerColor(BayerPattern p, int row, int col) {
  static const int kColors[4][4] = {{0, 1, 1, 2}, {2, 1, 1, 0}, {1, 0, 2, 1}, {1, 2, 0, 1}};
  return kColors[static_cast<int>(p)][(row & 1) * 2 + (col & 1)];
}

void CameraPipelineOptions::ApplyPreset(const std::vector<std::string>& set) {
  const Preset* p = nullptr;
  for (const auto& q : kPresets) {
    if (preset == q.name) p = &q;
  }
  if (!p) throw InputError(Msg() << "--camera-pipeline must be none, rsblur or realblur-j, got '" << preset << "'");
  if (!Contains(set, "camera-isp")) isp = p->isp;
  if (!Contains(set, "raw-noise")) beta1 = p->beta1, beta2 = p->beta2;
  if (!Contains(set, "saturation")) saturation_lo = p->saturation_lo, saturation_hi = p->saturation_hi;
  if (!Contains(set, "jpeg-quality")) jpeg_quality_lo = p->jpeg_lo, jpeg_quality_hi = p->jpeg_hi;
}

void CameraPipelineOptions::Check() const {
  auto range = [](double lo, double hi, const char* flag, double min) {
    if (!(std::isfinite(lo) && std::isfinite(hi) && lo >= min && hi >= lo)) {
      throw InputError(Msg() << "--" << flag << " must be a range LO:HI with " << min << " <= LO <= HI, got "
                             << lo << ":" << hi);
    }
  };
  range(red_gain_lo, red_gain_hi, "wb-red", 0.1);
  range(blue_gain_lo, blue_gain_hi, "wb-blue", 0.1);
  if (!(red_gain_hi <= 10 && blue_gain_hi <= 10)) throw InputError("--wb-red and --wb-blue gains must be at most 10");
  if (!(std::isfinite(beta1) && std::isfinite(beta2) && beta1 >= 0 && beta2 >= 0 && beta1 <= 1 && beta2 <= 1)) {
    throw InputError(Msg() << "--raw-noise must be two numbers BETA1,BETA2 in [0, 1] (Poisson gain and read-noise "
                           << "standard deviation, in units of the clipping level), got " << beta1 << "," << beta2);
  }
  range(noise_scale_lo, noise_scale_hi, "raw-noise-scale", 0);
  range(saturation_lo, saturation_hi, "saturation", 0);
  if (saturation_hi > 10) throw InputError(Msg() << "--saturation strengths must be at most 10, got " << saturation_hi);
  if (!(jpeg_quality_lo == 0 && jpeg_quality_hi == 0) &&
      !(jpeg_quality_lo >= 1 && jpeg_quality_hi <= 100 && jpeg_quality_lo <= jpeg_quality_hi)) {
    throw InputError(Msg() << "--jpeg-quality must be LO:HI within 1..100 (or 0 for none), got " << jpeg_quality_lo
                           << ":" << jpeg_quality_hi);
  }
  if (bayer != "random") ParsePattern(bayer);
  if (store_raw && !isp) throw InputError("--store-raw needs the camera's processing (--camera-isp, or a preset that has it)");
  if ((beta1 > 0 || beta2 > 0) && !isp) {
    throw InputError("--raw-noise is noise on the sensor's mosaic: it needs --camera-isp (or a preset); for noise "
                     "on RGB use --noise-poisson and --noise-gaussian");
  }
}

nlohmann::json CameraPipelineOptions::ToJson() const {
  nlohmann::json j = {{"preset", preset}, {"isp", isp}};
  if (isp) {
    // The values, not a file's path: the record must not depend on the machine.
    if (color_matrix == "a7r3") {
      j["color_matrix"] = color_matrix;
    } else {
      const cv::Matx33d m = ReadMatrix(color_matrix);
      j["color_matrix"] = std::vector<double>(m.val, m.val + 9);
    }
    j["wb_red"] = {red_gain_lo, red_gain_hi};
    j["wb_blue"] = {blue_gain_lo, blue_gain_hi};
    j["bayer"] = bayer;
    j["raw_noise"] = {beta1, beta2};
    j["raw_noise_scale"] = {noise_scale_lo, noise_scale_hi};
    j["raw_levels"] = {kRawBlackLevel, kRawWhiteLevel};
    j["store_raw"] = store_raw;
  }
  j["saturation"] = {saturation_lo, saturation_hi};
  j["jpeg_quality"] = {jpeg_quality_lo, jpeg_quality_hi};
  return j;
}

nlohmann::json CameraDraws::ToJson(const CameraPipelineOptions& options) const {
  nlohmann::json j = nlohmann::json::object();
  if (options.isp) {
    j["bayer"] = ToString(pattern);
    j["red_gain"] = red_gain;
    j["blue_gain"] = blue_gain;
    j["beta1"] = beta1;
    j["beta2"] = beta2;
  }
  if (options.saturation_hi > 0) j["saturation"] = saturation;
  if (options.jpeg_quality_hi > 0) j["jpeg_quality"] = jpeg_quality;
  return j;
}

CameraPipeline::CameraPipeline(const CameraPipelineOptions& options) : options_(options) {
  options_.Check();
  xyz2cam_ = options_.isp ? ReadMatrix(options_.color_matrix) : kXyz2CamA7r3;
  cam_from_rgb_ = xyz2cam_ * kXyzFromRgb;
  rgb_from_cam_ = cam_from_rgb_.inv();
}

CameraDraws CameraPipeline::Draw(RandomStream& rng) const {
  // One draw per statement, always in this order, whichever steps are on.
  CameraDraws d;
  const uint64_t pattern = rng.UniformInt(4);
  d.pattern = options_.bayer == "random" ? static_cast<BayerPattern>(pattern) : ParsePattern(options_.bayer);
  d.red_gain = rng.Uniform(options_.red_gain_lo, options_.red_gain_hi);
  d.blue_gain = rng.Uniform(options_.blue_gain_lo, options_.blue_gain_hi);
  const double s1 = rng.Uniform(options_.noise_scale_lo, options_.noise_scale_hi);
  const double s2 = rng.Uniform(options_.noise_scale_lo, options_.noise_scale_hi);
  d.beta1 = options_.beta1 * s1;
  d.beta2 = options_.beta2 * s2;
  d.saturation = rng.Uniform(options_.saturation_lo, options_.saturation_hi);
  const uint64_t q = rng.UniformInt(static_cast<uint64_t>(options_.jpeg_quality_hi - options_.jpeg_quality_lo + 1));
  d.jpeg_quality = options_.jpeg_quality_hi > 0 ? options_.jpeg_quality_lo + static_cast<int>(q) : 0;
  if (!options_.isp) d.red_gain = d.blue_gain = 1, d.beta1 = d.beta2 = 0;
  if (!(options_.saturation_hi > 0)) d.saturation = 0;
  return d;
}

void CameraPipeline::AddSaturation(cv::Mat& linear_bgr, const cv::Mat& mask, const CameraDraws& draws) const {
  if (!(draws.saturation > 0)) return;
  BLURKIT_CHECK(linear_bgr.type() == CV_32FC3 && mask.type() == CV_32FC3 && mask.size() == linear_bgr.size());
  const float s = static_cast<float>(draws.saturation);
  for (int y = 0; y < linear_bgr.rows; ++y) {
    float* p = linear_bgr.ptr<float>(y);
    const float* m = mask.ptr<float>(y);
    for (int i = 0; i < linear_bgr.cols * 3; ++i) p[i] = std::min(1.0f, p[i] + s * m[i]);
  }
}

cv::Mat DemosaicMalvar(const cv::Mat& mosaic, BayerPattern pattern) {
  BLURKIT_CHECK(mosaic.type() == CV_32F);
  cv::Mat g_rb, row_g, col_g, opposite;
  const int border = cv::BORDER_REFLECT_101;  // keeps the pattern's parity at the edges
  cv::filter2D(mosaic, g_rb, CV_32F, GreenAtRedOrBlue(), cv::Point(-1, -1), 0, border);
  cv::filter2D(mosaic, row_g, CV_32F, RowColorAtGreen(), cv::Point(-1, -1), 0, border);
  cv::filter2D(mosaic, col_g, CV_32F, ColumnColorAtGreen(), cv::Point(-1, -1), 0, border);
  cv::filter2D(mosaic, opposite, CV_32F, OppositeAtRedOrBlue(), cv::Point(-1, -1), 0, border);
  cv::Mat out(mosaic.size(), CV_32FC3);
  for (int y = 0; y < mosaic.rows; ++y) {
    const float* m = mosaic.ptr<float>(y);
    const float *a = g_rb.ptr<float>(y), *h = row_g.ptr<float>(y), *v = col_g.ptr<float>(y),
                *o = opposite.ptr<float>(y);
    float* bgr = out.ptr<float>(y);
    for (int x = 0; x < mosaic.cols; ++x) {
      float rgb[3];
      const int site = BayerColor(pattern, y, x);
      if (site == 1) {
        rgb[1] = m[x];
        // The colour beside a green site in its row (its left neighbour's).
        const int row_color = BayerColor(pattern, y, x + 1);
        rgb[row_color] = h[x];
        rgb[2 - row_color] = v[x];
      } else {
        rgb[site] = m[x];
        rgb[1] = a[x];
        rgb[2 - site] = o[x];
      }
      bgr[3 * x] = rgb[2];
      bgr[3 * x + 1] = rgb[1];
      bgr[3 * x + 2] = rgb[0];
    }
  }
  return out;
}

void CameraPipeline::Process(cv::Mat& linear_bgr, const CameraDraws& draws, RandomStream& noise,
                             std::vector<uint16_t>* raw) const {
  if (!options_.isp) return;
  BLURKIT_CHECK(linear_bgr.type() == CV_32FC3);
  const int h = linear_bgr.rows, w = linear_bgr.cols;
  const double gain[3] = {draws.red_gain, 1.0, draws.blue_gain};
  const cv::Matx33d& m = cam_from_rgb_;
  const double scale = kRawWhiteLevel - kRawBlackLevel;
  cv::Mat mosaic(h, w, CV_32F);
  if (raw) raw->assign(static_cast<size_t>(h) * w, 0);
  for (int y = 0; y < h; ++y) {
    const float* p = linear_bgr.ptr<float>(y);
    float* out = mosaic.ptr<float>(y);
    for (int x = 0; x < w; ++x) {
      // The sensor clips: linear sRGB in [0, 1].
      const double r = std::clamp<double>(p[3 * x + 2], 0, 1), g = std::clamp<double>(p[3 * x + 1], 0, 1),
                   b = std::clamp<double>(p[3 * x], 0, 1);
      const int c = BayerColor(draws.pattern, y, x);
      double v = (m(c, 0) * r + m(c, 1) * g + m(c, 2) * b) / gain[c];  // camera RGB, white balance undone
      if (draws.beta1 > 0) v = draws.beta1 * static_cast<double>(noise.Poisson(std::max(0.0, v) / draws.beta1));
      if (draws.beta2 > 0) v += draws.beta2 * noise.Normal();
      const double code = std::clamp(std::nearbyint(kRawBlackLevel + v * scale), 0.0, 65535.0);
      if (raw) (*raw)[static_cast<size_t>(y) * w + x] = static_cast<uint16_t>(code);
      out[x] = static_cast<float>((code - kRawBlackLevel) / scale * gain[c]);  // white balance
    }
  }
  const cv::Mat cam = DemosaicMalvar(mosaic, draws.pattern);
  const cv::Matx33d& back = rgb_from_cam_;
  for (int y = 0; y < h; ++y) {
    float* p = linear_bgr.ptr<float>(y);
    const float* q = cam.ptr<float>(y);
    for (int x = 0; x < w; ++x) {
      const double cr = q[3 * x + 2], cg = q[3 * x + 1], cb = q[3 * x];
      for (int k = 0; k < 3; ++k) {
        const bool saturated = p[3 * x + 2 - k] >= kSaturatedLinear;  // a clipped site reads its maximum
        const double v = back(k, 0) * cr + back(k, 1) * cg + back(k, 2) * cb;
        p[3 * x + 2 - k] = saturated ? 1.0f : static_cast<float>(std::clamp(v, 0.0, 1.0));
      }
    }
  }
}

void CameraPipeline::Jpeg(uint8_t* rgb, int height, int width, int quality) {
  if (quality <= 0) return;
  cv::Mat bgr(height, width, CV_8UC3);
  cv::cvtColor(cv::Mat(height, width, CV_8UC3, rgb), bgr, cv::COLOR_RGB2BGR);
  std::vector<uint8_t> bytes;
  if (!cv::imencode(".jpg", bgr, bytes, {cv::IMWRITE_JPEG_QUALITY, quality})) {
    throw IoError(Msg() << "JPEG encoding at quality " << quality << " failed");
  }
  const cv::Mat decoded = cv::imdecode(bytes, cv::IMREAD_COLOR);
  BLURKIT_CHECK(decoded.rows == height && decoded.cols == width);
  cv::Mat out(height, width, CV_8UC3, rgb);
  cv::cvtColor(decoded, out, cv::COLOR_BGR2RGB);
}

}  // namespace blurkit::synth
