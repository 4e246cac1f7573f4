// The costs of training with blurkit-train, each beside the baseline it must beat, in one run:
//
// BM_TrainStep/<model>/<width>/<batch>/<crop>/<frames>: one training step (forward, the losses of
//   train/losses.cpp, backward, Adam) on a fixed random batch. scripts/perf/train.sh times the
//   identical `unet` in Python PyTorch (scripts/perf/train_step.py, Debian's python3-torch, the
//   same LibTorch version) on the same configuration and prints the ratio (target <= 1.0).
// BM_ShardBatch / BM_PngBatch: one training batch (random crop, flips, conversion to float CHW)
//   assembled on one thread from a shard dataset (blurkit's loader, MakeBatch) and from the same
//   samples written as PNG files, one file per image, as GoPro-style PyTorch loaders read them
//   (decode with OpenCV, crop, convert). Reported as samples/s; target: shards >= 10x PNG.
// BM_Loader: the loader with its worker threads, samples/s as the model sees them.
//
// Usage: train_benchmark DATASET_DIR [--crop N] [--batch N] [--threads N] [--profile TRACE.json]
//                        [Google Benchmark flags]
// --profile: each step benchmark first records 3 steps with LibTorch's autograd profiler into
// TRACE.json (Chrome's trace format; scripts/perf/profile_step.py sums it by operation).
#include <benchmark/benchmark.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <thread>

#include "blurkit/core/random.h"
#include "blurkit/train/loader.h"
#include "blurkit/train/losses.h"
#include "blurkit/train/model.h"

namespace {

namespace fs = std::filesystem;
using namespace blurkit;
using namespace blurkit::train;

std::shared_ptr<DatasetReader> g_reader;
fs::path g_png_dir;
int g_crop = 128, g_batch = 8, g_threads = 0;  // --threads 0: every core
std::string g_profile;  // --profile FILE: LibTorch's autograd profile of 3 steps (Chrome trace)

// One training step, as the trainer does it (train/trainer.cpp), on a fixed batch.
void TrainStep(benchmark::State& state, const std::string& kind, bool reference = false) {
  const int width = static_cast<int>(state.range(0)), batch = static_cast<int>(state.range(1));
  const int crop = static_cast<int>(state.range(2)), frames = static_cast<int>(state.range(3));
  torch::manual_seed(0);
  ModelOptions options;
  options.kind = kind;
  options.width = width;
  options.frames = frames;
  auto model = MakeModel(options);
  model->set_reference(reference);
  model->train();
  torch::optim::Adam optimizer(model->parameters(),
                               torch::optim::AdamOptions(1e-4).betas({0.9, 0.999}));
  const torch::Tensor blurred = torch::rand({batch, 3, crop, crop});
  const torch::Tensor sharp = torch::rand({batch, frames, 3, crop, crop});
  const LossOptions loss_options;
  auto step = [&] {
    const ModelOutput output = model->Forward(blurred);
    const LossTerms terms = ComputeLoss(output, sharp, loss_options);
    optimizer.zero_grad();
    terms.total.backward();
    optimizer.step();
    return terms.total.item<float>();
  };
  if (!g_profile.empty()) {
    step();  // warm-up: oneDNN's kernels are made on first use
    torch::autograd::profiler::RecordProfile profile(g_profile);
    for (int i = 0; i < 3; ++i) step();
  }
  for (auto _ : state) {
    const ModelOutput output = model->Forward(blurred);
    const LossTerms terms = ComputeLoss(output, sharp, loss_options);
    optimizer.zero_grad();
    terms.total.backward();
    optimizer.step();
    benchmark::DoNotOptimize(terms.total.item<float>());
  }
  state.counters["parameters"] = static_cast<double>(model->ParameterCount());
  state.counters["samples_per_s"] =
      benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = torch::get_num_threads();
}
void BM_TrainStepUnet(benchmark::State& state) { TrainStep(state, "unet"); }
void BM_TrainStepMotion(benchmark::State& state) { TrainStep(state, "motion"); }
// The same steps on the reference path (plain NCHW calls, LibTorch's own transposed convolutions):
// the baseline of the model's fast path (scripts/perf/motion_step.sh).
void BM_TrainStepUnetReference(benchmark::State& state) { TrainStep(state, "unet", true); }
void BM_TrainStepMotionReference(benchmark::State& state) { TrainStep(state, "motion", true); }
// Inference as `blurkit-train predict` and validation run it: the model in eval mode without
// gradients, images/s at batch 1 (one sample at a time) against a batch of 8 of the same size.
void BM_PredictMotion(benchmark::State& state) {
  const int width = static_cast<int>(state.range(0)), batch = static_cast<int>(state.range(1));
  const int size = static_cast<int>(state.range(2)), frames = static_cast<int>(state.range(3));
  torch::manual_seed(0);
  ModelOptions options;
  options.kind = "motion";
  options.width = width;
  options.frames = frames;
  auto model = MakeModel(options);
  model->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor blurred = torch::rand({batch, 3, size, size});
  for (auto _ : state) benchmark::DoNotOptimize(model->Forward(blurred).Frames().sum().item<float>());
  state.counters["images_per_s"] =
      benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = torch::get_num_threads();
}
BENCHMARK(BM_PredictMotion)->Args({8, 1, 128, 3})->Args({8, 8, 128, 3})->Unit(benchmark::kMillisecond)->UseRealTime();
// {width, batch, crop, frames}: the demo's CPU configuration and a wider one.
BENCHMARK(BM_TrainStepUnet)->Args({8, 8, 128, 3})->Args({16, 4, 128, 7})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TrainStepMotion)->Args({8, 8, 128, 3})->Args({8, 8, 64, 3})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TrainStepUnetReference)->Args({8, 8, 128, 3})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TrainStepMotionReference)->Args({8, 8, 128, 3})->Args({8, 8, 64, 3})->Unit(benchmark::kMillisecond)->UseRealTime();

LoaderOptions BatchOptions() {
  LoaderOptions options;
  options.batch = g_batch;
  options.crop = g_crop;
  options.seed = 1;
  return options;
}

void BM_ShardBatch(benchmark::State& state) {
  const LoaderOptions options = BatchOptions();
  const std::vector<int64_t> order = g_reader->ShuffledOrder(options.seed, 0, options.shuffle_shards);
  const int64_t batches = g_reader->size() / options.batch;
  int64_t k = 0;
  for (auto _ : state) {
    Batch batch = MakeBatch(*g_reader, order, 0, k++ % batches, options);
    benchmark::DoNotOptimize(batch.sharp.data_ptr<float>());
  }
  state.counters["samples_per_s"] = benchmark::Counter(static_cast<double>(options.batch),
                                                       benchmark::Counter::kIsIterationInvariantRate);
}

// The PNG baseline: the same samples, crops, flips and float conversion (the loader's own
// Rgb8ToChw), from files.
void PngInto(const fs::path& file, int top, int left, int size, bool flip_h, bool flip_v, float* chw) {
  const cv::Mat bgr = cv::imread(file.string(), cv::IMREAD_COLOR);
  if (bgr.empty()) throw std::runtime_error(file.string() + ": cannot read");
  cv::Mat rgb;
  cv::cvtColor(bgr(cv::Rect(left, top, size, size)), rgb, cv::COLOR_BGR2RGB);
  if (flip_h || flip_v) cv::flip(rgb, rgb, flip_h && flip_v ? -1 : (flip_h ? 1 : 0));
  Rgb8ToChw(rgb.data, size, size, chw);
}

void BM_PngBatch(benchmark::State& state) {
  const LoaderOptions options = BatchOptions();
  const DatasetSpec& spec = g_reader->spec();
  const int f = spec.frames, c = options.crop;
  const std::vector<int64_t> order = g_reader->ShuffledOrder(options.seed, 0, options.shuffle_shards);
  const int64_t batches = g_reader->size() / options.batch;
  int64_t k = 0;
  for (auto _ : state) {
    const int64_t index = k++ % batches;
    auto blurred = torch::empty({options.batch, 3, c, c});
    auto sharp = torch::empty({options.batch, f, 3, c, c});
    const size_t image = static_cast<size_t>(3) * c * c;
    for (int b = 0; b < options.batch; ++b) {
      const int64_t position = index * options.batch + b;
      const fs::path dir = g_png_dir / std::to_string(order[position]);
      RandomStream rng(options.seed, RandomPurpose::kAugment, static_cast<uint64_t>(position));
      const int top = static_cast<int>(rng.UniformInt(spec.height - c + 1));
      const int left = static_cast<int>(rng.UniformInt(spec.width - c + 1));
      const bool flip_h = rng.UniformInt(2), flip_v = rng.UniformInt(2);
      PngInto(dir / "blurred.png", top, left, c, flip_h, flip_v, blurred.data_ptr<float>() + b * image);
      for (int j = 0; j < f; ++j) {
        PngInto(dir / ("sharp_" + std::to_string(j) + ".png"), top, left, c, flip_h, flip_v,
                sharp.data_ptr<float>() + (static_cast<size_t>(b) * f + j) * image);
      }
    }
    benchmark::DoNotOptimize(sharp.data_ptr<float>());
  }
  state.counters["samples_per_s"] = benchmark::Counter(static_cast<double>(options.batch),
                                                       benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Loader(benchmark::State& state) {
  LoaderOptions options = BatchOptions();
  options.workers = static_cast<int>(state.range(0));
  Loader loader(g_reader, options);
  int64_t epoch = 0;
  loader.StartEpoch(epoch);
  for (auto _ : state) {
    auto batch = loader.Next();
    if (!batch) {
      loader.StartEpoch(++epoch);
      batch = loader.Next();
    }
    benchmark::DoNotOptimize(batch->sharp.data_ptr<float>());
  }
  state.counters["samples_per_s"] = benchmark::Counter(static_cast<double>(options.batch),
                                                       benchmark::Counter::kIsIterationInvariantRate);
}

// Writes every sample of the dataset as PNG files: <dir>/<index>/{blurred,sharp_<j>}.png.
void WritePngs(const DatasetReader& reader, const fs::path& dir) {
  const DatasetSpec& spec = reader.spec();
  for (int64_t i = 0; i < reader.size(); ++i) {
    const Sample s = reader.Read(i);
    const fs::path folder = dir / std::to_string(i);
    fs::create_directories(folder);
    auto write = [&](const uint8_t* rgb, const std::string& name) {
      cv::Mat view(spec.height, spec.width, CV_8UC3, const_cast<uint8_t*>(rgb)), bgr;
      cv::cvtColor(view, bgr, cv::COLOR_RGB2BGR);
      cv::imwrite((folder / name).string(), bgr);
    };
    write(s.blurred.data(), "blurred.png");
    for (int j = 0; j < spec.frames; ++j) write(s.SharpFrame(j, spec), "sharp_" + std::to_string(j) + ".png");
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') {
    std::fprintf(stderr, "usage: %s DATASET_DIR [--crop N] [--batch N] [benchmark flags]\n", argv[0]);
    return 2;
  }
  const fs::path dataset = argv[1];
  std::vector<char*> rest = {argv[0]};
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--profile" && i + 1 < argc) {
      g_profile = argv[++i];
    } else if ((a == "--crop" || a == "--batch" || a == "--threads") && i + 1 < argc) {
      (a == "--crop" ? g_crop : a == "--batch" ? g_batch : g_threads) = std::atoi(argv[++i]);
    } else {
      rest.push_back(argv[i]);
    }
  }
  // Debian's LibTorch starts with one intra-op thread; use every core, as blurkit-train does.
  torch::set_num_threads(g_threads > 0 ? g_threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  cv::setNumThreads(1);
  try {
    g_reader = std::make_shared<DatasetReader>(dataset);
    g_png_dir = fs::temp_directory_path() / ("blurkit_train_benchmark_" + std::to_string(::getpid()));
    WritePngs(*g_reader, g_png_dir);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_benchmark: %s\n", e.what());
    return 1;
  }
  benchmark::RegisterBenchmark("BM_ShardBatch", BM_ShardBatch)->UseRealTime()->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_PngBatch", BM_PngBatch)->UseRealTime()->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_Loader", BM_Loader)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  fs::remove_all(g_png_dir);
  return 0;
}
