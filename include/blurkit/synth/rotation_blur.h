// Rendering of rotational blur: the sub-frames seen by a pinhole camera turning along a rotation
// path inside a panorama or a photo, their average (the blurred image) and the sharp frames.
// Sub-frames sit at n evenly spaced times of the exposure, both ends included (as in the paper,
// the initial and final images are among those averaged); the blurred image is their mean.
//
// All sub-frames share one camera centre, so each is a homography of any other view. The default
// method renders once a perspective "canvas" at the path's middle orientation, wide enough to hold
// every sub-frame and oversampled, with the per-pixel trigonometry of the sphere done only there;
// each sub-frame is then a perspective warp of the canvas. Rotations too large for one canvas
// (a sub-frame looking more than ~75 degrees away from the middle) fall back to rendering every
// sub-frame from the sphere directly. A photo needs no canvas: each sub-frame is one homography
// of the photo (synth/photo.h).
#pragma once

#include <Eigen/Geometry>
#include <opencv2/core.hpp>
#include <functional>
#include <vector>

#include "blurkit/synth/camera.h"
#include "blurkit/synth/lens.h"
#include "blurkit/synth/panorama.h"
#include "blurkit/synth/photo.h"
#include "blurkit/synth/rotation_path.h"

namespace blurkit::synth {

enum class RenderMethod {
  kCanvas,  // render a canvas once, warp it per sub-frame (fast)
  kDirect,  // sample the sphere for every sub-frame (reference)
};

struct RotationBlurOptions {
  int width = 256;     // output size, pixels
  int height = 256;
  double fov = 60.0;   // horizontal field of view, degrees
  int frames = 7;      // F sharp frames, odd, >= 3: first = path start, middle, last = path end
  RotationPathOptions path;
  RenderMethod method = RenderMethod::kCanvas;
  // Canvas pixels per output pixel along each axis: the canvas is warped once more, and
  // oversampling keeps that second bilinear interpolation from softening the frames.
  double canvas_oversample = 1.5;
  // Also average, per channel, where each sub-frame is saturated (linear value >= kSaturatedLinear,
  // camera_pipeline.h):
  // the camera pipeline's synthetic highlights (camera_pipeline.h, step 1). Off: not computed.
  bool saturation_mask = false;
  // Rolling shutter (the path's readout_share > 0): the sharp targets as a global shutter sees them
  // at the middle row's instants (default: what a restoration method should output), or with
  // every row at its own time (true: for rolling-shutter correction).
  bool rolling_targets = false;
  // A fisheye lens scaled to width x height (lens.h); null: a pinhole camera of `fov`. Every pixel
  // looks along its lens ray (unproject - rotate - project instead of K R K^-1).
  std::shared_ptr<const LensRays> lens;

  void Check() const;  // throws InputError
  // The pinhole camera of the output; with a lens, its rectified camera (lens.h), the frame the
  // homographies refer to.
  PinholeCamera Camera() const {
    return lens ? lens->lens.Rectified() : PinholeCamera::FromHorizontalFov(width, height, fov);
  }
  const FisheyeLens* Lens() const { return lens ? &lens->lens : nullptr; }
};

// With a lens, every sub-frame and target is rendered through it (the canvas, where one holds the
// views, is still a pinhole image: each lens pixel's rotated ray is projected into it), and the
// homographies relate the rectified frames.
//
// Rolling shutter (path.readout_share > 0): sub-frame i (exposure fraction t_i = i / (n - 1)) is
// rendered row by row, row y along path.RowAt(t_i, y / (H - 1)); the blurred image averages them,
// so each row is blurred along its own part of the path. The targets' orientations and homographies
// are those of the middle row at t_j (rolling_targets only changes the targets' pixels), and the
// trajectory holds the path over the whole readout (every row's exposure), evenly spaced.
struct RotationRender {
  cv::Mat blurred;                    // linear BGR float: the average of all sub-frames
  cv::Mat saturation_mask;            // with options.saturation_mask: CV_32FC3, the average over the
                                      // sub-frames of 1 where a channel is saturated, else 0
  std::vector<cv::Mat> sharp;         // F linear BGR float frames (sub-frames 0, m, ..., n-1)
  std::vector<Eigen::Quaterniond> orientations;  // world_from_cam of each sharp frame
  std::vector<Eigen::Matrix3d> homographies;     // frame_j_from_middle of each sharp frame
  std::vector<Eigen::Quaterniond> trajectory;    // world_from_cam of every sub-frame (n)
  double magnitude_degrees = 0;       // |theta|
  int subframes = 0;                  // n
  bool used_canvas = false;
  // Global shutter: the linear BGR view at exposure fraction t in [0, 1], rendered as the sub-frames
  // are (same canvas or sphere, same interpolation): frames at any time for the event camera
  // (synth/events.h). Refers to the panorama or photo, which must outlive it. Empty with a rolling shutter.
  std::function<cv::Mat(double)> frame_at;
};

RotationRender RenderRotationBlur(const Panorama& panorama, const RotationBlurOptions& options,
                                  const RotationPath& path);

// For a photo, orientations are R_photo_from_cam. The path must stay inside the photo
// (PathInsidePhoto); a view that leaves it would smear the photo's border pixels.
// `subframes`, where given, are the path's sub-frame orientations that PathInsidePhoto returned,
// so that they are not computed twice.
RotationRender RenderRotationBlur(const Photo& photo, const RotationBlurOptions& options,
                                  const RotationPath& path,
                                  const std::vector<Eigen::Quaterniond>* subframes = nullptr);

// True when every sub-frame that RenderRotationBlur(photo, ...) would render lies inside the photo;
// the sub-frames' orientations go to `subframes` where given.
bool PathInsidePhoto(const Photo& photo, const RotationBlurOptions& options,
                     const RotationPath& path,
                     std::vector<Eigen::Quaterniond>* subframes = nullptr);

}  // namespace blurkit::synth
