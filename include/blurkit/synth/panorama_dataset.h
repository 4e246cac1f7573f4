// Rotational-blur datasets from equirectangular panoramas (Argaw et al. 2021, section 3) or from
// perspective photographs (`blurkit-synth photos`): each sample takes a source, a random camera
// rotation path (slerp, shake or gyro), renders the blurred image and its sharp frames, and records
// the orientations, homographies, path angle and every sub-frame's orientation (the trajectory).
#pragma once

#include "blurkit/synth/shared_cache.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "blurkit/core/shard.h"
#include "blurkit/synth/camera_pipeline.h"
#include "blurkit/synth/events.h"
#include "blurkit/synth/exposure.h"
#include "blurkit/synth/panorama.h"
#include "blurkit/synth/rotation_blur.h"

namespace blurkit::synth {

struct PanoramaSource {
  std::string name;             // file name recorded in the samples (no folders: machine-independent)
  std::filesystem::path path;
  std::string sha256;
  double fov = 0;               // photos: horizontal field of view, degrees (0 = the run's --source-fov)
};

// Sources from command-line inputs: files, folders (their images: .png .jpg .jpeg .webp .exr .hdr
// .tif .tiff, sorted by name; not their subfolders). Throws InputError naming anything that does
// not exist or holds no image; `photos` words it for photographs rather than panoramas.
std::vector<PanoramaSource> PanoramaSourcesFromPaths(const std::vector<std::filesystem::path>& inputs,
                                                     bool photos = false);

struct PanoramaDatasetOptions {
  std::vector<PanoramaSource> sources;
  bool photos = false;            // sources are perspective photos rather than panoramas
  double source_fov = 0;          // photos: horizontal field of view of sources without their own
  int64_t samples = 0;
  uint64_t seed = 0;
  RotationBlurOptions render;
  ExposureOptions exposure;
  CameraPipelineOptions camera;   // the camera's photometry on the blurred image (default: ideal)
  EventOptions events;            // an event camera beside it (default: none; synth/events.h)
  std::string response = "srgb";  // decoding of 8-bit panoramas and encoding of the output
  std::string manifest_sha256;
  int compression = 0;
  int cache_panoramas = 3;        // decoded panoramas (or photos) kept in memory
  int max_draws = 1000;           // photos: draws of a start and path per sample before giving up
  // With render.lens: store the rectified (undistorted) frames instead of the fisheye's, remapped
  // after the camera's pipeline as a user undistorts a camera's images (lens.h). The raw mosaic
  // stays the sensor's.
  bool rectify = false;

  void Check() const;  // throws InputError
  // The parameters recorded in the shards (nothing machine-specific: no paths, no thread counts).
  Json ToJson() const;
  DatasetSpec Spec() const;
};

// Makes samples; thread-safe. Sample i uses source floor(i * P / N), so consecutive samples
// share a source and few sources are in memory at a time. A photo sample draws its initial
// orientation (yaw and pitch anywhere the view fits, roll in --roll-range) and its path until
// every sub-frame lies inside the photo; the redraws come from the sample's own random stream, so
// they are deterministic, and are counted in the statistics.
class PanoramaSampleMaker {
 public:
  explicit PanoramaSampleMaker(PanoramaDatasetOptions options);
  Sample Make(int64_t index) { return Make(index, options_.seed); }
  // Sample `index` of the dataset made with `seed` instead of the options' (all else equal):
  // fresh samples per epoch without reloading the sources (blurkit.synth's epoch seeds).
  Sample Make(int64_t index, uint64_t seed);

  // Statistics of the samples made so far.
  struct Stats {
    int64_t samples = 0;
    int64_t subframes = 0;
    int min_subframes = 0, max_subframes = 0;
    int64_t direct_renders = 0;  // samples whose rotation was too large for one canvas
    double max_magnitude = 0;
    int64_t redraws = 0;         // photos: paths drawn again because they left the photo
    double sum_straightness = 0;  // sum over samples of chord angle / path angle (1 = great circle)
    int64_t events = 0, event_frames = 0;  // with events: their number, and the frames rendered for them
    int64_t coarse_event_intervals = 0;    // intervals left above the events' step rule (frame budget)
  };
  Stats stats() const;

 private:
  struct Loaded {
    std::shared_ptr<const Panorama> panorama;
    std::shared_ptr<const Photo> photo;
  };
  Loaded Get(size_t source);
  Loaded Load(size_t source) const;

  PanoramaDatasetOptions options_;
  CameraResponse response_;
  CameraPipeline camera_;
  SharedLruCache<size_t, Loaded> cache_;  // decoded sources, shared by the threads
  cv::Mat rectify_map_;                   // with options.rectify: FisheyeLens::RectifyMap()
  mutable std::mutex mutex_;              // stats_
  Stats stats_;
};

}  // namespace blurkit::synth
