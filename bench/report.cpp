#include "blurkit/bench/report.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "blurkit/core/error.h"

namespace blurkit::bench {

namespace {

std::string Base64(const std::vector<uchar>& bytes) {
  static const char* kTable = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const uint32_t a = bytes[i], b = i + 1 < bytes.size() ? bytes[i + 1] : 0,
                   c = i + 2 < bytes.size() ? bytes[i + 2] : 0;
    const uint32_t triple = (a << 16) | (b << 8) | c;
    out += kTable[(triple >> 18) & 63];
    out += kTable[(triple >> 12) & 63];
    out += i + 1 < bytes.size() ? kTable[(triple >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kTable[triple & 63] : '=';
  }
  return out;
}

std::string PngDataUri(const uint8_t* rgb, int height, int width) {
  cv::Mat image(height, width, CV_8UC3, const_cast<uint8_t*>(rgb)), bgr;
  cv::cvtColor(image, bgr, cv::COLOR_RGB2BGR);
  std::vector<uchar> png;
  cv::imencode(".png", bgr, png);
  return "data:image/png;base64," + Base64(png);
}

std::string ModelCell(const Json& info, const char* key) {
  if (!info.contains(key)) return "-";
  const Json& v = info.at(key);
  return v.is_number() ? FormatNumber(v.get<double>(), 2) : v.dump();
}

}  // namespace

std::vector<std::string> ScoringNotes(const ScoreOptions& options, const std::string& dataset) {
  std::vector<std::string> notes = {
      "test set: " + dataset,
      "metric profile: " + options.profile.Name() + " (PSNR data range 255, infinite values "
      "capped at 100 dB in means; SSIM 11x11 Gaussian, sigma 1.5)",
      "frame order: " + ToString(options.order) +
          (options.order == OrderRule::kBestMeanPsnr
               ? " (per sample, the order with the higher mean PSNR, for every metric)"
               : options.order == OrderRule::kPerMetricMax
                     ? " (per sample and metric, the better of forward and reverse order)"
                     : " (ground-truth order only)")};
  if (options.protocol == Protocol::kBlur2vidGopro) {
    notes.push_back("protocol: blur2vid-gopro (every frame reduced 2x with area averaging, 1280x720 "
                    "-> 640x360, before any metric)");
  }
  // blur2vid defines the field's metrics on RGB without a crop, whatever --profile says.
  notes.push_back(
      "PSNR_p: the better order's mean per-frame PSNR, on RGB without a crop whatever "
      "the metric profile (blur2vid's PSNR)");
  if (options.clip_metrics) {
    notes.push_back(
        "PWPSNR, pooled PSNR, re-blur PSNR vs GT: peak 1 on RGB / 255 without a crop, "
        "each in its own better order; EPE (DIS): OpenCV DIS flow, not RAFT, lower is "
        "better; patch SSIM: scikit-image defaults on " +
        std::to_string(options.patch) + "x" + std::to_string(options.patch) +
        " tiles, RGB without a crop (docs/bench.md)");
  }
  notes.push_back("[lo, hi]: 95% bootstrap interval of the mean over clips (percentile, " +
                  std::to_string(Bootstrap::kResamples) + " resamples, fixed seed)");
  return notes;
}

std::pair<std::string, std::string> IntervalCells(const MethodSummary& m, const std::string& name,
                                                  int decimals) {
  auto it = m.ci.find(name);
  if (it == m.ci.end() || std::isnan(it->second.lo)) return {"", ""};
  return {FormatNumber(it->second.lo, decimals), FormatNumber(it->second.hi, decimals)};
}

Table PositionTable(const std::vector<MethodSummary>& methods, const std::string& title,
                    const std::vector<std::string>& notes, int frames) {
  Table t;
  t.title = title;
  t.notes = notes;
  bool model_info = false, clip_metrics = false;
  for (const auto& m : methods) {
    model_info |= !m.model_info.empty();
    clip_metrics |= m.ci.count("patch_ssim") && !std::isnan(m.patch_ssim);
    clip_metrics |= m.ci.count("pwpsnr") && !std::isnan(m.pwpsnr);
  }
  t.header = {"method", "samples"};
  for (int j = 0; j < frames; ++j) {
    t.header.push_back("PSNR " + PositionName(j, frames));
    t.header.push_back("SSIM " + PositionName(j, frames));
  }
  if (frames > 1) {
    t.header.insert(t.header.end(),
                    {"PSNR non-middle", "SSIM non-middle", "re-blur PSNR vs input", "PSNR_p"});
  }
  if (clip_metrics && frames > 1) {
    t.header.insert(t.header.end(), {"PWPSNR", "pooled PSNR", "re-blur PSNR vs GT", "EPE (DIS)"});
  }
  if (clip_metrics) t.header.push_back("patch SSIM");
  if (model_info) t.header.insert(t.header.end(), {"parameters (M)", "fps 128", "fps 256", "fps 512"});
  for (const auto& m : methods) {
    std::vector<std::string> row = {m.method, std::to_string(m.samples)};
    std::vector<std::pair<std::string, std::string>> ci = {{}, {}};
    auto add = [&](double value, int decimals, const std::string& name) {
      row.push_back(FormatNumber(value, decimals));
      ci.push_back(IntervalCells(m, name, decimals));
    };
    for (const auto& p : m.positions) {
      add(p.psnr, 2, "psnr_" + p.name);
      add(p.ssim, 4, "ssim_" + p.name);
    }
    if (frames > 1) {
      add(m.psnr_others, 2, "psnr_others");
      add(m.ssim_others, 4, "ssim_others");
      add(m.reblur_psnr_input, 2, "reblur_psnr_input");
      add(m.psnr_p, 2, "psnr_p");
    }
    if (clip_metrics && frames > 1) {
      add(m.pwpsnr, 2, "pwpsnr");
      add(m.psnr_pooled, 2, "psnr_pooled");
      add(m.reblur_psnr_gt, 2, "reblur_psnr_gt");
      add(m.epe_dis, 3, "epe_dis");
    }
    if (clip_metrics) add(m.patch_ssim, 4, "patch_ssim");
    if (model_info) {
      const Json& info = m.model_info;
      row.push_back(info.contains("parameters")
                        ? FormatNumber(info.at("parameters").get<double>() / 1e6, 3)
                        : "-");
      const Json fps = info.value("fps", Json::object());
      for (const char* size : {"128", "256", "512"}) row.push_back(ModelCell(fps, size));
    }
    t.AddRow(row, ci);
  }
  return t;
}

Table PerSampleTable(const ScoreRun& run) {
  Table t;
  t.title = "per-sample scores: " + run.method;
  const int f = run.spec.frames;
  t.header = {"sample_id", "index", "blur_magnitude", "psnr_reversed"};
  for (int j = 0; j < f; ++j) t.header.push_back("psnr_" + PositionName(j, f));
  for (int j = 0; j < f; ++j) t.header.push_back("ssim_" + PositionName(j, f));
  t.header.insert(t.header.end(), {"reblur_psnr_input", "psnr_p", "pwpsnr", "psnr_pooled",
                                   "reblur_psnr_gt", "epe_dis", "patch_ssim"});
  for (const auto& s : run.samples) {
    std::vector<std::string> row = {s.id, std::to_string(s.index), FormatNumber(s.magnitude, 3),
                                    s.psnr_reversed ? "1" : "0"};
    for (double v : s.psnr) row.push_back(FormatNumber(v, 4));
    for (double v : s.ssim) row.push_back(FormatNumber(v, 5));
    row.push_back(FormatNumber(s.reblur_psnr_input, 4));
    row.push_back(FormatNumber(f > 1 ? s.psnr_p : NAN, 4));
    row.push_back(FormatNumber(s.clip.pwpsnr, 4));
    row.push_back(FormatNumber(s.clip.psnr_pooled, 4));
    row.push_back(FormatNumber(s.clip.reblur_psnr_gt, 4));
    row.push_back(FormatNumber(s.clip.epe_dis, 4));
    row.push_back(FormatNumber(s.clip.patch_ssim, 5));
    t.rows.push_back(row);
  }
  return t;
}

std::pair<double, double> MagnitudeRange(const std::vector<ScoreRun>& runs) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& r : runs) {
    for (const auto& s : r.samples) {
      lo = std::min(lo, double(s.magnitude));
      hi = std::max(hi, double(s.magnitude));
    }
  }
  if (!std::isfinite(lo)) return {0, 1};
  if (hi <= lo) hi = lo + 1;
  return {lo, hi};
}

Table BlurSizeTable(const std::vector<ScoreRun>& runs, int bins, double lo, double hi,
                    const std::string& title, const std::vector<std::string>& notes) {
  Table t;
  t.title = title;
  t.notes = notes;
  const std::string unit = runs.empty() ? "" : runs.front().spec.blur_magnitude_unit;
  t.header = {"blur (" + unit + ")", "samples"};
  for (const auto& r : runs) {
    t.header.push_back(r.method + " PSNR middle");
    t.header.push_back(r.method + " PSNR non-middle");
  }
  std::vector<std::vector<BlurBin>> binned;
  for (const auto& r : runs) binned.push_back(BinByMagnitude(r, bins, lo, hi));
  auto interval = [](const Interval& ci) -> std::pair<std::string, std::string> {
    if (std::isnan(ci.lo)) return {"", ""};
    return {FormatNumber(ci.lo, 2), FormatNumber(ci.hi, 2)};
  };
  for (int b = 0; b < bins; ++b) {
    std::vector<std::string> row = {
        FormatNumber(binned.empty() ? 0 : binned[0][b].lo, 2) + "-" +
            FormatNumber(binned.empty() ? 0 : binned[0][b].hi, 2),
        std::to_string(binned.empty() ? 0 : binned[0][b].count)};
    std::vector<std::pair<std::string, std::string>> ci = {{}, {}};
    for (const auto& bb : binned) {
      row.push_back(FormatNumber(bb[b].psnr_middle, 2));
      row.push_back(FormatNumber(bb[b].psnr_others, 2));
      ci.push_back(interval(bb[b].psnr_middle_ci));
      ci.push_back(interval(bb[b].psnr_others_ci));
    }
    t.AddRow(row, ci);
  }
  return t;
}

std::string BlurSizeSvg(const std::vector<ScoreRun>& runs, int bins, double lo, double hi,
                        const std::string& unit, const std::string& title) {
  static const char* kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                   "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};
  constexpr double kW = 640, kH = 360, kLeft = 60, kRight = 170, kTop = 40, kBottom = 50;
  std::vector<std::vector<BlurBin>> binned;
  double ymin = std::numeric_limits<double>::infinity(), ymax = -ymin;
  for (const auto& r : runs) {
    binned.push_back(BinByMagnitude(r, bins, lo, hi));
    for (const auto& b : binned.back()) {
      if (b.count > 0 && std::isfinite(b.psnr_all)) {
        ymin = std::min(ymin, b.psnr_all);
        ymax = std::max(ymax, b.psnr_all);
      }
    }
  }
  if (!std::isfinite(ymin)) ymin = 0, ymax = 1;
  ymin = std::floor(ymin - 1);
  ymax = std::ceil(ymax + 1);
  const double pw = kW - kLeft - kRight, ph = kH - kTop - kBottom;
  auto px = [&](double x) { return kLeft + (x - lo) / (hi - lo) * pw; };
  auto py = [&](double y) { return kTop + (1 - (y - ymin) / (ymax - ymin)) * ph; };
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kW << "\" height=\"" << kH
      << "\" viewBox=\"0 0 " << kW << " " << kH << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << kW / 2 - kRight / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">"
      << title << "</text>\n";
  // Axes, ticks, grid.
  svg << "<g stroke=\"#ccc\">\n";
  for (int k = 0; k <= 5; ++k) {
    const double y = ymin + (ymax - ymin) * k / 5;
    svg << "<line x1=\"" << kLeft << "\" x2=\"" << kLeft + pw << "\" y1=\"" << py(y) << "\" y2=\""
        << py(y) << "\"/>\n";
  }
  svg << "</g>\n<g>\n";
  for (int k = 0; k <= 5; ++k) {
    const double y = ymin + (ymax - ymin) * k / 5;
    svg << "<text x=\"" << kLeft - 6 << "\" y=\"" << py(y) + 4 << "\" text-anchor=\"end\">"
        << FormatNumber(y, 1) << "</text>\n";
    const double x = lo + (hi - lo) * k / 5;
    svg << "<text x=\"" << px(x) << "\" y=\"" << kTop + ph + 18 << "\" text-anchor=\"middle\">"
        << FormatNumber(x, 1) << "</text>\n";
  }
  svg << "<text x=\"" << kLeft + pw / 2 << "\" y=\"" << kH - 10
      << "\" text-anchor=\"middle\">blur magnitude (" << unit << ")</text>\n"
      << "<text transform=\"translate(16," << kTop + ph / 2
      << ") rotate(-90)\" text-anchor=\"middle\">PSNR, all frames (dB)</text>\n"
      << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << pw << "\" height=\"" << ph
      << "\" fill=\"none\" stroke=\"black\"/>\n</g>\n";
  for (size_t m = 0; m < runs.size(); ++m) {
    const char* colour = kColours[m % 8];
    std::ostringstream points;
    for (const auto& b : binned[m]) {
      if (b.count == 0 || !std::isfinite(b.psnr_all)) continue;
      points << px(0.5 * (b.lo + b.hi)) << "," << py(b.psnr_all) << " ";
      svg << "<circle cx=\"" << px(0.5 * (b.lo + b.hi)) << "\" cy=\"" << py(b.psnr_all)
          << "\" r=\"3.5\" fill=\"" << colour << "\"/>\n";
    }
    svg << "<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"2\" points=\""
        << points.str() << "\"/>\n";
    const double ly = kTop + 16 + 20 * m;
    svg << "<line x1=\"" << kW - kRight + 12 << "\" x2=\"" << kW - kRight + 36 << "\" y1=\"" << ly
        << "\" y2=\"" << ly << "\" stroke=\"" << colour << "\" stroke-width=\"2\"/>\n"
        << "<text x=\"" << kW - kRight + 42 << "\" y=\"" << ly + 4 << "\">" << runs[m].method
        << "</text>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

std::string StripsHtml(const std::filesystem::path& ground_truth,
                       const std::vector<std::pair<const ScoreRun*, const PredictionSource*>>& methods,
                       int count) {
  DatasetReader reader(ground_truth);
  const DatasetSpec& spec = reader.spec();
  const int f = spec.frames, h = spec.height, w = spec.width;
  const size_t image = static_cast<size_t>(h) * w * 3;
  std::ostringstream html;
  const int64_t n = std::min<int64_t>(count, reader.size());
  for (int64_t k = 0; k < n; ++k) {
    const int64_t index = n == 1 ? 0 : k * (reader.size() - 1) / (n - 1);
    const Sample gt = reader.Read(index);
    html << "<div class=\"strip\"><p>sample <b>" << gt.id << "</b>, blur "
         << FormatNumber(gt.blur_magnitude, 2) << " " << spec.blur_magnitude_unit << "</p>\n"
         << "<table class=\"images\"><tr><th></th><th>input</th>";
    for (int j = 0; j < f; ++j) html << "<th>" << PositionName(j, f) << "</th>";
    html << "</tr>\n<tr><th>ground truth</th><td><img src=\""
         << PngDataUri(gt.blurred.data(), h, w) << "\"></td>";
    for (int j = 0; j < f; ++j) html << "<td><img src=\"" << PngDataUri(gt.SharpFrame(j, spec), h, w) << "\"></td>";
    html << "</tr>\n";
    for (const auto& [run, source] : methods) {
      auto predicted = source->Frames(gt, spec);
      if (!predicted) continue;
      bool reversed = false;
      for (const auto& s : run->samples) {
        if (s.id == gt.id) reversed = s.psnr_reversed;
      }
      html << "<tr><th>" << run->method << (reversed ? " (reversed)" : "") << "</th><td></td>";
      for (int j = 0; j < f; ++j) {
        const int fp = predicted->frames;
        const int src = f == 1 ? fp / 2 : (reversed ? f - 1 - j : j);
        html << "<td><img src=\"" << PngDataUri(predicted->rgb.data() + src * image, h, w)
             << "\"></td>";
      }
      html << "</tr>\n";
    }
    html << "</table></div>\n";
  }
  return html.str();
}

std::string HtmlPage(const std::string& title, const std::string& body) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" + title +
         "</title>\n<style>\n"
         "body{font-family:sans-serif;margin:2em auto;max-width:1200px;color:#222;padding:0 1em}\n"
         "table{border-collapse:collapse;margin:0.5em 0 1.5em}\n"
         "th,td{border:1px solid #ccc;padding:4px 8px;text-align:right;font-size:13px}\n"
         "th:first-child,td:first-child{text-align:left}\n"
         "tr:nth-child(even) td{background:#f6f8fa}\n"
         ".note{color:#555;font-size:13px;margin:2px 0}\n"
         ".ci{color:#777;font-size:11px;white-space:nowrap}\n"
         "table.images td,table.images th{border:none;padding:2px}\n"
         "table.images img{width:160px;image-rendering:pixelated}\n"
         ".strip{margin-bottom:1.5em}\n"
         "</style></head><body>\n<h1>" + title + "</h1>\n" + body + "\n</body></html>\n";
}

}  // namespace blurkit::bench
