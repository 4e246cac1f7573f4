#include "blurkit/train/model.h"

#include <nlohmann/json.hpp>

#include "blurkit/core/error.h"

namespace blurkit::train {
namespace F = torch::nn::functional;
using torch::Tensor;

namespace {

constexpr int kScales = 5;
constexpr double kSlope = 0.2;  // LeakyReLU

torch::nn::Conv2d Conv(int in, int out, int kernel = 3, int stride = 1, int dilation = 1) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel)
                               .stride(stride)
                               .padding(dilation * (kernel / 2))
                               .dilation(dilation));
}

torch::nn::ConvTranspose2d Up(int in, int out) {
  return torch::nn::ConvTranspose2d(
      torch::nn::ConvTranspose2dOptions(in, out, 4).stride(2).padding(1));
}

// The 4x4 transposed convolution of stride 2 and padding 1 that Up() declares, computed as a 3x3
// convolution to 4 phases followed by pixel_shuffle (a "sub-pixel" convolution): output pixel
// (2m + a, 2n + b) takes input taps m - 1, m (a = 0) or m, m + 1 (a = 1), with kernel rows
// 3, 1 (a = 0) and 2, 0 (a = 1), and the same for columns. The weights are gathered from the
// transposed convolution's own (in, out, 4, 4) weight, so the parameters, the checkpoints and the
// result are those of the transposed convolution (up to the order of summation). On the CPU this is
// 6-10x faster than LibTorch 1.13's slow_conv_transpose2d, forward and backward.
Tensor SubPixelUp(const Tensor& x, const torch::nn::ConvTranspose2d& up) {
  static const std::vector<int64_t> kTaps = {3, 1, 4, 4, 2, 0};  // (phase, tap) -> kernel index; 4 = zero
  const Tensor& w = up->weight;  // (in, out, 4, 4)
  const int64_t in = w.size(0), out = w.size(1);
  const Tensor taps = torch::tensor(kTaps, torch::TensorOptions().dtype(torch::kLong).device(w.device()));
  Tensor k = F::pad(w.permute({1, 0, 2, 3}), F::PadFuncOptions({0, 1, 0, 1}));  // (out, in, 5, 5)
  k = k.index_select(2, taps).index_select(3, taps);                           // (out, in, 6, 6)
  k = k.view({out, in, 2, 3, 2, 3}).permute({0, 2, 4, 1, 3, 5}).reshape({out * 4, in, 3, 3});
  if (x.is_contiguous(torch::MemoryFormat::ChannelsLast)) k = k.contiguous(torch::MemoryFormat::ChannelsLast);
  const Tensor bias = up->bias.defined() ? up->bias.repeat_interleave(4) : Tensor();
  return F::pixel_shuffle(F::conv2d(x, k, F::Conv2dFuncOptions().padding(1).bias(bias)), 2)
      .contiguous(torch::MemoryFormat::ChannelsLast);
}

// `x` in the memory layout of `like` (grid_sample writes NCHW whatever its input; a cat of mixed
// layouts is NCHW, and every convolution after it would convert it back).
Tensor SameLayout(const Tensor& x, const Tensor& like) {
  return like.is_contiguous(torch::MemoryFormat::ChannelsLast) ? x.contiguous(torch::MemoryFormat::ChannelsLast)
                                                               : x;
}

Tensor Act(const Tensor& x) { return F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(kSlope)); }

// Channels of encoder block k (0-based) for a given width.
int EncoderChannels(int width, int k) {
  static const int kMultiplier[kScales] = {1, 2, 4, 8, 8};
  return width * kMultiplier[k];
}

// Encoder: five blocks of two 3x3 convolutions (stride 2, then 1).
class EncoderImpl : public torch::nn::Module {
 public:
  explicit EncoderImpl(int width) {
    int in = 3;
    for (int k = 0; k < kScales; ++k) {
      const int out = EncoderChannels(width, k);
      down_.push_back(register_module("down" + std::to_string(k), Conv(in, out, 3, 2)));
      same_.push_back(register_module("conv" + std::to_string(k), Conv(out, out)));
      in = out;
    }
  }
  // E1..E5 (1/2 .. 1/32).
  std::vector<Tensor> forward(Tensor x) {
    std::vector<Tensor> features;
    for (int k = 0; k < kScales; ++k) {
      x = Act(same_[k]->forward(Act(down_[k]->forward(x))));
      features.push_back(x);
    }
    return features;
  }

 private:
  std::vector<torch::nn::Conv2d> down_, same_;
};
TORCH_MODULE(Encoder);

// Five densely connected 3x3 convolutions, then a 1x1 transition to `out` channels.
class DenseBlockImpl : public torch::nn::Module {
 public:
  DenseBlockImpl(int in, int growth, int out) : growth_(growth) {
    int channels = in;
    for (int i = 0; i < 5; ++i) {
      layers_.push_back(register_module("layer" + std::to_string(i), Conv(channels, growth)));
      channels += growth;
    }
    transition_ = register_module("transition", Conv(channels, out, 1));
  }
  Tensor forward(Tensor x, bool reference) {
    std::vector<Tensor> all = {x};
    if (reference) {
      for (auto& layer : layers_) all.push_back(Act(layer->forward(torch::cat(all, 1))));
      return Act(transition_->forward(torch::cat(all, 1)));
    }
    // The same sums, regrouped: layer k's convolution of [x, y_0 .. y_k-1] is its weight's slice
    // for x applied to x plus its slice for each y_j applied to y_j. The x parts of all layers
    // are one convolution, and each y_j, once computed, goes through one convolution giving its
    // part of every later layer. Each convolution then has 4 (growth) x several output channels
    // where the layers had 4: oneDNN computes 8 output channels in the time of 4
    // (scripts/perf/conv_shapes.py), no concatenation is made before each layer, and the result
    // differs from the reference path only in float rounding (the order of summation).
    const int64_t in = x.size(1), n = static_cast<int64_t>(layers_.size());
    std::vector<Tensor> weights, biases;
    for (auto& layer : layers_) {
      weights.push_back(layer->weight.narrow(1, 0, in));
      biases.push_back(layer->bias);
    }
    std::vector<Tensor> pre = F::conv2d(x, torch::cat(weights),
                                        F::Conv2dFuncOptions().bias(torch::cat(biases)).padding(1))
                                  .split(growth_, 1);
    for (int64_t k = 0; k < n; ++k) {
      const Tensor y = Act(pre[k]);
      all.push_back(y);
      if (k + 1 == n) break;
      std::vector<Tensor> later;
      for (int64_t j = k + 1; j < n; ++j) {
        later.push_back(layers_[j]->weight.narrow(1, in + growth_ * k, growth_));
      }
      const std::vector<Tensor> parts =
          F::conv2d(y, torch::cat(later), F::Conv2dFuncOptions().padding(1)).split(growth_, 1);
      for (int64_t j = k + 1; j < n; ++j) pre[j] = pre[j] + parts[j - k - 1];
    }
    return Act(transition_->forward(torch::cat(all, 1)));
  }

 private:
  int64_t growth_;
  std::vector<torch::nn::Conv2d> layers_;
  torch::nn::Conv2d transition_{nullptr};
};
TORCH_MODULE(DenseBlock);

// One decoder block: upsample features (and the previous image), concatenate the skip input,
// dense block, predict the image of this scale as a residual.
class DecoderBlockImpl : public torch::nn::Module {
 public:
  DecoderBlockImpl(int in_features, int skip, int out, bool previous_image)
      : previous_image_(previous_image) {
    up_ = register_module("up", Up(in_features, out));
    if (previous_image) {
      // The image deconvolution starts as bilinear upsampling (per channel, the 1-D kernel
      // [1, 3, 3, 1] / 4 of a stride-2 4x4 transposed convolution), so that every predicted image
      // starts as the upsampled coarser one instead of noise.
      image_up_ = register_module("image_up", Up(3, 3));
      torch::NoGradGuard no_grad;
      image_up_->weight.zero_();
      image_up_->bias.zero_();
      const auto k1 = torch::tensor({0.25f, 0.75f, 0.75f, 0.25f});
      const auto k2 = torch::outer(k1, k1);
      for (int c = 0; c < 3; ++c) image_up_->weight[c][c].copy_(k2);
    }
    dense_ = register_module("dense", DenseBlock(out + skip + (previous_image ? 3 : 0),
                                                 std::max(out / 2, 4), out));
    to_image_ = register_module("to_image", Conv(out, 3));
    // The image starts as `base` (the blurred input at this scale): the model starts at the
    // blurred-input baseline and learns what to change.
    torch::NoGradGuard no_grad;
    to_image_->weight.zero_();
    to_image_->bias.zero_();
  }
  // Returns (features, image): the image is `base` plus a residual predicted from the features;
  // the upsampled image of the previous block enters with the skip input.
  std::pair<Tensor, Tensor> forward(const Tensor& features, const Tensor& skip,
                                    const Tensor& previous, const Tensor& base, bool reference) {
    auto up = [&](torch::nn::ConvTranspose2d& u, const Tensor& x) {
      return reference ? u->forward(x) : SubPixelUp(x, u);
    };
    std::vector<Tensor> parts = {Act(up(up_, features)), skip};
    if (previous_image_) parts.push_back(up(image_up_, previous));
    Tensor f = dense_->forward(torch::cat(parts, 1), reference);
    return {f, base + to_image_->forward(f)};
  }

 private:
  bool previous_image_;
  torch::nn::ConvTranspose2d up_{nullptr}, image_up_{nullptr};
  DenseBlock dense_{nullptr};
  torch::nn::Conv2d to_image_{nullptr};
};
TORCH_MODULE(DecoderBlock);

// Spatial transformer: a global affine transformation predicted from `condition`, applied to
// `input`. Starts as the identity.
class SpatialTransformerImpl : public torch::nn::Module {
 public:
  explicit SpatialTransformerImpl(int condition_channels) {
    const int hidden = std::max(condition_channels / 2, 8);
    conv_ = register_module("conv", Conv(condition_channels, hidden, 3, 2));
    fc1_ = register_module("fc1", torch::nn::Linear(hidden * 16, 32));
    fc2_ = register_module("fc2", torch::nn::Linear(32, 6));
    torch::NoGradGuard no_grad;
    fc2_->weight.zero_();
    fc2_->bias.copy_(torch::tensor({1.0f, 0.0f, 0.0f, 0.0f, 1.0f, 0.0f}));
  }
  Tensor Theta(const Tensor& condition) {
    Tensor h = Act(conv_->forward(condition));
    h = F::adaptive_avg_pool2d(h, F::AdaptiveAvgPool2dFuncOptions({4, 4})).flatten(1);
    return fc2_->forward(Act(fc1_->forward(h))).view({-1, 2, 3});
  }
  static Tensor Warp(const Tensor& input, const Tensor& theta) {
    const Tensor grid = F::affine_grid(theta, input.sizes(), /*align_corners=*/false);
    return SameLayout(F::grid_sample(input, grid, F::GridSampleFuncOptions()
                                                      .mode(torch::kBilinear)
                                                      .padding_mode(torch::kBorder)
                                                      .align_corners(false)),
                      input);
  }

 private:
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
};
TORCH_MODULE(SpatialTransformer);

// Local warping: a per-pixel flow (in normalised coordinates) predicted from the feature, which
// warps the feature. Starts as the identity.
class LocalWarpImpl : public torch::nn::Module {
 public:
  explicit LocalWarpImpl(int channels) {
    const int hidden = std::max(channels / 2, 8);
    conv1_ = register_module("conv1", Conv(channels, hidden));
    conv2_ = register_module("conv2", Conv(hidden, 2));
    torch::NoGradGuard no_grad;
    conv2_->weight.zero_();
    conv2_->bias.zero_();
  }
  Tensor forward(const Tensor& x) {
    const Tensor flow = conv2_->forward(Act(conv1_->forward(x)));  // (B, 2, h, w)
    const int64_t b = x.size(0);
    const Tensor identity = torch::tensor({1.0f, 0.0f, 0.0f, 0.0f, 1.0f, 0.0f}, x.options())
                                .view({1, 2, 3})
                                .expand({b, 2, 3});
    const Tensor grid = F::affine_grid(identity, x.sizes(), false) + flow.permute({0, 2, 3, 1});
    return SameLayout(F::grid_sample(x, grid, F::GridSampleFuncOptions()
                                                  .mode(torch::kBilinear)
                                                  .padding_mode(torch::kBorder)
                                                  .align_corners(false)),
                      x);
  }

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
};
TORCH_MODULE(LocalWarp);

// The decoder of one frame: five blocks and, for the middle frame, the refining block.
struct FrameDecoder {
  std::vector<DecoderBlock> blocks;
};

class MotionNetImpl : public FrameModelImpl {
 public:
  explicit MotionNetImpl(const ModelOptions& o) : options_(o) {
    const int w = o.width;
    encoder_ = register_module("encoder", Encoder(w));
    // Skip channels at decoder block b (b = 0..4): encoder block 3 - b, or the input (3) at b = 4.
    auto skip_channels = [&](int b) { return b < 4 ? EncoderChannels(w, 3 - b) : 3; };
    auto out_channels = [&](int b) { return b < 4 ? EncoderChannels(w, 3 - b) : w; };
    for (int j = 0; j < o.frames; ++j) {
      const bool middle = j == o.frames / 2;
      std::vector<DecoderBlock> blocks;
      for (int b = 0; b < kScales; ++b) {
        const int in = b == 0 ? EncoderChannels(w, 4) : out_channels(b - 1);
        // Non-middle frames see the encoder feature, its two warps and the warped middle image.
        const int skip = middle ? skip_channels(b) : 3 * skip_channels(b) + 3;
        blocks.push_back(register_module("frame" + std::to_string(j) + "_block" + std::to_string(b),
                                         DecoderBlock(in, skip, out_channels(b), b > 0)));
      }
      decoders_.push_back(blocks);
      std::vector<SpatialTransformer> feature_stn, image_stn;
      std::vector<LocalWarp> warps;
      if (!middle) {
        for (int b = 0; b < kScales; ++b) {
          const std::string tag = std::to_string(j) + "_" + std::to_string(b);
          feature_stn.push_back(register_module("ftn_stn" + tag, SpatialTransformer(skip_channels(b))));
          warps.push_back(register_module("ftn_lw" + tag, LocalWarp(skip_channels(b))));
          image_stn.push_back(register_module("itn_stn" + tag, SpatialTransformer(skip_channels(b))));
        }
      }
      feature_stns_.push_back(feature_stn);
      local_warps_.push_back(warps);
      image_stns_.push_back(image_stn);
    }
    refine1_ = register_module("refine1", Conv(w + 3, w, 3, 1, 1));
    refine2_ = register_module("refine2", Conv(w, w, 3, 1, 2));
    refine3_ = register_module("refine3", Conv(w, w, 3, 1, 4));
    refine_out_ = register_module("refine_out", Conv(w, 3));
    torch::NoGradGuard no_grad;
    refine_out_->weight.zero_();
    refine_out_->bias.zero_();
  }

  int scales() const override { return kScales; }

  ModelOutput Forward(const Tensor& input) override {
    const Tensor blurred = Layout(input);
    const int frames = options_.frames, mid = frames / 2;
    const std::vector<Tensor> e = encoder_->forward(blurred);
    auto skip_of = [&](int b) { return b < 4 ? e[3 - b] : blurred; };
    // The blurred input at each output scale (1/16 .. 1/1): the bases of the predicted images.
    std::vector<Tensor> base(kScales);
    for (int b = 0; b < kScales; ++b) {
      const int factor = 1 << (kScales - 1 - b);
      base[b] = factor == 1 ? blurred : F::avg_pool2d(blurred, F::AvgPool2dFuncOptions(factor));
    }
    ModelOutput out;
    out.images.resize(frames);
    out.thetas.resize(frames);
    // Middle frame.
    Tensor features = e[4], image;
    for (int b = 0; b < kScales; ++b) {
      auto [f, img] = decoders_[mid][b]->forward(features, skip_of(b), image, base[b], reference_);
      features = f;
      image = img;
      out.images[mid].push_back(img);
    }
    Tensor r = Act(refine1_->forward(torch::cat({features, image}, 1)));
    r = Act(refine3_->forward(Act(refine2_->forward(r))));
    out.images[mid].back() = image + refine_out_->forward(r);
    // Non-middle frames.
    for (int j = 0; j < frames; ++j) {
      if (j == mid) continue;
      Tensor fj = e[4], ij;
      for (int b = 0; b < kScales; ++b) {
        const Tensor skip = skip_of(b);
        const Tensor theta_f = feature_stns_[j][b]->Theta(skip);
        const Tensor theta_i = image_stns_[j][b]->Theta(skip);
        const Tensor global = SpatialTransformerImpl::Warp(skip, theta_f);
        const Tensor local = local_warps_[j][b]->forward(skip);
        const Tensor middle_image = SpatialTransformerImpl::Warp(out.images[mid][b], theta_i);
        auto [f, img] = decoders_[j][b]->forward(fj, torch::cat({skip, global, local, middle_image}, 1),
                                                 ij, base[b], reference_);
        fj = f;
        ij = img;
        out.images[j].push_back(img);
        out.thetas[j].push_back(torch::cat({theta_f, theta_i}, 1));
      }
    }
    return out;
  }

 private:
  ModelOptions options_;
  Encoder encoder_{nullptr};
  std::vector<std::vector<DecoderBlock>> decoders_;
  std::vector<std::vector<SpatialTransformer>> feature_stns_, image_stns_;
  std::vector<std::vector<LocalWarp>> local_warps_;
  torch::nn::Conv2d refine1_{nullptr}, refine2_{nullptr}, refine3_{nullptr}, refine_out_{nullptr};
};

// U-Net: the same encoder, a decoder of transposed convolutions with skip connections, and F
// full-size images as residuals of the blurred input.
class UNetImpl : public FrameModelImpl {
 public:
  explicit UNetImpl(const ModelOptions& o) : options_(o) {
    const int w = o.width;
    encoder_ = register_module("encoder", Encoder(w));
    int in = EncoderChannels(w, 4);
    for (int b = 0; b < kScales; ++b) {
      const int skip = b < 4 ? EncoderChannels(w, 3 - b) : 3;
      const int out = b < 4 ? EncoderChannels(w, 3 - b) : w;
      ups_.push_back(register_module("up" + std::to_string(b), Up(in, out)));
      convs1_.push_back(register_module("conv" + std::to_string(b) + "a", Conv(out + skip, out)));
      convs2_.push_back(register_module("conv" + std::to_string(b) + "b", Conv(out, out)));
      in = out;
    }
    out_ = register_module("out", Conv(w, 3 * o.frames));
    torch::NoGradGuard no_grad;  // starts at the blurred-input baseline
    out_->weight.zero_();
    out_->bias.zero_();
  }

  int scales() const override { return 1; }

  ModelOutput Forward(const Tensor& input) override {
    const Tensor blurred = Layout(input);
    const std::vector<Tensor> e = encoder_->forward(blurred);
    Tensor x = e[4];
    for (int b = 0; b < kScales; ++b) {
      const Tensor skip = b < 4 ? e[3 - b] : blurred;
      x = Act(reference_ ? ups_[b]->forward(x) : SubPixelUp(x, ups_[b]));
      x = Act(convs2_[b]->forward(Act(convs1_[b]->forward(torch::cat({x, skip}, 1)))));
    }
    const Tensor residual = out_->forward(x);
    ModelOutput out;
    out.images.resize(options_.frames);
    out.thetas.resize(options_.frames);
    for (int j = 0; j < options_.frames; ++j) {
      out.images[j].push_back(blurred + residual.slice(1, 3 * j, 3 * j + 3));
    }
    return out;
  }

 private:
  ModelOptions options_;
  Encoder encoder_{nullptr};
  std::vector<torch::nn::ConvTranspose2d> ups_;
  std::vector<torch::nn::Conv2d> convs1_, convs2_;
  torch::nn::Conv2d out_{nullptr};
};

}  // namespace

void ModelOptions::Check() const {
  if (kind != "motion" && kind != "unet") {
    throw InputError(Msg() << "--model must be motion or unet, got '" << kind << "'");
  }
  if (frames < 3 || frames % 2 == 0) {
    throw InputError(Msg() << "a model predicts an odd number >= 3 of frames, got " << frames);
  }
  if (width < 2 || width > 512) throw InputError(Msg() << "--width must be in [2, 512], got " << width);
}

std::string ModelOptions::ToJson() const {
  return nlohmann::json{{"kind", kind}, {"frames", frames}, {"width", width}}.dump();
}

ModelOptions ModelOptions::FromJson(const std::string& text) {
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded()) throw InputError("checkpoint: model options are not valid JSON");
  ModelOptions o;
  o.kind = json.value("kind", o.kind);
  o.frames = json.value("frames", o.frames);
  o.width = json.value("width", o.width);
  o.Check();
  return o;
}

Tensor ModelOutput::Frames() const {
  std::vector<Tensor> last;
  for (const auto& scales : images) last.push_back(scales.back());
  return torch::stack(last, 1);
}

void FrameModelImpl::set_reference(bool reference) {
  reference_ = reference;
  ApplyLayout();
}

void FrameModelImpl::ApplyLayout() {
  torch::NoGradGuard no_grad;
  const auto format = reference_ ? torch::MemoryFormat::Contiguous : torch::MemoryFormat::ChannelsLast;
  for (auto& p : parameters()) {
    if (p.dim() == 4) p.set_data(p.contiguous(format));
  }
}

Tensor FrameModelImpl::Layout(const Tensor& x) const {
  return reference_ ? x.contiguous() : x.contiguous(torch::MemoryFormat::ChannelsLast);
}

int64_t FrameModelImpl::ParameterCount() {
  int64_t count = 0;
  for (const auto& p : parameters()) count += p.numel();
  return count;
}

std::shared_ptr<FrameModelImpl> MakeModel(const ModelOptions& options) {
  options.Check();
  std::shared_ptr<FrameModelImpl> model;
  if (options.kind == "motion") {
    model = std::make_shared<MotionNetImpl>(options);
  } else {
    model = std::make_shared<UNetImpl>(options);
  }
  model->ApplyLayout();
  return model;
}

}  // namespace blurkit::train
