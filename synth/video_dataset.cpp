#include "blurkit/synth/video_dataset.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>

#include "blurkit/core/error.h"
#include "blurkit/core/random.h"
#include "blurkit/core/version.h"
#include "blurkit/synth/frame_interpolation.h"

namespace blurkit::synth {
namespace fs = std::filesystem;

ClipWindows WindowsOf(const Clip& clip, const VideoDatasetOptions& options) {
  ClipWindows plan;
  const int64_t n = clip.num_frames;
  const int64_t begin = std::llround(options.range_begin * n);
  const int64_t end = std::llround(options.range_end * n);
  plan.first_offset = begin;
  plan.source_frames = std::max<int64_t>(0, end - begin);
  plan.frames = plan.source_frames > 0 ? (plan.source_frames - 1) * options.interpolate + 1 : 0;
  const int window = options.WindowOf(clip);
  plan.windows = plan.frames >= window ? (plan.frames - window) / options.StrideOf(clip) + 1 : 0;
  return plan;
}

int SharpFrameInWindow(int j, int frames, int window) {
  if (frames == 1) return window / 2;
  return (2 * j * (window - 1) + (frames - 1)) / (2 * (frames - 1));
}

void VideoDatasetOptions::Check() const {
  if (clips.empty()) throw InputError("no video clips given (--input or --manifest)");
  if (window < 1) throw InputError(Msg() << "--window must be positive, got " << window);
  if (stride < 0) throw InputError(Msg() << "--stride must be >= 0 (0 = the window), got " << stride);
  if (frames < 3 || frames % 2 == 0 || frames > window) {
    throw InputError(Msg() << "--frames must be odd, at least 3 and at most --window (" << window
                           << "), got " << frames
                           << " (single-frame pairs: use 'blurkit-synth import-pairs')");
  }
  if (interpolate < 1 || interpolate > 64) {
    throw InputError(Msg() << "--interpolate must be in [1, 64], got " << interpolate);
  }
  if ((crop_width == 0) != (crop_height == 0) || crop_width < 0 || crop_height < 0) {
    throw InputError(Msg() << "--crop must be WxH with both positive, or 'full', got " << crop_width
                           << "x" << crop_height);
  }
  if (crops_per_window < 1) {
    throw InputError(Msg() << "--crops-per-window must be positive, got " << crops_per_window);
  }
  if (crop_width == 0 && crops_per_window != 1) {
    throw InputError("--crops-per-window needs --crop WxH (full frames have one crop per window)");
  }
  if (!(range_begin >= 0 && range_begin < range_end && range_end <= 1)) {
    throw InputError(Msg() << "--clip-range must be B:E with 0 <= B < E <= 1, got " << range_begin
                           << ":" << range_end);
  }
  if (flow_max_side < 16) throw InputError("the flow size must be at least 16 pixels");
  if (cache_windows < 1) throw InputError("the window cache must hold at least one window");
  exposure.Check();
  camera.Check();
  CameraResponse::Parse(response);
  for (const Clip& clip : clips) {
    if (clip.window > 0 && frames > clip.window) {
      throw InputError(Msg() << clip.path.string() << ": scene " << clip.name << " averages "
                             << clip.window << " frames (its manifest window), fewer than --frames "
                             << frames);
    }
    if (crop_width > 0 && (crop_width > clip.width || crop_height > clip.height)) {
      throw InputError(Msg() << clip.path.string() << ": scene " << clip.name << " is "
                             << clip.width << "x" << clip.height << ", smaller than the crop "
                             << crop_width << "x" << crop_height);
    }
    if (crop_width == 0 && (clip.width != clips[0].width || clip.height != clips[0].height)) {
      throw InputError(Msg() << clip.path.string() << ": scene " << clip.name << " is "
                             << clip.width << "x" << clip.height << " but scene " << clips[0].name
                             << " is " << clips[0].width << "x" << clips[0].height
                             << "; full frames need one size (pass --crop WxH)");
    }
    const ClipWindows plan = WindowsOf(clip, *this);
    if (plan.windows == 0) {
      Msg msg;
      msg << clip.path.string() << ": scene " << clip.name << " is too short for the window: ";
      if (plan.source_frames == 0) {
        msg << "--clip-range " << range_begin << ":" << range_end << " leaves no frame of its "
            << clip.num_frames;
      } else {
        msg << "frames " << clip.FrameName(plan.first_offset) << " to "
            << clip.FrameName(plan.first_offset + plan.source_frames - 1) << " are "
            << plan.frames << (interpolate > 1 ? " (interpolated)" : "") << " frames, fewer than "
            << "the window of " << WindowOf(clip);
      }
      throw InputError(msg);
    }
  }
}

Json VideoDatasetOptions::ToJson() const {
  Json source_list = Json::array();
  for (const Clip& c : clips) {
    source_list.push_back({{"name", c.name},
                           {"sha256", c.sha256},
                           {"first_frame", c.first_number},
                           {"frames", c.num_frames},
                           {"size", {c.width, c.height}}});
    if (c.window > 0) source_list.back()["window"] = c.window;
  }
  const CameraResponse r = CameraResponse::Parse(response);
  Json json{{"command", "video"},
            {"seed", seed},
            {"window", window},
            {"stride", Stride()},
            {"frames", frames},
            {"interpolate", interpolate},
            {"crop", crop_width > 0 ? Json{crop_width, crop_height} : Json("full")},
            {"crops_per_window", crops_per_window},
            {"clip_range", {range_begin, range_end}},
            {"response", r.name().rfind("table:", 0) == 0 ? std::string("table") : r.name()},
            {"exposure", exposure.ToJson()},
            {"flow_max_side", flow_max_side},
            {"sources", source_list}};
  if (r.name().rfind("table:", 0) == 0) {
    // The table itself, not its path: the parameters must not depend on the machine.
    json["response_table"] = std::vector<float>(r.DecodeTable(), r.DecodeTable() + 256);
  }
  if (camera.enabled()) json["camera"] = camera.ToJson();  // absent: the ideal camera, as before
  return json;
}

DatasetSpec VideoDatasetOptions::Spec() const {
  DatasetSpec spec;
  spec.kind = DatasetKind::kVideo;
  spec.frames = frames;
  spec.width = crop_width > 0 ? crop_width : (clips.empty() ? 0 : clips[0].width);
  spec.height = crop_height > 0 ? crop_height : (clips.empty() ? 0 : clips[0].height);
  spec.generator = "blurkit-synth " + Version();
  spec.blur_magnitude_unit = "pixels";
  spec.params = ToJson();
  spec.seed = seed;
  spec.manifest_sha256 = manifest_sha256;
  spec.compression = compression;
  spec.raw_mosaic = camera.store_raw;
  return spec;
}

VideoSampleMaker::VideoSampleMaker(VideoDatasetOptions options)
    : options_(std::move(options)),
      response_(CameraResponse::Parse(options_.response)),
      camera_(options_.camera),
      cache_(static_cast<size_t>(std::max(options_.cache_windows, 1))) {
  options_.Check();
  identity_roundtrip_ = true;
  for (int v = 0; v < 256; ++v) {
    identity_roundtrip_ = identity_roundtrip_ && response_.Encode(response_.Decode(v)) == v;
  }
  for (const Clip& clip : options_.clips) {
    plans_.push_back(WindowsOf(clip, options_));
    first_sample_.push_back(total_samples_);
    reopens_seen_.push_back(0);
    total_samples_ += plans_.back().windows * options_.crops_per_window;
    // Enough decoded frames for every window the parallel workers may hold at once.
    const int64_t span = options_.WindowOf(clip) / options_.interpolate + 2;
    readers_.push_back(std::make_unique<ClipReader>(clip, span * options_.cache_windows));
  }
}

VideoWindow VideoSampleMaker::LoadWindow(size_t c, int64_t w) {
  const Clip& clip = options_.clips[c];
  const ClipWindows& plan = plans_[c];
  const int k = options_.interpolate;
  const int64_t first_virtual = w * options_.StrideOf(clip);
  const int64_t last_virtual = first_virtual + options_.WindowOf(clip) - 1;
  const int64_t first_source = first_virtual / k;
  const int64_t last_source = (last_virtual + k - 1) / k;
  BLURKIT_CHECK(last_source < plan.source_frames) << clip.name << " window " << w;
  std::vector<cv::Mat> source =
      readers_[c]->Read(plan.first_offset + first_source, last_source - first_source + 1);
  VideoWindow window;
  int64_t interpolated = 0;
  std::vector<cv::Mat> between;
  int64_t between_of = -1;  // the source interval `between` belongs to
  for (int64_t v = first_virtual; v <= last_virtual; ++v) {
    const int64_t s = v / k, sub = v % k;
    const int64_t number = clip.first_number + plan.first_offset + s;
    window.numbers.push_back(k == 1 ? number : number * k + sub);
    if (sub == 0) {
      window.frames.push_back(source[s - first_source]);
      continue;
    }
    if (between_of != s) {
      between = InterpolateBetween(source[s - first_source], source[s + 1 - first_source], k);
      between_of = s;
    }
    window.frames.push_back(between[sub - 1]);
    ++interpolated;
  }
  const int64_t reopens = readers_[c]->reopens();
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.video_reopens += reopens - reopens_seen_[c];
  reopens_seen_[c] = reopens;
  stats_.windows_decoded++;
  stats_.frames_decoded += static_cast<int64_t>(source.size());
  stats_.frames_interpolated += interpolated;
  return window;
}

std::shared_ptr<const VideoWindow> VideoSampleMaker::Window(size_t clip, int64_t w) {
  // Windows are shared only by the crops of one window, or by overlapping windows' frames (which
  // the video decoder keeps); without crops there is nothing to cache.
  if (options_.crops_per_window == 1) return std::make_shared<VideoWindow>(LoadWindow(clip, w));
  return cache_.Get(std::make_pair(clip, w),
                    [&] { return std::make_shared<const VideoWindow>(LoadWindow(clip, w)); });
}

Sample VideoSampleMaker::Make(int64_t index, uint64_t seed) {
  BLURKIT_CHECK(index >= 0 && index < total_samples_) << index;
  const size_t c = static_cast<size_t>(
      std::upper_bound(first_sample_.begin(), first_sample_.end(), index) - first_sample_.begin() - 1);
  const int64_t local = index - first_sample_[c];
  const int64_t w = local / options_.crops_per_window;
  const Clip& clip = options_.clips[c];

  RandomStream geometry(seed, RandomPurpose::kSampleGeometry, index);
  cv::Rect crop(0, 0, clip.width, clip.height);
  if (options_.crop_width > 0) {
    crop.width = options_.crop_width;
    crop.height = options_.crop_height;
    crop.x = static_cast<int>(geometry.UniformInt(clip.width - crop.width + 1));
    crop.y = static_cast<int>(geometry.UniformInt(clip.height - crop.height + 1));
  }
  const std::shared_ptr<const VideoWindow> window = Window(c, w);
  Sample sample = MakeFromWindow(index, c, *window, crop, geometry, seed);
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.samples++;
  stats_.sum_magnitude += sample.blur_magnitude;
  stats_.max_magnitude = std::max<double>(stats_.max_magnitude, sample.blur_magnitude);
  return sample;
}

Sample VideoSampleMaker::MakeFromWindow(int64_t index, size_t c, const VideoWindow& window,
                                        const cv::Rect& crop, RandomStream& geometry,
                                        uint64_t seed) const {
  const Clip& clip = options_.clips[c];
  const int n = options_.WindowOf(clip), f = options_.frames;
  BLURKIT_CHECK(static_cast<int>(window.frames.size()) == n);
  const int width = crop.width, height = crop.height;

  // The average in linear light (exact rule in the header): float32 sum in frame order, / N.
  const float* decode = response_.DecodeTable();
  cv::Mat linear(height, width, CV_32FC3, cv::Scalar::all(0));
  // The camera pipeline's synthetic highlights: where each frame's channel is at 255, averaged alike.
  const bool saturate = options_.camera.saturation_hi > 0;
  cv::Mat mask = saturate ? cv::Mat(height, width, CV_32FC3, cv::Scalar::all(0)) : cv::Mat();
  for (int j = 0; j < n; ++j) {
    const cv::Mat frame = window.frames[j](crop);
    for (int y = 0; y < height; ++y) {
      const uint8_t* in = frame.ptr<uint8_t>(y);
      float* acc = linear.ptr<float>(y);
      for (int x = 0; x < width * 3; ++x) acc[x] += decode[in[x]];
      if (saturate) {
        float* m = mask.ptr<float>(y);
        for (int x = 0; x < width * 3; ++x) m[x] += in[x] == 255 ? 1.0f : 0.0f;
      }
    }
  }
  const float count = static_cast<float>(n);
  for (int y = 0; y < height; ++y) {
    float* acc = linear.ptr<float>(y);
    for (int x = 0; x < width * 3; ++x) acc[x] = acc[x] / count;
  }
  if (saturate) mask *= 1.0 / n;
  const double scale = ExposureScale(options_.exposure, /*hdr_source=*/false, cv::Mat(), geometry);
  if (scale != 1.0) linear *= scale;
  RandomStream noise(seed, RandomPurpose::kSampleNoise, index);
  Sample sample;
  CameraDraws draws;
  if (camera_.enabled()) {
    RandomStream camera_rng(seed, RandomPurpose::kSampleCamera, index);
    draws = camera_.Draw(camera_rng);
    camera_.AddSaturation(linear, mask, draws);
  }
  AddSensorNoise(linear, options_.exposure, noise);
  if (camera_.options().isp) {
    RandomStream raw_noise(seed, RandomPurpose::kSampleRawNoise, index);
    camera_.Process(linear, draws, raw_noise, options_.camera.store_raw ? &sample.raw : nullptr);
  }

  sample.index = index;
  const int64_t first_number = window.numbers.front();
  char id[64];
  std::snprintf(id, sizeof(id), "%08lld", static_cast<long long>(index));
  sample.id = std::string(id) + "-" + fs::path(clip.name).stem().string() + "-f" +
              std::to_string(first_number);
  if (options_.crops_per_window > 1) {
    sample.id += "-c" + std::to_string(index - (index / options_.crops_per_window) *
                                                   options_.crops_per_window);
  }
  sample.source_file = clip.name;
  sample.source_sha256 = clip.sha256;
  const size_t image = static_cast<size_t>(width) * height * 3;
  sample.blurred.resize(image);
  EncodeToRgb8(linear, 1.0, response_, sample.blurred.data());
  CameraPipeline::Jpeg(sample.blurred.data(), height, width, draws.jpeg_quality);
  if (camera_.enabled()) sample.params = draws.ToJson(options_.camera).dump();
  sample.sharp.resize(image * f);
  for (int j = 0; j < f; ++j) {
    const int t = SharpFrameInWindow(j, f, n);
    const cv::Mat frame = window.frames[t](crop);
    uint8_t* out = sample.sharp.data() + j * image;
    if (scale == 1.0 && identity_roundtrip_) {
      // Encode(Decode(v)) == v for every code: the sharp frame keeps its bytes (BGR -> RGB).
      for (int y = 0; y < height; ++y) {
        const uint8_t* in = frame.ptr<uint8_t>(y);
        uint8_t* o = out + static_cast<size_t>(y) * width * 3;
        for (int x = 0; x < width; ++x, in += 3, o += 3) {
          o[0] = in[2];
          o[1] = in[1];
          o[2] = in[0];
        }
      }
    } else {
      cv::Mat frame_linear(height, width, CV_32FC3);
      for (int y = 0; y < height; ++y) {
        const uint8_t* in = frame.ptr<uint8_t>(y);
        float* o = frame_linear.ptr<float>(y);
        for (int x = 0; x < width * 3; ++x) o[x] = decode[in[x]];
      }
      EncodeToRgb8(frame_linear, scale, response_, out);
    }
    sample.source_frames.push_back(window.numbers[t]);
  }
  sample.blur_magnitude = static_cast<float>(MeanFlowMagnitude(
      window.frames.front()(crop), window.frames.back()(crop), options_.flow_max_side));
  return sample;
}

VideoSampleMaker::Stats VideoSampleMaker::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

}  // namespace blurkit::synth
