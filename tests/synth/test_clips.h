// Clips generated in code for the video tests: a smooth pattern translating by a known amount per
// frame, written as a folder of numbered PNG frames or as a losslessly coded video.
#pragma once

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <string>
#include <vector>

namespace blurkit::synth::testing {

// A smooth colour pattern (sums of sinusoids, periods 20-40 px) shifted right by dx and down by
// dy: pixel (x, y) shows the pattern's point (x - dx, y - dy). 8-bit BGR.
inline cv::Mat PatternFrame(int width, int height, double dx, double dy) {
  cv::Mat frame(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const double u = x - dx, v = y - dy;
      const double a = 0.5 + 0.2 * std::sin(u * 2 * M_PI / 23) + 0.2 * std::sin(v * 2 * M_PI / 31);
      const double b = 0.5 + 0.35 * std::sin((u + v) * 2 * M_PI / 37);
      const double c = 0.5 + 0.35 * std::cos((u - 0.5 * v) * 2 * M_PI / 29);
      frame.at<cv::Vec3b>(y, x) = {cv::saturate_cast<uint8_t>(255 * a), cv::saturate_cast<uint8_t>(255 * b),
                                   cv::saturate_cast<uint8_t>(255 * c)};
    }
  }
  return frame;
}

// A window of a fixed random texture (smoothed noise, seeded: not periodic, unlike PatternFrame,
// so coarse flow levels cannot alias) shifted by whole pixels: pixel (x, y) shows the texture's
// point (x - dx + 64, y - dy + 64). 8-bit BGR; |dx|, |dy| <= 64, size up to 512x512.
inline cv::Mat TextureFrame(int width, int height, int dx, int dy) {
  static const cv::Mat texture = [] {
    cv::Mat t(640, 640, CV_8UC3);
    cv::RNG rng(12345);
    rng.fill(t, cv::RNG::UNIFORM, 0, 256);
    cv::GaussianBlur(t, t, cv::Size(0, 0), 2.5);
    cv::normalize(t, t, 0, 255, cv::NORM_MINMAX);
    return t;
  }();
  return texture(cv::Rect(64 - dx, 64 - dy, width, height)).clone();
}

// `count` frames of the pattern moving (step_x, step_y) pixels per frame.
inline std::vector<cv::Mat> TranslatingClip(int count, int width, int height, double step_x,
                                            double step_y) {
  std::vector<cv::Mat> frames;
  for (int i = 0; i < count; ++i) frames.push_back(PatternFrame(width, height, i * step_x, i * step_y));
  return frames;
}

// Writes frames as <folder>/<number>.png (6 digits), numbers from `first`.
inline void WriteFrameFolder(const std::filesystem::path& folder, const std::vector<cv::Mat>& frames,
                             int first = 0, const std::string& extension = ".png") {
  std::filesystem::create_directories(folder);
  for (size_t i = 0; i < frames.size(); ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "%06d", static_cast<int>(first + i));
    cv::imwrite((folder / (name + extension)).string(), frames[i]);
  }
}

// Writes frames as an FFV1 (lossless) AVI through FFmpeg. Returns false if this OpenCV cannot.
inline bool WriteLosslessVideo(const std::filesystem::path& file, const std::vector<cv::Mat>& frames) {
  cv::VideoWriter writer(file.string(), cv::CAP_FFMPEG, cv::VideoWriter::fourcc('F', 'F', 'V', '1'),
                         25.0, frames.at(0).size());
  if (!writer.isOpened()) return false;
  for (const auto& f : frames) writer.write(f);
  writer.release();
  return true;
}

// A fresh temporary folder per test process and name, removed by the caller's TearDown.
inline std::filesystem::path TempFolder(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("blurkit_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace blurkit::synth::testing
