// The camera pipeline (synth/camera_pipeline.cpp): the noise's statistics on the mosaic, saturated
// sites without noise, the noise-free round trip, the stored raw mosaic against a Malvar-He-Cutler
// demosaicing written here from the paper, JPEG as OpenCV's, the saturation step, the presets and
// the errors for bad settings; then the pipeline inside panorama datasets: off is the ideal camera
// byte for byte, on it is the same bytes on 1 and 2 threads, its stored mosaic gives the stored
// blurred image, its highlights streak by the recorded strength, its JPEG is OpenCV's.
#include "blurkit/synth/camera_pipeline.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "blurkit/core/error.h"
#include "blurkit/core/sha256.h"
#include "blurkit/synth/commands.h"
#include "blurkit/synth/exposure.h"
#include "blurkit/synth/panorama.h"
#include "blurkit/synth/rotation_blur.h"
#include "test_panoramas.h"

namespace blurkit::synth {
namespace {

CameraPipelineOptions Isp(double beta1 = 0, double beta2 = 0) {
  CameraPipelineOptions o;
  o.isp = true;
  o.beta1 = beta1;
  o.beta2 = beta2;
  return o;
}

CameraDraws Fixed(BayerPattern p, double red = 2.1, double blue = 1.7, double beta1 = 0, double beta2 = 0) {
  CameraDraws d;
  d.pattern = p;
  d.red_gain = red;
  d.blue_gain = blue;
  d.beta1 = beta1;
  d.beta2 = beta2;
  return d;
}

// A smooth linear BGR image: gentle ramps and a low-frequency wave in every channel, in (0, 1).
cv::Mat Smooth(int h, int w) {
  cv::Mat m(h, w, CV_32FC3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      m.at<cv::Vec3f>(y, x) = cv::Vec3f(0.2f + 0.3f * x / w, 0.3f + 0.2f * std::sin(0.05f * (x + y)),
                                        0.25f + 0.4f * y / h);
    }
  }
  return m;
}

double PsnrLinear(const cv::Mat& a, const cv::Mat& b) {
  const double mse = cv::norm(a, b, cv::NORM_L2SQR) / (a.total() * a.channels());
  return 10 * std::log10(1.0 / mse);
}

TEST(CameraPipeline, NoiseOnAFlatPatchHasTheMeanAndVarianceOfThePoissonGaussianModel) {
  // A flat grey patch: every red site of the mosaic holds the same camera value x (white balance
  // undone). The stored codes' mean must be x and their variance beta1 * x + beta2^2 (+ the 16-bit
  // quantisation's 1/12 code^2, negligible). 4096 red sites: the variance's relative standard
  // error is sqrt(2 / 4096) = 2.2%; 10% is 4.5 of them, on any machine (the stream is fixed).
  const double beta1 = 2e-4, beta2 = 3e-3;
  const CameraPipeline pipeline(Isp(beta1, beta2));
  const CameraDraws d = Fixed(BayerPattern::kRggb, 2.0, 1.6, beta1, beta2);
  for (float grey : {0.05f, 0.3f}) {
    cv::Mat image(128, 128, CV_32FC3, cv::Scalar::all(grey));
    RandomStream noise(7, RandomPurpose::kSampleRawNoise, 0);
    std::vector<uint16_t> raw;
    pipeline.Process(image, d, noise, &raw);
    const cv::Matx33d& m = pipeline.cam_from_rgb();
    const double x = (m(0, 0) + m(0, 1) + m(0, 2)) * grey / 2.0;  // red: divided by its gain
    double sum = 0, sum2 = 0;
    int n = 0;
    for (int y = 0; y < 128; y += 2) {
      for (int c = 0; c < 128; c += 2) {
        const double v = (raw[y * 128 + c] - double(kRawBlackLevel)) / (kRawWhiteLevel - kRawBlackLevel);
        sum += v, sum2 += v * v, ++n;
      }
    }
    const double mean = sum / n, variance = sum2 / n - mean * mean;
    const double expected = beta1 * x + beta2 * beta2;
    EXPECT_NEAR(mean, x, 4 * std::sqrt(expected / n)) << grey;
    EXPECT_NEAR(variance / expected, 1.0, 0.10) << grey << ": variance " << variance << ", model " << expected;
  }
}

TEST(CameraPipeline, SaturatedChannelsCarryNoNoise) {
  const CameraPipeline pipeline(Isp(1e-3, 1e-2));
  cv::Mat image(32, 32, CV_32FC3, cv::Scalar(0.4, 1.0, 1.7));  // blue 0.4, green at, red above clipping
  RandomStream noise(1, RandomPurpose::kSampleRawNoise, 0);
  pipeline.Process(image, Fixed(BayerPattern::kGrbg, 2.2, 1.8, 1e-3, 1e-2), noise, nullptr);
  double min_b = 1, max_b = 0;
  for (int y = 0; y < 32; ++y) {
    for (int x = 0; x < 32; ++x) {
      const cv::Vec3f p = image.at<cv::Vec3f>(y, x);
      ASSERT_EQ(p[1], 1.0f) << y << "," << x;
      ASSERT_EQ(p[2], 1.0f) << y << "," << x;
      min_b = std::min<double>(min_b, p[0]), max_b = std::max<double>(max_b, p[0]);
    }
  }
  EXPECT_GT(max_b - min_b, 0.01);  // the unsaturated channel does carry noise
}

TEST(CameraPipeline, ANoiseFreeRoundTripOfASmoothImageKeepsIt) {
  // Malvar's filters interpolate smooth images almost exactly and the colour matrices are exact
  // inverses: 60 dB (an error of 0.1% of the range) holds with a wide margin (measured: see below).
  for (BayerPattern p : {BayerPattern::kRggb, BayerPattern::kBggr, BayerPattern::kGrbg, BayerPattern::kGbrg}) {
    const CameraPipeline pipeline(Isp());
    const cv::Mat input = Smooth(96, 128);
    cv::Mat image = input.clone();
    RandomStream noise(1, RandomPurpose::kSampleRawNoise, 0);
    pipeline.Process(image, Fixed(p), noise, nullptr);
    const double psnr = PsnrLinear(image, input);
    std::printf("%s: round trip %.1f dB\n", ToString(p).c_str(), psnr);
    EXPECT_GT(psnr, 60.0) << ToString(p);
  }
}

// Malvar, He and Cutler (2004), written from the paper's figure 2: each missing colour is the
// bilinear estimate plus a scaled Laplacian of the site's own colour, as a 5x5 stencil. Indices
// outside the mosaic are mirrored about the edge pixel (-1 -> 1), which keeps the pattern.
double At(const cv::Mat& m, int y, int x) {
  auto mirror = [](int i, int n) { return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i; };
  return m.at<float>(mirror(y, m.rows), mirror(x, m.cols));
}
cv::Vec3d MalvarReference(const cv::Mat& m, BayerPattern p, int y, int x) {
  auto a = [&](int dy, int dx) { return At(m, y + dy, x + dx); };
  const double c = a(0, 0);
  const double plus = a(-1, 0) + a(1, 0) + a(0, -1) + a(0, 1);      // the 4 nearest
  const double cross = a(-1, -1) + a(-1, 1) + a(1, -1) + a(1, 1);   // the 4 diagonal
  const double far = a(-2, 0) + a(2, 0) + a(0, -2) + a(0, 2);       // 2 away, in line
  const double far_h = a(0, -2) + a(0, 2), far_v = a(-2, 0) + a(2, 0);
  cv::Vec3d rgb;
  const int site = BayerColor(p, y, x);
  if (site == 1) {
    // G at a green site; the row's colour: (5c - cross - far_h + far_v / 2 + 4 (left + right)) / 8.
    const double row = (5 * c + 4 * (a(0, -1) + a(0, 1)) - cross - far_h + 0.5 * far_v) / 8;
    const double column = (5 * c + 4 * (a(-1, 0) + a(1, 0)) - cross - far_v + 0.5 * far_h) / 8;
    const int row_color = BayerColor(p, y, x + 1);
    rgb[1] = c;
    rgb[row_color] = row;
    rgb[2 - row_color] = column;
  } else {
    rgb[site] = c;
    rgb[1] = (4 * c + 2 * plus - far) / 8;
    rgb[2 - site] = (6 * c + 2 * cross - 1.5 * far) / 8;
  }
  return rgb;
}

TEST(CameraPipeline, TheStoredRawMosaicDemosaicedByMalvarsPaperGivesTheProcessedImage) {
  const CameraPipeline pipeline(Isp(1e-4, 9e-4));
  for (BayerPattern p : {BayerPattern::kRggb, BayerPattern::kGbrg}) {
    cv::Mat image = Smooth(40, 56);
    cv::circle(image, {20, 20}, 8, cv::Scalar(0.9, 0.1, 0.5), -1);  // edges, where the filters work
    const CameraDraws d = Fixed(p, 2.3, 1.55, 1e-4, 9e-4);
    RandomStream noise(3, RandomPurpose::kSampleRawNoise, 0);
    std::vector<uint16_t> raw;
    pipeline.Process(image, d, noise, &raw);
    cv::Mat balanced(40, 56, CV_32F);
    const double gain[3] = {d.red_gain, 1, d.blue_gain};
    for (int y = 0; y < 40; ++y) {
      for (int x = 0; x < 56; ++x) {
        balanced.at<float>(y, x) = static_cast<float>((raw[y * 56 + x] - double(kRawBlackLevel)) /
                                                      (kRawWhiteLevel - kRawBlackLevel) * gain[BayerColor(p, y, x)]);
      }
    }
    double worst = 0;
    for (int y = 0; y < 40; ++y) {
      for (int x = 0; x < 56; ++x) {
        const cv::Vec3d cam = MalvarReference(balanced, p, y, x);
        const cv::Vec3d rgb = pipeline.rgb_from_cam() * cam;
        const cv::Vec3f got = image.at<cv::Vec3f>(y, x);
        for (int k = 0; k < 3; ++k) {
          worst = std::max(worst, std::abs(std::clamp(rgb[k], 0.0, 1.0) - got[2 - k]));
        }
      }
    }
    // Float32 filtering against double here: a few 1e-7; 1e-5 is far below one 8-bit step (1/255
    // of the output's range at its steepest is 1.5e-4 linear for sRGB near black... 3e-4).
    EXPECT_LT(worst, 1e-5) << ToString(p);
  }
}

TEST(CameraPipeline, DemosaicingReproducesAConstantColourExactlyForEveryPattern) {
  for (BayerPattern p : {BayerPattern::kRggb, BayerPattern::kBggr, BayerPattern::kGrbg, BayerPattern::kGbrg}) {
    cv::Mat mosaic(10, 12, CV_32F);
    const float colour[3] = {0.7f, 0.4f, 0.2f};
    for (int y = 0; y < 10; ++y)
      for (int x = 0; x < 12; ++x) mosaic.at<float>(y, x) = colour[BayerColor(p, y, x)];
    const cv::Mat out = DemosaicMalvar(mosaic, p);
    for (int y = 0; y < 10; ++y) {
      for (int x = 0; x < 12; ++x) {
        const cv::Vec3f v = out.at<cv::Vec3f>(y, x);
        ASSERT_NEAR(v[2], 0.7f, 1e-6) << ToString(p) << " " << y << "," << x;
        ASSERT_NEAR(v[1], 0.4f, 1e-6);
        ASSERT_NEAR(v[0], 0.2f, 1e-6);
      }
    }
  }
  EXPECT_EQ(BayerColor(BayerPattern::kRggb, 0, 0), 0);
  EXPECT_EQ(BayerColor(BayerPattern::kRggb, 1, 1), 2);
  EXPECT_EQ(BayerColor(BayerPattern::kGbrg, 0, 1), 2);
  EXPECT_EQ(BayerColor(BayerPattern::kGrbg, 1, 0), 2);
}

TEST(CameraPipeline, JpegIsOpenCvsEncodeAndDecodeAtTheDrawnQuality) {
  cv::Mat bgr(48, 64, CV_8UC3);
  cv::randu(bgr, 0, 256);
  cv::GaussianBlur(bgr, bgr, {5, 5}, 1.5);
  std::vector<uint8_t> rgb(48 * 64 * 3);
  cv::Mat rgb_view(48, 64, CV_8UC3, rgb.data());
  cv::cvtColor(bgr, rgb_view, cv::COLOR_BGR2RGB);
  std::vector<uint8_t> bytes;
  cv::imencode(".jpg", bgr, bytes, {cv::IMWRITE_JPEG_QUALITY, 87});
  cv::Mat expected = cv::imdecode(bytes, cv::IMREAD_COLOR);
  cv::cvtColor(expected, expected, cv::COLOR_BGR2RGB);
  const std::vector<uint8_t> before = rgb;
  CameraPipeline::Jpeg(rgb.data(), 48, 64, 87);
  EXPECT_NE(rgb, before);
  EXPECT_EQ(0, std::memcmp(rgb.data(), expected.data, rgb.size()));
  std::vector<uint8_t> same = before;
  CameraPipeline::Jpeg(same.data(), 48, 64, 0);  // quality 0: no JPEG
  EXPECT_EQ(same, before);
}

TEST(CameraPipeline, SaturationAddsTheStrengthTimesTheAveragedMaskThenClips) {
  CameraPipelineOptions o;
  o.saturation_lo = 0.25, o.saturation_hi = 1.75;
  const CameraPipeline pipeline(o);
  cv::Mat image(4, 4, CV_32FC3, cv::Scalar(0.1, 0.2, 0.3));
  cv::Mat mask(4, 4, CV_32FC3, cv::Scalar::all(0));
  mask.at<cv::Vec3f>(1, 1) = cv::Vec3f(0.25f, 0.5f, 0.5f);
  mask.at<cv::Vec3f>(2, 2) = cv::Vec3f(1, 1, 1);
  CameraDraws d;
  d.saturation = 1.2;
  pipeline.AddSaturation(image, mask, d);
  EXPECT_FLOAT_EQ(image.at<cv::Vec3f>(1, 1)[0], 0.1f + 1.2f * 0.25f);
  EXPECT_FLOAT_EQ(image.at<cv::Vec3f>(1, 1)[1], std::min(1.0f, 0.2f + 1.2f * 0.5f));
  EXPECT_FLOAT_EQ(image.at<cv::Vec3f>(2, 2)[2], 1.0f);  // clipped
  EXPECT_FLOAT_EQ(image.at<cv::Vec3f>(0, 0)[2], 0.3f);
  // The strength is drawn in the range, and recorded.
  RandomStream rng(5, RandomPurpose::kSampleCamera, 3);
  const CameraDraws drawn = pipeline.Draw(rng);
  EXPECT_GE(drawn.saturation, 0.25);
  EXPECT_LT(drawn.saturation, 1.75);
  EXPECT_DOUBLE_EQ(drawn.ToJson(o)["saturation"].get<double>(), drawn.saturation);
}

TEST(CameraPipeline, PresetsBundleThePublishedSettingsAndFlagsOverrideThem) {
  CameraPipelineOptions o;
  o.preset = "realblur-j";
  o.ApplyPreset({});
  EXPECT_TRUE(o.isp);
  EXPECT_DOUBLE_EQ(o.beta1, 8.8915e-5);
  EXPECT_DOUBLE_EQ(o.beta2, 2.9430e-5);
  EXPECT_EQ(o.jpeg_quality_lo, 90);
  o = CameraPipelineOptions();
  o.preset = "rsblur";
  o.jpeg_quality_lo = o.jpeg_quality_hi = 75;
  o.ApplyPreset({"jpeg-quality"});
  EXPECT_DOUBLE_EQ(o.beta1, 1e-4);
  EXPECT_DOUBLE_EQ(o.beta2, 9.1504e-4);
  EXPECT_EQ(o.jpeg_quality_hi, 75);
  o = CameraPipelineOptions();
  o.ApplyPreset({});
  EXPECT_FALSE(o.enabled());
  // The a7R III's matrix maps D65 white (0.9505, 1, 1.089) to about camera (1, 1, 1).
  const CameraPipeline p(Isp());
  const cv::Vec3d white = p.cam_from_rgb() * cv::Vec3d(1, 1, 1);
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(white[k], 1.0, 2e-3) << k;
  // Draws: the same stream gives the same values; every value lies in its range.
  RandomStream a(9, RandomPurpose::kSampleCamera, 4), b(9, RandomPurpose::kSampleCamera, 4);
  CameraPipelineOptions r;
  r.preset = "realblur-j";
  r.ApplyPreset({});
  const CameraPipeline rj(r);
  const CameraDraws da = rj.Draw(a), db = rj.Draw(b);
  EXPECT_EQ(da.ToJson(r).dump(), db.ToJson(r).dump());
  EXPECT_TRUE(da.red_gain >= 1.9 && da.red_gain < 2.4);
  EXPECT_TRUE(da.blue_gain >= 1.5 && da.blue_gain < 1.9);
  EXPECT_TRUE(da.beta1 >= 0.5 * 8.8915e-5 && da.beta1 < 1.5 * 8.8915e-5);
  EXPECT_TRUE(da.jpeg_quality >= 90 && da.jpeg_quality <= 98);
}

std::string ErrorOf(const CameraPipelineOptions& o) {
  try {
    CameraPipeline p(o);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(CameraPipeline, BadSettingsAreClearErrors) {
  CameraPipelineOptions o = Isp(-1e-4, 0);
  EXPECT_NE(ErrorOf(o).find("--raw-noise must be two numbers"), std::string::npos) << ErrorOf(o);
  o = CameraPipelineOptions();
  o.jpeg_quality_lo = 50, o.jpeg_quality_hi = 101;
  EXPECT_NE(ErrorOf(o).find("--jpeg-quality must be LO:HI within 1..100"), std::string::npos) << ErrorOf(o);
  o.jpeg_quality_lo = 0, o.jpeg_quality_hi = 80;
  EXPECT_NE(ErrorOf(o).find("--jpeg-quality"), std::string::npos);
  o = Isp();
  o.red_gain_lo = 2, o.red_gain_hi = 1;
  EXPECT_NE(ErrorOf(o).find("--wb-red must be a range LO:HI"), std::string::npos) << ErrorOf(o);
  o = CameraPipelineOptions();
  o.beta1 = 1e-4;
  EXPECT_NE(ErrorOf(o).find("--raw-noise is noise on the sensor's mosaic: it needs --camera-isp"), std::string::npos);
  o = Isp();
  o.bayer = "rgbg";
  EXPECT_NE(ErrorOf(o).find("--bayer must be rggb, bggr, grbg, gbrg or random"), std::string::npos);
  const auto dir = std::filesystem::temp_directory_path() / ("blurkit_cam_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "eight.txt") << "1 0 0\n0 1 0\n0 1\n";
  std::ofstream(dir / "word.txt") << "1 0 0\n0 one 0\n0 0 1\n";
  std::ofstream(dir / "singular.txt") << "1 0 0\n2 0 0\n0 0 1\n";
  std::ofstream(dir / "ok.txt") << "1, 0, 0\n0, 1, 0\n0, 0, 1\n";
  o = Isp();
  o.color_matrix = (dir / "eight.txt").string();
  EXPECT_NE(ErrorOf(o).find("eight.txt: 8 numbers, expected 9"), std::string::npos) << ErrorOf(o);
  o.color_matrix = (dir / "word.txt").string();
  EXPECT_NE(ErrorOf(o).find("word.txt: 'one' is not a finite number"), std::string::npos) << ErrorOf(o);
  o.color_matrix = (dir / "singular.txt").string();
  EXPECT_NE(ErrorOf(o).find("singular.txt: the matrix is singular"), std::string::npos) << ErrorOf(o);
  o.color_matrix = (dir / "missing.txt").string();
  EXPECT_NE(ErrorOf(o).find("not a7r3 and not a readable file"), std::string::npos) << ErrorOf(o);
  o.color_matrix = (dir / "ok.txt").string();
  EXPECT_EQ(ErrorOf(o), "");
  std::filesystem::remove_all(dir);
}


// ---- inside datasets ---------------------------------------------------------------------------

class CameraDatasetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("blurkit_camds_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_ / "panos");
    // An 8-bit panorama: a smooth texture with saturated white discs (255) along the equator, one
    // every 22 degrees so that every view sees some; and a black one with only the discs (where
    // the ideal blur is the averaged mask itself).
    cv::Mat linear = testing::SmoothPanorama(128), srgb;
    linear.convertTo(srgb, CV_8UC3, 255.0);
    cv::Mat dark(128, 256, CV_8UC3, cv::Scalar::all(0));
    for (int x = 8; x < 256; x += 16) {
      cv::circle(srgb, {x, 64}, 3, cv::Scalar::all(255), -1);
      cv::circle(dark, {x, 64}, 3, cv::Scalar::all(255), -1);
    }
    cv::imwrite((root_ / "panos" / "textured.png").string(), srgb);
    cv::imwrite((root_ / "dark.png").string(), dark);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  PanoramaCommandOptions Options(const std::string& out, const std::string& preset = "rsblur") {
    PanoramaCommandOptions o;
    o.inputs = {root_ / "panos"};
    o.dataset.samples = 6;
    o.dataset.seed = 11;
    o.dataset.render.width = 40, o.dataset.render.height = 32;
    o.dataset.render.fov = 40;
    o.dataset.render.frames = 3;
    o.dataset.render.path.max_angle = 6;
    o.dataset.render.path.pitch_range = 0;  // the disc sits on the equator: keep it in view
    o.dataset.camera.preset = preset;
    o.dataset.camera.ApplyPreset({});
    o.run.out = root_ / out;
    o.run.shard_size = 4;
    o.run.progress = false;
    return o;
  }
  std::map<std::string, std::string> Digests(const std::filesystem::path& folder) {
    std::map<std::string, std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(folder)) {
      out[e.path().filename().string()] = Sha256OfFile(e.path());
    }
    return out;
  }
  std::filesystem::path root_;
};

TEST_F(CameraDatasetTest, TheIdealCameraWritesNoCameraRecordAndTheSameBytesAsBefore) {
  // "none" (the default) leaves the shards as they were: no /sample_params, no camera params. The
  // golden digests (synth/golden) hold this for every kind of dataset; here, the record.
  PanoramaCommandOptions o = Options("ideal", "none");
  RunPanorama(o);
  DatasetReader reader(root_ / "ideal");
  EXPECT_FALSE(reader.spec().params.contains("camera"));
  EXPECT_FALSE(reader.spec().raw_mosaic);
  EXPECT_EQ(reader.Read(0).params, "");
  EXPECT_TRUE(reader.Read(0).raw.empty());
}

TEST_F(CameraDatasetTest, OneAndTwoThreadsWriteTheSameBytesAndEverySampleIsExplainedByItsRecord) {
  PanoramaCommandOptions a = Options("t1", "realblur-j"), b = Options("t2", "realblur-j");
  a.dataset.camera.store_raw = b.dataset.camera.store_raw = true;
  a.run.threads = 1, b.run.threads = 2;
  RunPanorama(a);
  RunPanorama(b);
  EXPECT_EQ(Digests(root_ / "t1"), Digests(root_ / "t2"));
  DatasetReader reader(root_ / "t1");
  EXPECT_TRUE(reader.spec().raw_mosaic);
  EXPECT_EQ(reader.spec().params["camera"]["preset"], "realblur-j");
  for (int64_t i = 0; i < reader.size(); ++i) {
    const Sample s = reader.Read(i);
    const auto params = nlohmann::json::parse(s.params);
    for (const char* key : {"bayer", "red_gain", "blue_gain", "beta1", "beta2", "saturation", "jpeg_quality"}) {
      EXPECT_TRUE(params.contains(key)) << key << " in " << s.params;
    }
    EXPECT_EQ(s.raw.size(), 40u * 32u);
  }
}

TEST_F(CameraDatasetTest, TheStoredMosaicDemosaicedByMalvarsPaperGivesTheStoredBlurredImage) {
  PanoramaCommandOptions o = Options("raw", "rsblur");
  o.dataset.camera.store_raw = true;
  RunPanorama(o);
  DatasetReader reader(root_ / "raw");
  const CameraPipeline pipeline(o.dataset.camera);
  const CameraResponse srgb = CameraResponse::Srgb();
  for (int64_t i = 0; i < reader.size(); ++i) {
    const Sample s = reader.Read(i);
    const auto params = nlohmann::json::parse(s.params);
    BayerPattern p = BayerPattern::kRggb;
    for (BayerPattern q : {BayerPattern::kRggb, BayerPattern::kBggr, BayerPattern::kGrbg, BayerPattern::kGbrg}) {
      if (ToString(q) == params["bayer"]) p = q;
    }
    const double gain[3] = {params["red_gain"].get<double>(), 1, params["blue_gain"].get<double>()};
    cv::Mat balanced(32, 40, CV_32F);
    for (int y = 0; y < 32; ++y) {
      for (int x = 0; x < 40; ++x) {
        balanced.at<float>(y, x) = static_cast<float>((s.raw[y * 40 + x] - double(kRawBlackLevel)) /
                                                      (kRawWhiteLevel - kRawBlackLevel) * gain[BayerColor(p, y, x)]);
      }
    }
    int worst = 0;
    for (int y = 0; y < 32; ++y) {
      for (int x = 0; x < 40; ++x) {
        const cv::Vec3d rgb = pipeline.rgb_from_cam() * MalvarReference(balanced, p, y, x);
        for (int k = 0; k < 3; ++k) {
          const uint8_t stored = s.blurred[(y * 40 + x) * 3 + k];
          // Saturated channels read 255 whatever the mosaic says (a clipped site).
          if (stored == 255) continue;
          const int code = srgb.Encode(static_cast<float>(std::clamp(rgb[k], 0.0, 1.0)));
          worst = std::max(worst, std::abs(code - int(stored)));
        }
      }
    }
    EXPECT_LE(worst, 1) << "sample " << i;  // within 1/255
  }
}

TEST_F(CameraDatasetTest, AMovingHighlightStreaksByTheRecordedStrengthTimesTheAveragedMask) {
  // The saturation step alone on an 8-bit panorama with white (255) discs: each sample's blurred
  // image must be, byte for byte, the ideal blur plus the recorded strength times the average over
  // the sub-frames of where each channel was saturated, clipped at 1, encoded: rendered again here
  // along the sample's own path.
  PanoramaCommandOptions o = Options("unused", "none");
  PanoramaDatasetOptions d = ResolvePanorama(o);
  d.render.path.max_angle = 8;
  PanoramaDatasetOptions with = d;
  with.camera.saturation_lo = 0.25, with.camera.saturation_hi = 1.75;
  PanoramaSampleMaker ideal(d), streaked(with);
  const CameraResponse srgb = CameraResponse::Srgb();
  const auto panorama = Panorama::Load(d.sources[0].path, srgb);
  int raised = 0;
  for (int64_t i = 0; i < 4; ++i) {
    const Sample a = ideal.Make(i), b = streaked.Make(i);
    const double strength = nlohmann::json::parse(b.params)["saturation"].get<double>();
    EXPECT_TRUE(strength >= 0.25 && strength < 1.75);
    EXPECT_EQ(a.sharp, b.sharp);  // the targets are untouched
    RandomStream geometry(d.seed, RandomPurpose::kSampleGeometry, i);
    const RotationPath path = SampleRotationPath(d.render.path, geometry);
    RotationBlurOptions render = d.render;
    render.saturation_mask = true;
    const RotationRender r = RenderRotationBlur(*panorama, render, path);
    cv::Mat expected = r.blurred.clone();
    for (size_t k = 0; k < expected.total() * 3; ++k) {
      float& v = expected.ptr<float>()[k];
      v = std::min(1.0f, v + static_cast<float>(strength) * r.saturation_mask.ptr<float>()[k]);
    }
    std::vector<uint8_t> bytes(a.blurred.size());
    EncodeToRgb8(expected, 1.0, srgb, bytes.data());
    EXPECT_EQ(bytes, b.blurred) << "sample " << i;
    for (size_t k = 0; k < a.blurred.size(); ++k) raised += b.blurred[k] > a.blurred[k];
  }
  EXPECT_GT(raised, 50);  // the streaks were there
}

TEST(RotationBlur, TheSaturationMaskIsTheShareOfSubframesWhereEachChannelClips) {
  // A constant panorama: where a channel is 1 (an 8-bit 255) every sub-frame is saturated there,
  // where it is 0.99 none is.
  const auto p = Panorama::FromLinear(testing::ConstantPanorama(64, {1.0f, 0.99f, 1.0f}));
  RotationBlurOptions o;
  o.width = o.height = 24;
  o.frames = 3;
  o.saturation_mask = true;
  RandomStream rng(1, RandomPurpose::kSampleGeometry, 0);
  const RotationRender r = RenderRotationBlur(*p, o, SampleRotationPath(o.path, rng));
  for (size_t k = 0; k < r.saturation_mask.total(); ++k) {
    const cv::Vec3f m = r.saturation_mask.at<cv::Vec3f>(int(k / 24), int(k % 24));
    ASSERT_FLOAT_EQ(m[0], 1.0f);
    ASSERT_FLOAT_EQ(m[1], 0.0f);
    ASSERT_FLOAT_EQ(m[2], 1.0f);
  }
  o.saturation_mask = false;
  EXPECT_TRUE(RenderRotationBlur(*p, o, SampleRotationPath(o.path, rng)).saturation_mask.empty());
}

TEST_F(CameraDatasetTest, TheJpegStepIsOpenCvsEncodeAndDecodeOfTheUncompressedOutput) {
  PanoramaCommandOptions o = Options("unused", "none");
  PanoramaDatasetOptions d = ResolvePanorama(o);
  PanoramaDatasetOptions jpeg = d;
  jpeg.camera.jpeg_quality_lo = jpeg.camera.jpeg_quality_hi = 83;
  PanoramaSampleMaker plain(d), compressed(jpeg);
  for (int64_t i = 0; i < 3; ++i) {
    Sample a = plain.Make(i);
    const Sample b = compressed.Make(i);
    EXPECT_EQ(nlohmann::json::parse(b.params)["jpeg_quality"], 83);
    EXPECT_NE(a.blurred, b.blurred);
    CameraPipeline::Jpeg(a.blurred.data(), 32, 40, 83);
    EXPECT_EQ(a.blurred, b.blurred) << i;
    EXPECT_EQ(a.sharp, b.sharp);
  }
}

}  // namespace
}  // namespace blurkit::synth
