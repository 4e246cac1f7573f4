// blurkit-train's checkpoint file (train/checkpoint.cpp), for the trainer's own use: the model, the
// optimizer and a JSON record ("meta": format "blurkit-checkpoint", step, model options, the run's
// settings), written atomically. LoadCheckpoint (blurkit/train/trainer.h) is the public reader.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <string>

#include "blurkit/train/trainer.h"

namespace blurkit::train {

inline constexpr const char* kCheckpointFile = "checkpoint.pt";

std::string TrainerGenerator();  // "blurkit-train VERSION", a prediction dataset's generator

struct CheckpointMeta {
  int64_t step = 0;
  ModelOptions model;
  Json extra = Json::object();
};

// Serialised in memory, then written beside the last good checkpoint and renamed over it.
void SaveCheckpoint(const std::filesystem::path& file, FrameModelImpl& model,
                    torch::optim::Optimizer* optimizer, const CheckpointMeta& meta);
// Throws InputError naming the file where it is missing, unreadable or not a blurkit checkpoint.
torch::serialize::InputArchive OpenArchive(const std::filesystem::path& file, torch::Device device);
Json ReadMeta(torch::serialize::InputArchive& archive, const std::filesystem::path& file);

}  // namespace blurkit::train
