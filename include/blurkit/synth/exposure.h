// Exposure: how light becomes 8-bit pixels, shared by the panorama and video paths.
//
// Blur is formed in linear light: sub-frames (or video frames) are decoded to linear values through
// the camera response, averaged, scaled by the exposure, clipped at 1 (saturated highlights),
// optionally given Poisson-Gaussian sensor noise, and encoded back through the response.
// The sharp frames take the same path without the averaging and the noise.
//
// Rounding rule (exact, and what the tests check): a linear value x is encoded to the 8-bit code
//   v = floor(255 * f(clamp(x, 0, 1)) + 0.5)
// where f is the response (sRGB: IEC 61966-2-1; gamma g: x^(1/g); linear: x). This is computed
// without pow() per pixel, by comparing x with the 255 linear thresholds f^-1((k + 0.5) / 255),
// evaluated in double precision. For a response table (256 linear values of the codes 0..255,
// e.g. REDS' inverse camera response) the thresholds are the midpoints between neighbouring entries.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "blurkit/core/random.h"

namespace blurkit::synth {

class CameraResponse {
 public:
  static CameraResponse Srgb();
  static CameraResponse Gamma(double gamma);
  static CameraResponse Linear();
  // 256 increasing linear values for the codes 0..255, normalised so that code 255 maps to 1.
  static CameraResponse FromTable(const std::vector<double>& table, const std::string& name);
  // "srgb", "gamma" (2.2), "gamma:<g>", "linear", or a path to a text file of 256 numbers.
  // Throws InputError naming the spec or file.
  static CameraResponse Parse(const std::string& spec);

  float Decode(uint8_t code) const { return decode_[code]; }
  const float* DecodeTable() const { return decode_.data(); }
  uint8_t Encode(float linear) const {
    if (!(linear > 0.0f)) return 0;  // also NaN
    if (linear >= 1.0f) return 255;
    unsigned code = bin_code_[static_cast<unsigned>(linear * kBins)];
    while (code < 255 && linear >= thresholds_[code]) ++code;
    return static_cast<uint8_t>(code);
  }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::array<float, 256> decode_{};
  std::array<float, 255> thresholds_{};  // code v is the number of thresholds <= x
  // Speeds up Encode: the code of the lower end of each of kBins equal bins of [0, 1]; the exact
  // code is then found by stepping up over the few thresholds inside the bin.
  static constexpr int kBins = 1 << 16;
  std::vector<uint8_t> bin_code_;
  void BuildBins();
};

struct ExposureOptions {
  // "auto": HDR sources are scaled so that the log-average luminance of the middle sharp frame
  // becomes `key` (Reinhard et al. 2002); 8-bit sources keep their exposure (scale 1).
  // A number: exposure value in stops, scale = 2^EV (applied to every source).
  std::string exposure = "auto";
  double key = 0.18;
  // A random exposure offset per sample, uniform in [-ev_jitter, ev_jitter] stops.
  double ev_jitter = 0.0;
  // Poisson-Gaussian noise on the blurred image, in linear units of the clipping level (1.0):
  // variance = noise_poisson * x + noise_gaussian^2. 0 switches a term off.
  double noise_poisson = 0.0;
  double noise_gaussian = 0.0;

  void Check() const;  // throws InputError
  nlohmann::json ToJson() const;
};

// The scale that multiplies linear values before clipping, for one sample. `reference` is the
// linear BGR image that auto exposure meters (the middle sharp frame).
double ExposureScale(const ExposureOptions& options, bool hdr_source, const cv::Mat& reference,
                     RandomStream& rng);

// Poisson-Gaussian noise on a linear BGR float image (already scaled), drawn from `rng` pixel by
// pixel in raster order (deterministic).
void AddSensorNoise(cv::Mat& linear_bgr, const ExposureOptions& options, RandomStream& rng);

// Reads an image file into linear BGR float (CV_32FC3): 8-bit PNG/JPEG through `response`, 16-bit
// PNG/TIFF as linear values / 65535, OpenEXR and Radiance .hdr as linear radiance (*hdr = true;
// NaN or infinite values are refused, naming the first; negative ones are clamped to 0). Throws
// InputError naming the file and saying what was expected; `what` names the role ("panorama",
// "photo") in the messages.
cv::Mat DecodeToLinear(const std::filesystem::path& path, const CameraResponse& response,
                       const char* what, bool* hdr);

// scale * linear BGR float -> clipped -> encoded 8-bit RGB, HWC, into `rgb_out` (H*W*3 bytes).
void EncodeToRgb8(const cv::Mat& linear_bgr, double scale, const CameraResponse& response,
                  uint8_t* rgb_out);

}  // namespace blurkit::synth
