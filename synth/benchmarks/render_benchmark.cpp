// Rotational-blur synthesis speed against the cost of just sampling (issue: foundation, section 5).
//
// Setting: 256x256 output, F = 7, 31 sub-frames per sample, a 4096x2048 panorama.
//   BM_RemapOnly       31 plain cv::remap calls at output size from the panorama, with maps
//                      computed beforehand: the cost of sampling alone, the baseline.
//   BM_RenderSample    one complete sample: canvas render, 31 warps, averaging, exposure, 8-bit
//                      encoding of the blurred image and the 7 sharp frames.
//   BM_WriteDataset    samples/s of the whole command (render + HDF5 shards) over 32 samples.
//   BM_RenderShake     BM_RenderSample along Boracchi & Foi shake paths (2000-step walk drawn
//                      per sample, included).
//   BM_RenderPhoto     one complete sample from a 2048x1536 photo (60 degrees) seen at 20
//                      degrees: path drawn, checked inside the photo, 31 homography warps of its
//                      pyramid level, averaging and encoding.
// Each runs under tbb::global_control with 1 and 2 threads (OpenCV's TBB backend obeys it).
// scripts/perf/synth.sh runs this and prints the ratios.
#include <benchmark/benchmark.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <unistd.h>

#include <filesystem>
#include <opencv2/imgproc.hpp>

#include "blurkit/core/random.h"
#include "blurkit/synth/panorama_dataset.h"
#include "blurkit/synth/rotation_blur.h"
#include "blurkit/synth/sharded_run.h"

namespace {
using namespace blurkit;
using namespace blurkit::synth;

constexpr int kSubframes = 31;

const Panorama& BigPanorama() {
  static std::shared_ptr<const Panorama> pano = [] {
    cv::Mat image(2048, 4096, CV_32FC3);
    cv::randu(image, cv::Scalar::all(0.0), cv::Scalar::all(1.0));
    cv::GaussianBlur(image, image, cv::Size(0, 0), 1.5);
    return Panorama::FromLinear(image, /*hdr=*/false);
  }();
  return *pano;
}

RotationBlurOptions Options() {
  RotationBlurOptions o;
  o.width = o.height = 256;
  o.fov = 60;
  o.frames = 7;
  o.path.frames_per_degree = 1000;  // capped below: exactly kSubframes
  o.path.max_subframes = kSubframes;
  return o;
}

RotationPath PathFor(int64_t i) {
  RandomStream rng(1, RandomPurpose::kSampleGeometry, i);
  RotationPathOptions p;
  p.max_angle = 6;
  return SampleRotationPath(p, rng);
}

// Runs `work(i)` for i in [0, items) on `threads` threads.
template <typename Work>
void Parallel(int threads, int64_t items, Work work) {
  tbb::global_control control(tbb::global_control::max_allowed_parallelism, threads);
  tbb::parallel_for(int64_t{0}, items, [&](int64_t i) { work(i); });
}

const Photo& BigPhoto() {
  static std::shared_ptr<const Photo> photo = [] {
    cv::Mat image(1536, 2048, CV_32FC3);
    cv::randu(image, cv::Scalar::all(0.0), cv::Scalar::all(1.0));
    cv::GaussianBlur(image, image, cv::Size(0, 0), 1.5);
    return Photo::FromLinear(image, 60);
  }();
  return *photo;
}

// Encodes a render as the dataset does (blurred image and 7 sharp frames).
void Encode(const RotationRender& r, const CameraResponse& srgb) {
  std::vector<uint8_t> out(256 * 256 * 3 * 8);
  EncodeToRgb8(r.blurred, 1.0, srgb, out.data());
  for (int j = 0; j < 7; ++j) EncodeToRgb8(r.sharp[j], 1.0, srgb, out.data() + (j + 1) * 196608);
  benchmark::DoNotOptimize(out.data());
}

void BM_RemapOnly(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const Panorama& pano = BigPanorama();
  const PinholeCamera camera = Options().Camera();
  const int level_index = pano.LevelFor(camera.PixelAngle());
  const cv::Mat level = pano.Level(level_index);
  // The map of a real view (yaw 30, pitch 10), computed once, outside the timing.
  cv::Mat map(camera.height, camera.width, CV_32FC2);
  const Eigen::Matrix3d rotation = QuaternionFromEuler(30, 10, 0).toRotationMatrix();
  for (int y = 0; y < camera.height; ++y) {
    for (int x = 0; x < camera.width; ++x) {
      double lon, lat;
      LonLatFromDirection(rotation * camera.RayInCam(x, y), &lon, &lat);
      map.at<cv::Vec2f>(y, x) = {float(EquirectX(lon, level.cols)), float(EquirectY(lat, level.rows))};
    }
  }
  const int64_t samples = 2 * threads;
  for (auto _ : state) {
    Parallel(threads, samples, [&](int64_t) {
      cv::Mat out;
      for (int k = 0; k < kSubframes; ++k) {
        cv::remap(level, out, map, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
        benchmark::DoNotOptimize(out.data);
      }
    });
  }
  state.SetItemsProcessed(state.iterations() * samples);
}

void BM_RenderSample(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const Panorama& pano = BigPanorama();
  const RotationBlurOptions options = Options();
  const CameraResponse srgb = CameraResponse::Srgb();
  const int64_t samples = 2 * threads;
  int64_t next = 0;
  for (auto _ : state) {
    Parallel(threads, samples, [&](int64_t i) {
      RotationRender r = RenderRotationBlur(pano, options, PathFor(next + i));
      std::vector<uint8_t> out(256 * 256 * 3 * 8);
      EncodeToRgb8(r.blurred, 1.0, srgb, out.data());
      for (int j = 0; j < 7; ++j) EncodeToRgb8(r.sharp[j], 1.0, srgb, out.data() + (j + 1) * 196608);
      benchmark::DoNotOptimize(out.data());
      if (r.subframes != kSubframes) state.SkipWithError("unexpected sub-frame count");
    });
    next += samples;
  }
  state.SetItemsProcessed(state.iterations() * samples);
}

void BM_WriteDataset(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  // The whole dataset path (PanoramaSampleMaker + sharded writer) on the in-memory panorama's
  // content saved as 16-bit PNG would add decoding; instead the maker's renderer is fed directly.
  const Panorama& pano = BigPanorama();
  const RotationBlurOptions options = Options();
  const CameraResponse srgb = CameraResponse::Srgb();
  const auto out = std::filesystem::temp_directory_path() /
                   ("blurkit_bench_" + std::to_string(::getpid()));
  DatasetSpec spec;
  spec.kind = DatasetKind::kRotation;
  spec.frames = 7;
  spec.height = spec.width = 256;
  spec.generator = "benchmark";
  constexpr int64_t kSamples = 32;
  for (auto _ : state) {
    std::filesystem::remove_all(out);
    ShardedRunOptions run;
    run.out = out;
    run.num_samples = kSamples;
    run.shard_size = 16;
    run.threads = threads;
    run.progress = false;
    WriteShardedDataset(run, spec, [&](int64_t i) {
      RotationRender r = RenderRotationBlur(pano, options, PathFor(i));
      Sample s;
      s.index = i;
      s.id = std::to_string(i);
      s.blurred.resize(196608);
      s.sharp.resize(7 * 196608);
      EncodeToRgb8(r.blurred, 1.0, srgb, s.blurred.data());
      for (int j = 0; j < 7; ++j) {
        EncodeToRgb8(r.sharp[j], 1.0, srgb, s.sharp.data() + j * 196608);
        const auto& q = r.orientations[j];
        s.orientation.insert(s.orientation.end(), {q.w(), q.x(), q.y(), q.z()});
        for (int k = 0; k < 9; ++k) s.homography.push_back(r.homographies[j](k / 3, k % 3));
      }
      return s;
    });
  }
  std::filesystem::remove_all(out);
  state.SetItemsProcessed(state.iterations() * kSamples);
}

void BM_RenderShake(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const Panorama& pano = BigPanorama();
  RotationBlurOptions options = Options();
  options.path.trajectory = TrajectoryKind::kShake;
  options.path.max_angle = 6;
  const CameraResponse srgb = CameraResponse::Srgb();
  const int64_t samples = 2 * threads;
  int64_t next = 0;
  for (auto _ : state) {
    Parallel(threads, samples, [&](int64_t i) {
      RandomStream rng(1, RandomPurpose::kSampleGeometry, next + i);
      const RotationRender r = RenderRotationBlur(pano, options, SampleRotationPath(options.path, rng));
      Encode(r, srgb);
      if (r.subframes != kSubframes) state.SkipWithError("unexpected sub-frame count");
    });
    next += samples;
  }
  state.SetItemsProcessed(state.iterations() * samples);
}

void BM_RenderPhoto(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const Photo& photo = BigPhoto();
  RotationBlurOptions options = Options();
  options.fov = 20;
  options.path.max_angle = 3;
  const CameraResponse srgb = CameraResponse::Srgb();
  const int64_t samples = 2 * threads;
  int64_t next = 0;
  for (auto _ : state) {
    Parallel(threads, samples, [&](int64_t i) {
      RandomStream rng(1, RandomPurpose::kSampleGeometry, next + i);
      double yaw = 0, pitch = 0;
      photo.StartRanges(options.Camera(), &yaw, &pitch);
      RotationPath path;
      std::vector<Eigen::Quaterniond> subframes;
      do {  // as the dataset does: draw until the path stays inside
        const double start_yaw = rng.Uniform(-yaw, yaw);
        const double start_pitch = rng.Uniform(-pitch, pitch);
        path = SamplePathFrom(QuaternionFromEuler(start_yaw, start_pitch, 0), options.path, rng);
      } while (!PathInsidePhoto(photo, options, path, &subframes));
      const RotationRender r = RenderRotationBlur(photo, options, path, &subframes);
      Encode(r, srgb);
      if (r.subframes != kSubframes) state.SkipWithError("unexpected sub-frame count");
    });
    next += samples;
  }
  state.SetItemsProcessed(state.iterations() * samples);
}

BENCHMARK(BM_RemapOnly)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RenderSample)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_WriteDataset)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RenderShake)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RenderPhoto)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
