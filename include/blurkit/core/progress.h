// Progress of long runs on stderr: a bar redrawn in place on a terminal; on a pipe or in CI, a
// line every 10% or every 15 seconds. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace blurkit {

class Progress {
 public:
  // `enabled` = false prints nothing (for tests and --quiet).
  Progress(std::string label, int64_t total, std::string unit, bool enabled = true);
  ~Progress();
  // Adds `count` finished items; `note` is appended to the line (e.g. a loss value).
  void Advance(int64_t count = 1, const std::string& note = "");
  void Finish();
  double ElapsedSeconds() const;
  // A run that stops after a time budget (blurkit-train --max-minutes): the ETA is at most the
  // budget left, whatever the item count says.
  void SetTimeBudget(double seconds) { budget_seconds_ = seconds; }

 private:
  void Print(bool final_line);
  std::string label_, unit_, note_;
  int64_t total_, done_ = 0;
  bool enabled_, tty_, finished_ = false;
  int last_decile_ = -1;
  double budget_seconds_ = 0;
  std::chrono::steady_clock::time_point start_, last_print_;
  std::mutex mutex_;
};

// "1h02m", "3m07s", "12.3s"
std::string FormatDuration(double seconds);

}  // namespace blurkit
