#include "blurkit/synth/panorama_dataset.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
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


// ---------------------------------------------------------------------------------------------
// Photos, shake and gyro paths through the whole dataset path

class PhotoDatasetTest : public PanoramaDatasetTest {
 protected:
  void SetUp() override {
    PanoramaDatasetTest::SetUp();
    fs::create_directories(root_ / "photos");
    // Two 8-bit 320x240 "photos": crops of the smooth texture, the second mirrored.
    for (int k = 0; k < 2; ++k) {
      cv::Mat linear = testing::SmoothPanorama(240)(cv::Rect(40 * k, 0, 320, 240)).clone();
      if (k == 1) cv::flip(linear, linear, 1);
      cv::Mat srgb;
      linear.convertTo(srgb, CV_8UC3, 255.0);
      cv::imwrite((root_ / "photos" / ("q" + std::to_string(k) + ".jpg")).string(), srgb);
    }
  }
  PanoramaCommandOptions Photos(const std::string& out, TrajectoryKind kind) {
    PanoramaCommandOptions o = Options(out);
    o.inputs = {root_ / "photos"};
    o.dataset.photos = true;
    o.dataset.source_fov = 60;
    o.dataset.render.fov = 20;
    o.dataset.render.path.max_angle = 3;
    o.dataset.render.path.trajectory = kind;
    return o;
  }
};

TEST_F(PhotoDatasetTest, EveryKindStoresItsWholePathAndRepeatsByteForByte) {
  for (TrajectoryKind kind : {TrajectoryKind::kSlerp, TrajectoryKind::kShake}) {
    PanoramaCommandOptions a = Photos("a" + ToString(kind), kind), b = Photos("b" + ToString(kind), kind);
    a.run.threads = 1;
    b.run.threads = 2;
    const auto summary = RunPanorama(a);
    RunPanorama(b);
    EXPECT_TRUE(summary.photos);
    EXPECT_EQ(Digests(root_ / ("a" + ToString(kind))), Digests(root_ / ("b" + ToString(kind))));
    DatasetReader reader(root_ / ("a" + ToString(kind)));
    EXPECT_EQ(reader.spec().params.at("command"), "photos");
    EXPECT_EQ(reader.spec().params.at("trajectory").at("kind"), ToString(kind));
    EXPECT_EQ(reader.spec().params.at("sources").at(0).at("fov"), 60.0);
    for (int64_t i = 0; i < reader.size(); ++i) {
      const Sample s = reader.Read(i);
      const int n = static_cast<int>(s.trajectory.size() / 4);
      ASSERT_GE(n, 3);
      ASSERT_EQ((n - 1) % 2, 0);
      // The sharp frames' orientations are the path's sub-frames 0, (n-1)/2 and n-1.
      for (int j = 0; j < 3; ++j) {
        for (int c = 0; c < 4; ++c) {
          EXPECT_EQ(s.orientation[4 * j + c], s.trajectory[4 * (j * (n - 1) / 2) + c]);
        }
      }
      // The blur magnitude is the path's angle: at least the chord, equal for slerp.
      double angle = 0;
      for (int k = 0; k + 1 < n; ++k) {
        const Eigen::Quaterniond p(s.trajectory[4 * k], s.trajectory[4 * k + 1],
                                   s.trajectory[4 * k + 2], s.trajectory[4 * k + 3]);
        const Eigen::Quaterniond q(s.trajectory[4 * k + 4], s.trajectory[4 * k + 5],
                                   s.trajectory[4 * k + 6], s.trajectory[4 * k + 7]);
        angle += p.angularDistance(q) * 180 / M_PI;
      }
      // Sub-frames sample the path, so their polyline is at most its angle.
      EXPECT_LE(angle, s.blur_magnitude + 1e-3);
      if (kind == TrajectoryKind::kSlerp) EXPECT_NEAR(angle, s.blur_magnitude, 1e-3);
    }
  }
}

TEST_F(PhotoDatasetTest, GyroWindowsOfALog) {
  std::ofstream csv(root_ / "gyro.csv");
  csv << "timestamp,wx,wy,wz\n";
  for (int k = 0; k < 400; ++k) {
    csv << 0.01 * k << "," << 0.5 * std::sin(0.05 * k) << "," << 0.8 * std::cos(0.03 * k) << ",0.05\n";
  }
  csv.close();
  PanoramaCommandOptions o = Photos("g", TrajectoryKind::kGyro);
  o.dataset.render.path.gyro = GyroLog::Load(root_ / "gyro.csv");
  o.dataset.render.path.exposure_time = 0.05;
  RunPanorama(o);
  DatasetReader reader(root_ / "g");
  const Json& trajectory = reader.spec().params.at("trajectory");
  EXPECT_EQ(trajectory.at("gyro").at("name"), "gyro.csv");
  EXPECT_EQ(trajectory.at("gyro").at("sha256"), Sha256OfFile(root_ / "gyro.csv"));
  EXPECT_EQ(trajectory.at("exposure_time"), 0.05);
  for (int64_t i = 0; i < reader.size(); ++i) {
    const Sample s = reader.Read(i);
    // At most |w| * T = sqrt(0.5^2 + 0.8^2 + 0.05^2) * 0.05 rad.
    EXPECT_LE(s.blur_magnitude, std::sqrt(0.25 + 0.64 + 0.0025) * 0.05 * 180 / M_PI + 1e-3);
    EXPECT_GT(s.blur_magnitude, 0.5);
  }
}

TEST_F(PhotoDatasetTest, PathsThatLeaveThePhotoAreRedrawnAndCounted) {
  // A 48 px view at 40 degrees in a 60-degree photo, turning by up to 8 degrees per axis: many
  // paths leave the photo; they are drawn again from the sample's own stream.
  PanoramaCommandOptions a = Photos("r1", TrajectoryKind::kSlerp), b = Photos("r2", TrajectoryKind::kSlerp);
  for (auto* o : {&a, &b}) {
    o->dataset.render.fov = 40;
    o->dataset.render.path.max_angle = 8;
  }
  b.run.threads = 1;
  const auto summary = RunPanorama(a);
  EXPECT_GT(summary.stats.redraws, 0);
  EXPECT_NE(FormatSummary(summary).find(std::to_string(summary.stats.redraws) +
                                        " paths redrawn because they left the photo"),
            std::string::npos)
      << FormatSummary(summary);
  RunPanorama(b);
  EXPECT_EQ(Digests(root_ / "r1"), Digests(root_ / "r2"));
}

TEST_F(PhotoDatasetTest, BadPhotoInputIsNamed) {
  auto error = [](PanoramaCommandOptions o) -> std::string {
    try {
      RunPanorama(o);
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  };
  // A view wider than the photo.
  PanoramaCommandOptions o = Photos("bad", TrajectoryKind::kSlerp);
  o.dataset.render.fov = 70;
  std::string e = error(o);
  EXPECT_NE(e.find("q0.jpg"), std::string::npos) << e;
  EXPECT_NE(e.find("is too small for a view of --fov 70"), std::string::npos) << e;
  // A rotation that never fits.
  o = Photos("bad", TrajectoryKind::kSlerp);
  o.dataset.render.fov = 40;
  o.dataset.render.path.max_angle = 30;
  o.dataset.max_draws = 20;
  e = error(o);
  EXPECT_NE(e.find("kept no camera path of 20 draws inside it"), std::string::npos) << e;
  // --source-fov missing or out of (0, 180).
  o = Photos("bad", TrajectoryKind::kSlerp);
  o.dataset.source_fov = 0;
  e = error(o);
  EXPECT_NE(e.find("q0.jpg: the photo's horizontal field of view is unknown"), std::string::npos) << e;
  for (double fov : {-5.0, 180.0, 200.0}) {
    o.dataset.source_fov = fov;
    e = error(o);
    EXPECT_NE(e.find("--source-fov must be in (0, 180)"), std::string::npos) << e;
  }
  EXPECT_FALSE(fs::exists(root_ / "bad"));
}

TEST_F(PanoramaDatasetTest, ShakePathsFromPanoramasAreNotGreatCircles) {
  PanoramaCommandOptions o = Options("shake");
  o.dataset.render.path.trajectory = TrajectoryKind::kShake;
  const auto summary = RunPanorama(o);
  EXPECT_LT(summary.stats.sum_straightness / summary.stats.samples, 0.95);
  PanoramaCommandOptions slerp = Options("slerp");
  const auto straight = RunPanorama(slerp);
  EXPECT_NEAR(straight.stats.sum_straightness / straight.stats.samples, 1.0, 1e-6);
  DatasetReader reader(root_ / "shake");
  EXPECT_FALSE(reader.Read(0).trajectory.empty());
}

}  // namespace
}  // namespace blurkit::synth
