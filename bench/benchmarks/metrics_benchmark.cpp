// PSNR + SSIM of one image pair on one thread (OpenCV and TBB limited to one thread), and, given a
// folder with a 7-frame clip (gt_0.png .. gt_6.png and pred_0.png .. pred_6.png), a clip scored as
// blurkit-bench scored it before the field's metrics (per-position PSNR + SSIM in both orders and
// the re-blur PSNR against the input) beside the field's clip metrics (PWPSNR, pooled PSNR, re-blur
// PSNR against ground truth, EPE (DIS), patch SSIM), each alone and all together.
// Usage: bench_metrics_benchmark A.png B.png [CLIP_DIR] [Google Benchmark flags]
// scripts/perf/bench.sh runs it beside scikit-image on the same pair and prints the ratios.
#include <benchmark/benchmark.h>
#include <tbb/global_control.h>

#include <cstdio>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <string>
#include <vector>

#include "blurkit/bench/clip_metrics.h"
#include "blurkit/bench/metrics.h"
#include "blurkit/bench/scoring.h"

namespace {

cv::Mat g_a, g_b;  // RGB
std::vector<uint8_t> g_gt, g_pred, g_blurred;  // the clip, F x H x W x 3 RGB
int g_frames = 0, g_h = 0, g_w = 0;

void BM_PsnrSsimPair(benchmark::State& state) {
  using namespace blurkit;
  const ImageView a{g_a.data, g_a.rows, g_a.cols}, b{g_b.data, g_b.rows, g_b.cols};
  bench::FrameScore score;
  for (auto _ : state) {
    score = bench::ScoreFrame(a, b, {});
    benchmark::DoNotOptimize(score);
  }
  state.counters["psnr"] = score.psnr;
  state.counters["ssim"] = score.ssim;
  state.SetLabel(std::to_string(g_a.cols) + "x" + std::to_string(g_a.rows));
}
BENCHMARK(BM_PsnrSsimPair)->Unit(benchmark::kMillisecond);

blurkit::bench::ClipView Gt() { return {g_gt.data(), g_frames, g_h, g_w}; }
blurkit::bench::ClipView Pred() { return {g_pred.data(), g_frames, g_h, g_w}; }

// What blurkit-bench computed per clip before the field's metrics: PSNR + SSIM of every position
// in both orders (the middle once) and the re-blur PSNR against the input.
void BM_ClipBefore(benchmark::State& state) {
  using namespace blurkit;
  const size_t image = static_cast<size_t>(g_h) * g_w * 3;
  double sink = 0;
  for (auto _ : state) {
    for (int j = 0; j < g_frames; ++j) {
      const ImageView truth{g_gt.data() + j * image, g_h, g_w};
      sink += bench::ScoreFrame({g_pred.data() + j * image, g_h, g_w}, truth, {}).ssim;
      if (g_frames - 1 - j != j) {
        sink += bench::ScoreFrame({g_pred.data() + (g_frames - 1 - j) * image, g_h, g_w}, truth, {}).ssim;
      }
    }
    sink += bench::ReblurPsnr(g_blurred.data(), g_pred.data(), g_frames, g_h, g_w, {});
    benchmark::DoNotOptimize(sink);
  }
}

void BM_ClipFieldMetrics(benchmark::State& state) {
  blurkit::bench::ClipScores s;
  for (auto _ : state) {
    s = blurkit::bench::ScoreClip(Pred(), Gt(), 40);
    benchmark::DoNotOptimize(s);
  }
  state.counters["pwpsnr"] = s.pwpsnr;
  state.counters["epe_dis"] = s.epe_dis;
  state.counters["patch_ssim"] = s.patch_ssim;
}

void BM_ClipEpeDis(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(blurkit::bench::EpeDis(Pred(), Gt()));
}

void BM_ClipPatchSsim(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(blurkit::bench::PatchSsim(Pred(), Gt(), 40));
}

void BM_ClipPsnrFamily(benchmark::State& state) {  // PWPSNR, pooled PSNR, re-blur PSNR vs GT
  for (auto _ : state) {
    benchmark::DoNotOptimize(blurkit::bench::Pwpsnr(Pred(), Gt()));
    benchmark::DoNotOptimize(blurkit::bench::PooledPsnr(Pred(), Gt()));
    benchmark::DoNotOptimize(blurkit::bench::ReblurPsnrAgainstTruth(Pred(), Gt()));
  }
}

bool LoadClip(const std::string& dir) {
  for (int k = 0;; ++k) {
    cv::Mat gt = cv::imread(dir + "/gt_" + std::to_string(k) + ".png", cv::IMREAD_COLOR);
    cv::Mat pred = cv::imread(dir + "/pred_" + std::to_string(k) + ".png", cv::IMREAD_COLOR);
    if (gt.empty() || pred.empty()) break;
    if (k > 0 && (gt.rows != g_h || gt.cols != g_w || pred.size() != gt.size())) return false;
    g_h = gt.rows;
    g_w = gt.cols;
    cv::cvtColor(gt, gt, cv::COLOR_BGR2RGB);
    cv::cvtColor(pred, pred, cv::COLOR_BGR2RGB);
    g_gt.insert(g_gt.end(), gt.data, gt.data + gt.total() * 3);
    g_pred.insert(g_pred.end(), pred.data, pred.data + pred.total() * 3);
    ++g_frames;
  }
  if (g_frames < 2) return false;
  // A blurred input: the plain mean of the ground-truth frames.
  const size_t image = static_cast<size_t>(g_h) * g_w * 3;
  g_blurred.resize(image);
  for (size_t i = 0; i < image; ++i) {
    int sum = 0;
    for (int k = 0; k < g_frames; ++k) sum += g_gt[k * image + i];
    g_blurred[i] = static_cast<uint8_t>((sum + g_frames / 2) / g_frames);
  }
  benchmark::RegisterBenchmark("BM_ClipBefore", BM_ClipBefore)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_ClipFieldMetrics", BM_ClipFieldMetrics)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_ClipEpeDis", BM_ClipEpeDis)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_ClipPatchSsim", BM_ClipPatchSsim)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_ClipPsnrFamily", BM_ClipPsnrFamily)->Unit(benchmark::kMillisecond);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s A.png B.png [benchmark flags]\n", argv[0]);
    return 2;
  }
  g_a = cv::imread(argv[1], cv::IMREAD_COLOR);
  g_b = cv::imread(argv[2], cv::IMREAD_COLOR);
  if (g_a.empty() || g_b.empty() || g_a.size() != g_b.size()) {
    std::fprintf(stderr, "cannot read two images of one size from %s and %s\n", argv[1], argv[2]);
    return 1;
  }
  cv::cvtColor(g_a, g_a, cv::COLOR_BGR2RGB);
  cv::cvtColor(g_b, g_b, cv::COLOR_BGR2RGB);
  cv::setNumThreads(1);
  tbb::global_control one(tbb::global_control::max_allowed_parallelism, 1);
  int skip = 2;
  if (argc > 3 && argv[3][0] != '-') {
    if (!LoadClip(argv[3])) {
      std::fprintf(stderr, "cannot read a clip of gt_<k>.png and pred_<k>.png (k = 0, 1, ...) from %s\n", argv[3]);
      return 1;
    }
    skip = 3;
  }
  argv[skip] = argv[0];
  int rest = argc - skip;
  benchmark::Initialize(&rest, argv + skip);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
