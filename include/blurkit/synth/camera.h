// Geometry conventions of blurkit (written once, here, and tested in tests/synth/camera_test.cpp).
//
// World frame: right-handed, the frame of a camera at the identity orientation:
//   +z forward  = towards longitude 0, latitude 0 (the centre of the equirectangular image)
//   +x right    = towards longitude +90 degrees (east, to the right in the panorama)
//   +y down     = towards latitude -90 degrees (the bottom row of the panorama)
// Camera frame: OpenCV's: x right, y down, z along the optical axis.
// Orientation: R_world_from_cam, a unit quaternion; stored as (w, x, y, z) in shards.
// Euler angles (degrees): R_world_from_cam = R_y(yaw) * R_x(pitch) * R_z(roll), applied to the
//   camera in the order roll, pitch, yaw. Positive yaw turns the camera right (towards +x),
//   positive pitch tilts it up (towards -y), positive roll turns the camera clockwise about its
//   optical axis as seen from behind it (its x axis towards +y), so the scene turns counter-clockwise
//   in the image.
// Pixels: pixel (col, row) has its centre at (x, y) = (col, row) (OpenCV's convention); the
//   principal point of a W x H pinhole camera is ((W - 1) / 2, (H - 1) / 2).
// Equirectangular panoramas (W x H, W = 2H): pixel (col, row) has its centre at
//   longitude = ((col + 0.5) / W) * 360 - 180 degrees  (increasing to the right, 0 at the centre)
//   latitude  = 90 - ((row + 0.5) / H) * 180 degrees   (+90 at the top row's upper edge)
#pragma once

#include <Eigen/Core>
#include <Eigen/Geometry>
#include <opencv2/core.hpp>

namespace blurkit::synth {

// A pinhole camera without distortion; square pixels.
struct PinholeCamera {
  int width = 256;
  int height = 256;
  double focal = 0;  // pixels
  double cx = 0, cy = 0;

  // A camera whose horizontal field of view is hfov_degrees, principal point at the image centre.
  static PinholeCamera FromHorizontalFov(int width, int height, double hfov_degrees);
  Eigen::Matrix3d K() const;
  Eigen::Matrix3d KInverse() const;
  // Ray direction (not normalised, z = 1) through pixel coordinates (x, y).
  Eigen::Vector3d RayInCam(double x, double y) const {
    return {(x - cx) / focal, (y - cy) / focal, 1.0};
  }
  // Angle subtended by one pixel at the image centre, in radians.
  double PixelAngle() const { return 1.0 / focal; }
};

// Direction in the world frame of a longitude/latitude (radians), and back.
Eigen::Vector3d DirectionFromLonLat(double lon, double lat);
void LonLatFromDirection(const Eigen::Vector3d& dir, double* lon, double* lat);

// Equirectangular pixel coordinates (continuous, pixel centres at +0.5) of a longitude/latitude.
inline double EquirectX(double lon, int pano_width) {
  return (lon / (2 * M_PI) + 0.5) * pano_width - 0.5;
}
inline double EquirectY(double lat, int pano_height) {
  return (0.5 - lat / M_PI) * pano_height - 0.5;
}

// R_world_from_cam from Euler angles in degrees (see the convention above).
Eigen::Quaterniond QuaternionFromEuler(double yaw_deg, double pitch_deg, double roll_deg);

// Homography mapping pixels of camera `from` (orientation world_from_from) to pixels of camera `to`
// that share its centre: x_to ~ K_to * R_to_from_world * R_world_from_from * K_from^-1 * x_from.
Eigen::Matrix3d RotationHomography(const PinholeCamera& from, const Eigen::Quaterniond& world_from_from,
                                   const PinholeCamera& to, const Eigen::Quaterniond& world_from_to);

// The sampling map of a homography: map(x, y) = dehomogenised h * (x, y, 1), CV_32FC2, for
// cv::remap (h maps output pixels to source pixels).
void HomographyMap(const Eigen::Matrix3d& h, int width, int height, cv::Mat* map);

}  // namespace blurkit::synth
