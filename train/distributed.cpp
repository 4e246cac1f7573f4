#include "blurkit/train/distributed.h"

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <sstream>

#include "blurkit/core/error.h"
// LibTorch's CMake package defines USE_C10D_GLOO for its users where it was built with Gloo;
// c10d's Gloo header is empty without it.
#if defined(BLURKIT_WITH_C10D) && defined(USE_C10D_GLOO)
#define BLURKIT_C10D_ACTIVE 1
#include "c10d_compat.h"
#endif

extern char** environ;

namespace blurkit::train {

Environment CurrentEnvironment() {
  Environment env;
  for (char** e = environ; e && *e; ++e) {
    const std::string entry = *e;
    const size_t eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return env;
}

namespace {

const std::string* Find(const Environment& env, const std::string& name) {
  auto it = env.find(name);
  return it == env.end() || it->second.empty() ? nullptr : &it->second;
}

int IntegerVariable(const Environment& env, const std::string& name, int fallback, int lo = 0) {
  const std::string* value = Find(env, name);
  if (!value) return fallback;
  try {
    size_t used = 0;
    const long v = std::stol(*value, &used);
    if (used != value->size() || v < lo || v > 1 << 24) throw std::invalid_argument(*value);
    return static_cast<int>(v);
  } catch (const std::logic_error&) {
    throw InputError(Msg() << "environment variable " << name << "='" << *value
                           << "' should be an integer >= " << lo);
  }
}

}  // namespace

std::string FirstSlurmHost(const std::string& nodelist) {
  // The first entry of a Slurm host list: "node[01-04,07],gpu5" -> "node01".
  std::string first;
  int depth = 0;
  for (char c : nodelist) {
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (c == ',' && depth == 0) break;
    first += c;
  }
  const size_t open = first.find('[');
  if (open == std::string::npos) return first;
  std::string range = first.substr(open + 1, first.find(']') - open - 1);
  range = range.substr(0, range.find(','));
  range = range.substr(0, range.find('-'));
  return first.substr(0, open) + range;
}

std::string LaunchEnvironment::Describe() const {
  std::ostringstream out;
  out << "rank " << rank << " of " << world_size << " (local " << local_rank << " of "
      << local_world_size << "), " << launcher << ", rendezvous " << master_addr << ":"
      << master_port << (agent_store ? " (torchrun's store)" : "");
  return out.str();
}

LaunchEnvironment ParseLaunchEnvironment(const Environment& env) {
  LaunchEnvironment launch;
  if (const std::string* ifname = Find(env, "GLOO_SOCKET_IFNAME")) launch.socket_ifname = *ifname;
  if (Find(env, "WORLD_SIZE") || Find(env, "RANK")) {
    launch.launcher = "torchrun";
    launch.world_size = IntegerVariable(env, "WORLD_SIZE", 1, 1);
    launch.rank = IntegerVariable(env, "RANK", 0);
    launch.local_rank = IntegerVariable(env, "LOCAL_RANK", 0);
    launch.local_world_size = IntegerVariable(env, "LOCAL_WORLD_SIZE", 1, 1);
    if (const std::string* v = Find(env, "TORCHELASTIC_USE_AGENT_STORE")) {
      launch.agent_store = *v == "True" || *v == "true" || *v == "1";
    }
    launch.restart_count = IntegerVariable(env, "TORCHELASTIC_RESTART_COUNT", 0);
  } else if (Find(env, "SLURM_PROCID") && Find(env, "SLURM_NTASKS")) {
    launch.launcher = "slurm";
    launch.world_size = IntegerVariable(env, "SLURM_NTASKS", 1, 1);
    launch.rank = IntegerVariable(env, "SLURM_PROCID", 0);
    launch.local_rank = IntegerVariable(env, "SLURM_LOCALID", 0);
    // SLURM_NTASKS_PER_NODE may read "2(x3)" on uneven allocations; its leading number is enough
    // to share the cores among a node's tasks.
    if (const std::string* v = Find(env, "SLURM_NTASKS_PER_NODE")) {
      launch.local_world_size = std::max(1, std::atoi(v->c_str()));
    }
    if (!Find(env, "MASTER_ADDR")) {
      const std::string* nodes = Find(env, "SLURM_JOB_NODELIST");
      if (!nodes) nodes = Find(env, "SLURM_NODELIST");
      launch.master_addr = nodes ? FirstSlurmHost(*nodes) : "127.0.0.1";
    }
    if (!Find(env, "MASTER_PORT")) {
      launch.master_port = 20000 + IntegerVariable(env, "SLURM_JOB_ID", 0) % 20000;
    }
  } else {
    return launch;  // one process
  }
  if (const std::string* addr = Find(env, "MASTER_ADDR")) launch.master_addr = *addr;
  launch.master_port = IntegerVariable(env, "MASTER_PORT", launch.master_port, 1);
  if (launch.master_port > 65535) {
    throw InputError(Msg() << "MASTER_PORT=" << launch.master_port << " is not a TCP port");
  }
  if (launch.rank >= launch.world_size) {
    throw InputError(Msg() << launch.launcher << ": rank " << launch.rank
                           << " is not below the world size " << launch.world_size);
  }
  return launch;
}

#ifdef BLURKIT_C10D_ACTIVE

bool DistributedAvailable() { return true; }

namespace {

std::vector<std::string> SplitComma(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) parts.push_back(item);
  }
  return parts;
}

class C10dGroup : public ProcessGroup {
 public:
  C10dGroup(const LaunchEnvironment& launch, std::chrono::seconds timeout, torch::Device device)
      : launch_(launch), timeout_(timeout) {
    (void)device;  // NCCL for CUDA tensors where the LibTorch has it
    rank_ = launch.rank;
    world_size_ = launch.world_size;
    // A rank writing to the socket of a rank that died gets SIGPIPE, which ends the process at
    // once (exit 141) before the failed collective can name the cause. Python, torchrun's usual
    // child, ignores SIGPIPE at start-up; a C++ rank must do so itself, so that the write fails
    // with EPIPE and Run() reports "another rank died".
    std::signal(SIGPIPE, SIG_IGN);
    const std::string where = launch.master_addr + ":" + std::to_string(launch.master_port);
    c10d::TCPStoreOptions options;
    options.port = static_cast<uint16_t>(launch.master_port);
    options.isServer = !launch.agent_store && launch.rank == 0;
    options.numWorkers = launch.world_size;
    options.waitWorkers = false;
    options.timeout = timeout;
    c10::intrusive_ptr<c10d::Store> store;
    try {
      store = c10::make_intrusive<c10d::TCPStore>(launch.master_addr, options);
    } catch (const std::exception& e) {
      const std::string what = e.what();
      if (options.isServer) {
        throw InputError(Msg() << "rank 0 cannot serve the rendezvous on " << where
                               << " (MASTER_PORT busy? pick a free one): "
                               << what.substr(0, what.find('\n')));
      }
      throw InputError(Msg() << "rank " << rank_ << " cannot reach the rendezvous on " << where
                             << " within " << timeout.count()
                             << " s (is rank 0 running? --dist-timeout sets the wait): "
                             << what.substr(0, what.find('\n')));
    }
    if (launch.agent_store) {
      store = c10::make_intrusive<c10d::PrefixStore>(
          "/worker/attempt_" + std::to_string(launch.restart_count), store);
    }
    try {
#ifdef USE_C10D_NCCL
      if (device.is_cuda()) {
        group_ = compat::MakeNccl(store, rank_, world_size_, timeout);
      }
#endif
      if (!group_) {
        group_ = compat::MakeGloo(store, rank_, world_size_, timeout,
                                  SplitComma(launch.socket_ifname));
      }
    } catch (const std::exception& e) {
      throw InputError(Msg() << "rank " << rank_ << ": the process group did not form within "
                             << timeout.count() << " s (" << launch.Describe()
                             << "): " << FirstLine(e.what()));
    }
  }

  void Broadcast(const std::vector<torch::Tensor>& tensors) override {
    for (const auto& t : tensors) {
      std::vector<torch::Tensor> one = {t.detach()};
      Run("broadcast", [&] { return group_->broadcast(one, c10d::BroadcastOptions()); });
    }
  }

  void AverageGradients(const std::vector<torch::Tensor>& parameters, int64_t bucket_bytes) override {
    const auto start = std::chrono::steady_clock::now();
    std::vector<torch::Tensor> grads;
    for (const auto& p : parameters) {
      if (!p.requires_grad()) continue;
      if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
      grads.push_back(p.grad());
    }
    size_t begin = 0;
    while (begin < grads.size()) {
      size_t end = begin;
      int64_t bytes = 0;
      while (end < grads.size() && (end == begin || bytes + grads[end].nbytes() <= static_cast<size_t>(bucket_bytes)) &&
             grads[end].scalar_type() == grads[begin].scalar_type() &&
             grads[end].device() == grads[begin].device()) {
        bytes += grads[end].nbytes();
        ++end;
      }
      std::vector<torch::Tensor> views;
      for (size_t i = begin; i < end; ++i) views.push_back(grads[i].reshape({-1}));
      std::vector<torch::Tensor> flat = {torch::cat(views)};
      c10d::AllreduceOptions options;
      options.reduceOp = c10d::ReduceOp::SUM;
      Run("gradient all-reduce", [&] { return group_->allreduce(flat, options); });
      flat[0].div_(world_size_);
      int64_t offset = 0;
      for (size_t i = begin; i < end; ++i) {
        const int64_t n = grads[i].numel();
        grads[i].copy_(flat[0].narrow(0, offset, n).view_as(grads[i]));
        offset += n;
      }
      begin = end;
    }
    gradient_seconds_ +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  torch::Tensor Sum(const torch::Tensor& values) override {
    std::vector<torch::Tensor> one = {values.clone()};
    c10d::AllreduceOptions options;
    options.reduceOp = c10d::ReduceOp::SUM;
    Run("all-reduce", [&] { return group_->allreduce(one, options); });
    return one[0];
  }

  void Barrier() override {
    Run("barrier", [&] { return group_->barrier(c10d::BarrierOptions()); });
  }

 private:
  static std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

  template <typename Call>
  void Run(const char* what, Call call) {
    try {
      auto work = call();
      work->wait();
    } catch (const std::exception& e) {
      throw InputError(Msg() << "rank " << rank_ << ": " << what << " failed: another rank died, "
                             << "or did not answer within " << timeout_.count()
                             << " s (--dist-timeout): " << FirstLine(e.what()));
    }
  }

  LaunchEnvironment launch_;
  std::chrono::seconds timeout_;
  c10::intrusive_ptr<compat::Backend> group_;
};

}  // namespace

std::unique_ptr<ProcessGroup> ProcessGroup::Create(const LaunchEnvironment& launch,
                                                   std::chrono::seconds timeout,
                                                   torch::Device device) {
  return std::make_unique<C10dGroup>(launch, timeout, device);
}

#else  // no c10d in this LibTorch

bool DistributedAvailable() { return false; }

std::unique_ptr<ProcessGroup> ProcessGroup::Create(const LaunchEnvironment& launch,
                                                   std::chrono::seconds, torch::Device) {
  throw InputError(Msg() << "started as " << launch.Describe()
                         << ", but this blurkit-train was built without LibTorch's c10d (its "
                            "headers, or Gloo's from libgloo-dev, were missing): rebuild after "
                            "scripts/setup.sh, or run one process");
}

#endif

}  // namespace blurkit::train
