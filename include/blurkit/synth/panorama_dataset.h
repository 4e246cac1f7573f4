// Rotational-blur datasets from equirectangular panoramas (Argaw et al. 2021, section 3): each
// sample takes a panorama, a random camera rotation path, renders the blurred image and its sharp
// frames, and records the orientations, homographies and rotation magnitude.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "blurkit/core/shard.h"
#include "blurkit/synth/exposure.h"
#include "blurkit/synth/panorama.h"
#include "blurkit/synth/rotation_blur.h"

namespace blurkit::synth {

struct PanoramaSource {
  std::string name;             // file name recorded in the samples (no folders: machine-independent)
  std::filesystem::path path;
  std::string sha256;
};

// Sources from command-line inputs: files, folders (their images, sorted by name). Throws
// InputError naming anything that does not exist or holds no image.
std::vector<PanoramaSource> PanoramaSourcesFromPaths(const std::vector<std::filesystem::path>& inputs);

struct PanoramaDatasetOptions {
  std::vector<PanoramaSource> sources;
  int64_t samples = 0;
  uint64_t seed = 0;
  RotationBlurOptions render;
  ExposureOptions exposure;
  std::string response = "srgb";  // decoding of 8-bit panoramas and encoding of the output
  std::string manifest_sha256;
  int compression = 0;
  int cache_panoramas = 3;        // decoded panoramas kept in memory

  void Check() const;  // throws InputError
  // The parameters recorded in the shards (nothing machine-specific: no paths, no thread counts).
  Json ToJson() const;
  DatasetSpec Spec() const;
};

// Makes samples; thread-safe. Sample i uses panorama floor(i * P / N), so consecutive samples
// share a panorama and few panoramas are in memory at a time.
class PanoramaSampleMaker {
 public:
  explicit PanoramaSampleMaker(PanoramaDatasetOptions options);
  Sample Make(int64_t index);

  // Statistics of the samples made so far.
  struct Stats {
    int64_t samples = 0;
    int64_t subframes = 0;
    int min_subframes = 0, max_subframes = 0;
    int64_t direct_renders = 0;  // samples whose rotation was too large for one canvas
    double max_magnitude = 0;
  };
  Stats stats() const;

 private:
  std::shared_ptr<const Panorama> Get(size_t source);

  PanoramaDatasetOptions options_;
  CameraResponse response_;
  mutable std::mutex mutex_;
  std::map<size_t, std::shared_ptr<const Panorama>> cache_;
  std::map<size_t, std::shared_ptr<std::once_flag>> loading_;
  std::vector<size_t> recent_;  // least recently used first
  Stats stats_;
};

}  // namespace blurkit::synth
