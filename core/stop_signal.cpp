#include "blurkit/core/stop_signal.h"

#include <csignal>

namespace blurkit {
namespace {

volatile std::sig_atomic_t stop_signal = 0;

extern "C" void OnStopSignal(int signal) {
  stop_signal = signal;
  // A second signal takes the default action: the process ends at once.
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

}  // namespace

void InstallStopHandlers() {
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
}

bool StopRequested() { return stop_signal != 0; }

int StopSignalNumber() { return stop_signal; }

std::string StopSignalName() {
  switch (stop_signal) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    default: return "a signal";
  }
}

}  // namespace blurkit
