// Reads every sample of a dataset in shuffled order (as the trainer does) and prints samples/s.
// Usage: shard_read_benchmark DATASET_DIR [REPEATS]. Used by scripts/perf_shards.sh to measure
// what gzip compression costs in read speed.
#include <chrono>
#include <cstdio>
#include <string>

#include "blurkit/core/error.h"
#include "blurkit/core/shard.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DATASET_DIR [REPEATS]\n", argv[0]);
    return 2;
  }
  try {
    blurkit::DatasetReader reader(argv[1]);
    const int repeats = argc > 2 ? std::stoi(argv[2]) : 3;
    size_t bytes = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < repeats; ++r) {
      for (int64_t i : reader.ShuffledOrder(1, r)) {
        const blurkit::Sample s = reader.Read(i);
        bytes += s.blurred.size() + s.sharp.size();
      }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%.1f samples/s %.1f MB/s\n", repeats * reader.size() / seconds,
                bytes / seconds / 1e6);
  } catch (const blurkit::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
