// An event camera beside the frame camera: the events of ESIM's model (Rebecq, Gehrig & Scaramuzza,
// "ESIM: an Open Event Camera Simulator", CoRL 2018; uzh-rpg/rpg_esim, event_simulator.cpp) from
// the same camera path that makes the blurred image.
//
// The model. Each pixel sees the log intensity L = log(eps + Y) of its linear luminance
// Y = 0.2126 R + 0.7152 G + 0.0722 B (Rec. 709 weights on linear light), taken as linear in time
// between two rendered frames. A pixel keeps a reference level (at the start: its L); whenever L
// crosses reference + C+ (or reference - C-), the pixel emits a +1 (-1) event at the time of the
// crossing, interpolated within the interval, and the reference moves by that threshold. The
// thresholds are per pixel, drawn once per sample: C ~ N(C0, sigma) for each polarity (v2e's
// defaults C0 = 0.2, sigma = 0.03; Hu, Liu & Delbruck, "v2e", CVPR workshops 2021), clipped below
// at min_threshold. An optional refractory period drops an event closer than it to the pixel's
// previous emitted event (the reference still moves, as in ESIM). No noise by default ("ideal"
// mode); optional leak and shot noise after v2e (EventOptions).
//
// Consequences the tests check: at any time, -C-(x) < L(t) - reference(x) < C+(x), so
// L(t_end) - L(t_start) - sum_i p_i C_{p_i}(x) lies within one threshold of zero (with no
// refractory period); events come out sorted by time (then row, then column within one
// interval), and do not depend on the thread count.
//
// Density. Between two frames no pixel's L may change by more than max_log_step (default 1/2) of
// its smaller threshold (ESIM's adaptive sampling, there predicted from the optical flow; here
// measured): RenderEvents asks for frames at chosen times and halves an interval until it does,
// up to max_frames frames per sample.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <vector>

#include "blurkit/core/random.h"

namespace blurkit::synth {

struct EventOptions {
  bool enabled = false;
  double threshold = 0.2;         // C0: mean contrast threshold, log units
  double threshold_sigma = 0.03;  // sigma of the per-pixel thresholds (0: every pixel C0)
  double min_threshold = 0.01;    // thresholds are clipped below at this (v2e's floor)
  double refractory = 0.0;        // seconds; 0 = none
  // Noise (v2e's; both 0: "ideal" mode). leak_rate: the reference sinks by leak_rate * C+ per
  // second, so a still pixel fires +1 events at about that rate (v2e's leak_rate_hz).
  // shot_noise_rate: events per pixel per second at uniformly random pixels, times and
  // polarities, added to the model's (a Poisson count per sample; they move no reference and
  // ignore the refractory period; v2e's shot_noise_rate_hz, without its dependence on brightness).
  double leak_rate = 0.0;
  double shot_noise_rate = 0.0;
  double eps = 1e-3;              // L = log(eps + Y), Y linear luminance (ESIM's log_eps)
  double max_log_step = 0.5;      // largest |dL| between two frames, as a share of min(C+, C-)
  int max_frames = 4096;          // upper bound on the frames rendered for one sample's events
  double exposure_time = 0;       // seconds from the first sharp frame to the last (time base)

  void Check() const;  // throws InputError
  nlohmann::json ToJson() const;
  int64_t RefractoryNs() const { return static_cast<int64_t>(std::llround(refractory * 1e9)); }
  int64_t ExposureNs() const { return static_cast<int64_t>(std::llround(exposure_time * 1e9)); }
};

// Per-pixel thresholds of one sample, row-major H x W.
struct EventThresholds {
  int width = 0, height = 0;
  std::vector<float> positive, negative;  // C+ and C-
};

// Draws C+ then C- for every pixel in row-major order from `rng` (its own purpose:
// RandomPurpose::kSampleEvents).
EventThresholds DrawThresholds(int width, int height, const EventOptions& options, RandomStream& rng);

// Events of one sample, in time order. t in nanoseconds from the exposure start.
struct Events {
  std::vector<uint16_t> x, y;
  std::vector<int64_t> t;
  std::vector<int8_t> p;  // +1 or -1
  size_t size() const { return t.size(); }
  void Append(const Events& other);
};

// L = log(eps + scale * Y) of a linear BGR float image (CV_32FC3), as CV_32FC1.
cv::Mat LogLuminance(const cv::Mat& linear_bgr, double scale, double eps);

// ESIM's per-pixel state over a sequence of log-luminance frames (CV_32FC1, all one size).
class EventSimulator {
 public:
  EventSimulator(const EventThresholds& thresholds, const EventOptions& options);
  // The first frame, at time t (ns): every reference starts at its L.
  void Start(const cv::Mat& log_frame, int64_t t);
  // The next frame at time t > the previous one: appends the events in (previous, t] to `out`,
  // sorted by (t, y, x). Rows run in parallel (TBB); the result does not depend on how.
  void Step(const cv::Mat& log_frame, int64_t t, Events* out);
  const cv::Mat& reference() const { return reference_; }  // CV_32FC1

 private:
  const EventThresholds& thresholds_;
  int64_t refractory_ns_;
  double leak_rate_;
  cv::Mat last_, reference_;
  std::vector<int64_t> last_event_;  // per pixel, ns; INT64_MIN: none yet
  int64_t time_ = 0;
  bool started_ = false;
};

// The events of a time-ordered sequence of log-luminance frames at times (ns, increasing).
Events SimulateEvents(const std::vector<cv::Mat>& log_frames, const std::vector<int64_t>& times,
                      const EventThresholds& thresholds, const EventOptions& options);

// Shot noise (options.shot_noise_rate > 0): adds its events, drawn from `rng`, to `events`,
// keeping the time order. Nothing without it.
void AddShotNoise(const EventOptions& options, int width, int height, RandomStream& rng, Events* events);

// Adaptive rendering: log_frame_at(s) renders the log luminance at exposure fraction s in [0, 1];
// frames are asked for at the `base` evenly spaced fractions (base >= 2, both ends included) and
// at midpoints of any interval where some pixel's |dL| exceeds max_log_step * min(C+, C-), until
// none does or the interval's share of max_frames (each of the base - 1 intervals gets an equal
// share of the frames beyond the base ones) is spent. Fraction s maps to time round(s * options.ExposureNs()).
struct EventRenderStats {
  int frames = 0;           // frames rendered
  int coarse_intervals = 0; // intervals left above the step rule when max_frames was reached
};
Events RenderEvents(const std::function<cv::Mat(double)>& log_frame_at, int base,
                    const EventThresholds& thresholds, const EventOptions& options,
                    EventRenderStats* stats = nullptr);

}  // namespace blurkit::synth
