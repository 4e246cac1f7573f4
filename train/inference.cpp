// Inference with a trained model: whole images through the model in batches, the validation that
// blurkit-train runs during training, `blurkit-train predict` (a prediction dataset that
// blurkit-bench scores) and `blurkit-train info` (parameters and speed).
#include <algorithm>
#include <chrono>
#include <cmath>

#include "blurkit/core/atomic_file.h"
#include "blurkit/core/error.h"
#include "blurkit/core/frame_metrics.h"
#include "blurkit/core/progress.h"
#include "blurkit/core/sha256.h"
#include "blurkit/core/stop_signal.h"
#include "blurkit/train/trainer.h"
#include "checkpoint.h"

namespace blurkit::train {
namespace F = torch::nn::functional;
using torch::Tensor;

namespace {

// (B, 3, H, W) float from uint8 HWC RGB, padded to multiples of 32 by edge replication.
Tensor InputTensor(const std::vector<const uint8_t*>& rgb, int height, int width,
                   torch::Device device) {
  Tensor x = torch::empty({static_cast<int64_t>(rgb.size()), 3, height, width}, torch::kFloat32);
  for (size_t i = 0; i < rgb.size(); ++i) {
    Rgb8ToChw(rgb[i], height, width, x.data_ptr<float>() + i * 3 * height * width);
  }
  const int ph = (32 - height % 32) % 32, pw = (32 - width % 32) % 32;
  x = x.to(device);
  if (ph || pw) x = F::pad(x, F::PadFuncOptions({0, pw, 0, ph}).mode(torch::kReplicate));
  return x;
}

double MeanOf(double sum, int64_t count) { return count ? sum / count : NAN; }

// Samples [begin, end) of a dataset and the frames the model predicts for them, run as one batch.
struct PredictedBatch {
  std::vector<Sample> samples;
  std::vector<std::vector<uint8_t>> frames;
};
PredictedBatch PredictSamples(FrameModelImpl& model, const DatasetReader& data, int64_t begin,
                              int64_t end, torch::Device device) {
  PredictedBatch batch;
  std::vector<const uint8_t*> inputs;
  for (int64_t i = begin; i < end; ++i) batch.samples.push_back(data.Read(i));
  for (const Sample& s : batch.samples) inputs.push_back(s.blurred.data());
  batch.frames = RunModelBatch(model, inputs, data.spec().height, data.spec().width, device);
  return batch;
}

}  // namespace

std::vector<std::vector<uint8_t>> RunModelBatch(FrameModelImpl& model,
                                                const std::vector<const uint8_t*>& rgb, int height,
                                                int width, torch::Device device) {
  torch::NoGradGuard no_grad;
  const Tensor x = InputTensor(rgb, height, width, device);
  Tensor frames = model.Forward(x).Frames();  // (N, F, 3, H', W')
  frames = frames.slice(3, 0, height).slice(4, 0, width);
  frames = (frames.clamp(0, 1) * 255)
               .round()
               .to(torch::kUInt8)
               .permute({0, 1, 3, 4, 2})
               .contiguous()
               .cpu();
  const int64_t each = frames.numel() / std::max<int64_t>(1, frames.size(0));
  const uint8_t* p = frames.data_ptr<uint8_t>();
  std::vector<std::vector<uint8_t>> out;
  for (int64_t i = 0; i < frames.size(0); ++i) out.emplace_back(p + i * each, p + (i + 1) * each);
  return out;
}

std::vector<uint8_t> RunModel(FrameModelImpl& model, const uint8_t* rgb, int height, int width,
                              torch::Device device) {
  return std::move(RunModelBatch(model, {rgb}, height, width, device)[0]);
}

ValidationResult Validate(FrameModelImpl& model, const DatasetReader& data, torch::Device device,
                          int64_t max_samples, int batch) {
  const DatasetSpec& spec = data.spec();
  const int64_t n = max_samples > 0 ? std::min(max_samples, data.size()) : data.size();
  const int f = spec.frames;
  const size_t image = static_cast<size_t>(spec.height) * spec.width * 3;
  ValidationResult result;
  double middle = 0, others = 0;
  int64_t others_count = 0;
  model.eval();
  const int64_t step = std::max(1, batch);
  for (int64_t begin = 0; begin < n; begin += step) {
    const PredictedBatch predictions =
        PredictSamples(model, data, begin, std::min(n, begin + step), device);
    for (size_t k = 0; k < predictions.samples.size(); ++k) {
      const Sample& s = predictions.samples[k];
      const std::vector<uint8_t>& predicted = predictions.frames[k];
      const int fp = static_cast<int>(predicted.size() / image);
      std::vector<double> forward(f), backward(f), none;
      for (int j = 0; j < f; ++j) {
        const ImageView truth{s.SharpFrame(j, spec), spec.height, spec.width};
        const int a = f == 1 ? fp / 2 : j, b = f == 1 ? fp / 2 : f - 1 - j;
        forward[j] = Psnr({predicted.data() + a * image, spec.height, spec.width}, truth, {});
        backward[j] = Psnr({predicted.data() + b * image, spec.height, spec.width}, truth, {});
      }
      const OrderedScores scores =
          ApplyOrderRule(forward, none, backward, none, OrderRule::kBestMeanPsnr);
      for (int j = 0; j < f; ++j) {
        if (j == f / 2) {
          middle += CappedPsnr(scores.psnr[j]);
        } else {
          others += CappedPsnr(scores.psnr[j]);
          ++others_count;
        }
      }
      ++result.samples;
    }
  }
  model.train();
  result.psnr_middle = MeanOf(middle, result.samples);
  result.psnr_others = MeanOf(others, others_count);
  return result;
}

PredictSummary Predict(const PredictOptions& options) {
  if (options.batch < 1) {
    throw InputError(Msg() << "--batch must be at least 1, got " << options.batch);
  }
  CheckOutputOutside(options.out, options.data);
  SetThreads(options.threads);
  const torch::Device device = ResolveDevice(options.device);
  DatasetReader data(options.data);
  LoadedModel loaded = LoadCheckpoint(options.model, device);
  const DatasetSpec& gt = data.spec();
  if (gt.frames != 1 && gt.frames != loaded.options.frames) {
    throw InputError(Msg() << options.data.string() << ": " << gt.frames << " frames per sample, "
                           << options.model.string() << " predicts " << loaded.options.frames);
  }
  OutputFolder folder(options.out);  // removed again if anything below fails
  DatasetSpec spec;
  spec.kind = DatasetKind::kPrediction;
  spec.frames = loaded.options.frames;
  spec.height = gt.height;
  spec.width = gt.width;
  spec.generator = TrainerGenerator();
  spec.blur_magnitude_unit = gt.blur_magnitude_unit;
  Json model_info = loaded.info.is_object() ? loaded.info : Json::object();
  model_info["name"] = loaded.options.kind;
  model_info["step"] = loaded.step;
  spec.params = Json{{"method", options.name.empty() ? loaded.options.kind : options.name},
                     {"model", model_info},
                     {"checkpoint_sha256", Sha256OfFile(options.model)},
                     {"ground_truth", options.data.filename().string()}};
  DatasetIndex index;
  index.spec = spec;
  index.num_samples = data.size();
  index.shard_size = 64;
  const int64_t shards = index.TotalShards();
  loaded.model->eval();
  Progress progress("predict", data.size(), "samples", options.progress);
  for (int64_t s = 0; s < shards; ++s) {
    const int64_t first = s * index.shard_size;
    const int64_t count = std::min(index.shard_size, data.size() - first);
    const std::string name = ShardFileName(s, shards);
    ShardWriter writer(options.out / name, spec, first, count);
    for (int64_t begin = first; begin < first + count; begin += options.batch) {
      if (StopRequested()) {
        throw Interrupted(Msg() << "stopped by " << StopSignalName() << " after " << begin << " of "
                                << data.size()
                                << " samples; the output folder is removed: run "
                                   "the command again",
                          StopSignalNumber());
      }
      PredictedBatch batch = PredictSamples(*loaded.model, data, begin,
                                            std::min(first + count, begin + options.batch), device);
      for (size_t k = 0; k < batch.samples.size(); ++k) {
        const Sample& sample = batch.samples[k];
        Sample p;
        p.index = begin + static_cast<int64_t>(k);
        p.id = sample.id;
        p.source_file = sample.source_file;
        p.source_sha256 = sample.source_sha256;
        p.blur_magnitude = sample.blur_magnitude;
        p.blurred = sample.blurred;
        p.sharp = std::move(batch.frames[k]);
        writer.Append(p);
        progress.Advance();
      }
    }
    writer.Commit();
    index.shards.push_back(DescribeShard(options.out / name, s, first, count));
  }
  progress.Finish();
  index.complete = true;
  index.Save(options.out / "index.json");
  folder.Keep();
  return {data.size(), progress.ElapsedSeconds()};
}

Json Info(const InfoOptions& options) {
  SetThreads(options.threads);
  const torch::Device device = ResolveDevice(options.device);
  LoadedModel loaded = LoadCheckpoint(options.model, device);
  loaded.model->eval();
  torch::NoGradGuard no_grad;
  Json info{{"parameters", loaded.model->ParameterCount()},
            {"device", device.is_cuda() ? "cuda" : "cpu"},
            {"threads", torch::get_num_threads()},
            {"fps_unit", "blurred images in per second, batch 1"},
            {"fps", Json::object()}};
  for (int size : options.sizes) {
    const Tensor x = torch::rand({1, 3, size, size}, torch::TensorOptions().device(device));
    auto sync = [&] {
      if (device.is_cuda()) torch::cuda::synchronize();
    };
    loaded.model->Forward(x);  // warm-up
    sync();
    int runs = 0;
    const auto start = std::chrono::steady_clock::now();
    double seconds = 0;
    while (runs < 3 || (seconds < 1.0 && runs < 50)) {
      loaded.model->Forward(x);
      sync();
      ++runs;
      seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    info["fps"][std::to_string(size)] = runs / seconds;
  }
  WriteFileAtomic(options.model.string() + ".info.json", info.dump(2) + "\n");
  return info;
}

}  // namespace blurkit::train
