// blurkit-train's optimizer: Adam (Kingma & Ba 2015) as LibTorch's torch::optim::Adam computes it,
// over one flat buffer.
//
// torch::optim::Adam runs about ten small tensor operations per parameter tensor and step, and
// `zero_grad` two more; the `motion` model has 452 parameter tensors (width 8, F = 3), so Adam
// alone was about 10 ms of a 200 ms training step on two cores. FlatAdam makes every parameter, its
// gradient and its two moment estimates views into four flat buffers, in the parameter's own
// layout (channels-last weights stay channels-last), and runs the same update, operation for
// operation (mul_, add_, addcmul_, sqrt, div, add_, addcdiv_ with the same scalars), once over each
// buffer. Element for element it is the same arithmetic, so the parameters it gives are
// torch::optim::Adam's (tests/train/trainer_test.cpp compares them over several steps).
//
// It is a torch::optim::Adam: the learning rate is set through param_groups(), and save/load
// write and read Adam's own state (per-parameter step, exp_avg, exp_avg_sq), so checkpoints of
// either optimizer resume in the other. Each step checks that the parameters and gradients are
// still the buffers' views (loading weights, moving the model to another device or
// replace them) and lays them out again if not, copying their values.
//
// The flat path assumes one parameter group, no amsgrad, and that the moment estimates of all
// parameters have taken the same number of steps. Otherwise, it runs torch::optim::Adam's step
// unchanged. Gradients are allocated once and kept (zeroed by ZeroGrad, never set to undefined), so
// a parameter outside the graph of a step gets a zero gradient and is still updated with its
// moment estimates, where torch::optim::Adam would skip it; in blurkit's models every parameter
// takes part in every step.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace blurkit::train {

class FlatAdam : public torch::optim::Adam {
 public:
  FlatAdam(std::vector<torch::Tensor> parameters, torch::optim::AdamOptions options);
  torch::Tensor step(LossClosure closure = nullptr) override;
  // Sets every gradient to zero: one fill of the flat gradient buffer (call before backward).
  // Gradients are views, which torch::optim::Optimizer::zero_grad cannot detach in place: it
  // throws LibTorch's "Can't detach views in-place" where called through a base reference.
  void ZeroGrad();
  void zero_grad() { ZeroGrad(); }
  void load(torch::serialize::InputArchive& archive) override;
  // Whether the last step ran over the flat buffers (false: torch::optim::Adam's own step).
  bool flat() const { return flat_; }

 private:
  bool Bound() const;  // parameters, gradients and moments are still views of the buffers
  bool Bind();         // lays them out as views; false where the flat path does not apply
  std::vector<int64_t> offsets_;  // parameter i: elements [offsets_[i], offsets_[i + 1])
  std::vector<torch::optim::AdamParamState*> states_;
  torch::Tensor params_, grads_, exp_avg_, exp_avg_sq_;
  int64_t steps_ = 0;
  bool flat_ = false;
};

}  // namespace blurkit::train
