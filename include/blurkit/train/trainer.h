// Training, validation, checkpoints, prediction and model information (blurkit-train).
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <string>

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

// Order-aware PSNR of a model on (up to `max_samples` of) a dataset, whole images (padded to a
// multiple of 32 by edge replication, then cropped back).
ValidationResult Validate(FrameModelImpl& model, const DatasetReader& data, torch::Device device,
                          int64_t max_samples);

// Runs the model on one image (uint8 RGB HWC), returns F frames (uint8 RGB HWC, concatenated).
std::vector<uint8_t> RunModel(FrameModelImpl& model, const uint8_t* rgb, int height, int width,
                              torch::Device device);

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
