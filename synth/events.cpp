#include "blurkit/synth/events.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <tuple>
#include <tbb/parallel_for.h>

#include "blurkit/core/error.h"

namespace blurkit::synth {

void EventOptions::Check() const {
  if (!enabled) return;
  if (!(threshold > 0 && threshold < 10)) {
    throw InputError(Msg() << "--event-threshold must be in (0, 10) log units, got " << threshold);
  }
  if (!(threshold_sigma >= 0 && threshold_sigma < threshold)) {
    throw InputError(Msg() << "--event-threshold-sigma must be in [0, --event-threshold), got "
                           << threshold_sigma);
  }
  if (!(min_threshold > 0 && min_threshold <= threshold)) {
    throw InputError(Msg() << "the smallest event threshold must be in (0, C0], got " << min_threshold);
  }
  if (!(refractory >= 0 && refractory < 1)) {
    throw InputError(Msg() << "--event-refractory must be in [0, 1) seconds, got " << refractory);
  }
  if (!(leak_rate >= 0 && leak_rate < 1e6)) {
    throw InputError(Msg() << "--event-leak-rate must be in [0, 1e6) Hz, got " << leak_rate);
  }
  if (!(shot_noise_rate >= 0 && shot_noise_rate < 1e6)) {
    throw InputError(Msg() << "--event-shot-noise-rate must be in [0, 1e6) Hz, got " << shot_noise_rate);
  }
  if (!(eps > 0)) throw InputError(Msg() << "the event model's eps must be positive, got " << eps);
  if (!(max_log_step > 0 && max_log_step <= 1)) {
    throw InputError(Msg() << "the events' largest log step must be in (0, 1] of C, got " << max_log_step);
  }
  if (max_frames < 2) {
    throw InputError(Msg() << "--event-max-frames must be at least 2, got " << max_frames);
  }
  if (!(exposure_time > 0 && exposure_time < 100)) {
    throw InputError(Msg() << "--events needs --exposure-time S > 0 (seconds from the first sharp "
                              "frame to the last: the events' time base), got " << exposure_time);
  }
}

nlohmann::json EventOptions::ToJson() const {
  return {{"model", "esim"},
          {"mode", leak_rate > 0 || shot_noise_rate > 0 ? "noisy" : "ideal"},
          {"leak_rate", leak_rate},
          {"shot_noise_rate", shot_noise_rate},
          {"threshold", threshold},
          {"threshold_sigma", threshold_sigma},
          {"min_threshold", min_threshold},
          {"refractory", refractory},
          {"log_eps", eps},
          {"luminance", "0.2126 R + 0.7152 G + 0.0722 B, linear"},
          {"max_log_step", max_log_step},
          {"max_frames", max_frames},
          {"exposure_time", exposure_time},
          {"time_unit", "ns"}};
}

EventThresholds DrawThresholds(int width, int height, const EventOptions& options, RandomStream& rng) {
  EventThresholds th;
  th.width = width;
  th.height = height;
  const size_t n = static_cast<size_t>(width) * height;
  auto draw = [&](std::vector<float>* out) {
    out->resize(n);
    for (size_t k = 0; k < n; ++k) {
      const double c = options.threshold + options.threshold_sigma * rng.Normal();
      (*out)[k] = static_cast<float>(std::max(c, options.min_threshold));
    }
  };
  draw(&th.positive);
  draw(&th.negative);
  return th;
}

void Events::Append(const Events& other) {
  x.insert(x.end(), other.x.begin(), other.x.end());
  y.insert(y.end(), other.y.begin(), other.y.end());
  t.insert(t.end(), other.t.begin(), other.t.end());
  p.insert(p.end(), other.p.begin(), other.p.end());
}

cv::Mat LogLuminance(const cv::Mat& linear_bgr, double scale, double eps) {
  BLURKIT_CHECK(linear_bgr.type() == CV_32FC3) << "LogLuminance needs linear BGR float";
  cv::Mat out(linear_bgr.size(), CV_32FC1);
  for (int r = 0; r < linear_bgr.rows; ++r) {
    const float* in = linear_bgr.ptr<float>(r);
    float* o = out.ptr<float>(r);
    for (int c = 0; c < linear_bgr.cols; ++c) {
      // BGR order: B, G, R.
      const double y = 0.0722 * in[3 * c] + 0.7152 * in[3 * c + 1] + 0.2126 * in[3 * c + 2];
      o[c] = std::log(static_cast<float>(eps + scale * std::max(y, 0.0)));  // logf: the frames are float
    }
  }
  return out;
}

EventSimulator::EventSimulator(const EventThresholds& thresholds, const EventOptions& options)
    : thresholds_(thresholds), refractory_ns_(options.RefractoryNs()), leak_rate_(options.leak_rate) {}

void EventSimulator::Start(const cv::Mat& log_frame, int64_t t) {
  BLURKIT_CHECK(log_frame.type() == CV_32FC1 && log_frame.cols == thresholds_.width &&
                log_frame.rows == thresholds_.height)
      << "event frame " << log_frame.cols << "x" << log_frame.rows << " for thresholds "
      << thresholds_.width << "x" << thresholds_.height;
  last_ = log_frame.clone();
  reference_ = log_frame.clone();
  last_event_.assign(log_frame.total(), std::numeric_limits<int64_t>::min());
  time_ = t;
  started_ = true;
}

namespace {

struct RowEvent {
  int64_t t;
  uint16_t x;
  int8_t p;
};

}  // namespace

void EventSimulator::Step(const cv::Mat& log_frame, int64_t t, Events* out) {
  BLURKIT_CHECK(started_ && t > time_) << "event frames must come in increasing time order";
  BLURKIT_CHECK(log_frame.type() == CV_32FC1 && log_frame.size() == last_.size());
  const int width = last_.cols, height = last_.rows;
  const int64_t t0 = time_, dt = t - t0;
  std::vector<std::vector<RowEvent>> rows(height);
  // Rows are independent: each pixel's state is its own, and a row's events go to its own list.
  tbb::parallel_for(0, height, [&](int y) {
    const float* now = log_frame.ptr<float>(y);
    float* before = last_.ptr<float>(y);
    float* ref = reference_.ptr<float>(y);
    const float* cp = thresholds_.positive.data() + static_cast<size_t>(y) * width;
    const float* cn = thresholds_.negative.data() + static_cast<size_t>(y) * width;
    int64_t* last_event = last_event_.data() + static_cast<size_t>(y) * width;
    std::vector<RowEvent>& list = rows[y];
    auto emit = [&](int x, int64_t te, int8_t pol) {
      if (last_event[x] == std::numeric_limits<int64_t>::min() || te - last_event[x] >= refractory_ns_) {
        list.push_back({te, static_cast<uint16_t>(x), pol});
        last_event[x] = te;
      }
    };
    for (int x = 0; x < width; ++x) {
      const float it = before[x], itdt = now[x];
      before[x] = itdt;
      if (leak_rate_ > 0) {
        // v2e's leak: the reference sinks by leak_rate * C+ per second, so a still pixel fires +1
        // events at about leak_rate Hz. D = L - reference is then linear over the interval, from
        // d0 to d1; an event wherever D reaches C+ (or -C-), after which D moves back by it.
        const double drop = leak_rate_ * double(dt) * 1e-9 * cp[x];
        const double d0 = double(it) - ref[x], d1 = double(itdt) - ref[x] + drop;
        int crossings = 0;
        int8_t pol = 1;
        if (d1 != d0) {
          pol = d1 > d0 ? 1 : -1;
          const double c = pol > 0 ? cp[x] : cn[x];
          // Levels k C beyond d0; a level at or behind d0 (the float reference rounded past an
          // exact crossing at the last frame) is overdue and fires at once.
          for (int k = 1;; ++k) {
            const double level = pol * k * c;
            if (!(pol > 0 ? level <= d1 : level >= d1)) break;
            crossings = k;
            const double share = std::max(0.0, (level - d0) / (d1 - d0));
            emit(x, t0 + std::max<int64_t>(1, std::llround(share * double(dt))), pol);
          }
        }
        ref[x] = static_cast<float>(ref[x] + pol * crossings * double(pol > 0 ? cp[x] : cn[x]) - drop);
        continue;
      }
      if (it == itdt) continue;
      const int8_t pol = itdt > it ? 1 : -1;
      const float c = pol > 0 ? cp[x] : cn[x];
      float cross = ref[x];
      for (;;) {
        const float next = cross + pol * c;
        const bool crossed = pol > 0 ? (next > it && next <= itdt) : (next < it && next >= itdt);
        if (!crossed) break;
        cross = next;
        // The crossing's time, L linear in time over the interval.
        const double share = (double(cross) - it) / (double(itdt) - it);
        // Within (t0, t]: an event never takes the time of the frame before its crossing, so the
        // events up to a frame's time are exactly those it has seen.
        emit(x, t0 + std::max<int64_t>(1, std::llround(share * double(dt))), pol);
      }
      ref[x] = cross;
    }
  });
  // Merge: order by time, then row, then column (a total order: one pixel's events have
  // increasing times), so the bytes do not depend on the threads.
  struct Key {
    int64_t t;
    int y;
    size_t k;
  };
  std::vector<Key> keys;
  size_t total = 0;
  for (const auto& r : rows) total += r.size();
  keys.reserve(total);
  for (int y = 0; y < height; ++y)
    for (size_t k = 0; k < rows[y].size(); ++k) keys.push_back({rows[y][k].t, y, k});
  std::sort(keys.begin(), keys.end(), [&](const Key& a, const Key& b) {
    if (a.t != b.t) return a.t < b.t;
    if (a.y != b.y) return a.y < b.y;
    return rows[a.y][a.k].x < rows[b.y][b.k].x;
  });
  out->x.reserve(out->x.size() + total);
  out->y.reserve(out->y.size() + total);
  out->t.reserve(out->t.size() + total);
  out->p.reserve(out->p.size() + total);
  for (const Key& key : keys) {
    const RowEvent& e = rows[key.y][key.k];
    out->x.push_back(e.x);
    out->y.push_back(static_cast<uint16_t>(key.y));
    out->t.push_back(e.t);
    out->p.push_back(e.p);
  }
  time_ = t;
}

Events SimulateEvents(const std::vector<cv::Mat>& log_frames, const std::vector<int64_t>& times,
                      const EventThresholds& thresholds, const EventOptions& options) {
  BLURKIT_CHECK(log_frames.size() == times.size() && !log_frames.empty());
  EventSimulator sim(thresholds, options);
  Events events;
  sim.Start(log_frames[0], times[0]);
  for (size_t k = 1; k < log_frames.size(); ++k) sim.Step(log_frames[k], times[k], &events);
  return events;
}

void AddShotNoise(const EventOptions& options, int width, int height, RandomStream& rng, Events* events) {
  if (!(options.shot_noise_rate > 0)) return;
  const int64_t end = options.ExposureNs();
  const double mean = options.shot_noise_rate * options.exposure_time * double(width) * height;
  const uint64_t count = rng.Poisson(mean);
  struct Noise {
    int64_t t;
    uint16_t y, x;
    int8_t p;
  };
  std::vector<Noise> noise(count);
  for (auto& e : noise) {  // one draw per statement: a fixed order
    e.t = 1 + static_cast<int64_t>(rng.UniformInt(static_cast<uint64_t>(end)));
    e.y = static_cast<uint16_t>(rng.UniformInt(height));
    e.x = static_cast<uint16_t>(rng.UniformInt(width));
    e.p = rng.UniformInt(2) ? 1 : -1;
  }
  std::sort(noise.begin(), noise.end(), [](const Noise& a, const Noise& b) {
    return std::tie(a.t, a.y, a.x, a.p) < std::tie(b.t, b.y, b.x, b.p);
  });
  // Merge by time; at equal times the model's events first.
  Events merged;
  const size_t n = events->size();
  merged.x.reserve(n + count);
  merged.y.reserve(n + count);
  merged.t.reserve(n + count);
  merged.p.reserve(n + count);
  size_t a = 0, b = 0;
  while (a < n || b < noise.size()) {
    if (b == noise.size() || (a < n && events->t[a] <= noise[b].t)) {
      merged.x.push_back(events->x[a]);
      merged.y.push_back(events->y[a]);
      merged.t.push_back(events->t[a]);
      merged.p.push_back(events->p[a]);
      ++a;
    } else {
      merged.x.push_back(noise[b].x);
      merged.y.push_back(noise[b].y);
      merged.t.push_back(noise[b].t);
      merged.p.push_back(noise[b].p);
      ++b;
    }
  }
  *events = std::move(merged);
}

namespace {

// True when some pixel's |dL| between a and b exceeds max_log_step * min(C+, C-).
bool TooCoarse(const cv::Mat& a, const cv::Mat& b, const EventThresholds& th, double max_step) {
  const int width = a.cols;
  for (int y = 0; y < a.rows; ++y) {
    const float* pa = a.ptr<float>(y);
    const float* pb = b.ptr<float>(y);
    const size_t row = static_cast<size_t>(y) * width;
    for (int x = 0; x < width; ++x) {
      const double c = std::min(th.positive[row + x], th.negative[row + x]);
      if (std::abs(double(pb[x]) - pa[x]) > max_step * c) return true;
    }
  }
  return false;
}

}  // namespace

Events RenderEvents(const std::function<cv::Mat(double)>& log_frame_at, int base,
                    const EventThresholds& thresholds, const EventOptions& options,
                    EventRenderStats* stats) {
  BLURKIT_CHECK(base >= 2);
  const int64_t exposure = options.ExposureNs();
  BLURKIT_CHECK(exposure > 0) << "events need an exposure time";
  auto time_of = [&](double s) { return static_cast<int64_t>(std::llround(s * double(exposure))); };
  EventRenderStats local;
  EventSimulator sim(thresholds, options);
  Events events;
  cv::Mat previous = log_frame_at(0.0);
  local.frames = 1;
  sim.Start(previous, 0);
  double s_previous = 0;
  // Depth first, in time order: an interval too coarse is halved, its first half simulated before
  // its second. Each base interval has an equal share of the frames beyond the base ones, so a
  // budget too small leaves the whole exposure equally coarse rather than its end.
  const int share = std::max(0, options.max_frames - base) / (base - 1);
  struct Pending {
    double s;
    cv::Mat frame;
  };
  for (int k = 1; k < base; ++k) {
    const double s_end = double(k) / (base - 1);
    std::vector<Pending> stack;  // the ends still to reach, latest at the bottom
    stack.push_back({s_end, log_frame_at(s_end)});
    ++local.frames;
    int extra = 0;  // frames rendered inside this base interval
    while (!stack.empty()) {
      Pending& next = stack.back();
      const bool room = extra < share;
      const bool divisible = time_of(next.s) - time_of(s_previous) >= 2;
      if (TooCoarse(previous, next.frame, thresholds, options.max_log_step)) {
        if (room && divisible) {
          const double mid = 0.5 * (s_previous + next.s);
          cv::Mat frame = log_frame_at(mid);
          ++local.frames;
          ++extra;
          stack.push_back({mid, std::move(frame)});
          continue;
        }
        ++local.coarse_intervals;
      }
      sim.Step(next.frame, time_of(next.s), &events);
      previous = next.frame;
      s_previous = next.s;
      stack.pop_back();
    }
  }
  if (stats) *stats = local;
  return events;
}

}  // namespace blurkit::synth
