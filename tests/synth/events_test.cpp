#include "blurkit/synth/events.h"

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <cmath>
#include <map>

#include "blurkit/core/error.h"

namespace blurkit::synth {
namespace {

constexpr double kPi = 3.14159265358979323846;

EventOptions Options(double c0 = 0.2, double sigma = 0.03) {
  EventOptions o;
  o.enabled = true;
  o.threshold = c0;
  o.threshold_sigma = sigma;
  o.exposure_time = 0.01;  // 10 ms
  return o;
}

EventThresholds Thresholds(int w, int h, const EventOptions& o, uint64_t seed = 1) {
  RandomStream rng(seed, RandomPurpose::kSampleEvents, 0);
  return DrawThresholds(w, h, o, rng);
}

// A linear-light BGR image of a sinusoidal grating in x and y, shifted by `shift` pixels along
// (cos a, sin a): what a camera turning at constant speed sees of a textured plane (luminance
// between 0.1 and 0.9).
cv::Mat Grating(int w, int h, double shift, double angle = 0.3, double period = 9.0) {
  cv::Mat img(h, w, CV_32FC3);
  const double dx = shift * std::cos(angle), dy = shift * std::sin(angle);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const double u = x - dx, v = y - dy;
      const double lum = 0.5 + 0.2 * std::sin(2 * kPi * u / period) + 0.2 * std::sin(2 * kPi * v / (1.3 * period));
      img.at<cv::Vec3f>(y, x) = cv::Vec3f(float(lum), float(lum), float(lum));
    }
  return img;
}

// A smooth gradient, log-linear in luminance (0.1 log units per pixel), shifted by `shift` pixels:
// a camera turning across a sky or a lit wall. Every pixel's L changes one way only.
cv::Mat Gradient(int w, int h, double shift) {
  cv::Mat img(h, w, CV_32FC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const float lum = float(0.02 * std::exp(0.1 * (x + 0.3 * y - shift)));
      img.at<cv::Vec3f>(y, x) = cv::Vec3f(lum, lum, lum);
    }
  return img;
}

// log frames of the grating (or the gradient) moving `distance` pixels over the exposure.
std::function<cv::Mat(double)> Moving(int w, int h, double distance, const EventOptions& o,
                                      bool gradient = false) {
  return [=](double s) {
    return LogLuminance(gradient ? Gradient(w, h, s * distance) : Grating(w, h, s * distance), 1.0, o.eps);
  };
}

void ExpectSortedInWindow(const Events& ev, int64_t end) {
  for (size_t k = 0; k < ev.size(); ++k) {
    ASSERT_GE(ev.t[k], 0);
    ASSERT_LE(ev.t[k], end);
    if (k > 0) ASSERT_GE(ev.t[k], ev.t[k - 1]) << "event " << k;
    ASSERT_TRUE(ev.p[k] == 1 || ev.p[k] == -1);
  }
}

TEST(Events, ThresholdsAreDrawnPerPixelFromTheirOwnStream) {
  const EventOptions o = Options();
  const EventThresholds a = Thresholds(64, 64, o), b = Thresholds(64, 64, o);
  EXPECT_EQ(a.positive, b.positive);
  EXPECT_EQ(a.negative, b.negative);
  EXPECT_NE(a.positive, a.negative);
  double sum = 0, sq = 0;
  for (float c : a.positive) {
    sum += c;
    sq += c * c;
  }
  const double n = a.positive.size(), mean = sum / n, sd = std::sqrt(sq / n - mean * mean);
  // 4096 draws: the mean's standard error is 0.03 / 64 = 0.0005; 0.002 is four of them.
  EXPECT_NEAR(mean, 0.2, 0.002);
  // The sample sd's relative standard error is 1 / sqrt(2 n) = 1.1%; 10% is nine of them.
  EXPECT_NEAR(sd, 0.03, 0.003);
}

// The integration invariant: L(end) - L(start) - sum p C_p lies strictly within one threshold.
TEST(Events, IntegrationInvariantHoldsForEveryPixel) {
  const int w = 48, h = 40;
  const EventOptions o = Options();
  const EventThresholds th = Thresholds(w, h, o);
  auto frame_at = Moving(w, h, 23.0, o);
  EventRenderStats stats;
  const Events ev = RenderEvents(frame_at, 9, th, o, &stats);
  ASSERT_GT(ev.size(), 1000u);
  EXPECT_EQ(stats.coarse_intervals, 0);
  ExpectSortedInWindow(ev, o.ExposureNs());
  std::vector<double> sum(w * h, 0.0);
  for (size_t k = 0; k < ev.size(); ++k) {
    const size_t i = size_t(ev.y[k]) * w + ev.x[k];
    sum[i] += ev.p[k] > 0 ? th.positive[i] : -double(th.negative[i]);
  }
  const cv::Mat l0 = frame_at(0.0), l1 = frame_at(1.0);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const size_t i = size_t(y) * w + x;
      const double r = double(l1.at<float>(y, x)) - l0.at<float>(y, x) - sum[i];
      // -C- < r < C+ exactly in the model; 1e-4 covers the float reference's rounding over the
      // pixel's few hundred additions (each under 1e-7 relative to values below 10).
      ASSERT_LT(r, th.positive[i] + 1e-4) << x << "," << y;
      ASSERT_GT(r, -th.negative[i] - 1e-4) << x << "," << y;
    }
}

TEST(Events, AStillCameraGivesNoEvents) {
  const EventOptions o = Options();
  const EventThresholds th = Thresholds(32, 32, o);
  EventRenderStats stats;
  const Events ev = RenderEvents(Moving(32, 32, 0.0, o), 5, th, o, &stats);
  EXPECT_EQ(ev.size(), 0u);
  EXPECT_EQ(stats.frames, 5);  // nothing changes: no frame beyond the base ones
}

// The expected count: sum over pixels of L's total variation over the window divided by C.
double ExpectedCount(int w, int h, double distance, const EventThresholds& th, const EventOptions& o,
                     bool gradient) {
  auto frame_at = Moving(w, h, distance, o, gradient);
  const int steps = 2000;
  cv::Mat prev = frame_at(0.0);
  std::vector<double> up(w * h, 0.0), down(w * h, 0.0);
  for (int k = 1; k <= steps; ++k) {
    cv::Mat next = frame_at(double(k) / steps);
    for (int i = 0; i < w * h; ++i) {
      const double d = double(next.at<float>(i)) - prev.at<float>(i);
      (d > 0 ? up : down)[i] += std::abs(d);
    }
    prev = next;
  }
  double count = 0;
  for (int i = 0; i < w * h; ++i) count += up[i] / th.positive[i] + down[i] / th.negative[i];
  return count;
}

// The count grows in proportion to the speed: twice the path in the same exposure, twice the
// events, on a texture whose pixels rise and fall as on a gradient where they only rise.
TEST(Events, CountGrowsInProportionToSpeed) {
  const int w = 40, h = 40;
  const EventOptions o = Options();
  const EventThresholds th = Thresholds(w, h, o);
  for (bool gradient : {false, true}) {
    const double slow = RenderEvents(Moving(w, h, 20.0, o, gradient), 5, th, o).size();
    const double fast = RenderEvents(Moving(w, h, 40.0, o, gradient), 5, th, o).size();
    ASSERT_GT(slow, 1000);
    // Twice the path is twice every pixel's variations and reversals: the count doubles up to a
    // fraction of an event per pixel (the reference's start), under 5% of the 10 to 20 events
    // per pixel here; 10% is the bound.
    EXPECT_NEAR(fast / slow, 2.0, 0.2) << (gradient ? "gradient" : "grating");
  }
}

// The count is the total variation of L over C, less about one event per reversal of a pixel's
// direction (ESIM's reference keeps its level when L turns back: the first event the other way
// needs between C and 2C). On the gradient no pixel turns: count ~ 1 / C.
TEST(Events, CountGrowsInverselyWithThreshold) {
  const int w = 40, h = 40;
  const EventOptions o = Options();
  const EventThresholds th = Thresholds(w, h, o);
  const double fine = RenderEvents(Moving(w, h, 40.0, o, true), 5, th, o).size();
  // Each pixel's L changes by 4 log units: 20 events at C = 0.2, short of 4 / C by the fraction
  // left below the last crossing (under one event, 5%); 10% is the bound.
  EXPECT_NEAR(fine / ExpectedCount(w, h, 40.0, th, o, true), 1.0, 0.1);
  const EventOptions wide = Options(0.4, 0.06);  // every threshold twice as large
  EventThresholds th2 = th;
  for (auto* v : {&th2.positive, &th2.negative})
    for (float& c : *v) c *= 2;
  const double coarse = RenderEvents(Moving(w, h, 40.0, wide, true), 5, th2, wide).size();
  // 10 events per pixel at 2C, short by under one: the ratio is 0.5 within 5% of 0.5; 10% bound.
  EXPECT_NEAR(coarse / fine, 0.5, 0.05);
  // On the grating, each pixel turns about twice per period passed: fewer events than TV / C.
  const double grating = RenderEvents(Moving(w, h, 20.0, o), 5, th, o).size();
  EXPECT_LT(grating, ExpectedCount(w, h, 20.0, th, o, false));
}

// Reversing the path: each pixel's events mirror in time (t -> T - t) with flipped polarities.
// The reference starts at the other end, so a mirrored event is displaced by less than the time L
// takes to change by one threshold; with L linear in time per pixel (slope b) that is C / |b|.
TEST(Events, AReversedPathGivesMirroredTimesAndFlippedPolarities) {
  const int w = 24, h = 16;
  EventOptions o = Options();
  // C+ = C- per pixel: a reversed path turns every up-crossing into a down-crossing, so the mirror
  // is exact only for a sensor whose two thresholds agree.
  EventThresholds th = Thresholds(w, h, o);
  th.negative = th.positive;
  cv::Mat a(h, w, CV_32FC1), b(h, w, CV_32FC1);
  RandomStream rng(3, RandomPurpose::kSampleGeometry, 0);
  for (int i = 0; i < w * h; ++i) {
    a.at<float>(i) = float(rng.Uniform(-3, 0));
    b.at<float>(i) = float(rng.Uniform(-2.5, 2.5));  // log units over the exposure
  }
  const int n = 200;
  const int64_t end = o.ExposureNs();
  std::vector<cv::Mat> forward, backward;
  std::vector<int64_t> times;
  for (int k = 0; k <= n; ++k) {
    times.push_back(end * k / n);
    forward.push_back(a + b * (double(k) / n));
    backward.push_back(a + b * (double(n - k) / n));
  }
  const Events f = SimulateEvents(forward, times, th, o);
  const Events r = SimulateEvents(backward, times, th, o);
  ASSERT_GT(f.size(), 500u);
  ASSERT_EQ(f.size(), r.size());
  std::map<int, std::vector<std::pair<int64_t, int>>> per_f, per_r;
  for (size_t k = 0; k < f.size(); ++k) per_f[f.y[k] * w + f.x[k]].push_back({f.t[k], f.p[k]});
  for (size_t k = 0; k < r.size(); ++k) per_r[r.y[k] * w + r.x[k]].push_back({end - r.t[k], -r.p[k]});
  for (auto& [i, ev] : per_f) {
    auto& mirrored = per_r[i];
    std::sort(mirrored.begin(), mirrored.end());
    ASSERT_EQ(ev.size(), mirrored.size()) << "pixel " << i;
    const double slope = std::abs(b.at<float>(i)) / double(end);  // log units per ns
    for (size_t k = 0; k < ev.size(); ++k) {
      EXPECT_EQ(ev[k].second, mirrored[k].second);
      const double c = ev[k].second > 0 ? th.positive[i] : th.negative[i];
      // + 2 ns: both times are rounded to whole nanoseconds.
      EXPECT_LE(std::abs(double(ev[k].first - mirrored[k].first)), c / slope + 2) << "pixel " << i;
    }
  }
}

TEST(Events, RefractoryPeriodSeparatesAPixelsEvents) {
  const int w = 32, h = 32;
  EventOptions o = Options();
  const EventThresholds th = Thresholds(w, h, o);
  const size_t free_count = RenderEvents(Moving(w, h, 40.0, o), 5, th, o).size();
  o.refractory = 0.0005;  // 0.5 ms of a 10 ms exposure
  const Events ev = RenderEvents(Moving(w, h, 40.0, o), 5, th, o);
  ExpectSortedInWindow(ev, o.ExposureNs());
  EXPECT_LT(ev.size(), free_count);
  std::vector<int64_t> last(w * h, -1);
  for (size_t k = 0; k < ev.size(); ++k) {
    const size_t i = size_t(ev.y[k]) * w + ev.x[k];
    if (last[i] >= 0) ASSERT_GE(ev.t[k] - last[i], o.RefractoryNs()) << "event " << k;
    last[i] = ev.t[k];
  }
}

TEST(Events, TheAdaptiveRuleRendersFramesUntilNoPixelStepsMoreThanHalfAThreshold) {
  const int w = 32, h = 32;
  const EventOptions o = Options();
  const EventThresholds th = Thresholds(w, h, o);
  auto frame_at = Moving(w, h, 30.0, o);
  EventRenderStats stats;
  const Events adaptive = RenderEvents(frame_at, 3, th, o, &stats);
  EXPECT_GT(stats.frames, 3);
  EXPECT_EQ(stats.coarse_intervals, 0);
  // 4097 evenly spaced frames: steps 8x finer than the rule's; counts agree within 2% (the rule
  // bounds how far a linear segment departs from the curve: a fraction of an event per run).
  std::vector<cv::Mat> dense;
  std::vector<int64_t> times;
  for (int k = 0; k <= 4096; ++k) {
    dense.push_back(frame_at(k / 4096.0));
    times.push_back(std::llround(k / 4096.0 * o.ExposureNs()));
  }
  const double reference = SimulateEvents(dense, times, th, o).size();
  EXPECT_NEAR(adaptive.size() / reference, 1.0, 0.02);
  // A frame budget too small leaves intervals coarse and says so.
  EventOptions tight = o;
  tight.max_frames = 4;
  RenderEvents(frame_at, 3, th, tight, &stats);
  EXPECT_LE(stats.frames, 4);
  EXPECT_GT(stats.coarse_intervals, 0);
}

TEST(Events, OneAndTwoThreadsGiveTheSameEvents) {
  const int w = 64, h = 48;
  const EventOptions o = Options();
  const EventThresholds th = Thresholds(w, h, o);
  Events one, two;
  {
    tbb::global_control c(tbb::global_control::max_allowed_parallelism, 1);
    one = RenderEvents(Moving(w, h, 20.0, o), 5, th, o);
  }
  {
    tbb::global_control c(tbb::global_control::max_allowed_parallelism, 2);
    two = RenderEvents(Moving(w, h, 20.0, o), 5, th, o);
  }
  ASSERT_GT(one.size(), 0u);
  EXPECT_EQ(one.x, two.x);
  EXPECT_EQ(one.y, two.y);
  EXPECT_EQ(one.t, two.t);
  EXPECT_EQ(one.p, two.p);
}

// v2e's leak: a still pixel's reference sinks by rate * C+ per second, so it fires +1 events at
// the leak rate; with motion the invariant holds once the sunk amount is counted.
TEST(Events, LeakFiresPositiveEventsAtItsRate) {
  const int w = 24, h = 20;
  EventOptions o = Options();
  o.leak_rate = 1000;  // 10 events per pixel over the 10 ms exposure
  const EventThresholds th = Thresholds(w, h, o);
  const Events still = RenderEvents(Moving(w, h, 0.0, o), 5, th, o);
  std::vector<int> count(w * h, 0);
  for (size_t k = 0; k < still.size(); ++k) {
    ASSERT_EQ(still.p[k], 1);
    count[still.y[k] * w + still.x[k]]++;
  }
  // The reference sinks exactly 10 C+ over 4 intervals of 2.5 C+; crossings that land on a
  // frame's time may be rounded to either side of it, and the last one past the exposure: 9 or 10.
  for (int c : count) ASSERT_TRUE(c == 9 || c == 10) << c;
  ExpectSortedInWindow(still, o.ExposureNs());

  auto frame_at = Moving(w, h, 15.0, o);
  const Events moving = RenderEvents(frame_at, 5, th, o);
  std::vector<double> sum(w * h, 0.0);
  for (size_t k = 0; k < moving.size(); ++k) {
    const size_t i = size_t(moving.y[k]) * w + moving.x[k];
    sum[i] += moving.p[k] > 0 ? th.positive[i] : -double(th.negative[i]);
  }
  const cv::Mat l0 = frame_at(0.0), l1 = frame_at(1.0);
  for (int i = 0; i < w * h; ++i) {
    const double sunk = o.leak_rate * o.exposure_time * th.positive[i];
    const double r = double(l1.at<float>(i)) - l0.at<float>(i) - sum[i] + sunk;
    // As in the ideal model, plus the float reference's rounding (1e-4, as above).
    ASSERT_LT(r, th.positive[i] + 1e-4);
    ASSERT_GT(r, -th.negative[i] - 1e-4);
  }
}

TEST(Events, ShotNoiseAddsRandomEventsAtItsRateInTimeOrder) {
  const int w = 64, h = 48;
  EventOptions o = Options();
  o.shot_noise_rate = 50;  // 0.5 events per pixel over 10 ms: 1536 expected
  const EventThresholds th = Thresholds(w, h, o);
  Events a = RenderEvents(Moving(w, h, 0.0, o), 3, th, o);
  ASSERT_EQ(a.size(), 0u);
  RandomStream rng(9, RandomPurpose::kSampleEvents, 0);
  AddShotNoise(o, w, h, rng, &a);
  // Poisson: the standard deviation is sqrt(1536) = 39; 200 is five of them.
  EXPECT_NEAR(double(a.size()), 1536, 200);
  ExpectSortedInWindow(a, o.ExposureNs());
  size_t positive = 0;
  for (int8_t p : a.p) positive += p > 0;
  // Each polarity with probability 1/2: sd sqrt(1536) / 2 = 20; 100 is five of them.
  EXPECT_NEAR(double(positive), a.size() / 2.0, 100);
  // Merged into a moving scene's events, the order is kept and nothing is lost.
  Events b = RenderEvents(Moving(w, h, 10.0, o), 3, th, o);
  const size_t model = b.size();
  RandomStream again(9, RandomPurpose::kSampleEvents, 0);
  AddShotNoise(o, w, h, again, &b);
  EXPECT_EQ(b.size(), model + a.size());
  ExpectSortedInWindow(b, o.ExposureNs());
}

TEST(Events, BadOptionsAreRefusedByName) {
  EventOptions o = Options();
  o.exposure_time = 0;
  EXPECT_THROW(o.Check(), InputError);
  o = Options();
  o.threshold = -1;
  try {
    o.Check();
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--event-threshold"), std::string::npos);
  }
}

}  // namespace
}  // namespace blurkit::synth
