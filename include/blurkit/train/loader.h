// Batches for training, read from a shard dataset by worker threads ahead of the model.
//
// The order of an epoch is the reader's windowed shuffle (shards in random order, taken
// `shuffle_shards` at a time, their samples mixed), from (seed, epoch). Each sample gets a random
// crop, optional horizontal and vertical flips and an optional reversal of time, applied
// identically to the blurred image and all its sharp frames (a blurred image is the same played
// backwards). Every random choice of batch k of epoch e comes from a stream of its own, so the
// batches do not depend on the number of workers, and a resumed run continues with the same
// batches.
#pragma once

#include <torch/torch.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "blurkit/core/shard.h"

namespace blurkit::train {

struct LoaderOptions {
  int batch = 8;
  int crop = 128;            // square crops; a multiple of 32; 0 = whole images
  bool flips = true;         // random horizontal and vertical flips
  bool time_reversal = true; // random reversal of the frame order
  bool shuffle = true;
  int shuffle_shards = 16;   // shards mixed at a time (DatasetReader::ShuffledOrder's window): a
                             // batch draws on that many sources, not one panorama or clip
  int workers = 2;           // threads assembling batches
  int prefetch = 4;          // batches ready ahead of the model
  bool pin_memory = false;   // page-locked batches for fast copies to a GPU
  uint64_t seed = 0;
  // Data-parallel training: `batch` is per process; an epoch is cut into global batches of
  // batch x world_size in the order one process would use, and rank r takes the r-th slice of
  // each. Sample positions (and so every random choice) are those of that single process.
  int rank = 0;
  int world_size = 1;

  void Check() const;  // throws InputError
};

struct Batch {
  int64_t epoch = 0, index = 0;
  torch::Tensor blurred;  // (B, 3, h, w), float in [0, 1]
  torch::Tensor sharp;    // (B, F, 3, h, w)
  std::vector<std::string> ids;
};

// Builds batch `index` of `epoch` (the function the workers run; deterministic).
Batch MakeBatch(const DatasetReader& reader, const std::vector<int64_t>& order, int64_t epoch,
                int64_t index, const LoaderOptions& options);

// Converts uint8 HWC RGB to float CHW in [0, 1].
void Rgb8ToChw(const uint8_t* rgb, int height, int width, float* chw);

// The sample order of one epoch over several datasets (blurkit-train train --data A --data B):
// each dataset's own order (ShuffledOrder, its seed mixed with the dataset's position; the first
// keeps `seed`, so one dataset alone keeps its order), interleaved in proportion to the datasets'
// sizes, so that every stretch of batches draws on all of them. Entries are global indices: the
// samples of dataset d are offsets[d] .. offsets[d] + size - 1.
std::vector<int64_t> MixedOrder(const std::vector<std::shared_ptr<const DatasetReader>>& readers,
                                const std::vector<int64_t>& offsets, const LoaderOptions& options,
                                int64_t epoch);

class Loader {
 public:
  Loader(std::shared_ptr<const DatasetReader> reader, LoaderOptions options);
  // Several datasets mixed; they must agree on F, and with whole images (crop 0) on the size.
  Loader(std::vector<std::shared_ptr<const DatasetReader>> readers, LoaderOptions options);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  int64_t BatchesPerEpoch() const;  // full batches only
  // Starts the workers on `epoch`, from batch `first` (to resume inside an epoch).
  void StartEpoch(int64_t epoch, int64_t first = 0);
  // The next batch of the epoch in order, or nullopt at its end. Rethrows a worker's error.
  std::optional<Batch> Next();

 private:
  void Stop();
  void Work(int worker);

  std::vector<std::shared_ptr<const DatasetReader>> readers_;
  std::vector<int64_t> offsets_;  // the global index of each dataset's first sample
  int64_t size_ = 0;
  LoaderOptions options_;
  std::vector<int64_t> order_;
  int64_t epoch_ = 0, next_ = 0, end_ = 0, first_ = 0;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable ready_, space_;
  std::map<int64_t, Batch> done_;
  std::exception_ptr error_;
  bool stopping_ = false;
};

}  // namespace blurkit::train
