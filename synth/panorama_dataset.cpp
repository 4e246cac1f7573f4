#include "blurkit/synth/panorama_dataset.h"

#include <algorithm>
#include <cstdio>

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
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".exr" || ext == ".hdr" ||
         ext == ".tif" || ext == ".tiff";
}

}  // namespace

std::vector<PanoramaSource> PanoramaSourcesFromPaths(const std::vector<fs::path>& inputs) {
  std::vector<PanoramaSource> sources;
  for (const auto& input : inputs) {
    if (fs::is_directory(input)) {
      std::vector<fs::path> files;
      for (const auto& entry : fs::directory_iterator(input)) {
        if (entry.is_regular_file() && IsImageFile(entry.path())) files.push_back(entry.path());
      }
      if (files.empty()) {
        throw InputError(Msg() << input.string()
                               << ": the folder holds no panorama (.png .jpg .exr .hdr .tif)");
      }
      std::sort(files.begin(), files.end());
      for (const auto& f : files) sources.push_back({f.filename().string(), f, ""});
    } else if (fs::exists(input)) {
      sources.push_back({input.filename().string(), input, ""});
    } else {
      throw InputError(Msg() << input.string() << ": input does not exist");
    }
  }
  for (auto& s : sources) s.sha256 = Sha256OfFile(s.path);
  return sources;
}

void PanoramaDatasetOptions::Check() const {
  if (sources.empty()) throw InputError("no panoramas given (--input or --manifest)");
  if (samples <= 0) throw InputError(Msg() << "--samples must be positive, got " << samples);
  render.Check();
  exposure.Check();
  CameraResponse::Parse(response);
  if (cache_panoramas < 1) throw InputError("the panorama cache must hold at least one panorama");
}

Json PanoramaDatasetOptions::ToJson() const {
  Json source_list = Json::array();
  for (const auto& s : sources) source_list.push_back({{"name", s.name}, {"sha256", s.sha256}});
  const RotationPathOptions& p = render.path;
  return Json{{"command", "panorama"},
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
              {"sources", source_list}};
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
  return spec;
}

PanoramaSampleMaker::PanoramaSampleMaker(PanoramaDatasetOptions options)
    : options_(std::move(options)), response_(CameraResponse::Parse(options_.response)) {
  options_.Check();
}

std::shared_ptr<const Panorama> PanoramaSampleMaker::Get(size_t source) {
  std::shared_ptr<std::once_flag> once;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = cache_.find(source);
    if (it != cache_.end()) {
      recent_.erase(std::find(recent_.begin(), recent_.end(), source));
      recent_.push_back(source);
      return it->second;
    }
    auto& flag = loading_[source];
    if (!flag) flag = std::make_shared<std::once_flag>();
    once = flag;
  }
  // One thread decodes; others asking for the same panorama wait for it.
  std::call_once(*once, [&] {
    auto panorama = Panorama::Load(options_.sources[source].path, response_);
    std::lock_guard<std::mutex> lock(mutex_);
    cache_[source] = panorama;
    recent_.push_back(source);
    while (recent_.size() > static_cast<size_t>(options_.cache_panoramas)) {
      cache_.erase(recent_.front());
      loading_.erase(recent_.front());
      recent_.erase(recent_.begin());
    }
  });
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = cache_.find(source);
  if (it != cache_.end()) return it->second;
  // Evicted between loading and now (tiny cache, many threads): load a private copy.
  return Panorama::Load(options_.sources[source].path, response_);
}

Sample PanoramaSampleMaker::Make(int64_t index) {
  const size_t num_sources = options_.sources.size();
  const size_t source = static_cast<size_t>(
      (static_cast<unsigned __int128>(index) * num_sources) / static_cast<uint64_t>(options_.samples));
  const PanoramaSource& src = options_.sources[std::min(source, num_sources - 1)];
  std::shared_ptr<const Panorama> panorama = Get(std::min(source, num_sources - 1));

  RandomStream geometry(options_.seed, RandomPurpose::kSampleGeometry, index);
  const RotationPath path = SampleRotationPath(options_.render.path, geometry);
  RotationRender render = RenderRotationBlur(*panorama, options_.render, path);

  const int f = options_.render.frames;
  const double scale =
      ExposureScale(options_.exposure, panorama->hdr(), render.sharp[f / 2], geometry);
  RandomStream noise(options_.seed, RandomPurpose::kSampleNoise, index);
  cv::Mat blurred = render.blurred * scale;
  AddSensorNoise(blurred, options_.exposure, noise);

  Sample sample;
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
  sample.sharp.resize(image * f);
  for (int j = 0; j < f; ++j) {
    EncodeToRgb8(render.sharp[j], scale, response_, sample.sharp.data() + j * image);
    const Eigen::Quaterniond& q = render.orientations[j];
    sample.orientation.insert(sample.orientation.end(), {q.w(), q.x(), q.y(), q.z()});
    const Eigen::Matrix3d& h = render.homographies[j];
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) sample.homography.push_back(h(r, c));
  }

  std::lock_guard<std::mutex> lock(mutex_);
  stats_.samples++;
  stats_.subframes += render.subframes;
  stats_.min_subframes =
      stats_.samples == 1 ? render.subframes : std::min(stats_.min_subframes, render.subframes);
  stats_.max_subframes = std::max(stats_.max_subframes, render.subframes);
  stats_.direct_renders += render.used_canvas ? 0 : 1;
  stats_.max_magnitude = std::max(stats_.max_magnitude, render.magnitude_degrees);
  return sample;
}

PanoramaSampleMaker::Stats PanoramaSampleMaker::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

}  // namespace blurkit::synth
