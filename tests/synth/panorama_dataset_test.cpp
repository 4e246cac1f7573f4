#include "blurkit/synth/panorama_dataset.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <opencv2/imgcodecs.hpp>

#include "blurkit/core/error.h"
#include "blurkit/core/sha256.h"
#include "blurkit/synth/commands.h"
#include "test_panoramas.h"

namespace blurkit::synth {
namespace {
namespace fs = std::filesystem;

class PanoramaDatasetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("blurkit_pds_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "panos");
    // Two 8-bit panoramas (sRGB-encoded smooth textures), 256x128.
    for (int k = 0; k < 2; ++k) {
      cv::Mat linear = testing::SmoothPanorama(128);
      if (k == 1) cv::flip(linear, linear, 1);
      cv::Mat srgb;
      linear.convertTo(srgb, CV_8UC3, 255.0);
      cv::imwrite((root_ / "panos" / ("p" + std::to_string(k) + ".png")).string(), srgb);
    }
  }
  void TearDown() override { fs::remove_all(root_); }

  PanoramaCommandOptions Options(const std::string& out) {
    PanoramaCommandOptions o;
    o.inputs = {root_ / "panos"};
    o.dataset.samples = 12;
    o.dataset.seed = 3;
    o.dataset.render.width = o.dataset.render.height = 48;
    o.dataset.render.fov = 60;
    o.dataset.render.frames = 3;
    o.dataset.render.path.max_angle = 4;
    o.run.out = root_ / out;
    o.run.shard_size = 5;
    o.run.progress = false;
    return o;
  }
  std::map<std::string, std::string> Digests(const fs::path& folder) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::directory_iterator(folder))
      out[e.path().filename().string()] = Sha256OfFile(e.path());
    return out;
  }
  fs::path root_;
};

TEST_F(PanoramaDatasetTest, SamplesCarryGroundTruthOfTheirKind) {
  const auto summary = RunPanorama(Options("a"));
  EXPECT_EQ(summary.run.samples_written, 12);
  EXPECT_EQ(summary.panoramas, 2u);
  DatasetReader reader(root_ / "a");
  const DatasetSpec& spec = reader.spec();
  EXPECT_EQ(spec.kind, DatasetKind::kRotation);
  EXPECT_EQ(spec.blur_magnitude_unit, "degrees");
  EXPECT_EQ(spec.params.at("fov"), 60.0);
  for (int64_t i : {0, 11}) {
    const Sample s = reader.Read(i);
    EXPECT_EQ(s.source_file, i < 6 ? "p0.png" : "p1.png");  // floor(i * P / N)
    EXPECT_EQ(s.source_sha256, Sha256OfFile(root_ / "panos" / s.source_file));
    EXPECT_GT(s.blur_magnitude, 0);
    EXPECT_LE(s.blur_magnitude, 4 * std::sqrt(3.0) + 1e-4);
    // Unit quaternions; the middle homography is the identity.
    for (int j = 0; j < 3; ++j) {
      double norm = 0;
      for (int c = 0; c < 4; ++c) norm += s.orientation[4 * j + c] * s.orientation[4 * j + c];
      EXPECT_NEAR(norm, 1.0, 1e-9);
    }
    for (int k = 0; k < 9; ++k) EXPECT_NEAR(s.homography[9 + k], (k % 4 == 0) ? 1.0 : 0.0, 1e-9);
    // The rotation between first and last orientation is the recorded magnitude.
    const Eigen::Quaterniond q0(s.orientation[0], s.orientation[1], s.orientation[2], s.orientation[3]);
    const Eigen::Quaterniond q2(s.orientation[8], s.orientation[9], s.orientation[10], s.orientation[11]);
    EXPECT_NEAR(q0.angularDistance(q2) * 180 / M_PI, s.blur_magnitude, 1e-3);
    EXPECT_NE(s.blurred, std::vector<uint8_t>(s.sharp.begin() + 48 * 48 * 3,
                                              s.sharp.begin() + 2 * 48 * 48 * 3));
  }
}

TEST_F(PanoramaDatasetTest, TwoRunsAndTwoThreadCountsGiveIdenticalBytes) {
  PanoramaCommandOptions a = Options("t1"), b = Options("t2"), c = Options("t2b");
  a.run.threads = 1;
  b.run.threads = 2;
  c.run.threads = 2;
  RunPanorama(a);
  RunPanorama(b);
  RunPanorama(c);
  EXPECT_EQ(Digests(root_ / "t1"), Digests(root_ / "t2"));
  EXPECT_EQ(Digests(root_ / "t2"), Digests(root_ / "t2b"));
  PanoramaCommandOptions other_seed = Options("s4");
  other_seed.dataset.seed = 4;
  RunPanorama(other_seed);
  EXPECT_NE(Digests(root_ / "t1")["shard-00000-of-00003.h5"],
            Digests(root_ / "s4")["shard-00000-of-00003.h5"]);
}

TEST_F(PanoramaDatasetTest, SplitRunEqualsSingleRun) {
  RunPanorama(Options("single"));
  for (int part : {0, 1}) {
    PanoramaCommandOptions o = Options("split");
    o.run.num_shards = 2;
    o.run.shard_index = part;
    RunPanorama(o);
  }
  const auto single = Digests(root_ / "single");
  auto split = Digests(root_ / "split");
  for (const auto& [name, digest] : single) EXPECT_EQ(split[name], digest) << name;
}

TEST_F(PanoramaDatasetTest, BadOptionsAreRefused) {
  PanoramaCommandOptions o = Options("bad");
  o.dataset.render.frames = 4;
  EXPECT_THROW(RunPanorama(o), InputError);
  o = Options("bad");
  o.dataset.render.width = 0;
  EXPECT_THROW(RunPanorama(o), InputError);
  o = Options("bad");
  o.inputs = {root_ / "nothing-here"};
  EXPECT_THROW(RunPanorama(o), InputError);
  EXPECT_FALSE(fs::exists(root_ / "bad"));
}

}  // namespace
}  // namespace blurkit::synth
