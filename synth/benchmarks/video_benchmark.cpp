// Video synthesis speed against decoding the same frames alone, in the same run (issue: dynamic
// blur, "Performance": at least 0.8 of the decode-only rate).
//
// Source: the real sample clip cockatoo.mp4 (H.264, 1280x720, 280 frames; scripts/fetch_samples.sh),
// or the file named by BLURKIT_BENCH_VIDEO. Setting: the paper's, N = 7, F = 7, gamma averaging,
// windows not overlapping (40 windows), one random 256x256 crop per window (crop 256) or full
// frames (crop 0). Rates are samples/s; a decode-only "sample" is the 7 frames one window uses.
//   BM_DecodeVideo        cv::VideoCapture reading the 280 frames in order (FFmpeg's own threads).
//   BM_SynthVideo         the video command without listing the clip: windows decoded, averaged,
//                         sharp frames, flow magnitude, HDF5 shards, with 1 or 2 worker threads.
//   BM_DecodeFolder       cv::imread of 70 PNG frames (the clip's first 70, written once) in
//                         parallel with 1 or 2 threads.
//   BM_SynthFolder        the video command on that frame folder (10 windows).
// scripts/perf/video.sh runs this and prints the ratios.
#include <benchmark/benchmark.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include "blurkit/synth/sharded_run.h"
#include "blurkit/synth/video_dataset.h"

namespace {
using namespace blurkit;
using namespace blurkit::synth;
namespace fs = std::filesystem;

fs::path VideoPath() {
  if (const char* env = std::getenv("BLURKIT_BENCH_VIDEO")) return env;
  return fs::path(BLURKIT_SOURCE_DIR) / "data/samples/videos/cockatoo.mp4";
}

const Clip& VideoClip() {
  static const Clip clip = ClipsFromPaths({VideoPath()}, false).at(0);
  return clip;
}

// The clip's first 70 frames as PNG files in a temporary folder, written once.
const Clip& FolderClip() {
  static const Clip clip = [] {
    const fs::path folder = fs::temp_directory_path() / ("blurkit_bench_frames_" + std::to_string(::getpid()));
    fs::create_directories(folder);
    cv::VideoCapture capture(VideoPath().string(), cv::CAP_FFMPEG);
    cv::Mat frame;
    for (int i = 0; i < 70 && capture.read(frame); ++i) {
      char name[32];
      std::snprintf(name, sizeof(name), "%06d.png", i);
      cv::imwrite((folder / name).string(), frame, {cv::IMWRITE_PNG_COMPRESSION, 1});
    }
    std::atexit([] {
      fs::remove_all(fs::temp_directory_path() / ("blurkit_bench_frames_" + std::to_string(::getpid())));
    });
    return ClipsFromPaths({folder}).at(0);
  }();
  return clip;
}

VideoDatasetOptions Options(const Clip& clip, int crop) {
  VideoDatasetOptions o;
  o.clips = {clip};
  o.window = 7;
  o.frames = 7;
  o.crop_width = o.crop_height = crop;
  o.seed = 1;
  o.cache_windows = 8;  // what the command sets for 2 threads: 2 * threads + 4
  return o;
}

void Synthesize(benchmark::State& state, const Clip& clip) {
  const int threads = static_cast<int>(state.range(0));
  const VideoDatasetOptions options = Options(clip, static_cast<int>(state.range(1)));
  const fs::path out = fs::temp_directory_path() / ("blurkit_bench_video_" + std::to_string(::getpid()));
  int64_t samples = 0;
  for (auto _ : state) {
    fs::remove_all(out);
    VideoSampleMaker maker(options);
    ShardedRunOptions run;
    run.out = out;
    run.num_samples = maker.num_samples();
    run.shard_size = 16;
    run.threads = threads;
    run.progress = false;
    WriteShardedDataset(run, options.Spec(), [&](int64_t i) { return maker.Make(i); });
    samples += maker.num_samples();
  }
  fs::remove_all(out);
  state.SetItemsProcessed(samples);
}

void BM_DecodeVideo(benchmark::State& state) {
  const Clip& clip = VideoClip();
  const int64_t windows = clip.num_frames / 7;
  for (auto _ : state) {
    cv::VideoCapture capture(clip.path.string(), cv::CAP_FFMPEG);
    cv::Mat frame;
    for (int64_t i = 0; i < windows * 7; ++i) {
      capture.read(frame);
      benchmark::DoNotOptimize(frame.data);
    }
  }
  state.SetItemsProcessed(state.iterations() * windows);
}

void BM_SynthVideo(benchmark::State& state) { Synthesize(state, VideoClip()); }

void BM_DecodeFolder(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const Clip& clip = FolderClip();
  for (auto _ : state) {
    tbb::global_control control(tbb::global_control::max_allowed_parallelism, threads);
    tbb::parallel_for(int64_t{0}, clip.num_frames, [&](int64_t i) {
      const cv::Mat frame = cv::imread(clip.files[i].string(), cv::IMREAD_COLOR);
      benchmark::DoNotOptimize(frame.data);
    });
  }
  state.SetItemsProcessed(state.iterations() * (clip.num_frames / 7));
}

void BM_SynthFolder(benchmark::State& state) { Synthesize(state, FolderClip()); }

BENCHMARK(BM_DecodeVideo)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SynthVideo)->Args({1, 256})->Args({2, 256})->Args({2, 0})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeFolder)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SynthFolder)->Args({1, 256})->Args({2, 256})->Args({2, 0})->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
