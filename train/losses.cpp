#include "blurkit/train/losses.h"

#include "blurkit/core/error.h"

namespace blurkit::train {
namespace F = torch::nn::functional;
using torch::Tensor;

void LossOptions::Check() const {
  if (scale_weights.empty()) throw InputError("--scale-weights needs at least one weight");
  for (double w : scale_weights) {
    if (!(w >= 0)) throw InputError("--scale-weights must be >= 0");
  }
  if (!(consistency >= 0) || !(penalty >= 0) || !(middle_weight > 0) || !(frequency >= 0)) {
    throw InputError("loss weights must be >= 0 (--middle-weight > 0)");
  }
  if (distance != "l1" && distance != "charbonnier" && distance != "l2") {
    throw InputError("--loss must be l1, charbonnier or l2, got '" + distance + "'");
  }
}

namespace {

// Ground truth frame (B, 3, H, W) at the size of `like`.
Tensor Downsample(const Tensor& frame, const Tensor& like) {
  const int64_t factor = frame.size(2) / like.size(2);
  if (factor == 1) return frame;
  return F::avg_pool2d(frame, F::AvgPool2dFuncOptions(factor));
}

// The distance of the photometric loss, per pixel.
Tensor Distance(const Tensor& d, const std::string& distance) {
  if (distance == "charbonnier") return (d * d + 1e-6).sqrt();
  if (distance == "l2") return d * d;
  return d.abs();
}

// Ground truth frame j at the size of each output scale s: pyramid[j][s]. Computed once, for both
// orders of the order-invariant loss.
std::vector<std::vector<Tensor>> Pyramid(const ModelOutput& output, const Tensor& sharp) {
  std::vector<std::vector<Tensor>> pyramid(sharp.size(1));
  for (int64_t j = 0; j < sharp.size(1); ++j) {
    const Tensor truth = sharp.select(1, j);
    for (const Tensor& scale : output.images[0]) pyramid[j].push_back(Downsample(truth, scale));
  }
  return pyramid;
}

// Per-sample photometric loss (B,) of frames in the given order of ground truth indices.
Tensor PerSample(const ModelOutput& output, const std::vector<std::vector<Tensor>>& pyramid,
                 bool reverse, const LossOptions& options) {
  const std::vector<double>& weights = options.scale_weights;
  const int64_t frames = static_cast<int64_t>(pyramid.size());
  Tensor total;
  for (int64_t j = 0; j < frames; ++j) {
    const double frame_weight = j == frames / 2 ? options.middle_weight : 1.0;
    const auto& truth = pyramid[reverse ? frames - 1 - j : j];
    const auto& scales = output.images[j];
    const size_t n = scales.size();
    for (size_t s = 0; s < n; ++s) {
      // The finest scale takes the last weight, the next coarser the one before, ...
      const size_t wi = weights.size() - n + s;
      const double w = wi < weights.size() ? weights[wi] : 0.0;
      if (w == 0) continue;
      const Tensor error = scales[s] - truth[s];
      Tensor term = Distance(error, options.distance).mean({1, 2, 3});
      if (options.frequency > 0) {
        const Tensor spectrum = torch::view_as_real(torch::fft::rfft2(error, c10::nullopt, {-2, -1}, "ortho"));
        term = term + options.frequency * spectrum.abs().mean({1, 2, 3, 4});
      }
      term = (w * frame_weight) * term;
      total = total.defined() ? total + term : term;
    }
  }
  if (!total.defined()) return torch::zeros({output.images[0][0].size(0)}, output.images[0][0].options());
  return total / (frames - 1 + options.middle_weight);
}

}  // namespace

Tensor MultiScalePhotometric(const ModelOutput& output, const Tensor& sharp,
                             const std::vector<double>& scale_weights, bool order_invariant,
                             const std::string& distance) {
  LossOptions options;
  options.scale_weights = scale_weights;
  options.order_invariant = order_invariant;
  options.distance = distance;
  return MultiScalePhotometric(output, sharp, options);
}

Tensor MultiScalePhotometric(const ModelOutput& output, const Tensor& sharp, const LossOptions& options) {
  const auto pyramid = Pyramid(output, sharp);
  const Tensor forward = PerSample(output, pyramid, false, options);
  if (!options.order_invariant) return forward.mean();
  const Tensor backward = PerSample(output, pyramid, true, options);
  return torch::minimum(forward, backward).mean();
}

Tensor TransformationConsistency(const ModelOutput& output) {
  Tensor total;
  int64_t terms = 0;
  for (const auto& thetas : output.thetas) {
    for (size_t s = 0; s + 1 < thetas.size(); ++s) {
      const Tensor t = (thetas[s] - thetas[s + 1]).abs().mean();
      total = total.defined() ? total + t : t;
      ++terms;
    }
  }
  if (!terms) return torch::zeros({}, output.images[0][0].options());
  return total / terms;
}

Tensor SymmetricPenalty(const ModelOutput& output, const Tensor& sharp) {
  const int64_t frames = sharp.size(1), mid = frames / 2;
  Tensor total = torch::zeros({}, sharp.options());
  for (int64_t j = 0; j < frames; ++j) {
    if (j == mid) continue;
    total = total - (output.images[j].back() - sharp.select(1, frames - 1 - j)).abs().mean();
  }
  return total / (frames - 1);
}

LossTerms ComputeLoss(const ModelOutput& output, const Tensor& sharp, const LossOptions& options) {
  LossTerms terms;
  terms.photometric = MultiScalePhotometric(output, sharp, options);
  terms.consistency = TransformationConsistency(output);
  terms.penalty = SymmetricPenalty(output, sharp);
  terms.total = terms.photometric + options.consistency * terms.consistency +
                options.penalty * terms.penalty;
  return terms;
}

}  // namespace blurkit::train
