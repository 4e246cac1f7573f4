#include "blurkit/synth/exposure.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "blurkit/core/error.h"

namespace blurkit::synth {
namespace {

double SrgbDecode(double v) {
  return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
}

// Fills the decode table and the encoding thresholds f^-1((k + 0.5) / 255) from f^-1 = decode.
template <typename Decode>
void FillFromCurve(Decode decode, std::array<float, 256>* table, std::array<float, 255>* thresholds) {
  for (int v = 0; v < 256; ++v) (*table)[v] = static_cast<float>(decode(v / 255.0));
  for (int k = 0; k < 255; ++k) (*thresholds)[k] = static_cast<float>(decode((k + 0.5) / 255.0));
}

}  // namespace

CameraResponse CameraResponse::Srgb() {
  CameraResponse r;
  r.name_ = "srgb";
  FillFromCurve(SrgbDecode, &r.decode_, &r.thresholds_);
  r.BuildBins();
  return r;
}

CameraResponse CameraResponse::Gamma(double gamma) {
  if (!(gamma > 0.1 && gamma < 10)) throw InputError(Msg() << "gamma must be in (0.1, 10), got " << gamma);
  CameraResponse r;
  r.name_ = "gamma:" + std::to_string(gamma).substr(0, 4);
  FillFromCurve([gamma](double v) { return std::pow(v, gamma); }, &r.decode_, &r.thresholds_);
  r.BuildBins();
  return r;
}

CameraResponse CameraResponse::Linear() {
  CameraResponse r;
  r.name_ = "linear";
  FillFromCurve([](double v) { return v; }, &r.decode_, &r.thresholds_);
  r.BuildBins();
  return r;
}

CameraResponse CameraResponse::FromTable(const std::vector<double>& table, const std::string& name) {
  if (table.size() != 256) {
    throw InputError(Msg() << name << ": a response table needs 256 values, got " << table.size());
  }
  for (int v = 1; v < 256; ++v) {
    if (!(table[v] > table[v - 1])) {
      throw InputError(Msg() << name << ": response table must increase strictly (entry " << v
                             << ")");
    }
  }
  CameraResponse r;
  r.name_ = "table:" + name;
  const double lo = table[0], hi = table[255];
  for (int v = 0; v < 256; ++v) r.decode_[v] = static_cast<float>((table[v] - lo) / (hi - lo));
  for (int k = 0; k < 255; ++k) {
    r.thresholds_[k] = static_cast<float>(0.5 * (table[k] + table[k + 1] - 2 * lo) / (hi - lo));
  }
  r.BuildBins();
  return r;
}

CameraResponse CameraResponse::Parse(const std::string& spec) {
  if (spec == "srgb") return Srgb();
  if (spec == "linear") return Linear();
  if (spec == "gamma") return Gamma(2.2);
  if (spec.rfind("gamma:", 0) == 0) {
    try {
      return Gamma(std::stod(spec.substr(6)));
    } catch (const std::logic_error&) {
      throw InputError(Msg() << "response '" << spec << "': expected gamma:<number>");
    }
  }
  std::ifstream in(spec);
  if (!in) {
    throw InputError(Msg() << "response '" << spec
                           << "': expected srgb, gamma, gamma:<g>, linear, or a readable file of "
                              "256 numbers");
  }
  std::vector<double> table;
  double value;
  while (in >> value) table.push_back(value);
  if (!in.eof()) throw InputError(Msg() << spec << ": response table holds something not a number");
  return FromTable(table, spec);
}

void CameraResponse::BuildBins() {
  bin_code_.resize(kBins);
  for (int b = 0; b < kBins; ++b) {
    // The smallest float in bin b is the one whose bin index is b; its code is the number of
    // thresholds below or at it, and no value of the bin has a smaller code.
    float lower = static_cast<float>(b) / kBins;
    while (static_cast<unsigned>(lower * kBins) < static_cast<unsigned>(b)) {
      lower = std::nextafter(lower, 2.0f);
    }
    bin_code_[b] = static_cast<uint8_t>(
        std::upper_bound(thresholds_.begin(), thresholds_.end(), lower) - thresholds_.begin());
  }
}

void ExposureOptions::Check() const {
  if (exposure != "auto") {
    try {
      size_t used = 0;
      std::stod(exposure, &used);
      if (used != exposure.size()) throw std::invalid_argument("trailing");
    } catch (const std::logic_error&) {
      throw InputError(Msg() << "--exposure must be 'auto' or a number of stops, got '" << exposure
                             << "'");
    }
  }
  if (!(key > 0 && key < 1)) throw InputError(Msg() << "--key must be in (0, 1), got " << key);
  if (!(ev_jitter >= 0)) throw InputError(Msg() << "--ev-jitter must be >= 0, got " << ev_jitter);
  if (!(noise_poisson >= 0) || !(noise_gaussian >= 0)) {
    throw InputError("noise levels must be >= 0");
  }
}

nlohmann::json ExposureOptions::ToJson() const {
  return {{"exposure", exposure},
          {"key", key},
          {"ev_jitter", ev_jitter},
          {"noise_poisson", noise_poisson},
          {"noise_gaussian", noise_gaussian}};
}

double ExposureScale(const ExposureOptions& options, bool hdr_source, const cv::Mat& reference,
                     RandomStream& rng) {
  double scale = 1.0;
  if (options.exposure == "auto") {
    if (hdr_source) {
      // Log-average luminance (Rec. 709 weights on BGR) of the reference image.
      double sum = 0;
      size_t count = 0;
      for (int y = 0; y < reference.rows; ++y) {
        const float* p = reference.ptr<float>(y);
        for (int x = 0; x < reference.cols; ++x, p += 3) {
          const double lum = 0.0722 * p[0] + 0.7152 * p[1] + 0.2126 * p[2];
          sum += std::log(1e-4 + lum);
          ++count;
        }
      }
      const double log_average = std::exp(sum / std::max<size_t>(count, 1));
      scale = options.key / std::max(log_average, 1e-6);
    }
  } else {
    scale = std::exp2(std::stod(options.exposure));
  }
  if (options.ev_jitter > 0) scale *= std::exp2(rng.Uniform(-options.ev_jitter, options.ev_jitter));
  return scale;
}

void AddSensorNoise(cv::Mat& linear_bgr, const ExposureOptions& options, RandomStream& rng) {
  if (options.noise_poisson <= 0 && options.noise_gaussian <= 0) return;
  BLURKIT_CHECK(linear_bgr.type() == CV_32FC3);
  const double a = options.noise_poisson, sigma = options.noise_gaussian;
  for (int y = 0; y < linear_bgr.rows; ++y) {
    float* p = linear_bgr.ptr<float>(y);
    for (int i = 0; i < linear_bgr.cols * 3; ++i) {
      double x = std::max(0.0, double(p[i]));
      if (a > 0) x = a * static_cast<double>(rng.Poisson(x / a));
      if (sigma > 0) x += sigma * rng.Normal();
      p[i] = static_cast<float>(x);
    }
  }
}

void EncodeToRgb8(const cv::Mat& linear_bgr, double scale, const CameraResponse& response,
                  uint8_t* rgb_out) {
  BLURKIT_CHECK(linear_bgr.type() == CV_32FC3);
  const float s = static_cast<float>(scale);
  for (int y = 0; y < linear_bgr.rows; ++y) {
    const float* p = linear_bgr.ptr<float>(y);
    uint8_t* out = rgb_out + static_cast<size_t>(y) * linear_bgr.cols * 3;
    for (int x = 0; x < linear_bgr.cols; ++x, p += 3, out += 3) {
      out[0] = response.Encode(p[2] * s);
      out[1] = response.Encode(p[1] * s);
      out[2] = response.Encode(p[0] * s);
    }
  }
}

namespace {

// OpenCV reads OpenEXR only when this variable is set before the first read.
void EnableOpenExr() {
  static std::once_flag once;
  std::call_once(once, [] { setenv("OPENCV_IO_ENABLE_OPENEXR", "1", /*overwrite=*/0); });
}

}  // namespace

cv::Mat DecodeToLinear(const std::filesystem::path& path, const CameraResponse& response,
                       const char* what, bool* hdr) {
  EnableOpenExr();
  if (!std::filesystem::exists(path)) {
    throw MissingInputError(Msg() << path.string() << ": " << what << " file does not exist");
  }
  cv::Mat raw = cv::imread(path.string(), cv::IMREAD_UNCHANGED);
  if (raw.empty()) {
    throw InputError(Msg() << path.string()
                           << ": cannot decode the image (corrupt, or not PNG/JPEG/WebP/TIFF/OpenEXR/HDR)");
  }
  if (raw.channels() == 4) cv::cvtColor(raw, raw, cv::COLOR_BGRA2BGR);
  if (raw.channels() == 1) cv::cvtColor(raw, raw, cv::COLOR_GRAY2BGR);
  cv::Mat linear;
  *hdr = false;
  switch (raw.depth()) {
    case CV_8U: {
      linear.create(raw.size(), CV_32FC3);
      const float* lut = response.DecodeTable();
      for (int y = 0; y < raw.rows; ++y) {
        const uint8_t* src = raw.ptr<uint8_t>(y);
        float* dst = linear.ptr<float>(y);
        for (int i = 0; i < raw.cols * 3; ++i) dst[i] = lut[src[i]];
      }
      break;
    }
    case CV_16U:
      raw.convertTo(linear, CV_32FC3, 1.0 / 65535.0);  // 16-bit PNG: taken as linear
      break;
    case CV_32F:
      linear = raw;
      *hdr = true;
      break;
    default:
      throw InputError(Msg() << path.string() << ": unsupported pixel depth");
  }
  if (*hdr) {
    // NaN or infinite radiance would spread through the resampling filters into whole frames:
    // refused, naming the first one, rather than clamped to a guess.
    int64_t bad = 0, first_x = -1, first_y = -1;
    for (int y = 0; y < linear.rows; ++y) {
      const float* row = linear.ptr<float>(y);
      for (int i = 0; i < linear.cols * 3; ++i) {
        if (!std::isfinite(row[i])) {
          if (bad++ == 0) first_x = i / 3, first_y = y;
        }
      }
    }
    if (bad > 0) {
      throw InputError(Msg() << path.string() << ": " << bad
                             << " pixel values are NaN or infinite (the first at x = " << first_x
                             << ", y = " << first_y
                             << "); blurkit refuses them rather than guess: repair the file first");
    }
  }
  cv::max(linear, 0.0, linear);  // negative radiance (some EXR encoders) is clamped
  return linear;
}

}  // namespace blurkit::synth
