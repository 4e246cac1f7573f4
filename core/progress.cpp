#include "blurkit/core/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace blurkit {

std::string FormatDuration(double seconds) {
  char text[32];
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  if (seconds < 60) {
    std::snprintf(text, sizeof(text), "%.1fs", seconds);
  } else if (seconds < 3600) {
    std::snprintf(text, sizeof(text), "%dm%02ds", int(seconds) / 60, int(seconds) % 60);
  } else {
    std::snprintf(text, sizeof(text), "%dh%02dm", int(seconds) / 3600, int(seconds) / 60 % 60);
  }
  return text;
}

Progress::Progress(std::string label, int64_t total, std::string unit, bool enabled)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      enabled_(enabled),
      tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

Progress::~Progress() { Finish(); }

double Progress::ElapsedSeconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::Advance(int64_t count, const std::string& note) {
  std::lock_guard<std::mutex> lock(mutex_);
  done_ += count;
  if (!note.empty()) note_ = note;
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_print_).count();
  const int decile = total_ > 0 ? static_cast<int>(10 * done_ / total_) : 0;
  if ((tty_ && since > 0.2) || (!tty_ && (decile != last_decile_ || since > 15))) {
    last_decile_ = decile;
    last_print_ = now;
    Print(false);
  }
}

void Progress::Finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  finished_ = true;
  if (enabled_) Print(true);
}

void Progress::Print(bool final_line) {
  const double elapsed = ElapsedSeconds();
  const double rate = elapsed > 0 ? done_ / elapsed : 0;
  double eta = rate > 0 ? (total_ - done_) / rate : NAN;
  if (budget_seconds_ > 0) {
    const double left = std::max(0.0, budget_seconds_ - elapsed);
    eta = std::isfinite(eta) ? std::min(eta, left) : left;
  }
  char line[512];
  if (tty_) {
    constexpr int kWidth = 28;
    const int filled = total_ > 0 ? static_cast<int>(kWidth * done_ / total_) : 0;
    std::string bar(filled, '=');
    if (filled < kWidth) bar += '>';
    bar.resize(kWidth, ' ');
    std::snprintf(line, sizeof(line), "\r%s [%s] %lld/%lld %s  %.1f %s/s  %s %s %s", label_.c_str(),
                  bar.c_str(), static_cast<long long>(done_), static_cast<long long>(total_),
                  unit_.c_str(), rate, unit_.c_str(), final_line ? "took" : "ETA",
                  FormatDuration(final_line ? elapsed : eta).c_str(), note_.c_str());
    std::fprintf(stderr, "%s\033[K%s", line, final_line ? "\n" : "");
  } else {
    std::snprintf(line, sizeof(line), "%s: %lld/%lld %s, %.1f %s/s, %s %s %s\n", label_.c_str(),
                  static_cast<long long>(done_), static_cast<long long>(total_), unit_.c_str(),
                  rate, unit_.c_str(), final_line ? "took" : "ETA",
                  FormatDuration(final_line ? elapsed : eta).c_str(), note_.c_str());
    std::fputs(line, stderr);
  }
  std::fflush(stderr);
}

}  // namespace blurkit
