#include "blurkit/synth/camera.h"

#include <gtest/gtest.h>

namespace blurkit::synth {
namespace {

constexpr double kDeg = M_PI / 180.0;

// Longitude/latitude (degrees) seen at the centre of a camera with these Euler angles.
void CentreLonLat(double yaw, double pitch, double roll, double* lon, double* lat) {
  const PinholeCamera cam = PinholeCamera::FromHorizontalFov(65, 33, 60);
  const Eigen::Vector3d ray = QuaternionFromEuler(yaw, pitch, roll) * cam.RayInCam(cam.cx, cam.cy);
  LonLatFromDirection(ray, lon, lat);
  *lon /= kDeg;
  *lat /= kDeg;
}

TEST(Camera, IdentityLooksAtPanoramaCentre) {
  double lon, lat;
  CentreLonLat(0, 0, 0, &lon, &lat);
  EXPECT_NEAR(lon, 0, 1e-12);
  EXPECT_NEAR(lat, 0, 1e-12);
  // Longitude 0, latitude 0 is the centre of a W x H equirectangular image: x = W/2 - 0.5.
  EXPECT_NEAR(EquirectX(0, 2048), 1023.5, 1e-9);
  EXPECT_NEAR(EquirectY(0, 1024), 511.5, 1e-9);
}

TEST(Camera, PositiveYawTurnsRightPositivePitchLooksUp) {
  double lon, lat;
  CentreLonLat(90, 0, 0, &lon, &lat);
  EXPECT_NEAR(lon, 90, 1e-9);  // east: three quarters across the panorama
  EXPECT_NEAR(EquirectX(lon * kDeg, 2048), 0.75 * 2048 - 0.5, 1e-6);
  CentreLonLat(0, 30, 0, &lon, &lat);
  EXPECT_NEAR(lat, 30, 1e-9);
  EXPECT_LT(EquirectY(lat * kDeg, 1024), 511.5);  // up = towards the top row
  CentreLonLat(-120, -20, 15, &lon, &lat);  // roll does not move the centre ray
  EXPECT_NEAR(lon, -120, 1e-9);
  EXPECT_NEAR(lat, -20, 1e-9);
}

TEST(Camera, PositiveRollTurnsCameraXAxisDown) {
  const Eigen::Vector3d x_axis = QuaternionFromEuler(0, 0, 10) * Eigen::Vector3d::UnitX();
  EXPECT_GT(x_axis.y(), 0);  // world y is down
  EXPECT_NEAR(x_axis.y(), std::sin(10 * kDeg), 1e-12);
}

TEST(Camera, PixelCentresAndFieldOfView) {
  const PinholeCamera cam = PinholeCamera::FromHorizontalFov(256, 128, 90);
  EXPECT_DOUBLE_EQ(cam.cx, 127.5);
  EXPECT_DOUBLE_EQ(cam.cy, 63.5);
  EXPECT_NEAR(cam.focal, 128.0, 1e-9);  // tan(45 deg) = 1
  // The outer edges of the border pixels (x = -0.5 and x = 255.5) lie at +-45 degrees.
  EXPECT_NEAR(std::atan(cam.RayInCam(255.5, cam.cy).x()) / kDeg, 45, 1e-9);
  EXPECT_TRUE((cam.K() * cam.KInverse()).isApprox(Eigen::Matrix3d::Identity(), 1e-12));
}

TEST(Camera, LonLatRoundTrip) {
  for (double lon = -179; lon < 180; lon += 37) {
    for (double lat = -89; lat < 90; lat += 23) {
      double l2, t2;
      LonLatFromDirection(DirectionFromLonLat(lon * kDeg, lat * kDeg), &l2, &t2);
      EXPECT_NEAR(l2 / kDeg, lon, 1e-9);
      EXPECT_NEAR(t2 / kDeg, lat, 1e-9);
    }
  }
}

TEST(Camera, RotationHomographyMapsPixelsOfOneViewToAnother) {
  const PinholeCamera cam = PinholeCamera::FromHorizontalFov(200, 150, 70);
  const Eigen::Quaterniond a = QuaternionFromEuler(10, 5, -3), b = QuaternionFromEuler(14, 3, 2);
  const Eigen::Matrix3d h = RotationHomography(cam, a, cam, b);
  for (double x : {0.0, 57.3, 199.0}) {
    for (double y : {0.0, 80.0, 149.0}) {
      const Eigen::Vector3d world = a * cam.RayInCam(x, y);
      const Eigen::Vector3d in_b = b.conjugate() * world;
      const Eigen::Vector3d mapped = h * Eigen::Vector3d(x, y, 1);
      EXPECT_NEAR(mapped.x() / mapped.z(), cam.focal * in_b.x() / in_b.z() + cam.cx, 1e-9);
      EXPECT_NEAR(mapped.y() / mapped.z(), cam.focal * in_b.y() / in_b.z() + cam.cy, 1e-9);
    }
  }
}

}  // namespace
}  // namespace blurkit::synth
