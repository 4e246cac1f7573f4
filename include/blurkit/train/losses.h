// The training losses (Argaw et al. 2021, section 4.3), with blurkit's default weights; the paper's
// values were lost, so each is a flag of blurkit-train.
//
//   L = sum_j sum_s w_s |I_j^s - G_j^s|_1              multi-scale photometric loss (Eq. 3); G_j^s is
//                                                      ground truth frame j downsampled (2x2 box
//                                                      averages = bilinear at half size) to scale s
//     + lambda_c sum_j sum_s |theta_j^s - theta_j^s+1|_1   transformation consistency (Eq. 4)
//     - lambda_p sum_{j != m} |I_j - G_{F-1-j}|_1      penalty: predicted frames must differ from
//                                                      their time-symmetric ground truth (Eq. 5)
// Means replace sums (so the weights do not depend on image or batch size).
// Optionally Jin et al.'s order-invariant photometric loss: per sample, the smaller of the
// photometric loss in ground-truth and in reverse order.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "blurkit/train/model.h"

namespace blurkit::train {

struct LossOptions {
  // w_s from the coarsest (1/16) to the full scale. A model with one scale uses the last.
  std::vector<double> scale_weights = {0.0625, 0.125, 0.25, 0.5, 1.0};
  double consistency = 0.01;  // lambda_c
  double penalty = 0.01;      // lambda_p
  bool order_invariant = false;
  // The distance of the photometric loss: "l1" (the paper's), "charbonnier", sqrt(d^2 + 1e-6),
  // which is smooth at zero, or "l2", d^2 (the squared error that PSNR measures).
  std::string distance = "l1";
  // Weight of the middle frame's photometric term relative to each other frame's (1: all equal).
  double middle_weight = 1.0;
  // Weight of a frequency-domain term added to each scale's photometric distance: the mean absolute
  // real and imaginary parts of the orthonormal 2-D FFT of the error (Cho et al. 2021, MIMO-UNet).
  double frequency = 0.0;

  void Check() const;  // throws InputError
};

struct LossTerms {
  torch::Tensor total, photometric, consistency, penalty;
};

// `sharp`: (B, F, 3, H, W) in [0, 1].
LossTerms ComputeLoss(const ModelOutput& output, const torch::Tensor& sharp,
                      const LossOptions& options);

torch::Tensor MultiScalePhotometric(const ModelOutput& output, const torch::Tensor& sharp,
                                    const std::vector<double>& scale_weights, bool order_invariant,
                                    const std::string& distance = "l1");
torch::Tensor MultiScalePhotometric(const ModelOutput& output, const torch::Tensor& sharp,
                                    const LossOptions& options);
torch::Tensor TransformationConsistency(const ModelOutput& output);
torch::Tensor SymmetricPenalty(const ModelOutput& output, const torch::Tensor& sharp);

}  // namespace blurkit::train
