// Data-parallel training across processes, with the engines users already run: torchrun and Slurm
// launch the processes, LibTorch's c10d connects them (a TCPStore for the rendezvous, Gloo on the
// CPU, NCCL on CUDA where the LibTorch has it). blurkit has no launcher of its own.
//
// How a process learns its place (ParseLaunchEnvironment):
//   torchrun:  RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT. Under its
//              default static rendezvous, TORCHELASTIC_USE_AGENT_STORE=True means the launcher
//              already serves the TCPStore on MASTER_PORT: every rank, rank 0 included, connects
//              as a client inside PrefixStore("/worker/attempt_<TORCHELASTIC_RESTART_COUNT>").
//              Otherwise rank 0 serves the store.
//   Slurm:     SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID (srun sets them, one task per process).
//              MASTER_ADDR defaults to the first host of SLURM_JOB_NODELIST, and MASTER_PORT to
//              20000 + SLURM_JOB_ID % 20000, so that two jobs sharing a node do not collide.
//   neither:   one process, as without this file.
// GLOO_SOCKET_IFNAME picks Gloo's network interfaces (comma-separated), as in PyTorch.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace blurkit::train {

using Environment = std::map<std::string, std::string>;
Environment CurrentEnvironment();

struct LaunchEnvironment {
  std::string launcher;  // "torchrun" (or any launcher setting RANK/WORLD_SIZE), "slurm", or ""
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  int local_world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  bool agent_store = false;  // torchrun serves the TCPStore itself
  int restart_count = 0;     // TORCHELASTIC_RESTART_COUNT: the store prefix of this attempt
  std::string socket_ifname; // GLOO_SOCKET_IFNAME
  bool distributed() const { return world_size > 1; }
  std::string Describe() const;  // "rank 1 of 4 (local 1 of 2), torchrun, rendezvous host:port"
};

// Throws InputError naming the variable when one is malformed or inconsistent.
LaunchEnvironment ParseLaunchEnvironment(const Environment& env);
// "node[01-04,07],gpu5" -> "node01"; "a,b" -> "a".
std::string FirstSlurmHost(const std::string& nodelist);

// The process group of one data-parallel run. Every call is collective: all ranks make it, in the
// same order. Errors (a rank that died, a timeout, a busy port) are InputError/IoError with a
// message that says what happened.
class ProcessGroup {
 public:
  // Connects to the other ranks; waits at most `timeout` for them, here and in every collective.
  static std::unique_ptr<ProcessGroup> Create(const LaunchEnvironment& launch,
                                              std::chrono::seconds timeout, torch::Device device);
  virtual ~ProcessGroup() = default;
  int rank() const { return rank_; }
  int world_size() const { return world_size_; }
  // Copies rank 0's tensors into every rank's (in place).
  virtual void Broadcast(const std::vector<torch::Tensor>& tensors) = 0;
  // Replaces every parameter's gradient by its mean over the ranks, in flattened buckets of at
  // most `bucket_bytes` (one all-reduce per bucket, not one per tensor). Gloo has no averaging
  // all-reduce: the sum is divided by the world size.
  virtual void AverageGradients(const std::vector<torch::Tensor>& parameters,
                                int64_t bucket_bytes = 25 << 20) = 0;
  // The element-wise sum over the ranks of a small CPU tensor (a few scalars).
  virtual torch::Tensor Sum(const torch::Tensor& values) = 0;
  virtual void Barrier() = 0;
  // Wall time spent in AverageGradients so far.
  double gradient_seconds() const { return gradient_seconds_; }

 protected:
  int rank_ = 0, world_size_ = 1;
  double gradient_seconds_ = 0;
};

// Whether this build can run data-parallel (LibTorch's c10d with Gloo headers were found).
bool DistributedAvailable();

}  // namespace blurkit::train
