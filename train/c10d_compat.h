// Where LibTorch's c10d API differs between Debian's LibTorch 1.13 and the 2.x of PyTorch wheels:
// in 1.13 the process groups derive from c10d::ProcessGroup and their work is
// c10d::ProcessGroup::Work; in 2.x they derive from c10d::Backend and the work is c10d::Work; the
// default-timeout constants were renamed. distributed.cpp holds the concrete classes and `auto`s
// the work objects, so this file is all that changes between the two.
#pragma once

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/version.h>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>
#include <string>
#include <vector>

namespace blurkit::train::compat {

#if TORCH_VERSION_MAJOR >= 2
using Backend = c10d::Backend;
#else
using Backend = c10d::ProcessGroup;
#endif

inline c10::intrusive_ptr<Backend> MakeGloo(const c10::intrusive_ptr<c10d::Store>& store, int rank,
                                            int size, std::chrono::milliseconds timeout,
                                            const std::vector<std::string>& interfaces) {
  auto options = c10d::ProcessGroupGloo::Options::create(timeout);
  for (const auto& name : interfaces) {
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(name));
  }
  if (options->devices.empty()) {
    options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  }
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, options);
}

#ifdef USE_C10D_NCCL
inline c10::intrusive_ptr<Backend> MakeNccl(const c10::intrusive_ptr<c10d::Store>& store, int rank,
                                            int size, std::chrono::milliseconds timeout) {
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, options);
}
#endif

}  // namespace blurkit::train::compat
