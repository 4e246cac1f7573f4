// PSNR + SSIM of one image pair on one thread (OpenCV and TBB limited to one thread).
// Usage: bench_metrics_benchmark A.png B.png [Google Benchmark flags]
// scripts/perf/bench.sh runs it beside scikit-image on the same pair and prints the ratio.
#include <benchmark/benchmark.h>
#include <tbb/global_control.h>

#include <cstdio>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "blurkit/bench/metrics.h"

namespace {

cv::Mat g_a, g_b;  // RGB

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
  argv[2] = argv[0];
  int rest = argc - 2;
  benchmark::Initialize(&rest, argv + 2);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
