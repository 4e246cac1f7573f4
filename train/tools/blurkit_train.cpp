// blurkit-train: trains the paper's model (or the U-Net baseline) on shard datasets, writes
// prediction datasets for blurkit-bench, measures models, and restores users' own photos.
#include <boost/program_options.hpp>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>

#include "blurkit/core/error.h"
#include "blurkit/core/stop_signal.h"
#include "blurkit/core/tool_main.h"
#include "blurkit/core/version.h"
#include "blurkit/train/distributed.h"
#include "blurkit/train/trainer.h"
#ifdef BLURKIT_WITH_RESTORE
#include "restore.h"
#endif

namespace po = boost::program_options;
using namespace blurkit;
using namespace blurkit::train;

namespace {

constexpr const char* kUsage = R"(blurkit-train: the sharp frames behind one blurred image (Argaw et al. 2021)

usage: blurkit-train <command> [options]

commands:
  train     train `motion` (the paper's model) or `unet` (baseline) on a shard dataset
  predict   run a checkpoint on a dataset; writes a prediction dataset for blurkit-bench
  info      parameter count and speed (images/s at 128, 256, 512 px) of a checkpoint
  restore   a blurred photo in, its frames out (PNG files and an animated PNG)

'blurkit-train <command> --help' lists a command's options.
)";

std::vector<double> ParseList(const std::string& text) {
  std::vector<double> values;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      values.push_back(std::stod(item));
    } catch (const std::logic_error&) {
      throw InputError("--scale-weights: expected numbers separated by commas, got '" + text + "'");
    }
  }
  return values;
}

int TrainMain(int argc, char** argv) {
  TrainOptions o;
  std::string val, out, scale_weights = "0.0625,0.125,0.25,0.5,1";
  std::vector<std::string> datas;
  po::options_description d("blurkit-train train");
  d.add_options()
      ("data", po::value(&datas)->required()->composing(),
       "training dataset (shard folder); its F sets the frames. Repeated: datasets of the same F "
       "mixed in proportion to their sizes (panoramas, photos, video)")
      ("val", po::value(&val), "held-out dataset, validated after every epoch")
      ("out,o", po::value(&out)->required(), "run folder: checkpoint.pt, train_log.csv, val_log.csv")
      ("model", po::value(&o.model.kind)->default_value("motion"), "motion (the paper's) or unet")
      ("width", po::value(&o.model.width)->default_value(32), "channels of the first encoder block")
      ("epochs", po::value(&o.epochs)->default_value(80), "epochs (the paper: 80)")
      ("batch", po::value(&o.loader.batch)->default_value(8), "mini-batch size (paper: 8 panorama, 4 video)")
      ("crop", po::value(&o.loader.crop)->default_value(128), "square training crops, a multiple of 32")
      ("lr", po::value(&o.learning_rate)->default_value(1e-4),
       "peak Adam learning rate (betas 0.9, 0.999)")
      ("schedule", po::value(&o.schedule)->default_value("paper"),
       "learning-rate schedule: paper (halved at 50% and 75% of the run), cosine (to zero) or "
       "constant")
      ("warmup", po::value(&o.warmup)->default_value(0), "steps of linear learning-rate warm-up")
      ("loss", po::value(&o.loss.distance)->default_value("l1"),
       "photometric distance: l1 (the paper's), charbonnier or l2")
      ("max-steps", po::value(&o.max_steps)->default_value(0), "stop after N steps (0 = all epochs)")
      ("max-minutes", po::value(&o.max_minutes)->default_value(0.0),
       "stop after this many minutes (0 = none); the schedule follows the budget")
      ("stop-after", po::value(&o.stop_after)->default_value(0),
       "end this session after N steps, checkpointed; --resume continues the same schedule")
      ("scale-weights", po::value(&scale_weights)->default_value(scale_weights),
       "photometric loss weights, coarsest (1/16) to full scale")
      ("consistency-weight", po::value(&o.loss.consistency)->default_value(0.01),
       "transformation consistency loss weight")
      ("penalty-weight", po::value(&o.loss.penalty)->default_value(0.01), "symmetric penalty weight")
      ("middle-weight", po::value(&o.loss.middle_weight)->default_value(1.0),
       "photometric weight of the middle frame relative to each other frame")
      ("frequency-weight", po::value(&o.loss.frequency)->default_value(0.0),
       "weight of the frequency-domain photometric term (MIMO-UNet's, on the orthonormal FFT)")
      ("order-invariant", po::bool_switch(&o.loss.order_invariant),
       "Jin et al.'s order-invariant photometric loss (min of forward and reverse)")
      ("no-flips", "no random flips")
      ("no-time-reversal", "no random reversal of the frame order")
      ("workers", po::value(&o.loader.workers)->default_value(2), "threads assembling batches")
      ("shuffle-shards", po::value(&o.loader.shuffle_shards)->default_value(16),
       "shards whose samples are mixed at a time (1 = one shard at a time; a batch then holds "
       "one source)")
      ("checkpoint-every", po::value(&o.checkpoint_every)->default_value(200), "steps between checkpoints")
      ("clip-grad", po::value(&o.clip_grad_norm)->default_value(0.0),
       "scale the gradient down to this global L2 norm when larger (0 = never); train_log.csv's "
       "grad_norm column shows the norms before clipping")
      ("divergence", po::value(&o.divergence)->default_value(10.0),
       "stop with an error when the 50-step mean loss exceeds this many times its lowest (0 = "
       "never); a non-finite loss or gradient always stops")
      ("val-samples", po::value(&o.validation_samples)->default_value(0), "validate on N samples (0 = all)")
      ("val-every", po::value(&o.validate_every)->default_value(0),
       "validate every N steps (0 = after every epoch)")
      ("init", po::value(&o.init),
       "start from the weights of this checkpoint (fine-tuning; same model, width and F)")
      ("resume", po::bool_switch(&o.resume), "continue the run in --out from its checkpoint")
      ("device", po::value(&o.device)->default_value("auto"), "auto, cpu or cuda")
      ("threads,j", po::value(&o.threads)->default_value(0),
       "CPU threads, 0 = all cores (shared among the processes of a machine)")
      ("dist-timeout", po::value(&o.dist_timeout_seconds)->default_value(1800),
       "data-parallel: seconds to wait for the other ranks before failing")
      ("seed", po::value(&o.loader.seed)->default_value(0), "data order and augmentation seed")
      ("quiet,q", "no progress output")
      ("help,h", "this help");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, d), vm);
  if (vm.count("help")) {
    std::cout << d << "\nexample:\n  blurkit-train train --data runs/demo/panorama_train --val "
                      "runs/demo/panorama_test --out runs/motion --width 8 --max-minutes 4\n"
                      "\ndata-parallel (--batch is per process; see docs/cluster.md):\n"
                      "  torchrun --no_python --nproc_per_node 2 blurkit-train train ...\n"
                      "  srun --ntasks 8 blurkit-train train ...     (inside a Slurm job)\n";
    return 0;
  }
  po::notify(vm);
  torch::manual_seed(static_cast<uint64_t>(o.loader.seed));
  o.data = datas.front();
  for (size_t k = 1; k < datas.size(); ++k) o.more_data.push_back(datas[k]);
  o.validation = val;
  o.out = out;
  o.loss.scale_weights = ParseList(scale_weights);
  o.loader.flips = !vm.count("no-flips");
  o.loader.time_reversal = !vm.count("no-time-reversal");
  o.progress = !vm.count("quiet");
  InstallStopHandlers();  // SIGINT/SIGTERM: finish the step, checkpoint, exit 128 + signal
  const TrainSummary s = Train(o);
  const bool main_rank = s.world_size == 1 || ParseLaunchEnvironment(CurrentEnvironment()).rank == 0;
  if (s.stopped_by_signal) {
    if (main_rank) {
      std::cerr << "blurkit-train: stopped by " << (s.stopped_by_signal == SIGINT ? "SIGINT" : "SIGTERM")
                << " after step " << s.steps << "; " << s.checkpoint.string()
                << " holds it: the same command with --resume continues the run\n";
    }
    return 128 + s.stopped_by_signal;
  }
  if (!main_rank) return 0;
  std::cout << "trained " << s.steps - s.resumed_from << " steps"
            << (s.resumed_from ? " (resumed at step " + std::to_string(s.resumed_from) + ")" : "")
            << " in " << s.seconds << " s, " << s.samples_per_second << " samples/s; last loss "
            << s.last_loss << (s.stopped_by_budget ? " (stopped by its budget)" : "") << "\n";
  if (s.validation.samples > 0) {
    std::cout << "validation (" << s.validation.samples << " samples, order-aware PSNR): middle "
              << s.validation.psnr_middle << " dB, others " << s.validation.psnr_others << " dB\n";
  }
  if (s.world_size > 1) {
    char digest[17];
    std::snprintf(digest, sizeof(digest), "%016llx", static_cast<unsigned long long>(s.parameters_digest));
    std::cout << "data-parallel: " << s.world_size << " processes; parameters identical on every rank (fnv1a64 "
              << digest << "); gradient all-reduce " << s.gradient_seconds << " s, "
              << 100.0 * s.gradient_seconds / std::max(s.seconds, 1e-9) << "% of the run\n";
  }
  std::cout << "checkpoint: " << s.checkpoint.string() << "\n";
  return 0;
}

int PredictMain(int argc, char** argv) {
  PredictOptions o;
  std::string model, data, out;
  po::options_description d("blurkit-train predict");
  d.add_options()
      ("model,m", po::value(&model)->required(), "checkpoint (checkpoint.pt of a run)")
      ("data", po::value(&data)->required(), "dataset to predict (shard folder)")
      ("out,o", po::value(&out)->required(), "prediction dataset folder")
      ("name", po::value(&o.name), "method name recorded for blurkit-bench")
      ("device", po::value(&o.device)->default_value("auto"), "auto, cpu or cuda")
      ("threads,j", po::value(&o.threads)->default_value(0), "CPU threads, 0 = all cores")
      ("batch", po::value(&o.batch)->default_value(8),
       "images run through the model together (fewer if memory is short; the frames do not depend on it beyond float rounding)")
      ("quiet,q", "no progress output")
      ("help,h", "this help");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, d), vm);
  if (vm.count("help")) {
    std::cout << d;
    return 0;
  }
  po::notify(vm);
  o.model = model;
  o.data = data;
  o.out = out;
  o.progress = !vm.count("quiet");
  InstallStopHandlers();  // SIGINT/SIGTERM: stop, remove the output folder, exit 128 + signal
  const PredictSummary s = Predict(o);
  std::cout << "predicted " << s.samples << " samples in " << s.seconds << " s: " << out << "\n";
  return 0;
}

int InfoMain(int argc, char** argv) {
  InfoOptions o;
  std::string model;
  po::options_description d("blurkit-train info");
  d.add_options()
      ("model,m", po::value(&model)->required(), "checkpoint")
      ("device", po::value(&o.device)->default_value("auto"), "auto, cpu or cuda")
      ("threads,j", po::value(&o.threads)->default_value(0), "CPU threads, 0 = all cores")
      ("help,h", "this help");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, d), vm);
  if (vm.count("help")) {
    std::cout << d;
    return 0;
  }
  po::notify(vm);
  o.model = model;
  const Json info = Info(o);
  std::cout << info.dump(2) << "\nrecorded in " << model << ".info.json\n";
  return 0;
}

int RestoreMain(int argc, char** argv) {
#ifdef BLURKIT_WITH_RESTORE
  RestoreOptions o;
  std::string model, input, out;
  po::options_description d("blurkit-train restore");
  d.add_options()
      ("model,m", po::value(&model)->required(), "checkpoint")
      ("input,i", po::value(&input)->required(), "a blurred photo (PNG or JPEG)")
      ("out,o", po::value(&out)->required(), "folder for frame_NN.png and animation.png")
      ("frame-ms", po::value(&o.frame_ms)->default_value(150), "animation: milliseconds per frame")
      ("device", po::value(&o.device)->default_value("auto"), "auto, cpu or cuda")
      ("threads,j", po::value(&o.threads)->default_value(0), "CPU threads, 0 = all cores")
      ("help,h", "this help");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, d), vm);
  if (vm.count("help")) {
    std::cout << d;
    return 0;
  }
  po::notify(vm);
  o.model = model;
  o.input = input;
  o.out = out;
  for (const auto& f : Restore(o)) std::cout << f.string() << "\n";
  return 0;
#else
  (void)argc;
  (void)argv;
  throw InputError("restore: this blurkit-train was built without OpenCV (image files)");
#endif
}

}  // namespace

int main(int argc, char** argv) {
  // LibTorch's errors carry a backtrace in what(); the message alone is what a user needs.
  auto describe = [](const std::exception& e) -> std::string {
    if (const auto* torch_error = dynamic_cast<const c10::Error*>(&e)) {
      return "LibTorch: " + std::string(torch_error->what_without_backtrace());
    }
    return "";
  };
  return RunTool("blurkit-train", kUsage,
                 {{"train", TrainMain}, {"predict", PredictMain}, {"info", InfoMain},
                  {"restore", RestoreMain}},
                 argc, argv, describe);
}
