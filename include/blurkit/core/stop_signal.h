// SIGINT and SIGTERM as a request to stop cleanly (Ctrl-C, `kill`, a scheduler's preemption).
//
// A long command that can stop cleanly calls InstallStopHandlers() once, then polls
// StopRequested() at safe points: synth between samples (what is finished stays, its own
// temporary files go, the same command continues), train at the end of a step (checkpoint, then
// --resume continues). A second signal ends the process at once, as if no handler were installed.
// Commands that do not poll never install the handlers, so the signals end them as usual.
#pragma once

#include <string>

#include "blurkit/core/error.h"

namespace blurkit {

void InstallStopHandlers();
// True once SIGINT or SIGTERM has arrived (after InstallStopHandlers()).
bool StopRequested();
// The signal that asked to stop (SIGINT or SIGTERM), 0 if none.
int StopSignalNumber();
// "SIGINT", "SIGTERM" or "a signal".
std::string StopSignalName();

// Thrown by a command that stopped cleanly on request; tools exit with 128 + signal().
class Interrupted : public Error {
 public:
  Interrupted(const std::string& message, int signal) : Error(message), signal_(signal) {}
  int signal() const { return signal_; }

 private:
  int signal_;
};

}  // namespace blurkit
