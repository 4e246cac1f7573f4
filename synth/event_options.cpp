#include "event_options.h"

namespace blurkit::synth::cli {
namespace po = boost::program_options;

void AddEventOptions(po::options_description& group, EventOptions& e) {
  group.add_options()
      ("events", po::bool_switch(&e.enabled),
       "also store an event camera's output along the same path (ESIM's model, ideal: no noise): "
       "x, y, t (ns from the exposure start), p per sample, and each pixel's thresholds; needs "
       "--exposure-time S (the path's duration)")
      ("event-threshold", po::value(&e.threshold)->default_value(0.2, "0.2"),
       "events: mean contrast threshold C0, log units (v2e's default)")
      ("event-threshold-sigma", po::value(&e.threshold_sigma)->default_value(0.03, "0.03"),
       "events: per-pixel thresholds C+ and C- drawn from N(C0, sigma) once per sample")
      ("event-refractory", po::value(&e.refractory)->default_value(0.0),
       "events: refractory period, seconds (0 = none)")
      ("event-leak-rate", po::value(&e.leak_rate)->default_value(0.0),
       "events: v2e's leak, Hz: each reference sinks by rate * C+ per second (0 = none: ideal mode)")
      ("event-shot-noise-rate", po::value(&e.shot_noise_rate)->default_value(0.0),
       "events: v2e's shot noise, events per pixel per second at random times and polarities (0 = none)")
      ("event-max-frames", po::value(&e.max_frames)->default_value(4096),
       "events: most frames rendered per sample so that no pixel's log intensity changes by more "
       "than C/2 between two");
}

void FinishEventOptions(double exposure_time, EventOptions& e) { e.exposure_time = exposure_time; }

}  // namespace blurkit::synth::cli
