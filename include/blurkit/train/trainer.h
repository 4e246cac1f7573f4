// Training, validation, checkpoints, prediction and model information (blurkit-train).
#pragma once

#include <torch/torch.h>

#include <deque>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "blurkit/core/shard.h"
#include "blurkit/train/loader.h"
#include "blurkit/train/losses.h"
#include "blurkit/train/model.h"

namespace blurkit::train {

// "auto" picks CUDA when present; "cuda" without CUDA is an InputError.
torch::Device ResolveDevice(const std::string& name);
// Sets LibTorch's intra-op threads (0 = every core; Debian's LibTorch starts with one).
void SetThreads(int threads);

struct TrainOptions {
  std::filesystem::path data;        // training dataset (shards)
  std::vector<std::filesystem::path> more_data;  // further training datasets, mixed with `data` in
                                     // proportion to their sizes (the same F; see MixedOrder)
  std::filesystem::path validation;  // held-out dataset, validated each epoch ("" = none)
  std::filesystem::path out;         // run folder: checkpoint.pt, train_log.csv, val_log.csv
  std::filesystem::path init;        // start from this checkpoint's weights ("" = from the seed):
                                     // fine-tuning; the optimizer and the schedule start afresh
  ModelOptions model;                // frames come from the dataset
  LossOptions loss;
  LoaderOptions loader;
  int epochs = 80;
  double learning_rate = 1e-4;       // Adam (0.9, 0.999), peak rate
  std::string schedule = "paper";    // "paper": halved at 50% and 75% of the run (the paper's
                                     // epochs 40 and 60 of 80); "cosine": cosine decay to zero;
                                     // "constant"
  int64_t warmup = 0;                // steps of linear warm-up from 0 to the peak rate
  int64_t max_steps = 0;             // stop after this many steps (0 = all epochs)
  double max_minutes = 0;            // stop after this much time (0 = none); the schedule then
                                     // follows the fraction of the budget used
  int64_t stop_after = 0;            // end this session after N more steps, checkpointed; the
                                     // schedule still spans the whole run (--resume continues it:
                                     // training in slices on preemptible machines)
  int64_t checkpoint_every = 200;    // steps between checkpoints
  double clip_grad_norm = 0;         // scale the gradient down to this global L2 norm when it
                                     // is larger (0 = never); after data-parallel averaging
  double divergence = 10;            // stop when the mean loss of the last 50 steps exceeds this
                                     // many times its lowest 50-step mean (0 = never); a
                                     // non-finite loss or gradient always stops the run
  int64_t validation_samples = 0;    // validate on the first N samples (0 = all)
  int64_t validate_every = 0;        // validate every N steps (0 = after every epoch)
  std::string device = "auto";
  int threads = 0;                   // 0: every core, shared among the processes of a machine
  int dist_timeout_seconds = 1800;   // data-parallel: wait this long for the other ranks
  bool resume = false;
  bool progress = true;

  void Check() const;  // throws InputError
};

// The learning rate at `fraction` (0..1) of the run, after `step` steps.
double LearningRate(const TrainOptions& options, int64_t step, double fraction);

struct ValidationResult {
  int64_t samples = 0;
  double psnr_middle = 0;   // order-aware (best-mean-psnr), as blurkit-bench scores
  double psnr_others = 0;
};

struct TrainSummary {
  int64_t steps = 0;
  int64_t resumed_from = 0;
  double seconds = 0;
  double samples_per_second = 0;
  double last_loss = 0;
  ValidationResult validation;
  std::filesystem::path checkpoint;
  bool stopped_by_budget = false;
  int stopped_by_signal = 0;      // SIGINT or SIGTERM: stopped after a step and checkpointed
  int world_size = 1;             // processes that trained together (torchrun, srun)
  int64_t parameters_digest = 0;  // FNV-1a of the final parameters, equal on every rank
  double gradient_seconds = 0;    // time spent averaging gradients across the ranks
};

TrainSummary Train(const TrainOptions& options);

// The global L2 norm of the gradients of `parameters` (torch.nn.utils.clip_grad_norm_'s); when
// `max_norm` > 0 and the norm is larger, the gradients are scaled down to it. Returns the norm
// before scaling (not finite if any gradient is not).
double ClipGradientNorm(const std::vector<torch::Tensor>& parameters, double max_norm);

// Watches a run's loss for a blow-up: the mean of its last kWindow steps against the lowest such
// mean so far. Noise does not trip it at a factor of 10: the width-16 run of docs/results.md that
// diverged had kept its 50-step mean within 1.29 times its lowest until then, and replayed on
// that run's log it trips 15 steps after the onset (the loss went from 0.08 to 3.6 in 12 steps).
class DivergenceWatch {
 public:
  static constexpr size_t kWindow = 50;
  explicit DivergenceWatch(double factor) : factor_(factor) {}  // factor <= 0: never trips
  bool Add(double loss);  // true when the run has diverged, `loss` included
  double mean() const { return mean_; }
  double lowest() const { return lowest_; }

 private:
  double factor_;
  std::deque<double> recent_;
  double sum_ = 0, mean_ = 0, lowest_ = std::numeric_limits<double>::infinity();
};

// Order-aware PSNR of a model on (up to `max_samples` of) a dataset, whole images (padded to a
// multiple of 32 by edge replication, then cropped back), run `batch` images at a time.
ValidationResult Validate(FrameModelImpl& model, const DatasetReader& data, torch::Device device,
                          int64_t max_samples, int batch = 8);

// Runs the model on one image (uint8 RGB HWC), returns F frames (uint8 RGB HWC, concatenated).
std::vector<uint8_t> RunModel(FrameModelImpl& model, const uint8_t* rgb, int height, int width,
                              torch::Device device);
// The same for images of one size run as one batch (on the CPU a batch of 8 runs about 3.8 times
// as many images per second as one at a time: train_benchmark's BM_PredictMotion); returns each
// image's frames.
std::vector<std::vector<uint8_t>> RunModelBatch(FrameModelImpl& model,
                                                const std::vector<const uint8_t*>& rgb, int height,
                                                int width, torch::Device device);

struct LoadedModel {
  std::shared_ptr<FrameModelImpl> model;
  ModelOptions options;
  int64_t step = 0;
  Json info;  // parameters and speed, where `blurkit-train info` recorded them
};
// Throws InputError naming the file when it is missing or not a blurkit checkpoint.
LoadedModel LoadCheckpoint(const std::filesystem::path& file, torch::Device device);

struct PredictOptions {
  std::filesystem::path model, data, out;
  std::string name;  // method name recorded in the predictions (default: the model kind)
  std::string device = "auto";
  int threads = 0;
  int batch = 8;  // images run through the model together
  bool progress = true;
};
struct PredictSummary {
  int64_t samples = 0;
  double seconds = 0;
};
// Writes a prediction dataset that blurkit-bench scores (shards, kind "prediction").
PredictSummary Predict(const PredictOptions& options);

struct InfoOptions {
  std::filesystem::path model;
  std::string device = "auto";
  int threads = 0;
  std::vector<int> sizes = {128, 256, 512};
};
// Parameter count and frames/s at each size on the device; recorded beside the checkpoint
// (<checkpoint>.info.json), where Predict picks it up for blurkit-bench.
Json Info(const InfoOptions& options);

}  // namespace blurkit::train
