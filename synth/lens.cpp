#include "blurkit/synth/lens.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <system_error>

#include "blurkit/core/error.h"
#include "blurkit/core/sha256.h"

namespace blurkit::synth {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Numbers copied from Gyroflow's calibrated profiles (github.com/gyroflow/lens_profiles, folder
// GoPro/, files named in `source`): camera_matrix, distortion_coeffs, calib_dimension.
struct Preset {
  const char* name;
  const char* source;
  int w, h;
  double fx, fy, cx, cy;
  std::array<double, 4> k;
};
const Preset kPresets[] = {
    {"hero11-wide", "gyroflow/lens_profiles GoPro/GoPro_HERO11 Black_Wide_16by9.json", 3840, 2160,
     1796.3208206894308, 1797.22277342282, 1919.372365976781, 1063.171593155705,
     {0.034213889574164644, 0.06767320765357862, -0.07408969996955275, 0.029944425249175583}},
    {"hero10-wide-4by3", "gyroflow/lens_profiles GoPro/GoPro_HERO10 Black_Wide_4by3.json", 5312, 3984,
     2373.2470636178646, 2374.1609863200747, 2685.6542811339464, 1992.6176578749173,
     {0.032857643499943856, 0.05573728082764548, -0.038398907176739244, 0.006864853954539248}},
};

constexpr uintmax_t kMaxProfileBytes = 4u << 20;  // Gyroflow's profiles are under 64 kB

// d theta_d / d theta.
double Slope(const std::array<double, 4>& k, double t) {
  const double t2 = t * t;
  return 1 + t2 * (3 * k[0] + t2 * (5 * k[1] + t2 * (7 * k[2] + t2 * 9 * k[3])));
}

// The largest theta (<= pi) up to which the model increases.
double IncreasingUpTo(const std::array<double, 4>& k) {
  constexpr int kSteps = 4096;
  for (int i = 1; i <= kSteps; ++i) {
    const double t = M_PI * i / kSteps;
    if (!(Slope(k, t) > 0)) return M_PI * (i - 1) / kSteps;
  }
  return M_PI;
}

double Number(const json& value, const std::string& where, const std::string& name) {
  if (!value.is_number()) throw InputError(Msg() << name << ": " << where << " must be a number");
  const double x = value.get<double>();
  if (!std::isfinite(x)) throw InputError(Msg() << name << ": " << where << " must be finite");
  return x;
}

}  // namespace

std::vector<std::string> LensPresets() {
  std::vector<std::string> names;
  for (const Preset& p : kPresets) names.push_back(std::string(p.name) + " (" + p.source + ")");
  return names;
}

FisheyeLens FisheyeLens::Preset(const std::string& name) {
  for (const auto& p : kPresets) {
    if (name != p.name) continue;
    FisheyeLens lens;
    lens.name = p.name;
    lens.source = p.source;
    lens.calib_width = p.w;
    lens.calib_height = p.h;
    lens.fx = p.fx;
    lens.fy = p.fy;
    lens.cx = p.cx;
    lens.cy = p.cy;
    lens.k = p.k;
    lens.max_theta = IncreasingUpTo(lens.k);
    return lens;
  }
  Msg message;
  message << "--lens '" << name << "': not a preset and not a Gyroflow lens profile (.json); presets:";
  for (const auto& p : LensPresets()) message << " " << p;
  throw InputError(message);
}

FisheyeLens FisheyeLens::FromSpec(const std::string& spec) {
  if (spec.size() > 5 && spec.compare(spec.size() - 5, 5, ".json") == 0) return LoadProfile(spec);
  std::error_code ec;
  if (fs::exists(spec, ec)) return LoadProfile(spec);
  return Preset(spec);
}

FisheyeLens FisheyeLens::LoadProfile(const fs::path& file) {
  std::error_code ec;
  const auto status = fs::status(file, ec);
  if (ec || !fs::exists(status)) {
    throw MissingInputError(Msg() << file.string() << ": the lens profile does not exist");
  }
  if (!fs::is_regular_file(status)) {
    throw InputError(Msg() << file.string() << ": the lens profile is not a regular file");
  }
  const uintmax_t bytes = fs::file_size(file, ec);
  if (ec || bytes > kMaxProfileBytes) {
    throw InputError(Msg() << file.string() << ": a lens profile of " << bytes
                           << " bytes; expected a Gyroflow JSON profile (under 4 MiB)");
  }
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) throw IoError(Msg() << file.string() << ": cannot read the lens profile");
  json profile;
  try {
    profile = json::parse(text.str());
  } catch (const json::exception& e) {
    throw InputError(Msg() << file.string() << ": not JSON (" << e.what()
                           << "); expected a Gyroflow lens profile");
  }
  FisheyeLens lens = FromProfile(profile, file.string());
  lens.name = file.filename().string();
  lens.sha256 = Sha256OfFile(file);
  return lens;
}

FisheyeLens FisheyeLens::FromProfile(const json& profile, const std::string& name) {
  const char* expected = "expected a Gyroflow lens profile: calib_dimension {w, h} and fisheye_params "
                         "with a 3x3 camera_matrix and 4 distortion_coeffs";
  if (!profile.is_object()) throw InputError(Msg() << name << ": " << expected);
  // Profiles of other models: the OpenCV standard model, GoPro's polynomial and Insta360/Sony
  // models, and the digital lenses (SuperView, HyperView) that GoPro applies after the fisheye.
  if (profile.contains("use_opencv_standard") && profile["use_opencv_standard"] == true) {
    throw InputError(Msg() << name << ": an OpenCV standard (non-fisheye) profile; only the fisheye "
                                      "(Kannala-Brandt) model is supported");
  }
  if (profile.contains("distortion_model") && profile["distortion_model"].is_string() &&
      profile["distortion_model"] != "opencv_fisheye") {
    throw InputError(Msg() << name << ": distortion_model '" << profile["distortion_model"].get<std::string>()
                           << "'; only opencv_fisheye (the Kannala-Brandt model) is supported");
  }
  if (profile.contains("distortion_model_id") && profile["distortion_model_id"].is_number() &&
      profile["distortion_model_id"].get<double>() != 0) {
    throw InputError(Msg() << name << ": distortion_model_id " << profile["distortion_model_id"].dump()
                           << "; only 0 (opencv_fisheye) is supported");
  }
  if (profile.contains("digital_lens") && profile["digital_lens"].is_string() &&
      !profile["digital_lens"].get<std::string>().empty()) {
    throw InputError(Msg() << name << ": a digital lens ('" << profile["digital_lens"].get<std::string>()
                           << "') warps the fisheye frame further; blurkit models the optical fisheye only");
  }
  const json* dim = profile.contains("calib_dimension") ? &profile["calib_dimension"] : nullptr;
  const json* fp = profile.contains("fisheye_params") ? &profile["fisheye_params"] : nullptr;
  if (!dim || !dim->is_object() || !dim->contains("w") || !dim->contains("h") || !fp || !fp->is_object() ||
      !fp->contains("camera_matrix") || !fp->contains("distortion_coeffs")) {
    throw InputError(Msg() << name << ": " << expected);
  }
  FisheyeLens lens;
  lens.name = name;
  lens.source = profile.contains("name") && profile["name"].is_string() ? profile["name"].get<std::string>() : name;
  const double w = Number((*dim)["w"], "calib_dimension.w", name);
  const double h = Number((*dim)["h"], "calib_dimension.h", name);
  if (!(w >= 1 && h >= 1 && w <= 100000 && h <= 100000 && w == std::floor(w) && h == std::floor(h))) {
    throw InputError(Msg() << name << ": calib_dimension must be whole pixels in [1, 100000], got " << w
                           << "x" << h);
  }
  lens.calib_width = static_cast<int>(w);
  lens.calib_height = static_cast<int>(h);
  const json& m = (*fp)["camera_matrix"];
  if (!m.is_array() || m.size() != 3 || !m[0].is_array() || m[0].size() != 3 || !m[1].is_array() ||
      m[1].size() != 3 || !m[2].is_array() || m[2].size() != 3) {
    throw InputError(Msg() << name << ": fisheye_params.camera_matrix must be 3x3 (empty or missing: "
                                      "not a fisheye profile)");
  }
  double a[3][3];
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) a[r][c] = Number(m[r][c], "camera_matrix", name);
  lens.fx = a[0][0];
  lens.fy = a[1][1];
  lens.cx = a[0][2];
  lens.cy = a[1][2];
  if (!(lens.fx > 0 && lens.fy > 0) || a[1][0] != 0 || a[2][0] != 0 || a[2][1] != 0 || a[2][2] != 1 ||
      std::abs(a[0][1]) > 1e-9 * lens.fx) {
    throw InputError(Msg() << name << ": camera_matrix must be [[fx, 0, cx], [0, fy, cy], [0, 0, 1]] with "
                                      "fx, fy > 0");
  }
  const double aspect = lens.fx / lens.fy;
  if (aspect < 0.5 || aspect > 2) {
    throw InputError(Msg() << name << ": fx / fy = " << aspect
                           << "; an anamorphic lens (stretched pixels) is not supported");
  }
  const json& d = (*fp)["distortion_coeffs"];
  if (!d.is_array() || d.size() != 4) {
    throw InputError(Msg() << name << ": fisheye_params.distortion_coeffs must hold 4 numbers (k1..k4), got "
                           << (d.is_array() ? std::to_string(d.size()) : std::string("no array")));
  }
  for (int i = 0; i < 4; ++i) lens.k[i] = Number(d[i], "distortion_coeffs", name);
  if (profile.contains("frame_readout_time") && profile["frame_readout_time"].is_number()) {
    const double ms = profile["frame_readout_time"].get<double>();
    if (!(std::isfinite(ms) && ms >= 0 && ms < 1000)) {
      throw InputError(Msg() << name << ": frame_readout_time must be milliseconds in [0, 1000), got " << ms);
    }
    lens.readout_time = ms / 1000.0;
  }
  lens.max_theta = IncreasingUpTo(lens.k);
  if (lens.max_theta < 0.2) {
    throw InputError(Msg() << name << ": the distortion coefficients stop increasing at " << lens.max_theta
                           << " rad from the axis; not a usable fisheye model");
  }
  return lens;
}

FisheyeLens FisheyeLens::ScaledTo(int output_width, int output_height) const {
  FisheyeLens out = *this;
  const double s = std::max(double(output_width) / calib_width, double(output_height) / calib_height);
  out.width = output_width;
  out.height = output_height;
  out.scale = s;
  out.fx = fx * s;
  out.fy = fy * s;
  out.cx = (cx + 0.5) * s - 0.5 - 0.5 * (calib_width * s - output_width);
  out.cy = (cy + 0.5) * s - 0.5 - 0.5 * (calib_height * s - output_height);
  const double limit = out.Distort(out.max_theta);
  for (double y : {0.0, output_height - 1.0}) {
    for (double x : {0.0, output_width - 1.0}) {
      const double td = std::hypot((x - out.cx) / out.fx, (y - out.cy) / out.fy);
      if (td > limit) {
        throw InputError(Msg() << "--lens " << name << ": the corner (" << x << ", " << y << ") of a "
                               << output_width << "x" << output_height
                               << " output lies beyond where the lens model is valid (" << out.max_theta
                               << " rad from the axis)");
      }
    }
  }
  return out;
}

double FisheyeLens::Distort(double theta) const {
  const double t2 = theta * theta;
  return theta * (1 + t2 * (k[0] + t2 * (k[1] + t2 * (k[2] + t2 * k[3]))));
}

double FisheyeLens::Undistort(double theta_d) const {
  // Newton's method from theta = theta_d; the model increases on [0, max_theta], so this converges
  // to its one root there (kept inside the interval).
  double t = std::min(theta_d, max_theta);
  for (int i = 0; i < 30; ++i) {
    const double step = (Distort(t) - theta_d) / Slope(k, t);
    t = std::clamp(t - step, 0.0, max_theta);
    if (std::abs(step) < 1e-14) break;
  }
  return t;
}

Eigen::Vector3d FisheyeLens::Ray(double x, double y) const {
  const double mx = (x - cx) / fx, my = (y - cy) / fy;
  const double td = std::hypot(mx, my);
  if (td < 1e-15) return {0, 0, 1};
  const double t = Undistort(td);
  const double s = std::sin(t) / td;
  return {mx * s, my * s, std::cos(t)};
}

bool FisheyeLens::Project(const Eigen::Vector3d& ray, double* u, double* v) const {
  const double r = std::hypot(ray.x(), ray.y());
  const double t = std::atan2(r, ray.z());
  if (t > max_theta) return false;
  if (r < 1e-300) {
    *u = cx;
    *v = cy;
    return true;
  }
  const double td = Distort(t) / r;
  *u = fx * td * ray.x() + cx;
  *v = fy * td * ray.y() + cy;
  return true;
}

std::vector<Eigen::Vector3d> FisheyeLens::Rays() const {
  std::vector<Eigen::Vector3d> rays(size_t(width) * height);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) rays[size_t(y) * width + x] = Ray(x, y);
  return rays;
}

std::vector<Eigen::Vector3d> FisheyeLens::BorderRays(int per_edge) const {
  std::vector<Eigen::Vector3d> rays;
  for (int i = 0; i <= per_edge; ++i) {
    const double fx_ = (width - 1) * double(i) / per_edge, fy_ = (height - 1) * double(i) / per_edge;
    rays.push_back(Ray(fx_, 0));
    rays.push_back(Ray(fx_, height - 1));
    rays.push_back(Ray(0, fy_));
    rays.push_back(Ray(width - 1, fy_));
  }
  return rays;
}

PinholeCamera FisheyeLens::Rectified() const {
  PinholeCamera camera;
  camera.width = width;
  camera.height = height;
  camera.focal = fx;
  camera.cx = cx;
  camera.cy = cy;
  return camera;
}

cv::Mat FisheyeLens::RectifyMap() const {
  const PinholeCamera pinhole = Rectified();
  cv::Mat map(height, width, CV_32FC2);
  for (int y = 0; y < height; ++y) {
    float* m = map.ptr<float>(y);
    for (int x = 0; x < width; ++x) {
      double u = -1, v = -1;
      Project(pinhole.RayInCam(x, y), &u, &v);
      m[2 * x] = static_cast<float>(u);
      m[2 * x + 1] = static_cast<float>(v);
    }
  }
  return map;
}

std::shared_ptr<const LensRays> LensRays::Make(const FisheyeLens& scaled) {
  auto out = std::make_shared<LensRays>();
  out->lens = scaled;
  out->rays = scaled.Rays();
  out->border = scaled.BorderRays();
  for (const auto& r : out->rays) {
    out->x.push_back(static_cast<float>(r.x()));
    out->y.push_back(static_cast<float>(r.y()));
    out->z.push_back(static_cast<float>(r.z()));
  }
  return out;
}

json FisheyeLens::ToJson() const {
  json j{{"name", name},
         {"model", "opencv_fisheye"},
         {"source", source},
         {"calib_dimension", {calib_width, calib_height}},
         {"size", {width, height}},
         {"scale", scale},
         {"fx", fx},
         {"fy", fy},
         {"cx", cx},
         {"cy", cy},
         {"k", {k[0], k[1], k[2], k[3]}}};
  if (!sha256.empty()) j["sha256"] = sha256;
  if (readout_time > 0) j["frame_readout_time"] = readout_time;
  return j;
}

}  // namespace blurkit::synth
