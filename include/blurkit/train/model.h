// The models of blurkit-train (LibTorch's C++ frontend).
//
// `motion`: the model of Argaw et al. 2021, section 4 ("Restoration of Video Frames from a Single
//   Blurred Image with Motion Understanding"):
//   - an encoder of five blocks, each two 3x3 convolutions (stride 2, then 1), giving features
//     E1..E5 at 1/2 .. 1/32 of the input size;
//   - a middle-frame decoder of five blocks; each upsamples the features and the image predicted by
//     the previous block (4x4 transposed convolutions, stride 2), concatenates the encoder feature
//     of its scale (the skip connection; the blurred input at full size), passes them through five
//     densely connected 3x3 convolutions and predicts an image at its scale (1/16 .. 1/1); a
//     refining block of dilated convolutions then refines the full-size image;
//   - for every non-middle frame and every scale, a feature transformer network (a spatial
//     transformer predicting a global affine transformation, and a local warping layer predicting
//     a per-pixel flow, both warping the encoder feature) and an image transformer network (a
//     spatial transformer warping the middle frame predicted at that scale), whose outputs,
//     concatenated with the encoder feature, are the skip input of that frame's own decoder.
//   The paper does not give every size; blurkit's choices (and flags): 3x3 kernels, channels
//   width x {1, 2, 4, 8, 8} in the encoder, dense growth width/2, affine spatial transformers
//   initialised to the identity, flows initialised to zero, LeakyReLU(0.2), the image
//   deconvolution initialised to bilinear upsampling, and every predicted image a residual of the
//   blurred input at its scale whose last layer starts at zero: an untrained model predicts the
//   blurred input (the baseline) and learns what to change.
// `unet`: a multi-output U-Net (the same encoder, a plain decoder) that predicts all F frames at
//   full size at once, as residuals of the blurred input: the simple strong baseline.
//
// Tensors: images are float in [0, 1], NCHW; sizes must be multiples of 32.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace blurkit::train {

struct ModelOptions {
  std::string kind = "motion";  // "motion" or "unet"
  int frames = 3;               // F, odd, >= 3
  int width = 32;               // channels of the first encoder block (the paper's size: 32)

  void Check() const;  // throws InputError
  std::string ToJson() const;
  static ModelOptions FromJson(const std::string& json);
};

struct ModelOutput {
  // images[j][s]: frame j at scale s, s = 0 (1/16 size) .. scales-1 (full size); the last scale
  // of each frame is the prediction. The unet has one scale.
  std::vector<std::vector<torch::Tensor>> images;
  // thetas[j][s]: affine parameters (B, 2, 3) of the spatial transformers of non-middle frame j
  // at scale s (feature and image transformers concatenated, (B, 4, 3)); empty for the middle
  // frame and for the unet.
  std::vector<std::vector<torch::Tensor>> thetas;
  // All frames at full size, (B, F, 3, H, W).
  torch::Tensor Frames() const;
};

// The base of both models, so that the trainer holds either.
//
// Two computation paths give the same function of the same parameters (tested to 1e-5, outputs and
// gradients): the default one keeps images, features and convolution weights channels-last (NHWC,
// which oneDNN's convolutions run 2-3x faster at blurkit's small channel counts) and computes each
// 4x4 stride-2 transposed convolution as a 3x3 convolution plus pixel_shuffle, and regroups each
// dense block's sums so that its convolutions have several times the growth in output channels
// (train/model.cpp, DenseBlockImpl); the reference path (set_reference(true)) is the plain NCHW
// LibTorch calls, one layer at a time.
class FrameModelImpl : public torch::nn::Module {
 public:
  virtual ModelOutput Forward(const torch::Tensor& blurred) = 0;
  virtual int scales() const = 0;
  int64_t ParameterCount();
  void set_reference(bool reference);
  bool reference() const { return reference_; }
  // Puts the convolution weights in the layout of the current path (after loading weights).
  void ApplyLayout();

 protected:
  torch::Tensor Layout(const torch::Tensor& x) const;
  bool reference_ = false;
};

std::shared_ptr<FrameModelImpl> MakeModel(const ModelOptions& options);

}  // namespace blurkit::train
