// Dynamic-blur datasets from high-speed video (Argaw et al. 2021, section 3 "Dynamic motion";
// Nah et al. 2017): N consecutive frames are averaged in linear light into a blurred image, and F
// of them, evenly spaced, are its sharp frames.
//
// Windows. Each clip (after --clip-range) is a sequence of frames; with --interpolate K, K - 1
// frames are inserted between neighbours (frame_interpolation.h), giving (n - 1) K + 1 frames.
// Window w covers frames [w S, w S + N) of that sequence (S = stride, default N), for every w with
// w S + N <= frames: windows = (frames - N) / S + 1; frames after the last full window are unused.
// Sharp frame j (0 <= j < F) is window frame round((j (N - 1)) / (F - 1)), halves rounded up, so
// the first and last frames of the window are always sharp frames, and the middle one is when N
// is odd.
//
// Samples. Sample indices run over clips in order, then windows, then crops: sample i is crop k of
// window w, with k = i mod K_crops. Crop origins are uniform over the frame, drawn from the
// sample's own random stream (seed, kSampleGeometry, i); "full" takes the whole frame.
//
// Averaging (exact rule, what the tests check): with d = the response's decode table (float32,
// exposure.h), a blurred linear value is x = (d[v_0] + d[v_1] + ... + d[v_{N-1}]) / N, summed in
// float32 in frame order and divided in float32; then x is multiplied by the exposure scale (1 for
// 8-bit video unless --exposure sets stops or --ev-jitter is on), given sensor noise if asked, and
// encoded by the exposure module's rule v = floor(255 f(clamp(x, 0, 1)) + 0.5). Sharp frames take
// the same path without averaging and noise: at scale 1 they keep their source bytes exactly.
//
// Blur magnitude: the mean optical-flow magnitude, in source pixels, between the window's first
// and last frame inside the crop (frame_interpolation.h: MeanFlowMagnitude).
#pragma once

#include "blurkit/synth/shared_cache.h"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "blurkit/core/shard.h"
#include "blurkit/synth/camera_pipeline.h"
#include "blurkit/synth/exposure.h"
#include "blurkit/synth/frame_source.h"

namespace blurkit::synth {

struct VideoDatasetOptions {
  std::vector<Clip> clips;
  uint64_t seed = 0;
  int window = 7;             // N: frames averaged into one blurred image (the paper: 7)
  int stride = 0;             // frames between window starts; 0 = N (windows do not overlap)
  int frames = 7;             // F: sharp frames per sample, odd, 3 <= F <= N
  int interpolate = 1;        // K: each source interval is split into K (K - 1 frames inserted)
  int crop_width = 0;         // crop size in pixels; 0 x 0 = full frames
  int crop_height = 0;
  int crops_per_window = 1;   // random crops per window (full frames: 1)
  double range_begin = 0.0;   // use frames [round(b n), round(e n)) of each clip of n frames
  double range_end = 1.0;
  std::string response = "gamma";  // srgb, gamma (2.2), gamma:<g>, linear, or a table file
  ExposureOptions exposure;   // "auto" keeps 8-bit video's exposure (scale 1)
  CameraPipelineOptions camera;  // the camera's photometry on the blurred image (default: ideal)
  int flow_max_side = 160;    // blur magnitude: flow on images downscaled to this longer side
  int cache_windows = 8;      // decoded windows kept (crops sharing them, parallel workers)
  std::string manifest_sha256;
  int compression = 0;

  int Stride() const { return stride > 0 ? stride : window; }
  // A clip's own window (a manifest source's "window") or the run's, and the stride that follows.
  int WindowOf(const Clip& clip) const { return clip.window > 0 ? clip.window : window; }
  int StrideOf(const Clip& clip) const { return stride > 0 ? stride : WindowOf(clip); }
  void Check() const;  // throws InputError naming the clip and frames that do not fit
  // The parameters recorded in the shards (no paths, no thread counts).
  Json ToJson() const;
  DatasetSpec Spec() const;
};

// Where each clip's windows lie. Pure arithmetic, exposed for tests.
struct ClipWindows {
  int64_t first_offset = 0;    // first frame of the clip range (offset from the clip's start)
  int64_t source_frames = 0;   // frames in the range
  int64_t frames = 0;          // after interpolation: (source_frames - 1) K + 1
  int64_t windows = 0;
};
ClipWindows WindowsOf(const Clip& clip, const VideoDatasetOptions& options);
// Window frame of sharp frame j.
int SharpFrameInWindow(int j, int frames, int window);

// The N frames of one window (8-bit BGR, full source size) and their frame numbers: the source
// frame number, or with --interpolate K the position in the K-times denser sequence
// (number K + k for the k-th frame after source frame `number`).
struct VideoWindow {
  std::vector<cv::Mat> frames;
  std::vector<int64_t> numbers;
};

// Makes samples; thread-safe.
class VideoSampleMaker {
 public:
  explicit VideoSampleMaker(VideoDatasetOptions options);
  int64_t num_samples() const { return total_samples_; }
  Sample Make(int64_t index) { return Make(index, options_.seed); }
  // Sample `index` of the dataset made with `seed` instead of the options' (all else equal):
  // fresh samples per epoch without reloading the sources (blurkit.synth's epoch seeds).
  Sample Make(int64_t index, uint64_t seed);
  // Window w of clip c, decoded (and interpolated).
  VideoWindow LoadWindow(size_t clip, int64_t window);
  // The sample of `index` made from a given window and crop rectangle (no decoding).
  Sample MakeFromWindow(int64_t index, size_t clip, const VideoWindow& window, const cv::Rect& crop,
                        RandomStream& geometry, uint64_t seed) const;

  struct Stats {
    int64_t samples = 0;
    int64_t windows_decoded = 0;
    int64_t frames_decoded = 0;
    int64_t frames_interpolated = 0;
    int64_t video_reopens = 0;  // a video reopened to go back (requests far out of order)
    double sum_magnitude = 0, max_magnitude = 0;
  };
  Stats stats() const;
  const VideoDatasetOptions& options() const { return options_; }

 private:
  std::shared_ptr<const VideoWindow> Window(size_t clip, int64_t window);

  VideoDatasetOptions options_;
  CameraResponse response_;
  CameraPipeline camera_;
  bool identity_roundtrip_ = false;  // Encode(Decode(v)) == v for every code v
  std::vector<ClipWindows> plans_;
  std::vector<int64_t> first_sample_;  // per clip
  std::vector<int64_t> reopens_seen_;  // per clip
  int64_t total_samples_ = 0;
  std::vector<std::unique_ptr<ClipReader>> readers_;
  mutable std::mutex mutex_;  // stats_, readers_
  // Decoded windows, shared by the crops of one window across threads.
  SharedLruCache<std::pair<size_t, int64_t>, std::shared_ptr<const VideoWindow>> cache_;
  Stats stats_;
};

}  // namespace blurkit::synth
