#include "restore.h"

#include <arpa/inet.h>
#include <zlib.h>

#include <cstring>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "blurkit/core/atomic_file.h"
#include "blurkit/core/error.h"
#include "blurkit/train/trainer.h"

namespace blurkit::train {
namespace fs = std::filesystem;

namespace {

// A PNG chunk: length, type, data, CRC of type and data.
void AppendChunk(std::string* out, const char* type, const std::string& data) {
  const uint32_t length = htonl(static_cast<uint32_t>(data.size()));
  out->append(reinterpret_cast<const char*>(&length), 4);
  std::string body(type, 4);
  body += data;
  out->append(body);
  const uint32_t crc = htonl(static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
  out->append(reinterpret_cast<const char*>(&crc), 4);
}

std::string Be32(uint32_t v) {
  v = htonl(v);
  return std::string(reinterpret_cast<const char*>(&v), 4);
}
std::string Be16(uint16_t v) {
  v = htons(v);
  return std::string(reinterpret_cast<const char*>(&v), 2);
}

// The chunks of an encoded PNG as (type, data).
std::vector<std::pair<std::string, std::string>> Chunks(const std::vector<uchar>& png) {
  std::vector<std::pair<std::string, std::string>> chunks;
  size_t pos = 8;
  while (pos + 12 <= png.size()) {
    uint32_t length;
    std::memcpy(&length, png.data() + pos, 4);
    length = ntohl(length);
    const std::string type(reinterpret_cast<const char*>(png.data() + pos + 4), 4);
    chunks.emplace_back(type, std::string(reinterpret_cast<const char*>(png.data() + pos + 8), length));
    pos += 12 + length;
  }
  return chunks;
}

// An animated PNG (APNG: acTL, fcTL and fdAT chunks around ordinary PNG image data) that plays
// the frames forwards and backwards, as browsers and image viewers show it. Written here because
// OpenCV writes no animation format, and APNG needs no other library (zlib gives the CRCs).
std::string AnimatedPng(const std::vector<cv::Mat>& frames, int frame_ms) {
  std::vector<int> order;
  for (size_t j = 0; j < frames.size(); ++j) order.push_back(static_cast<int>(j));
  for (int j = static_cast<int>(frames.size()) - 2; j > 0; --j) order.push_back(j);
  std::string out("\x89PNG\r\n\x1a\n", 8);
  uint32_t sequence = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    std::vector<uchar> png;
    cv::imencode(".png", frames[order[k]], png);
    const auto chunks = Chunks(png);
    if (k == 0) {
      AppendChunk(&out, "IHDR", chunks.front().second);
      AppendChunk(&out, "acTL", Be32(static_cast<uint32_t>(order.size())) + Be32(0));
    }
    const std::string fctl = Be32(sequence++) + Be32(frames[0].cols) + Be32(frames[0].rows) +
                             Be32(0) + Be32(0) + Be16(static_cast<uint16_t>(frame_ms)) + Be16(1000) +
                             std::string(1, '\0') + std::string(1, '\0');
    AppendChunk(&out, "fcTL", fctl);
    for (const auto& [type, data] : chunks) {
      if (type != "IDAT") continue;
      if (k == 0) {
        AppendChunk(&out, "IDAT", data);
      } else {
        AppendChunk(&out, "fdAT", Be32(sequence++) + data);
      }
    }
  }
  AppendChunk(&out, "IEND", "");
  return out;
}

}  // namespace

std::vector<fs::path> Restore(const RestoreOptions& options) {
  // The animation stores each frame's delay as a 16-bit numerator over 1000.
  if (options.frame_ms < 1 || options.frame_ms > 65535) {
    throw InputError(Msg() << "--frame-ms must be 1 to 65535 milliseconds, got " << options.frame_ms);
  }
  SetThreads(options.threads);
  const torch::Device device = ResolveDevice(options.device);
  cv::Mat bgr = cv::imread(options.input.string(), cv::IMREAD_COLOR);
  if (bgr.empty()) {
    throw InputError(Msg() << options.input.string() << ": cannot read the photo (PNG/JPEG expected)");
  }
  LoadedModel loaded = LoadCheckpoint(options.model, device);
  loaded.model->eval();
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  const std::vector<uint8_t> frames = RunModel(*loaded.model, rgb.data, rgb.rows, rgb.cols, device);
  std::error_code ec;
  fs::create_directories(options.out, ec);
  if (ec) throw IoError(Msg() << options.out.string() << ": cannot create: " << ec.message());
  std::vector<fs::path> written;
  std::vector<cv::Mat> images;
  const size_t image = static_cast<size_t>(rgb.rows) * rgb.cols * 3;
  for (int j = 0; j < loaded.options.frames; ++j) {
    cv::Mat frame(rgb.rows, rgb.cols, CV_8UC3, const_cast<uint8_t*>(frames.data() + j * image));
    cv::Mat frame_bgr;
    cv::cvtColor(frame, frame_bgr, cv::COLOR_RGB2BGR);
    images.push_back(frame_bgr);
    char name[32];
    std::snprintf(name, sizeof(name), "frame_%02d.png", j);
    const fs::path file = options.out / name;
    if (!cv::imwrite(file.string(), frame_bgr)) throw IoError(Msg() << file.string() << ": cannot write");
    written.push_back(file);
  }
  const fs::path animation = options.out / "animation.png";
  WriteFileAtomic(animation, AnimatedPng(images, options.frame_ms));
  written.push_back(animation);
  return written;
}

}  // namespace blurkit::train
