#include "blurkit/synth/panorama_dataset.h"

#include <algorithm>
#include <cstdio>
#include <opencv2/imgproc.hpp>

#include "blurkit/core/error.h"
#include "blurkit/core/random.h"
#include "blurkit/core/sha256.h"
#include "blurkit/core/version.h"

namespace blurkit::synth {
namespace fs = std::filesystem;

namespace {

bool IsImageFile(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".webp" || ext == ".exr" ||
         ext == ".hdr" || ext == ".tif" || ext == ".tiff";
}

}  // namespace

std::vector<PanoramaSource> PanoramaSourcesFromPaths(const std::vector<fs::path>& inputs, bool photos) {
  std::vector<PanoramaSource> sources;
  for (const auto& input : inputs) {
    if (fs::is_directory(input)) {
      std::vector<fs::path> files;
      for (const auto& entry : fs::directory_iterator(input)) {
        if (entry.is_regular_file() && IsImageFile(entry.path())) files.push_back(entry.path());
      }
      if (files.empty()) {
        throw InputError(Msg() << input.string() << ": the folder holds no "
                               << (photos ? "photo" : "panorama")
                               << " (.png .jpg .jpeg .webp .exr .hdr .tif .tiff; subfolders are "
                                  "not searched)");
      }
      std::sort(files.begin(), files.end());
      for (const auto& f : files) sources.push_back({f.filename().string(), f, ""});
    } else if (fs::exists(input)) {
      sources.push_back({input.filename().string(), input, ""});
    } else {
      throw MissingInputError(Msg() << input.string() << ": input does not exist");
    }
  }
  for (auto& s : sources) s.sha256 = Sha256OfFile(s.path);
  return sources;
}

void PanoramaDatasetOptions::Check() const {
  if (sources.empty()) {
    throw InputError(photos ? "no photos given (--input or --manifest)"
                            : "no panoramas given (--input or --manifest)");
  }
  if (photos) {
    if (source_fov != 0 && !(source_fov > 0 && source_fov < 180)) {
      throw InputError(Msg() << "--source-fov must be in (0, 180) degrees, got " << source_fov);
    }
    for (const auto& s : sources) {
      const double fov = s.fov > 0 ? s.fov : source_fov;
      if (s.fov != 0 && !(s.fov > 0 && s.fov < 180)) {
        throw InputError(Msg() << s.name << ": its field of view must be in (0, 180) degrees, got "
                               << s.fov);
      }
      if (!(fov > 0)) {
        throw InputError(Msg() << s.name << ": the photo's horizontal field of view is unknown: give "
                                             "--source-fov DEG, or a 'fov' for it in the manifest");
      }
    }
    if (max_draws < 1) throw InputError("max_draws must be at least 1");
  }
  if (samples <= 0) throw InputError(Msg() << "--samples must be positive, got " << samples);
  render.Check();
  exposure.Check();
  camera.Check();
  events.Check();
  if (events.enabled && render.path.readout_time > 0) {
    throw InputError("--events works with a global shutter: drop --readout-time");
  }
  if (events.enabled && events.ExposureNs() < render.path.max_subframes) {
    throw InputError(Msg() << "--exposure-time " << events.exposure_time << " s is shorter than a nanosecond per "
                           << "sub-frame (--max-subframes " << render.path.max_subframes
                           << "): events are timed in nanoseconds");
  }
  if (events.enabled && events.shot_noise_rate * events.exposure_time * render.width * render.height > 1e8) {
    throw InputError(Msg() << "--event-shot-noise-rate " << events.shot_noise_rate << " Hz would add more than 1e8 "
                           << "noise events to a " << render.width << "x" << render.height << " sample");
  }
  if (events.enabled && rectify) {
    throw InputError("--events sees through the lens as the frames do: with --events use --lens-frames distorted");
  }
  if (events.enabled && (render.width > 65535 || render.height > 65535)) {
    throw InputError("--events stores pixel coordinates as uint16: --size must be at most 65535");
  }
  CameraResponse::Parse(response);
  if (rectify && !render.lens) throw InputError("--lens-frames rectified needs --lens");
  if (cache_panoramas < 1) throw InputError("the panorama cache must hold at least one panorama");
}

Json PanoramaDatasetOptions::ToJson() const {
  Json source_list = Json::array();
  for (const auto& s : sources) {
    Json entry{{"name", s.name}, {"sha256", s.sha256}};
    if (photos) entry["fov"] = s.fov > 0 ? s.fov : source_fov;
    source_list.push_back(entry);
  }
  const RotationPathOptions& p = render.path;
  Json trajectory{{"kind", ToString(p.trajectory)}};
  if (p.trajectory == TrajectoryKind::kShake) {
    trajectory["gaussian"] = p.shake.gaussian;
    trajectory["centripetal"] = p.shake.centripetal;
    trajectory["big_shakes"] = p.shake.big_shakes;
    trajectory["anxiety"] = p.shake.anxiety;
    trajectory["roll"] = p.shake.roll;
    trajectory["steps"] = p.shake.steps;
    trajectory["fixed"] = p.shake.fixed;
  }
  if (p.trajectory == TrajectoryKind::kGyro) {
    trajectory["gyro"] = {{"name", p.gyro->name()}, {"sha256", p.gyro->sha256()},
                          {"rows", p.gyro->size()}};
    trajectory["exposure_time"] = p.exposure_time;
  }
  Json json{{"command", photos ? "photos" : "panorama"},
              {"samples", samples},
              {"seed", seed},
              {"size", {render.width, render.height}},
              {"fov", render.fov},
              {"frames", render.frames},
              {"max_angle", p.max_angle},
              {"pitch_range", p.pitch_range},
              {"roll_range", p.roll_range},
              {"frames_per_degree", p.frames_per_degree},
              {"max_step_pixels", p.max_step_pixels},
              {"max_subframes", p.max_subframes},
              {"method", render.method == RenderMethod::kCanvas ? "canvas" : "direct"},
              {"canvas_oversample", render.canvas_oversample},
              {"response", response},
              {"exposure", exposure.ToJson()},
              {"trajectory", trajectory},
              {"sources", source_list}};
  if (camera.enabled()) json["camera"] = camera.ToJson();  // absent: the ideal camera, as before
  if (events.enabled) json["events"] = events.ToJson();    // absent: no event camera, as before
  if (p.readout_time > 0) {  // absent: a global shutter, as before
    // (every sample's record holds the readout too: sample_params)
    json["rolling_shutter"] = {{"readout_time", p.readout_time}, {"in_sample_params", true},
                               {"exposure_time", p.exposure_time},
                               {"targets", render.rolling_targets ? "rolling" : "global"}};
  }
  if (render.lens) {  // absent: a pinhole camera of --fov, as before
    json.erase("fov");  // the lens gives the field of view
    json["lens"] = render.lens->lens.ToJson();
    json["lens"]["frames"] = rectify ? "rectified" : "distorted";
  }
  if (photos) {
    json.erase("pitch_range");  // photos draw yaw and pitch anywhere the view fits
    json.erase("method");       // and need no canvas: one homography per sub-frame
    json.erase("canvas_oversample");
    json["max_draws"] = max_draws;
  }
  return json;
}

DatasetSpec PanoramaDatasetOptions::Spec() const {
  DatasetSpec spec;
  spec.kind = DatasetKind::kRotation;
  spec.frames = render.frames;
  spec.height = render.height;
  spec.width = render.width;
  spec.generator = "blurkit-synth " + Version();
  spec.blur_magnitude_unit = "degrees";
  spec.params = ToJson();
  spec.seed = seed;
  spec.manifest_sha256 = manifest_sha256;
  spec.compression = compression;
  spec.raw_mosaic = camera.store_raw;
  spec.events = events.enabled;
  return spec;
}

PanoramaSampleMaker::PanoramaSampleMaker(PanoramaDatasetOptions options)
    : options_(std::move(options)),
      response_(CameraResponse::Parse(options_.response)),
      camera_(options_.camera),
      cache_(static_cast<size_t>(std::max(options_.cache_panoramas, 1))) {
  options_.Check();
  if (options_.rectify) rectify_map_ = options_.render.lens->lens.RectifyMap();
}

PanoramaSampleMaker::Loaded PanoramaSampleMaker::Load(size_t source) const {
  const PanoramaSource& s = options_.sources[source];
  Loaded loaded;
  if (options_.photos) {
    loaded.photo = Photo::Load(s.path, response_, s.fov > 0 ? s.fov : options_.source_fov);
  } else {
    loaded.panorama = Panorama::Load(s.path, response_);
  }
  return loaded;
}

PanoramaSampleMaker::Loaded PanoramaSampleMaker::Get(size_t source) {
  return cache_.Get(source, [&] { return Load(source); });
}

Sample PanoramaSampleMaker::Make(int64_t index, uint64_t seed) {
  const size_t num_sources = options_.sources.size();
  const size_t source = static_cast<size_t>(
      (static_cast<unsigned __int128>(index) * num_sources) / static_cast<uint64_t>(options_.samples));
  const PanoramaSource& src = options_.sources[std::min(source, num_sources - 1)];
  const Loaded loaded = Get(std::min(source, num_sources - 1));

  // The synthetic highlights need each sub-frame's saturated pixels: 8-bit sources only.
  auto WithMask = [&](bool source_hdr) {
    RotationBlurOptions render_options = options_.render;
    render_options.saturation_mask = options_.camera.saturation_hi > 0 && !source_hdr;
    return render_options;
  };
  RandomStream geometry(seed, RandomPurpose::kSampleGeometry, index);
  RotationPath path;
  RotationRender render;
  int64_t redraws = 0;
  bool hdr = false;
  if (loaded.photo) {
    const Photo& photo = *loaded.photo;
    PinholeCamera camera = options_.render.Camera();
    if (const FisheyeLens* lens = options_.render.Lens()) {
      // Start ranges for the pinhole that spans the lens's half-angles across its centre lines
      // (each drawn path is still checked against the lens's border rays).
      const Eigen::Vector3d left = lens->Ray(0, lens->cy), right = lens->Ray(lens->width - 1, lens->cy);
      const Eigen::Vector3d top = lens->Ray(lens->cx, 0), bottom = lens->Ray(lens->cx, lens->height - 1);
      const double tx = std::max(std::abs(left.x()) / left.z(), std::abs(right.x()) / right.z());
      const double ty = std::max(std::abs(top.y()) / top.z(), std::abs(bottom.y()) / bottom.z());
      const bool ahead = left.z() > 0 && right.z() > 0 && top.z() > 0 && bottom.z() > 0;
      camera.cx = ahead ? camera.focal * tx : 1e12;
      camera.cy = ahead ? camera.focal * ty : 1e12;
    }
    double yaw_range = 0, pitch_range = 0;
    photo.StartRanges(camera, &yaw_range, &pitch_range);
    auto too_small = [&](const std::string& why) {
      return InputError(Msg() << src.path.string() << " (sample " << index << "): the photo, "
                              << photo.width() << "x" << photo.height() << " at " << photo.fov()
                              << " degrees, " << why << " a view "
                              << (options_.render.lens ? "through --lens " + options_.render.lens->lens.name
                                                       : "of --fov " + std::to_string(options_.render.fov))
                              << " at --size " << camera.width << "x" << camera.height
                              << (options_.render.lens ? ": use a smaller --max-angle or a wider photo, or check --source-fov"
                                                       : ": use a smaller --fov or --max-angle, or check --source-fov"));
    };
    if (yaw_range <= 0 || pitch_range <= 0) throw too_small("is too small for");
    bool inside = false;
    std::vector<Eigen::Quaterniond> subframes;  // of the path that stays inside
    for (int draw = 0; draw < options_.max_draws && !inside; ++draw) {
      // One draw per statement: the order of function arguments' evaluation is unspecified.
      const double yaw = geometry.Uniform(-yaw_range, yaw_range);
      const double pitch = geometry.Uniform(-pitch_range, pitch_range);
      const double roll =
          geometry.Uniform(-options_.render.path.roll_range, options_.render.path.roll_range);
      const Eigen::Quaterniond start = QuaternionFromEuler(yaw, pitch, roll);
      path = SamplePathFrom(start, options_.render.path, geometry);
      inside = PathInsidePhoto(photo, options_.render, path, &subframes);
      if (!inside) ++redraws;
    }
    if (!inside) {
      throw too_small(Msg() << "kept no camera path of " << options_.max_draws
                            << " draws inside it for");
    }
    render = RenderRotationBlur(photo, WithMask(photo.hdr()), path, &subframes);
    hdr = photo.hdr();
  } else {
    path = SampleRotationPath(options_.render.path, geometry);
    render = RenderRotationBlur(*loaded.panorama, WithMask(loaded.panorama->hdr()), path);
    hdr = loaded.panorama->hdr();
  }

  const int f = options_.render.frames;
  const double scale = ExposureScale(options_.exposure, hdr, render.sharp[f / 2], geometry);
  RandomStream noise(seed, RandomPurpose::kSampleNoise, index);
  cv::Mat blurred = render.blurred * scale;
  Sample sample;
  // The camera's photometry (camera_pipeline.h), from streams of its own: the geometry and the RGB
  // noise draw the same numbers with or without it.
  CameraDraws draws;
  if (camera_.enabled()) {
    RandomStream camera_rng(seed, RandomPurpose::kSampleCamera, index);
    draws = camera_.Draw(camera_rng);
    if (!hdr) camera_.AddSaturation(blurred, render.saturation_mask, draws);
  }
  AddSensorNoise(blurred, options_.exposure, noise);
  if (camera_.options().isp) {
    RandomStream raw_noise(seed, RandomPurpose::kSampleRawNoise, index);
    camera_.Process(blurred, draws, raw_noise, options_.camera.store_raw ? &sample.raw : nullptr);
  }

  sample.index = index;
  char id[64];
  std::snprintf(id, sizeof(id), "%08lld", static_cast<long long>(index));
  sample.id = std::string(id) + "-" + fs::path(src.name).stem().string();
  sample.source_file = src.name;
  sample.source_sha256 = src.sha256;
  sample.blur_magnitude = static_cast<float>(render.magnitude_degrees);
  const size_t image = static_cast<size_t>(options_.render.width) * options_.render.height * 3;
  sample.blurred.resize(image);
  EncodeToRgb8(blurred, 1.0, response_, sample.blurred.data());
  CameraPipeline::Jpeg(sample.blurred.data(), options_.render.height, options_.render.width, draws.jpeg_quality);
  // The sample's own record: the camera's draws, and the lens and readout that made it.
  Json params = Json::object();
  if (camera_.enabled()) {
    params = draws.ToJson(options_.camera);
    if (hdr) params["saturation"] = 0.0;  // HDR sources saturate by their own exposure
  }
  if (options_.render.lens) {
    params["lens"] = options_.render.lens->lens.ToJson();
    params["lens"]["frames"] = options_.rectify ? "rectified" : "distorted";
  }
  if (options_.render.path.readout_time > 0) {
    params["readout_time"] = options_.render.path.readout_time;
    params["exposure_time"] = options_.render.path.exposure_time;
  }
  if (!params.empty()) sample.params = params.dump();
  sample.sharp.resize(image * f);
  for (int j = 0; j < f; ++j) {
    EncodeToRgb8(render.sharp[j], scale, response_, sample.sharp.data() + j * image);
    const Eigen::Quaterniond& q = render.orientations[j];
    sample.orientation.insert(sample.orientation.end(), {q.w(), q.x(), q.y(), q.z()});
    const Eigen::Matrix3d& h = render.homographies[j];
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) sample.homography.push_back(h(r, c));
  }
  if (options_.rectify) {  // every stored frame undistorted, as cv::fisheye's undistortImage does
    auto rectify = [&](uint8_t* rgb) {
      cv::Mat frame(options_.render.height, options_.render.width, CV_8UC3, rgb), out;
      cv::remap(frame, out, rectify_map_, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_CONSTANT);
      out.copyTo(frame);
    };
    rectify(sample.blurred.data());
    for (int j = 0; j < f; ++j) rectify(sample.sharp.data() + j * image);
  }
  // The event camera sees the scene at the frames' exposure (scale), not the frame camera's noise
  // or photometry; its thresholds come from a stream of their own.
  EventRenderStats event_stats;
  if (options_.events.enabled) {
    const EventOptions& eo = options_.events;
    RandomStream event_rng(seed, RandomPurpose::kSampleEvents, index);
    const EventThresholds thresholds =
        DrawThresholds(options_.render.width, options_.render.height, eo, event_rng);
    // The sub-frames' times as the base grid: no pixel moves more than --max-step between them.
    Events events = RenderEvents(
        [&](double t) { return LogLuminance(render.frame_at(t), scale, eo.eps); }, render.subframes,
        thresholds, eo, &event_stats);
    AddShotNoise(eo, options_.render.width, options_.render.height, event_rng, &events);
    SampleEvents& out = sample.events;
    out.x = std::move(events.x);
    out.y = std::move(events.y);
    out.t = std::move(events.t);
    out.p = std::move(events.p);
    out.thresholds = thresholds.positive;
    out.thresholds.insert(out.thresholds.end(), thresholds.negative.begin(), thresholds.negative.end());
    out.exposure_start = 0;
    out.exposure_end = eo.ExposureNs();
  }
  sample.trajectory.reserve(render.trajectory.size() * 4);
  for (const auto& q : render.trajectory) {
    sample.trajectory.insert(sample.trajectory.end(), {q.w(), q.x(), q.y(), q.z()});
  }

  std::lock_guard<std::mutex> lock(mutex_);
  stats_.samples++;
  stats_.subframes += render.subframes;
  stats_.min_subframes =
      stats_.samples == 1 ? render.subframes : std::min(stats_.min_subframes, render.subframes);
  stats_.max_subframes = std::max(stats_.max_subframes, render.subframes);
  stats_.direct_renders += render.used_canvas ? 0 : 1;
  stats_.max_magnitude = std::max(stats_.max_magnitude, render.magnitude_degrees);
  stats_.redraws += redraws;
  stats_.events += static_cast<int64_t>(sample.events.t.size());
  stats_.event_frames += event_stats.frames;
  stats_.coarse_event_intervals += event_stats.coarse_intervals;
  const double chord = path.ChordDegrees();
  const double angle = path.MagnitudeDegrees();
  stats_.sum_straightness += angle > 1e-9 ? chord / angle : 1.0;
  return sample;
}

PanoramaSampleMaker::Stats PanoramaSampleMaker::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

}  // namespace blurkit::synth
