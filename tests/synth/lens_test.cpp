// Fisheye lenses (synth/lens.h): the model against OpenCV's own fisheye functions, renders through
// a lens against an independent rendering, undistortion against the pinhole renderer, and the
// profile reader's errors.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <opencv2/calib3d.hpp>
#include <opencv2/imgproc.hpp>

#include "blurkit/core/error.h"
#include "blurkit/synth/lens.h"
#include "blurkit/synth/photo.h"
#include "blurkit/synth/rotation_blur.h"
#include "test_panoramas.h"

namespace blurkit::synth {
namespace {

using nlohmann::json;

cv::Matx33d K(const FisheyeLens& lens) {
  return {lens.fx, 0, lens.cx, 0, lens.fy, lens.cy, 0, 0, 1};
}
cv::Vec4d D(const FisheyeLens& lens) { return {lens.k[0], lens.k[1], lens.k[2], lens.k[3]}; }

double Psnr(const cv::Mat& a, const cv::Mat& b) {
  const double mse = cv::norm(a, b, cv::NORM_L2SQR) / (a.total() * a.channels());
  return 10 * std::log10(1.0 / std::max(mse, 1e-20));
}

// The analytic texture of testing::SmoothPanorama at a direction (BGR).
cv::Vec3f SmoothAt(const Eigen::Vector3d& d) {
  double lon = 0, lat = 0;
  LonLatFromDirection(d.normalized(), &lon, &lat);
  // SmoothPanorama's angles: longitude from the left edge, latitude from the top.
  const double u = lon + M_PI, v = M_PI / 2 - lat;
  const float a = static_cast<float>(0.5 + 0.4 * std::sin(6 * u) * std::sin(5 * v));
  const float b = static_cast<float>(0.5 + 0.4 * std::cos(9 * u + 3 * v));
  return {a, b, 0.5f * (a + b)};
}

TEST(Lens, PresetScaledCoversTheOutputAboutTheCentre) {
  const FisheyeLens full = FisheyeLens::Preset("hero11-wide");
  const FisheyeLens lens = full.ScaledTo(256, 256);
  // 3840x2160 covering 256x256: the height sets the scale, the width is cropped.
  EXPECT_DOUBLE_EQ(lens.scale, 256.0 / 2160);
  EXPECT_NEAR(lens.fx, 1796.3208206894308 * 256 / 2160, 1e-9);
  // The principal point keeps its offset from the frame's centre, scaled.
  EXPECT_NEAR(lens.cx - 127.5, (1919.372365976781 - 1919.5) * lens.scale, 1e-9);
  EXPECT_NEAR(lens.cy - 127.5, (1063.171593155705 - 1079.5) * lens.scale, 1e-9);
  EXPECT_THROW(FisheyeLens::Preset("hero99"), InputError);
}

TEST(Lens, RaysAndProjectionAgreeWithOpenCvFisheye) {
  const FisheyeLens lens = FisheyeLens::Preset("hero11-wide").ScaledTo(384, 216);
  std::vector<cv::Point3d> rays;
  std::vector<cv::Point2d> pixels;
  for (int y = 0; y < lens.height; y += 15) {
    for (int x = 0; x < lens.width; x += 17) {
      const Eigen::Vector3d r = lens.Ray(x, y);
      EXPECT_NEAR(r.norm(), 1.0, 1e-12);
      rays.emplace_back(r.x(), r.y(), r.z());
      pixels.emplace_back(x, y);
    }
  }
  // OpenCV projects blurkit's rays back onto their pixels (the inverse is OpenCV's model).
  std::vector<cv::Point2d> projected;
  cv::fisheye::projectPoints(rays, projected, cv::Vec3d(0, 0, 0), cv::Vec3d(0, 0, 0), K(lens), D(lens));
  // OpenCV's undistortPoints inverts the model on its own (10 fixed-point iterations); both give
  // the same rays to 1e-6 (the corners are 0.87 rad off axis).
  std::vector<cv::Point2d> undistorted;
  cv::fisheye::undistortPoints(pixels, undistorted, K(lens), D(lens));
  double worst_pixel = 0, worst_ray = 0;
  for (size_t i = 0; i < pixels.size(); ++i) {
    worst_pixel = std::max(worst_pixel, cv::norm(projected[i] - pixels[i]));
    const Eigen::Vector3d cv_ray = Eigen::Vector3d(undistorted[i].x, undistorted[i].y, 1).normalized();
    worst_ray = std::max(worst_ray, (cv_ray - Eigen::Vector3d(rays[i].x, rays[i].y, rays[i].z)).norm());
    double u = 0, v = 0;
    ASSERT_TRUE(lens.Project({rays[i].x, rays[i].y, rays[i].z}, &u, &v));
    EXPECT_NEAR(u, projected[i].x, 1e-9);
    EXPECT_NEAR(v, projected[i].y, 1e-9);
  }
  EXPECT_LT(worst_pixel, 1e-8);
  EXPECT_LT(worst_ray, 1e-6);
}

RotationBlurOptions LensOptions(int width, int height) {
  RotationBlurOptions o;
  o.width = width;
  o.height = height;
  o.frames = 3;
  o.lens = LensRays::Make(FisheyeLens::Preset("hero11-wide").ScaledTo(width, height));
  return o;
}

// A still camera through the lens, against pixels computed here: OpenCV's fisheye unprojection of
// each pixel, turned into the world, the panorama's texture evaluated there.
TEST(Lens, StillViewEqualsAnIndependentRendering) {
  // 512 rows: level 0 is the level a 128-pixel view of this lens samples (pixels of 0.35 deg,
  // the view's 0.54 deg; level 1's 0.70 deg would be too coarse), so no prefilter is involved.
  auto panorama = Panorama::FromLinear(testing::SmoothPanorama(512));
  const RotationBlurOptions options = LensOptions(128, 128);
  ASSERT_EQ(panorama->LevelFor(options.Camera().PixelAngle()), 0);
  const Eigen::Quaterniond q = QuaternionFromEuler(40, 12, 5);
  for (RenderMethod method : {RenderMethod::kCanvas, RenderMethod::kDirect}) {
    RotationBlurOptions o = options;
    o.method = method;
    const RotationRender render = RenderRotationBlur(*panorama, o, RotationPath::Slerp(q, q));
    ASSERT_EQ(render.used_canvas, method == RenderMethod::kCanvas);
    std::vector<cv::Point2d> pixels;
    for (int y = 0; y < o.height; ++y)
      for (int x = 0; x < o.width; ++x) pixels.emplace_back(x, y);
    std::vector<cv::Point2d> normalized;
    const FisheyeLens& lens = o.lens->lens;
    cv::fisheye::undistortPoints(pixels, normalized, K(lens), D(lens));
    cv::Mat expected(o.height, o.width, CV_32FC3);
    const Eigen::Matrix3d world_from_cam = q.toRotationMatrix();
    for (size_t i = 0; i < pixels.size(); ++i) {
      expected.at<cv::Vec3f>(int(pixels[i].y), int(pixels[i].x)) =
          SmoothAt(world_from_cam * Eigen::Vector3d(normalized[i].x, normalized[i].y, 1));
    }
    // Bilinear sampling of a 1024-column panorama of periods >= 114 columns, OpenCV's remap
    // (coordinates to 1/32 pixel) and, with the canvas, a second interpolation: measured 74.9 dB
    // (canvas) and 77.8 dB (direct). A pinhole of the same focal length instead of the lens
    // scores 24 dB (checked below); 60 dB leaves 15 dB for any CPU's rounding.
    const double psnr = Psnr(render.sharp[1], expected);
    std::cout << (method == RenderMethod::kCanvas ? "canvas" : "direct") << " lens render vs independent: "
              << psnr << " dB\n";
    EXPECT_GT(psnr, 60);
    EXPECT_GT(Psnr(render.blurred, expected), 60);  // a still camera blurs nothing
    // The test tells a lens from a pinhole: the pinhole of the lens's focal length is far off.
    const double pinhole = Psnr(panorama->Render(o.Camera(), q, 0), expected);
    std::cout << "pinhole of the same focal length vs independent: " << pinhole << " dB\n";
    EXPECT_LT(pinhole, 35);
  }
}

// Undistorting a fisheye frame with OpenCV's initUndistortRectifyMap gives the pinhole rendering
// of the rectified camera, and blurkit's own rectification map is OpenCV's.
TEST(Lens, UndistortedFrameIsThePinholeRendering) {
  auto panorama = Panorama::FromLinear(testing::SmoothPanorama(512));
  const RotationBlurOptions options = LensOptions(192, 108);
  const Eigen::Quaterniond q = QuaternionFromEuler(-70, -8, 2);
  const RotationRender render = RenderRotationBlur(*panorama, options, RotationPath::Slerp(q, q));
  const FisheyeLens& lens = options.lens->lens;
  const PinholeCamera pinhole = lens.Rectified();
  const cv::Matx33d k_new(pinhole.focal, 0, pinhole.cx, 0, pinhole.focal, pinhole.cy, 0, 0, 1);
  cv::Mat map_x, map_y;
  cv::fisheye::initUndistortRectifyMap(K(lens), D(lens), cv::Matx33d::eye(), k_new,
                                       cv::Size(lens.width, lens.height), CV_32FC1, map_x, map_y);
  const cv::Mat ours = lens.RectifyMap();
  double worst = 0;
  for (int y = 0; y < lens.height; ++y)
    for (int x = 0; x < lens.width; ++x) {
      const cv::Vec2f m = ours.at<cv::Vec2f>(y, x);
      worst = std::max({worst, double(std::abs(m[0] - map_x.at<float>(y, x))), double(std::abs(m[1] - map_y.at<float>(y, x)))});
    }
  EXPECT_LT(worst, 1e-3);  // float maps: 1e-3 pixel is 30x their rounding at 200 pixels
  cv::Mat undistorted;
  cv::remap(render.sharp[1], undistorted, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_CONSTANT);
  const cv::Mat direct = panorama->Render(pinhole, q, panorama->LevelFor(pinhole.PixelAngle()));
  const cv::Rect inner(8, 8, lens.width - 16, lens.height - 16);
  // Two bilinear interpolations of a texture of periods >= 114 panorama columns (8 output pixels
  // and more): measured 69.3 dB; 55 dB leaves 14 dB for any CPU's rounding.
  const double psnr = Psnr(undistorted(inner), direct(inner));
  std::cout << "undistorted lens frame vs pinhole: " << psnr << " dB\n";
  EXPECT_GT(psnr, 55);
}

// A lens's blur follows its projection: fewer sub-frames than the pinhole of the same focal length
// where the fisheye compresses the edges, and the 0.5-pixel rule holds through the lens.
TEST(Lens, SubframesFollowTheLensProjection) {
  const RotationBlurOptions options = LensOptions(256, 144);
  const Eigen::Quaterniond a = QuaternionFromEuler(0, 0, 0), b = QuaternionFromEuler(6, 0, 0);
  const RotationPath path = RotationPath::Slerp(a, b);
  const double through_lens = MaxTrajectoryPixels(path, options.Camera(), options.Lens());
  const double pinhole = MaxTrajectoryPixels(path, options.Camera());
  // A yaw of 6 degrees moves the centre by fx * 0.1047 (the model's slope is 1 on the axis); the
  // corners move less through the fisheye than through the rectified pinhole.
  EXPECT_GE(through_lens, options.lens->lens.fx * 6 * M_PI / 180 * 0.999);
  EXPECT_LT(through_lens, pinhole);
}

// Through a lens, blur rendered from a wide photo of a panorama equals the panorama's along the same
// path (the photo renderer's lens maps against the panorama's canvas), with a global and a rolling
// shutter; and the panorama's canvas equals its direct renderer.
TEST(Lens, PhotoPanoramaCanvasAndDirectAgreeThroughALens) {
  auto pano = Panorama::FromLinear(testing::SmoothPanorama(256));
  const Eigen::Quaterniond world_from_photo = QuaternionFromEuler(30, 10, 0);
  const PinholeCamera photo_camera = PinholeCamera::FromHorizontalFov(1600, 1200, 140);
  auto photo = Photo::FromLinear(pano->Render(photo_camera, world_from_photo, 0), 140);
  const Eigen::Quaterniond start = QuaternionFromEuler(0, -2, 1);
  for (double readout : {0.0, 0.01}) {
    RotationPath in_photo = RotationPath::Slerp(start, start * QuaternionFromEuler(3, 1.5, 0.5));
    if (readout > 0) ExtendSlerpForReadout(&in_photo, 0.02, readout);
    RotationPath in_world = in_photo;
    for (auto& q : in_world.knots) q = world_from_photo * q;
    RotationBlurOptions options = LensOptions(192, 108);
    options.rolling_targets = readout > 0;  // the targets read row by row too
    ASSERT_TRUE(PathInsidePhoto(*photo, options, in_photo));
    const RotationRender from_photo = RenderRotationBlur(*photo, options, in_photo);
    const RotationRender canvas = RenderRotationBlur(*pano, options, in_world);
    options.method = RenderMethod::kDirect;
    const RotationRender direct = RenderRotationBlur(*pano, options, in_world);
    ASSERT_TRUE(canvas.used_canvas);
    ASSERT_EQ(from_photo.subframes, canvas.subframes);
    double photo_worst = 1e9, direct_worst = 1e9;
    for (int j = 0; j < options.frames; ++j) {
      photo_worst = std::min(photo_worst, Psnr(from_photo.sharp[j], canvas.sharp[j]));
      direct_worst = std::min(direct_worst, Psnr(direct.sharp[j], canvas.sharp[j]));
    }
    std::cout << "readout " << readout << ": photo vs panorama " << photo_worst << " / "
              << Psnr(from_photo.blurred, canvas.blurred) << " dB, direct vs canvas " << direct_worst
              << " / " << Psnr(direct.blurred, canvas.blurred) << " dB (worst sharp frame / blurred)\n";
    // The photo samples a coarser pyramid level of a smooth texture than the panorama, and every
    // render interpolates once or twice: measured 72.9 dB (photo) and 70.2 dB (direct) for the
    // worst sharp frame, 78 dB and more for the blurred images; 55 dB leaves 15 dB for any CPU's
    // rounding, while a 0.1-pixel error in where a lens pixel looks costs more than that.
    EXPECT_GT(photo_worst, 55);
    EXPECT_GT(direct_worst, 55);
    EXPECT_GT(Psnr(from_photo.blurred, canvas.blurred), 55);
    EXPECT_GT(Psnr(direct.blurred, canvas.blurred), 55);
  }
}

TEST(Lens, MalformedAndOtherProfilesAreClearErrors) {
  const json good = {{"name", "test"},
                     {"calib_dimension", {{"w", 1920}, {"h", 1080}}},
                     {"fisheye_params",
                      {{"camera_matrix", {{900.0, 0.0, 960.0}, {0.0, 900.0, 540.0}, {0.0, 0.0, 1.0}}},
                       {"distortion_coeffs", {0.03, 0.06, -0.07, 0.03}}}},
                     {"frame_readout_time", 8.9}};
  const FisheyeLens lens = FisheyeLens::FromProfile(good, "good.json");
  EXPECT_DOUBLE_EQ(lens.fx, 900);
  EXPECT_DOUBLE_EQ(lens.readout_time, 0.0089);
  auto expect_error = [&](json profile, const std::string& says) {
    try {
      FisheyeLens::FromProfile(profile, "bad.json");
      ADD_FAILURE() << "accepted " << profile.dump();
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  };
  json p = good;
  p["fisheye_params"]["distortion_coeffs"] = {0.1, 0.2, 0.3};
  expect_error(p, "4 numbers");
  p = good;
  p["fisheye_params"]["camera_matrix"] = json::array();
  expect_error(p, "3x3");
  p = good;
  p["fisheye_params"]["camera_matrix"][0][0] = "900";
  expect_error(p, "must be a number");
  p = good;
  p.erase("calib_dimension");
  expect_error(p, "calib_dimension");
  p = good;
  p["use_opencv_standard"] = true;
  expect_error(p, "non-fisheye");
  p = good;
  p["distortion_model"] = "poly3";
  expect_error(p, "poly3");
  p = good;
  p["digital_lens"] = "gopro_superview";
  expect_error(p, "digital lens");
  p = good;
  p["fisheye_params"]["camera_matrix"][1][1] = 300.0;
  expect_error(p, "anamorphic");
  p = good;
  p["fisheye_params"]["distortion_coeffs"] = {-20.0, 0.0, 0.0, 0.0};
  expect_error(p, "stop increasing");
  expect_error(json::array(), "expected a Gyroflow lens profile");

  const auto dir = std::filesystem::temp_directory_path() / "blurkit_lens_test";
  std::filesystem::create_directories(dir);
  const auto file = dir / "not_json.json";
  std::ofstream(file) << "{ \"calib_dimension\": ";
  try {
    FisheyeLens::FromSpec(file.string());
    ADD_FAILURE() << "accepted broken JSON";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not_json.json"), std::string::npos) << e.what();
  }
  EXPECT_THROW(FisheyeLens::FromSpec((dir / "missing.json").string()), MissingInputError);
  EXPECT_THROW(FisheyeLens::LoadProfile(dir), InputError);  // a folder
  std::filesystem::remove_all(dir);
  // A lens scaled so that the output's corners lie beyond where its model increases.
  json wide = good;
  wide["fisheye_params"]["distortion_coeffs"] = {-0.3, 0.0, 0.0, 0.0};
  const FisheyeLens narrow = FisheyeLens::FromProfile(wide, "narrow.json");
  EXPECT_THROW(narrow.ScaledTo(1920 * 3, 1080), InputError);
}

}  // namespace
}  // namespace blurkit::synth
