#include "blurkit/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cmath>
#include <fstream>
#include <sstream>
#include <thread>

#include "blurkit/core/atomic_file.h"
#include "blurkit/core/error.h"
#include "blurkit/core/frame_metrics.h"
#include "blurkit/core/progress.h"
#include "blurkit/core/sha256.h"
#include "blurkit/core/stop_signal.h"
#include "blurkit/core/version.h"
#include "blurkit/train/distributed.h"
#include "checkpoint.h"

namespace blurkit::train {
namespace fs = std::filesystem;
namespace F = torch::nn::functional;
using torch::Tensor;

torch::Device ResolveDevice(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name == "cuda" || name == "auto") {
    if (torch::cuda::is_available()) return torch::kCUDA;
    if (name == "cuda") {
      throw InputError("--device cuda: no CUDA device is available (this LibTorch sees none); use "
                       "--device cpu or auto");
    }
    return torch::kCPU;
  }
  throw InputError(Msg() << "--device must be auto, cpu or cuda, got '" << name << "'");
}

void SetThreads(int threads) {
  const int n = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(n);
}

void TrainOptions::Check() const {
  if (data.empty()) throw InputError("--data is required");
  if (out.empty()) throw InputError("--out is required");
  if (epochs < 1) throw InputError(Msg() << "--epochs must be positive, got " << epochs);
  if (!(learning_rate > 0)) throw InputError("--lr must be positive");
  if (max_steps < 0 || max_minutes < 0 || stop_after < 0) throw InputError("budgets must be >= 0");
  if (checkpoint_every < 1) throw InputError("--checkpoint-every must be positive");
  if (dist_timeout_seconds < 1) throw InputError("--dist-timeout must be at least 1 second");
  if (schedule != "paper" && schedule != "cosine" && schedule != "constant") {
    throw InputError("--schedule must be paper, cosine or constant, got '" + schedule + "'");
  }
  if (warmup < 0) throw InputError("--warmup must be >= 0");
  if (validate_every < 0) throw InputError("--val-every must be >= 0");
  if (!(clip_grad_norm >= 0)) throw InputError("--clip-grad must be >= 0 (0 = no clipping)");
  if (!(divergence == 0 || divergence > 1)) {
    throw InputError("--divergence must be 0 (off) or a factor above 1");
  }
  loss.Check();
  loader.Check();
}

double LearningRate(const TrainOptions& options, int64_t step, double fraction) {
  fraction = std::clamp(fraction, 0.0, 1.0);
  double factor = 1.0;
  if (options.schedule == "paper") {
    factor = fraction >= 0.75 ? 0.25 : fraction >= 0.5 ? 0.5 : 1.0;
  } else if (options.schedule == "cosine") {
    factor = 0.5 * (1.0 + std::cos(M_PI * fraction));
  }
  if (options.warmup > 0 && step < options.warmup) factor *= double(step + 1) / options.warmup;
  return options.learning_rate * factor;
}

namespace {


std::string Csv(double v) {
  std::ostringstream s;
  s.precision(7);
  s << v;
  return s.str();
}

// Keeps the rows of a CSV log whose first column (the step) is <= `step`, for a resumed run.
void TruncateLog(const fs::path& file, int64_t step) {
  if (!fs::exists(file)) return;
  std::ifstream in(file);
  std::string line, kept;
  bool header = true;
  while (std::getline(in, line)) {
    if (header || std::stoll(line.substr(0, line.find(','))) <= step) kept += line + "\n";
    header = false;
  }
  WriteFileAtomic(file, kept);
}

}  // namespace

double ClipGradientNorm(const std::vector<Tensor>& parameters, double max_norm) {
  std::vector<Tensor> norms;
  for (const Tensor& p : parameters) {
    if (p.grad().defined()) norms.push_back(p.grad().detach().norm(2).to(torch::kFloat64));
  }
  if (norms.empty()) return 0;
  const double norm = torch::stack(norms).norm(2).item<double>();
  if (max_norm > 0 && std::isfinite(norm) && norm > max_norm) {
    const double scale = max_norm / (norm + 1e-6);  // torch.nn.utils.clip_grad_norm_'s
    torch::NoGradGuard no_grad;
    for (const Tensor& p : parameters) {
      if (p.grad().defined()) p.grad().mul_(scale);
    }
  }
  return norm;
}

bool DivergenceWatch::Add(double loss) {
  if (factor_ <= 0) return false;
  recent_.push_back(loss);
  sum_ += loss;
  if (recent_.size() > kWindow) {
    sum_ -= recent_.front();
    recent_.pop_front();
  }
  if (recent_.size() < kWindow) return false;
  mean_ = sum_ / kWindow;
  lowest_ = std::min(lowest_, mean_);
  return mean_ > factor_ * lowest_;
}



namespace {

TrainSummary TrainInFolder(const TrainOptions& options, const LaunchEnvironment& launch,
                           bool* started);

// What a failed run leaves in its folder: nothing, where it had no checkpoint yet (a folder it
// created is removed, its logs are removed from one that existed); where it had one and failed
// while training, the checkpoint, its logs and failed.txt saying what went wrong and how to go on.
// A resumed run refused before its first step (other options, other data) changes nothing.
void CleanUpFailedRun(const fs::path& out, bool existed, bool started, const std::string& error) {
  std::error_code ec;
  if (!fs::exists(out / kCheckpointFile)) {
    if (!existed) {
      fs::remove_all(out, ec);
    } else {
      fs::remove(out / "train_log.csv", ec);
      fs::remove(out / "val_log.csv", ec);
    }
    return;
  }
  if (!started) return;
  try {
    WriteFileAtomic(out / "failed.txt",
                    "blurkit-train train failed: " + error +
                        "\nThe checkpoint (checkpoint.pt) holds the last saved step; once the cause is "
                        "fixed, the same command with --resume continues the run.\n");
  } catch (const std::exception&) {
  }
}

}  // namespace

TrainSummary Train(const TrainOptions& options) {
  options.Check();
  CheckOutputOutside(options.out, options.data);
  for (const fs::path& more : options.more_data) CheckOutputOutside(options.out, more);
  CheckOutputOutside(options.out, options.validation);
  if (fs::exists(options.out / kCheckpointFile) && !options.resume) {
    throw InputError(Msg() << (options.out / kCheckpointFile).string()
                           << " exists: pass --resume to continue that run, or choose another --out");
  }
  const LaunchEnvironment launch = ParseLaunchEnvironment(CurrentEnvironment());
  const bool existed = fs::exists(options.out);
  bool started = false;
  try {
    TrainSummary summary = TrainInFolder(options, launch, &started);
    std::error_code ec;
    if (launch.rank == 0) fs::remove(options.out / "failed.txt", ec);
    return summary;
  } catch (const std::exception& e) {
    if (launch.rank == 0) CleanUpFailedRun(options.out, existed, started, e.what());
    throw;
  }
}

namespace {

// 64-bit FNV-1a of the parameters' bytes: ranks compare it to prove they hold the same model.
int64_t ParameterDigest(FrameModelImpl& model) {
  uint64_t hash = 1469598103934665603ULL;
  for (const auto& p : model.parameters()) {
    const Tensor t = p.detach().to(torch::kCPU).contiguous();
    const auto* bytes = static_cast<const uint8_t*>(t.data_ptr());
    for (size_t i = 0; i < t.nbytes(); ++i) hash = (hash ^ bytes[i]) * 1099511628211ULL;
  }
  return static_cast<int64_t>(hash);
}

TrainSummary TrainInFolder(const TrainOptions& options, const LaunchEnvironment& launch,
                           bool* started) {
  // Processes sharing a machine share its cores (torchrun's LOCAL_WORLD_SIZE, Slurm's tasks per
  // node), unless --threads says otherwise.
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  SetThreads(options.threads > 0 || !launch.distributed()
                 ? options.threads
                 : std::max(1, cores / launch.local_world_size));
  torch::Device device = ResolveDevice(options.device);
  if (device.is_cuda() && launch.distributed()) {
    device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(launch.local_rank));
  }
  std::unique_ptr<ProcessGroup> group;
  if (launch.distributed()) {
    group = ProcessGroup::Create(launch, std::chrono::seconds(options.dist_timeout_seconds), device);
  }
  const bool main_rank = launch.rank == 0;  // writes the checkpoint, logs and validation
  const int world = launch.world_size;
  if (group && main_rank && options.progress) {
    std::cerr << "data-parallel: " << world << " processes (" << launch.launcher << "), batch "
              << options.loader.batch << " per process, " << options.loader.batch * world
              << " in all; rendezvous " << launch.master_addr << ":" << launch.master_port << "\n";
  }
  auto reader = std::make_shared<DatasetReader>(options.data);
  std::vector<std::shared_ptr<const DatasetReader>> readers{reader};
  for (const fs::path& more : options.more_data) readers.push_back(std::make_shared<DatasetReader>(more));
  ModelOptions model_options = options.model;
  model_options.frames = reader->spec().frames;
  if (model_options.frames < 3) {
    throw InputError(Msg() << options.data.string() << ": has " << model_options.frames
                           << " frame(s) per sample; training needs sequences (F >= 3)");
  }
  std::unique_ptr<DatasetReader> validation;
  if (!options.validation.empty()) {
    validation = std::make_unique<DatasetReader>(options.validation);
    if (validation->spec().frames != model_options.frames) {
      throw InputError(Msg() << options.validation.string() << ": " << validation->spec().frames
                             << " frames per sample, the training data has " << model_options.frames);
    }
  }
  std::error_code ec;
  if (main_rank) fs::create_directories(options.out, ec);
  if (ec) throw IoError(Msg() << options.out.string() << ": cannot create the run folder: " << ec.message());
  const fs::path checkpoint = options.out / kCheckpointFile;
  const fs::path train_log = options.out / "train_log.csv", val_log = options.out / "val_log.csv";

  // The initial weights come from the seed too: the same command gives the same run.
  torch::manual_seed(options.loader.seed);
  auto model = MakeModel(model_options);
  model->to(device);
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(options.learning_rate)
                                                        .betas(std::make_tuple(0.9, 0.999)));
  TrainSummary summary;
  int64_t step = 0;
  double seconds_before = 0;  // training time of the sessions before a resumed one
  if (fs::exists(checkpoint)) {  // Train() refused it already unless --resume
    auto archive = OpenArchive(checkpoint, device);
    const Json meta = ReadMeta(archive, checkpoint);
    const ModelOptions saved = ModelOptions::FromJson(meta.at("model").dump());
    if (saved.kind != model_options.kind || saved.width != model_options.width ||
        saved.frames != model_options.frames) {
      throw InputError(Msg() << checkpoint.string() << ": holds a " << saved.kind << " model (width "
                             << saved.width << ", " << saved.frames << " frames); this run asks for "
                             << model_options.kind << " (width " << model_options.width << ", "
                             << model_options.frames << " frames)");
    }
    torch::serialize::InputArchive model_archive, optimizer_archive;
    archive.read("model", model_archive);
    model->load(model_archive);
    model->ApplyLayout();
    archive.read("optimizer", optimizer_archive);
    optimizer.load(optimizer_archive);
    const int saved_world = meta.at("train").value("world_size", 1);
    if (saved_world != world) {
      throw InputError(Msg() << checkpoint.string() << ": made by " << saved_world
                             << " process(es), resumed by " << world
                             << "; resume with the world size the run started with");
    }
    step = meta.value("step", int64_t{0});
    seconds_before = meta.value("train_seconds", 0.0);
    summary.resumed_from = step;
    if (main_rank) {
      TruncateLog(train_log, step);
      TruncateLog(val_log, step);
    }
  } else {
    if (!options.init.empty()) {
      // Fine-tuning: the weights of another run, the model the dataset asks for.
      LoadedModel start = LoadCheckpoint(options.init, device);
      if (start.options.kind != model_options.kind || start.options.width != model_options.width ||
          start.options.frames != model_options.frames) {
        throw InputError(Msg() << options.init.string() << ": --init holds a " << start.options.kind
                               << " model (width " << start.options.width << ", " << start.options.frames
                               << " frames); this run asks for " << model_options.kind << " (width "
                               << model_options.width << ", " << model_options.frames << " frames)");
      }
      torch::NoGradGuard no_grad;
      const auto from = start.model->named_parameters();
      for (auto& p : model->named_parameters()) p.value().copy_(from[p.key()]);
    }
    if (main_rank) {
      WriteFileAtomic(train_log, "step,epoch,lr,loss,photometric,consistency,penalty,samples_per_s,grad_norm\n");
    // train_seconds: wall time spent in training steps, validation excluded (learning curves
    // against time: scripts/learning_curves.sh).
      WriteFileAtomic(val_log, "step,epoch,psnr_middle,psnr_others,samples,train_seconds\n");
    }
  }
  model->train();

  // Batches for a GPU are page-locked, so that their copies run asynchronously.
  LoaderOptions loader_options = options.loader;
  loader_options.pin_memory = loader_options.pin_memory || device.is_cuda();
  loader_options.rank = launch.rank;
  loader_options.world_size = world;
  if (group) {
    // Every rank starts from rank 0's weights (the same seed gives the same ones; this makes sure).
    std::vector<Tensor> state = model->parameters();
    for (const auto& b : model->buffers()) state.push_back(b);
    group->Broadcast(state);
  }
  Loader loader(readers, loader_options);
  const int64_t per_epoch = loader.BatchesPerEpoch();
  const int64_t validate_every = options.validate_every > 0 ? options.validate_every : per_epoch;
  int64_t total = options.epochs * per_epoch;
  if (options.max_steps > 0) total = std::min(total, options.max_steps);
  Json more_data = Json::array();
  for (const fs::path& more : options.more_data) more_data.push_back(more.string());
  Json extra{{"train", {{"data", options.data.string()},
                        {"more_data", more_data},
                        {"epochs", options.epochs},
                        {"lr", options.learning_rate},
                        {"schedule", options.schedule},
                        {"warmup", options.warmup},
                        {"clip_grad", options.clip_grad_norm},
                        {"loss", options.loss.distance},
                        {"batch", options.loader.batch},
                        {"world_size", world},
                        {"global_batch", options.loader.batch * world},
                        {"crop", options.loader.crop},
                        {"seed", options.loader.seed},
                        {"shuffle_shards", options.loader.shuffle_shards},
                        {"flips", options.loader.flips},
                        {"time_reversal", options.loader.time_reversal},
                        {"scale_weights", options.loss.scale_weights},
                        {"consistency", options.loss.consistency},
                        {"penalty", options.loss.penalty},
                        {"order_invariant", options.loss.order_invariant},
                        {"middle_weight", options.loss.middle_weight},
                        {"frequency", options.loss.frequency},
                        {"init", options.init.string()}}}};

  std::ofstream log, vlog;  // rank 0's
  if (main_rank) {
    log.open(train_log, std::ios::app);
    vlog.open(val_log, std::ios::app);
  }
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  double validation_seconds = 0;
  auto train_seconds = [&] { return seconds_before + elapsed() - validation_seconds; };
  // The step checkpoint.pt holds (-1: none yet); a diverged run keeps it and writes no other.
  int64_t saved_step = step > 0 ? step : -1;
  auto save = [&](int64_t at) {
    extra["epoch"] = at / per_epoch;
    extra["batch_in_epoch"] = at % per_epoch;
    extra["train_seconds"] = train_seconds();
    if (main_rank) SaveCheckpoint(checkpoint, *model, &optimizer, {at, model_options, extra});
    saved_step = at;
    if (group) group->Barrier();
  };
  DivergenceWatch watch(options.divergence);
  auto stop_diverged = [&](int64_t at, const std::string& why, bool finite) {
    if (main_rank) log.flush();
    Msg message;
    message << options.out.string() << ": training diverged at step " << at << ": " << why
            << "; stopped without checkpointing it. ";
    if (saved_step >= 0) {
      message << "checkpoint.pt holds step " << saved_step << ": continue from it with --resume and a "
              << "lower --lr (this run: " << options.learning_rate << ") or --clip-grad, or start "
              << "again if train_log.csv's loss had already risen by then";
    } else {
      message << "Start again with a lower --lr (this run: " << options.learning_rate
              << ") or with --clip-grad";
    }
    if (finite) message << "; --divergence 0 trains on regardless";
    throw Error(message);
  };
  auto validate = [&](int64_t at) {
    if (!validation) return;
    if (!main_rank) {
      group->Barrier();
      return;
    }
    const double begin = elapsed();
    summary.validation = Validate(*model, *validation, device, options.validation_samples,
                                  static_cast<int>(options.loader.batch));
    validation_seconds += elapsed() - begin;
    vlog << at << "," << at / per_epoch << "," << Csv(summary.validation.psnr_middle) << ","
         << Csv(summary.validation.psnr_others) << "," << summary.validation.samples << ","
         << Csv(train_seconds()) << "\n";
    vlog.flush();
    if (group) group->Barrier();
  };
  // A new run is validated before its first step too: the untrained model predicts the blurred
  // input, so the first row of val_log.csv is the floor that the curve rises from.
  if (step == 0) validate(0);

  Progress progress("train " + model_options.kind, total - step, "steps",
                    options.progress && main_rank);
  if (options.max_minutes > 0) progress.SetTimeBudget(60 * options.max_minutes);
  const int64_t first_step = step;
  bool signalled = false;
  double agreed_seconds = 0;  // data-parallel: the ranks' mean elapsed time at the last step
  *started = true;
  if (step < total) loader.StartEpoch(step / per_epoch, step % per_epoch);
  while (step < total) {
    std::optional<Batch> batch = loader.Next();
    BLURKIT_CHECK(batch) << "loader ended early at step " << step;
    // The schedule follows the fraction of the run done (steps, or the time budget if that binds).
    double fraction = double(step) / total;
    if (options.max_minutes > 0) {
      // Data-parallel ranks use the time they agreed on at the last step, so that their learning
      // rates, and so their models, stay identical.
      fraction = std::max(fraction, (group ? agreed_seconds : elapsed()) / (60 * options.max_minutes));
    }
    const double lr = LearningRate(options, step, fraction);
    for (auto& group : optimizer.param_groups()) {
      static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    }
    const Tensor blurred = batch->blurred.to(device, /*non_blocking=*/true);
    const Tensor sharp = batch->sharp.to(device, /*non_blocking=*/true);
    const ModelOutput output = model->Forward(blurred);
    const LossTerms terms = ComputeLoss(output, sharp, options.loss);
    optimizer.zero_grad();
    terms.total.backward();
    if (group) group->AverageGradients(model->parameters());
    // After averaging, so that every rank clips alike and their models stay identical.
    const double grad_norm = ClipGradientNorm(model->parameters(), options.clip_grad_norm);
    if (!std::isfinite(grad_norm)) stop_diverged(step + 1, "its gradient is not finite", false);
    optimizer.step();
    ++step;
    const double seconds = elapsed();
    // The logged loss terms are means over the ranks; the time budget binds when it binds on any
    // rank, so that all stop at the same step.
    bool budget = (options.max_minutes > 0 && seconds >= 60 * options.max_minutes) ||
                  (options.stop_after > 0 && step - first_step >= options.stop_after);
    // SIGINT/SIGTERM (InstallStopHandlers): stop after this step, as for a budget; data-parallel
    // ranks agree on it below, so they all stop at the same step.
    signalled = StopRequested();
    Tensor logged = torch::stack({terms.total.detach(), terms.photometric.detach(),
                                  terms.consistency.detach(), terms.penalty.detach()})
                        .to(torch::kCPU, torch::kFloat64);
    if (group) {
      Tensor shared = group->Sum(torch::cat(
          {logged, torch::tensor({budget ? 1.0 : 0.0, seconds, signalled ? 1.0 : 0.0}, torch::kFloat64)}));
      logged = shared.narrow(0, 0, 4) / world;
      budget = shared[4].item<double>() > 0;
      agreed_seconds = shared[5].item<double>() / world;
      signalled = shared[6].item<double>() > 0;
    }
    const double loss = logged[0].item<double>();
    summary.last_loss = loss;
    const double rate = (step - first_step) * options.loader.batch * world / std::max(seconds, 1e-9);
    if (main_rank) {
      log << step << "," << (step - 1) / per_epoch << "," << Csv(lr) << "," << Csv(loss) << ","
          << Csv(logged[1].item<double>()) << "," << Csv(logged[2].item<double>()) << ","
          << Csv(logged[3].item<double>()) << "," << Csv(rate) << "," << Csv(grad_norm) << "\n";
    }
    // The logged loss is the ranks' mean, so that all of them stop at the same step.
    if (!std::isfinite(loss)) stop_diverged(step, "its loss is not finite", false);
    if (watch.Add(loss)) {
      stop_diverged(step, Msg() << "the mean loss of its last " << DivergenceWatch::kWindow << " steps is "
                                << watch.mean() << ", " << watch.mean() / watch.lowest()
                                << " times its lowest (" << watch.lowest() << ")",
                    true);
    }
    char note[96];
    std::snprintf(note, sizeof(note), " loss %.4f, %.1f samples/s", loss, rate);
    progress.Advance(1, note);
    // At a checkpoint step the checkpoint is written before the log is flushed: a run killed in
    // between never has a log that lists the step without the checkpoint that holds it.
    if (step % options.checkpoint_every == 0) {
      save(step);
      if (main_rank) log.flush();
    } else if (step % 10 == 0 && main_rank) {
      log.flush();
    }
    if (step % validate_every == 0) validate(step);
    if (step % per_epoch == 0 && step < total && !budget) loader.StartEpoch(step / per_epoch, 0);
    if (signalled) {
      summary.stopped_by_signal = StopSignalNumber() ? StopSignalNumber() : SIGTERM;
      break;
    }
    if (budget) {
      summary.stopped_by_budget = true;
      break;
    }
  }
  progress.Finish();
  if (main_rank) log.flush();
  save(step);
  if (validation && step % validate_every != 0 && !signalled) validate(step);
  summary.steps = step;
  summary.seconds = elapsed();
  summary.samples_per_second =
      (step - first_step) * options.loader.batch * world / std::max(summary.seconds, 1e-9);
  summary.checkpoint = checkpoint;
  summary.world_size = world;
  summary.parameters_digest = ParameterDigest(*model);
  if (group) {
    // Every rank must end with rank 0's model: anything else is a bug, not noise.
    Tensor digest = torch::full({1}, summary.parameters_digest, torch::kInt64);
    group->Broadcast({digest});
    if (digest.item<int64_t>() != summary.parameters_digest) {
      throw InputError(Msg() << "rank " << launch.rank << ": its parameters differ from rank 0's "
                             << "after " << step << " steps (data-parallel training diverged)");
    }
    summary.gradient_seconds = group->gradient_seconds();
    group->Barrier();
  }
  return summary;
}

}  // namespace

}  // namespace blurkit::train
