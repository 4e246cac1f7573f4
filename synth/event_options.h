// The event camera's command-line options (blurkit-synth panorama and photos; synth/events.h).
#pragma once

#include <boost/program_options.hpp>

#include "blurkit/synth/events.h"

namespace blurkit::synth::cli {

void AddEventOptions(boost::program_options::options_description& group, EventOptions& events);
// After parsing: the events' time base is the path's --exposure-time (seconds).
void FinishEventOptions(double exposure_time, EventOptions& events);

}  // namespace blurkit::synth::cli
