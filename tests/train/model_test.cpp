#include "blurkit/train/model.h"

#include <gtest/gtest.h>

#include "blurkit/core/error.h"
#include "blurkit/train/losses.h"

namespace blurkit::train {
namespace {

std::shared_ptr<FrameModelImpl> Make(const std::string& kind, int frames, int width = 4) {
  torch::manual_seed(1);
  ModelOptions o;
  o.kind = kind;
  o.frames = frames;
  o.width = width;
  return MakeModel(o);
}

TEST(Model, OutputShapesForThreeAndSevenFramesAndBothModels) {
  torch::set_num_threads(2);
  for (const std::string kind : {"motion", "unet"}) {
    for (int frames : {3, 7}) {
      auto model = Make(kind, frames);
      const ModelOutput out = model->Forward(torch::rand({2, 3, 64, 96}));
      ASSERT_EQ(out.images.size(), size_t(frames)) << kind;
      EXPECT_EQ(out.Frames().sizes(), (std::vector<int64_t>{2, frames, 3, 64, 96})) << kind;
      if (kind == "motion") {
        ASSERT_EQ(out.images[0].size(), 5u);
        EXPECT_EQ(out.images[0][0].sizes(), (std::vector<int64_t>{2, 3, 4, 6}));  // 1/16
        EXPECT_TRUE(out.thetas[frames / 2].empty());
        ASSERT_EQ(out.thetas[0].size(), 5u);
        EXPECT_EQ(out.thetas[0][2].sizes(), (std::vector<int64_t>{2, 4, 3}));
      } else {
        EXPECT_EQ(out.images[0].size(), 1u);
      }
    }
  }
}

TEST(Model, UntrainedModelsPredictTheBlurredInput) {
  // Residual heads start at zero and the transformers at the identity: the untrained model is the
  // blurred-input baseline, and training starts from there.
  for (const std::string kind : {"motion", "unet"}) {
    auto model = Make(kind, 3);
    const torch::Tensor x = torch::rand({1, 3, 32, 64});
    const torch::Tensor frames = model->Forward(x).Frames();
    for (int j = 0; j < 3; ++j) EXPECT_TRUE(torch::allclose(frames.select(1, j), x)) << kind << j;
  }
}

TEST(Model, FastPathEqualsTheReferenceInOutputsAndGradients) {
  // The default path (channels-last tensors, transposed convolutions as sub-pixel convolutions) and
  // the reference path (plain NCHW LibTorch calls) compute the same function of the same weights.
  torch::set_num_threads(2);
  for (const std::string kind : {"motion", "unet"}) {
    for (int frames : {3, 5}) {
      auto fast = Make(kind, frames);
      auto reference = Make(kind, frames);
      reference->set_reference(true);
      ASSERT_FALSE(fast->reference());
      {
        // Random weights everywhere (the residual heads start at zero), the same in both models.
        torch::NoGradGuard no_grad;
        torch::manual_seed(7);
        auto a = fast->parameters(), b = reference->parameters();
        ASSERT_EQ(a.size(), b.size());
        for (size_t i = 0; i < a.size(); ++i) {
          a[i].add_(0.05 * torch::randn_like(a[i]));
          b[i].copy_(a[i]);
        }
      }
      torch::manual_seed(8);
      const torch::Tensor x = torch::rand({2, 3, 64, 96});
      const torch::Tensor sharp = torch::rand({2, frames, 3, 64, 96});
      const ModelOutput out_fast = fast->Forward(x), out_reference = reference->Forward(x);
      for (int j = 0; j < frames; ++j) {
        for (size_t s = 0; s < out_fast.images[j].size(); ++s) {
          const double diff = (out_fast.images[j][s] - out_reference.images[j][s]).abs().max().item<double>();
          EXPECT_LE(diff, 1e-5) << kind << " frame " << j << " scale " << s;
        }
        for (size_t s = 0; s < out_fast.thetas[j].size(); ++s) {
          EXPECT_LE((out_fast.thetas[j][s] - out_reference.thetas[j][s]).abs().max().item<double>(), 1e-5);
        }
      }
      LossOptions loss;
      loss.order_invariant = true;
      ComputeLoss(out_fast, sharp, loss).total.backward();
      ComputeLoss(out_reference, sharp, loss).total.backward();
      auto a = fast->named_parameters(), b = reference->named_parameters();
      int compared = 0;
      for (const auto& item : a) {
        const torch::Tensor ga = item.value().grad(), gb = b[item.key()].grad();
        ASSERT_TRUE(ga.defined() && gb.defined()) << item.key();
        const double scale = std::max(1.0, gb.abs().max().item<double>());
        EXPECT_LE((ga - gb).abs().max().item<double>(), 1e-5 * scale) << kind << " " << item.key();
        ++compared;
      }
      EXPECT_EQ(compared, static_cast<int>(b.size()));
    }
  }
}

TEST(Model, GradientsReachEveryPart) {
  auto model = Make("motion", 3);
  // Move the zero-initialised residual heads off zero first, as one optimizer step does, so that
  // the layers behind them receive gradient too.
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->parameters()) p.add_(0.01 * torch::randn_like(p));
  }
  const torch::Tensor x = torch::rand({2, 3, 64, 64});
  const torch::Tensor sharp = torch::rand({2, 3, 3, 64, 64});
  const ModelOutput out = model->Forward(x);
  LossOptions loss;
  ComputeLoss(out, sharp, loss).total.backward();
  int checked = 0;
  for (const auto& item : model->named_parameters()) {
    const std::string& name = item.key();
    const torch::Tensor& p = item.value();
    ASSERT_TRUE(p.grad().defined()) << name;
    EXPECT_GT(p.grad().abs().sum().item().toDouble(), 0.0) << name << " receives no gradient";
    ++checked;
  }
  // The parts the issue names, by their registered names.
  for (const char* part : {"encoder.", "frame1_block", "frame0_block", "ftn_stn0_", "ftn_lw0_", "itn_stn0_",
                           "refine"}) {
    bool found = false;
    for (const auto& item : model->named_parameters()) found |= item.key().find(part) == 0;
    EXPECT_TRUE(found) << part;
  }
  EXPECT_GT(checked, 100);
}

TEST(Model, OptionsAreChecked) {
  ModelOptions o;
  o.kind = "transformer";
  EXPECT_THROW(o.Check(), InputError);
  o = {};
  o.frames = 4;
  EXPECT_THROW(o.Check(), InputError);
  o = {};
  const ModelOptions back = ModelOptions::FromJson(o.ToJson());
  EXPECT_EQ(back.kind, o.kind);
  EXPECT_EQ(back.width, o.width);
}

}  // namespace
}  // namespace blurkit::train
