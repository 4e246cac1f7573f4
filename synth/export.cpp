#include "blurkit/synth/export.h"

#include <fcntl.h>
#include <lmdb.h>
#include <tbb/parallel_for.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <array>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "blurkit/core/atomic_file.h"
#include "blurkit/core/error.h"
#include "blurkit/core/progress.h"
#include "blurkit/core/shard.h"
#include "blurkit/core/stop_signal.h"

namespace fs = std::filesystem;

namespace blurkit::synth {
namespace {

constexpr int64_t kBatch = 64;             // samples per LMDB transaction and progress record
constexpr const char* kMarker = "export.json";
std::string EncodePng(const uint8_t* rgb, int height, int width, int level, int x0 = 0, int y0 = 0, int w = 0,
                      int h = 0, const std::string& where = "") {
  cv::Mat image(height, width, CV_8UC3, const_cast<uint8_t*>(rgb));
  if (w > 0) image = image(cv::Rect(x0, y0, w, h));
  cv::Mat bgr;
  cv::cvtColor(image, bgr, cv::COLOR_RGB2BGR);
  std::vector<uchar> png;
  if (!cv::imencode(".png", bgr, png, {cv::IMWRITE_PNG_COMPRESSION, level})) {
    throw IoError(Msg() << where << ": cannot encode PNG");
  }
  return std::string(png.begin(), png.end());
}

// Frame J of F as exported: zero-padded to the width of F - 1, so that listings sort in time
// order (F = 13: 00 .. 12).
std::string FrameLabel(int j, int frames) {
  const int width = static_cast<int>(std::to_string(std::max(frames - 1, 0)).size());
  std::string label = std::to_string(j);
  return std::string(width - std::min<int>(width, label.size()), '0') + label;
}

// Sub-image origins along one axis, as BasicSR's extract_subimages.py (thresh_size 0).
std::vector<int> CropStarts(int size, int crop, int step) {
  std::vector<int> starts;
  for (int s = 0; s + crop <= size; s += step) starts.push_back(s);
  if (starts.empty() || size - (starts.back() + crop) > 0) starts.push_back(size - crop);
  return starts;
}

// ---- LMDB ----------------------------------------------------------------------------------

void CheckMdb(int rc, const fs::path& path, const char* what) {
  if (rc == MDB_SUCCESS) return;
  throw IoError(Msg() << path.string() << ": LMDB " << what << ": " << mdb_strerror(rc));
}

// One LMDB environment (a folder with data.mdb and lock.mdb) written in transactions of a batch
// of samples; the map grows as it fills.
class LmdbWriter {
 public:
  explicit LmdbWriter(const fs::path& folder) : folder_(folder) {
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec) throw IoError(Msg() << folder.string() << ": cannot create the folder: " << ec.message());
    CheckMdb(mdb_env_create(&env_), folder, "create");
    CheckMdb(mdb_env_set_mapsize(env_, map_size_), folder, "set map size");
    CheckMdb(mdb_env_open(env_, folder.c_str(), 0, 0644), folder, "open");
    MDB_envinfo info;
    mdb_env_info(env_, &info);
    map_size_ = std::max<size_t>(map_size_, info.me_mapsize);
  }
  ~LmdbWriter() {
    if (txn_) mdb_txn_abort(txn_);
    if (env_) mdb_env_close(env_);
  }
  LmdbWriter(const LmdbWriter&) = delete;
  LmdbWriter& operator=(const LmdbWriter&) = delete;

  // Starts a transaction with room for at least `bytes` more.
  void Begin(size_t bytes) {
    MDB_envinfo info;
    MDB_stat stat;
    mdb_env_info(env_, &info);
    mdb_env_stat(env_, &stat);
    const size_t used = (info.me_last_pgno + 1) * static_cast<size_t>(stat.ms_psize);
    if (used + 2 * bytes + (64 << 20) > map_size_) {
      while (used + 2 * bytes + (64 << 20) > map_size_) map_size_ *= 2;
      CheckMdb(mdb_env_set_mapsize(env_, map_size_), folder_, "grow map");
    }
    CheckMdb(mdb_txn_begin(env_, nullptr, 0, &txn_), folder_, "begin transaction");
    CheckMdb(mdb_dbi_open(txn_, nullptr, 0, &dbi_), folder_, "open database");
  }
  void Put(const std::string& key, const std::string& value) {
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    MDB_val v{value.size(), const_cast<char*>(value.data())};
    CheckMdb(mdb_put(txn_, dbi_, &k, &v, 0), folder_, "put");
  }
  void Commit() {
    const int rc = mdb_txn_commit(txn_);
    txn_ = nullptr;
    CheckMdb(rc, folder_, "commit");
  }

 private:
  fs::path folder_;
  MDB_env* env_ = nullptr;
  MDB_txn* txn_ = nullptr;
  MDB_dbi dbi_ = 0;
  size_t map_size_ = size_t(1) << 30;
};

// ---- tar (POSIX ustar), for webdataset ------------------------------------------------------

void Octal(char* field, size_t width, uint64_t value) {
  std::snprintf(field, width, "%0*llo", static_cast<int>(width - 1), static_cast<unsigned long long>(value));
}

// A tar member: header and content padded to 512 bytes. Fixed owner, mode and time, so the same
// samples give the same bytes.
std::string TarMember(const std::string& name, const std::string& content) {
  if (name.size() > 100) throw InputError(Msg() << "tar member name over 100 characters: " << name);
  std::array<char, 512> h{};
  std::memcpy(h.data(), name.data(), name.size());
  Octal(h.data() + 100, 8, 0644);
  Octal(h.data() + 108, 8, 0);
  Octal(h.data() + 116, 8, 0);
  Octal(h.data() + 124, 12, content.size());
  Octal(h.data() + 136, 12, 0);
  std::memset(h.data() + 148, ' ', 8);
  h[156] = '0';
  std::memcpy(h.data() + 257, "ustar", 6);
  std::memcpy(h.data() + 263, "00", 2);
  unsigned sum = 0;
  for (char c : h) sum += static_cast<unsigned char>(c);
  std::snprintf(h.data() + 148, 8, "%06o", sum);
  h[155] = ' ';
  std::string out(h.data(), h.size());
  out += content;
  out.append((512 - content.size() % 512) % 512, '\0');
  return out;
}

Json SampleMetadata(const Sample& s, const DatasetSpec& spec) {
  Json j{{"id", s.id}, {"index", s.index}, {"source_file", s.source_file},
         {"source_sha256", s.source_sha256}, {"blur_magnitude", s.blur_magnitude},
         {"blur_magnitude_unit", spec.blur_magnitude_unit}, {"frames", spec.frames},
         {"middle", spec.frames / 2}, {"kind", ToString(spec.kind)}};
  auto rows = [](const std::vector<double>& v, size_t width) {
    Json out = Json::array();
    for (size_t i = 0; i + width <= v.size(); i += width) {
      out.push_back(std::vector<double>(v.begin() + i, v.begin() + i + width));
    }
    return out;
  };
  if (!s.orientation.empty()) j["orientation_wxyz"] = rows(s.orientation, 4);
  if (!s.homography.empty()) j["homography_frame_from_middle"] = rows(s.homography, 9);
  if (!s.trajectory.empty()) j["trajectory_wxyz"] = rows(s.trajectory, 4);
  if (!s.source_frames.empty()) j["source_frames"] = s.source_frames;
  return j;
}

// ---- plain files --------------------------------------------------------------------------

// A file written with errors checked (a full disk is an IoError naming it); Close(sync) flushes
// it to disk when asked.
class PlainFile {
 public:
  explicit PlainFile(const fs::path& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) throw IoError(Msg() << path.string() << ": cannot create: " << std::strerror(errno));
  }
  ~PlainFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  PlainFile(const PlainFile&) = delete;
  PlainFile& operator=(const PlainFile&) = delete;
  void Write(const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
      const ssize_t w = ::write(fd_, data.data() + done, data.size() - done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) throw IoError(Msg() << path_.string() << ": write failed: " << std::strerror(errno));
      done += static_cast<size_t>(w);
    }
  }
  void Close(bool sync) {
    if (sync && ::fsync(fd_) != 0) {
      throw IoError(Msg() << path_.string() << ": cannot flush to disk: " << std::strerror(errno));
    }
    const int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) throw IoError(Msg() << path_.string() << ": close failed: " << std::strerror(errno));
  }

 private:
  fs::path path_;
  int fd_ = -1;
};

// Flushes the file system holding `folder` (all files written so far) to disk.
void SyncFileSystem(const fs::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw IoError(Msg() << folder.string() << ": cannot open: " << std::strerror(errno));
  const int rc = ::syncfs(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0) throw IoError(Msg() << folder.string() << ": cannot flush to disk: " << std::strerror(saved));
}

// ---- the run ------------------------------------------------------------------------------

Json RunRecord(const ExportOptions& o, const DatasetReader& reader) {
  Json j{{"format", o.format}, {"dataset", fs::absolute(o.dataset).lexically_normal().string()},
         {"dataset_fingerprint", reader.index().Fingerprint()}, {"samples", reader.size()},
         {"generator", "blurkit-synth shards export"}};
  if (o.format == "basicsr-lmdb") {
    j["crop"] = o.crop;
    j["crop_step"] = o.crop_step;
  }
  j["png_compression"] = o.png_compression;
  if (o.format == "webdataset") j["shard_size"] = o.shard_size;
  return j;
}

bool DirectoryHasEntries(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec) && fs::directory_iterator(p, ec) != fs::directory_iterator();
}

void WriteMeta(const fs::path& file, const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  WriteFileAtomic(file, text);
}

}  // namespace

std::string ExportKey(const std::string& sample_id) {
  std::string key = sample_id;
  for (char& c : key) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) c = '_';
  }
  if (key.empty()) key = "_";
  return key;
}

ExportSummary ExportDataset(const ExportOptions& o) {
  static const std::vector<std::string> kFormats = {"basicsr-lmdb", "gopro", "webdataset"};
  if (std::find(kFormats.begin(), kFormats.end(), o.format) == kFormats.end()) {
    throw InputError(Msg() << "--format must be strips, basicsr-lmdb, gopro or webdataset, got '"
                           << o.format << "'");
  }
  if (o.out.empty()) throw InputError("shards export: --out is required");
  if (o.format != "basicsr-lmdb" && (o.crop != 0 || o.crop_step != 0)) {
    throw InputError("--crop and --crop-step are for --format basicsr-lmdb (sub-images as BasicSR's "
                     "extract_subimages.py cuts them); folder and webdataset loaders crop on the fly");
  }
  if (o.crop < 0 || o.crop_step < 0) throw InputError("--crop and --crop-step must be positive");
  if (o.png_compression < 0 || o.png_compression > 9) {
    throw InputError(Msg() << "--png-compression must be 0 to 9 (zlib's levels), got " << o.png_compression);
  }
  if (o.shard_size < 0) {
    throw InputError(Msg() << "--shard-size must be positive (or 0: automatic), got " << o.shard_size);
  }
  CheckOutputOutside(o.out, o.dataset);
  fs::path out = o.out.lexically_normal();
  if (out.filename().empty()) out = out.parent_path();  // "exp/" is "exp"
  if (out.empty() || out.filename() == "." || out.filename() == "..") {
    throw InputError(Msg() << "--out must name a folder to create, got '" << o.out.string() << "'");
  }
  const fs::path partial = fs::path(out.string() + ".partial");
  CheckOutputOutside(partial, o.dataset);

  DatasetReader reader(o.dataset);  // checks index.json and every shard's size
  const DatasetSpec& spec = reader.spec();
  ExportOptions opt = o;
  // WebDataset's loader gives each DataLoader worker whole tars and refuses more workers than
  // tars: by default at most 1000 samples per tar and at least 8 tars (one per sample if fewer).
  if (opt.shard_size == 0) opt.shard_size = static_cast<int>(std::clamp<int64_t>(reader.size() / 8, 1, 1000));
  if (opt.format == "basicsr-lmdb" && opt.crop > 0) {
    if (opt.crop_step == 0) opt.crop_step = std::max(1, opt.crop / 2);
    if (opt.crop > spec.width || opt.crop > spec.height) {
      throw InputError(Msg() << "--crop " << opt.crop << " is larger than the dataset's " << spec.width
                             << "x" << spec.height << " images (" << o.dataset.string() << ")");
    }
  }
  const Json record = RunRecord(opt, reader);
  {
    // Keys must be unique after sanitising ids (BasicSR and webdataset cut names at a dot).
    std::map<std::string, std::string> seen;
    for (const auto& id : reader.SampleIds()) {
      const auto [it, fresh] = seen.emplace(ExportKey(id), id);
      if (!fresh) {
        throw InputError(Msg() << o.dataset.string() << ": samples '" << it->second << "' and '" << id
                               << "' give the same key '" << it->first << "' in the exported formats");
      }
      if (o.format == "webdataset" && it->first.size() + 24 > 100) {
        throw InputError(Msg() << o.dataset.string() << ": sample id '" << id << "' is too long for a "
                               << "tar member name (keys up to 76 characters)");
      }
    }
  }

  ExportSummary summary;
  // A complete earlier export of the same thing: nothing to do.
  if (fs::exists(out / kMarker)) {
    Json done;
    try {
      std::ifstream(out / kMarker) >> done;
    } catch (const Json::exception&) {
      done = Json::object();
    }
    Json without = done;
    without.erase("images");
    // A run killed between the rename and its last write leaves its progress record in OUT.
    const bool finished_progress = done.value("run", Json()) == record && done.value("done", int64_t(-1)) == reader.size();
    if (!o.overwrite && (without == record || finished_progress)) {
      if (finished_progress) {
        Json final_record = record;
        final_record["images"] = done.value("images", int64_t(0));
        WriteFileAtomic(out / kMarker, final_record.dump(1) + "\n");
      }
      summary.samples = reader.size();
      summary.images = done.value("images", int64_t(0));
      summary.already_complete = true;
      return summary;
    }
  }
  if (DirectoryHasEntries(out) || (fs::exists(out) && !fs::is_directory(out))) {
    if (!o.overwrite) {
      throw InputError(Msg() << out.string() << " exists and is not empty (and is not this export, "
                             << "complete); --overwrite replaces it");
    }
  }
  std::error_code ec;
  // Resume OUT.partial when it is this export (with or without --overwrite, which is about OUT);
  // otherwise start it afresh.
  int64_t start = 0, images = 0;
  if (fs::exists(partial / kMarker)) {
    Json progress;
    try {
      std::ifstream(partial / kMarker) >> progress;
    } catch (const Json::exception&) {
      progress = Json::object();
    }
    if (progress.value("run", Json()) == record) {
      start = progress.value("done", int64_t(0));
      images = progress.value("images", int64_t(0));
    }
  }
  if (start == 0) {
    fs::remove_all(partial, ec);
    fs::create_directories(partial, ec);
    if (ec) throw IoError(Msg() << partial.string() << ": cannot create the folder: " << ec.message());
  } else {
    // Temporary files of the interrupted run (a half-written tar) go.
    for (const auto& entry : fs::directory_iterator(partial, ec)) {
      if (IsTemporaryPath(entry.path())) fs::remove(entry.path(), ec);
    }
  }
  summary.resumed_from = start;
  int64_t recorded = start;  // samples whose files are complete and recorded in OUT.partial
  auto save_progress = [&](int64_t done) {
    recorded = done;
    WriteFileAtomic(partial / kMarker, Json{{"run", record}, {"done", done}, {"images", images}}.dump(1) + "\n");
  };
  if (start == 0) save_progress(0);

  const int64_t n = reader.size();
  const int H = spec.height, W = spec.width, F = spec.frames, mid = spec.frames / 2;
  const auto started = std::chrono::steady_clock::now();
  Progress progress("export " + o.format, n, "samples", o.progress);
  if (start > 0) progress.Advance(start);
  bool user_wants_stop = false;

  // One sample's files: (target, name, PNG or JSON bytes). Targets: LMDB 0 blur, 1 sharp,
  // 2 frames; gopro and webdataset 0 (names are paths or tar members).
  struct Item {
    int target;
    std::string name, bytes;
  };
  auto encode = [&](const Sample& s) {
    std::vector<Item> items;
    const std::string key = ExportKey(s.id);
    const std::string where = o.dataset.string() + " sample " + std::to_string(s.index) + " (" + s.id + ")";
    auto png = [&](const uint8_t* rgb, int x = 0, int y = 0, int side = 0) {
      return EncodePng(rgb, H, W, o.png_compression, x, y, side, side, where);
    };
    if (o.format == "basicsr-lmdb") {
      std::vector<std::pair<int, int>> origins{{0, 0}};
      if (opt.crop > 0) {
        origins.clear();
        for (int y : CropStarts(H, opt.crop, opt.crop_step)) {
          for (int x : CropStarts(W, opt.crop, opt.crop_step)) origins.emplace_back(x, y);
        }
      }
      int k = 0;
      for (const auto& [x, y] : origins) {
        std::string sub = key;
        if (opt.crop > 0) {
          char suffix[16];
          std::snprintf(suffix, sizeof suffix, "_s%03d", ++k);
          sub += suffix;
        }
        items.push_back({0, sub, png(s.blurred.data(), x, y, opt.crop)});
        items.push_back({1, sub, png(s.SharpFrame(mid, spec), x, y, opt.crop)});
        for (int j = 0; j < F; ++j) {
          items.push_back({2, sub + "_f" + FrameLabel(j, F), png(s.SharpFrame(j, spec), x, y, opt.crop)});
        }
      }
    } else if (o.format == "gopro") {
      items.push_back({0, "blur/" + key + ".png", png(s.blurred.data())});
      items.push_back({0, "sharp/" + key + ".png", png(s.SharpFrame(mid, spec))});
      for (int j = 0; j < F; ++j) {
        items.push_back({0, "frames/" + key + "/" + FrameLabel(j, F) + ".png", png(s.SharpFrame(j, spec))});
      }
    } else {
      items.push_back({0, key + ".blurred.png", png(s.blurred.data())});
      for (int j = 0; j < F; ++j) {
        items.push_back({0, key + ".sharp." + FrameLabel(j, F) + ".png", png(s.SharpFrame(j, spec))});
      }
      items.push_back({0, key + ".json", SampleMetadata(s, spec).dump() + "\n"});
    }
    return items;
  };
  // Samples [b, e): read in order (one reader), encoded in parallel, returned in order.
  auto encode_range = [&](int64_t b, int64_t e) {
    std::vector<Sample> samples;
    for (int64_t i = b; i < e; ++i) samples.push_back(reader.Read(i));
    std::vector<std::vector<Item>> out(samples.size());
    tbb::parallel_for(size_t(0), samples.size(), [&](size_t k) { out[k] = encode(samples[k]); });
    return out;
  };

  try {
    if (o.format == "basicsr-lmdb") {
      LmdbWriter blur(partial / "blur.lmdb"), sharp(partial / "sharp.lmdb"), frames(partial / "frames.lmdb");
      LmdbWriter* dbs[3] = {&blur, &sharp, &frames};
      for (int64_t b = start; b < n; b += kBatch) {
        const int64_t e = std::min(n, b + kBatch);
        const auto batch = encode_range(b, e);
        size_t bytes[3] = {0, 0, 0};
        for (const auto& items : batch) {
          for (const auto& it : items) bytes[it.target] += it.bytes.size() + it.name.size() + 64;
        }
        for (int d = 0; d < 3; ++d) dbs[d]->Begin(bytes[d]);
        for (const auto& items : batch) {
          for (const auto& it : items) dbs[it.target]->Put(it.name, it.bytes);
          images += static_cast<int64_t>(items.size());
          progress.Advance();
        }
        for (auto* db : dbs) db->Commit();  // each commit is durable (LMDB syncs)
        save_progress(e);
        if (StopRequested() && e < n) {
          user_wants_stop = true;
          break;
        }
      }
      if (!user_wants_stop) {
        // meta_info.txt last: BasicSR finds the keys through it, so an LMDB without it is unfinished.
        std::vector<std::string> blur_meta, frame_meta;
        const std::vector<std::string> ids = reader.SampleIds();
        const int side_h = opt.crop > 0 ? opt.crop : H, side_w = opt.crop > 0 ? opt.crop : W;
        const std::string shape = "(" + std::to_string(side_h) + "," + std::to_string(side_w) + ",3) " +
                                  std::to_string(o.png_compression);
        const size_t subs = opt.crop > 0 ? CropStarts(H, opt.crop, opt.crop_step).size() *
                                               CropStarts(W, opt.crop, opt.crop_step).size()
                                         : 1;
        for (int64_t i = 0; i < n; ++i) {
          const std::string key = ExportKey(ids[i]);
          for (size_t k = 1; k <= subs; ++k) {
            std::string sub = key;
            if (opt.crop > 0) {
              char suffix[16];
              std::snprintf(suffix, sizeof suffix, "_s%03zu", k);
              sub += suffix;
            }
            blur_meta.push_back(sub + ".png " + shape);
            for (int j = 0; j < F; ++j) frame_meta.push_back(sub + "_f" + FrameLabel(j, F) + ".png " + shape);
          }
        }
        WriteMeta(partial / "blur.lmdb" / "meta_info.txt", blur_meta);
        WriteMeta(partial / "sharp.lmdb" / "meta_info.txt", blur_meta);
        WriteMeta(partial / "frames.lmdb" / "meta_info.txt", frame_meta);
      }
    } else if (o.format == "webdataset") {
      const int64_t tars = (n + opt.shard_size - 1) / opt.shard_size;
      // Resume at the first tar not complete (a tar is written whole, then renamed).
      for (int64_t t = (start + opt.shard_size - 1) / opt.shard_size; t < tars && !user_wants_stop; ++t) {
        char name[32];
        std::snprintf(name, sizeof name, "shard-%06lld.tar", static_cast<long long>(t));
        const fs::path file = partial / name;
        const fs::path tmp = TemporaryPathFor(file);
        {
          PlainFile tar(tmp);
          const int64_t e = std::min(n, (t + 1) * opt.shard_size);
          int64_t tar_images = 0;
          for (int64_t b = t * opt.shard_size; b < e && !user_wants_stop; b += kBatch) {
            for (const auto& items : encode_range(b, std::min(e, b + kBatch))) {
              for (const auto& it : items) tar.Write(TarMember(it.name, it.bytes));
              tar_images += static_cast<int64_t>(items.size()) - 1;  // the JSON is not an image
              progress.Advance();
            }
            if (StopRequested() && b + kBatch < e) user_wants_stop = true;
          }
          if (user_wants_stop) {  // this tar is abandoned; the resumed run writes it again
            tar.Close(/*sync=*/false);
            fs::remove(tmp, ec);
            break;
          }
          tar.Write(std::string(1024, '\0'));
          tar.Close(/*sync=*/true);
          images += tar_images;
        }
        fs::rename(tmp, file, ec);
        if (ec) throw IoError(Msg() << file.string() << ": cannot rename into place: " << ec.message());
        save_progress(std::min(n, (t + 1) * opt.shard_size));
        if (StopRequested() && (t + 1) < tars) user_wants_stop = true;
      }
    } else {  // gopro: files written plainly inside OUT.partial; each batch flushed to disk
              // before its progress is recorded, so a resumed run rewrites only unrecorded ones
      for (const char* sub : {"blur", "sharp", "frames"}) fs::create_directories(partial / sub, ec);
      for (int64_t b = start; b < n; b += kBatch) {
        const int64_t e = std::min(n, b + kBatch);
        for (const auto& items : encode_range(b, e)) {
          fs::create_directories((partial / items.back().name).parent_path(), ec);
          for (const auto& it : items) {
            PlainFile f(partial / it.name);
            f.Write(it.bytes);
            f.Close(/*sync=*/false);
          }
          images += static_cast<int64_t>(items.size());
          progress.Advance();
        }
        SyncFileSystem(partial);
        save_progress(e);
        if (StopRequested() && e < n) {
          user_wants_stop = true;
          break;
        }
      }
    }
  } catch (const InputError& e) {
    if (recorded == 0) {
      fs::remove_all(partial, ec);  // bad input before anything was finished: nothing partial stays
      throw;
    }
    // Finished work stays, this run's or an earlier one's: the same command continues it once the
    // input is repaired.
    throw InputError(Msg() << e.what() << " (the export so far stays in " << partial.string()
                           << "; the same command continues it once the dataset is repaired)");
  }
  if (user_wants_stop) {
    throw Interrupted(Msg() << "stopped by " << StopSignalName() << ": the export so far is in "
                            << partial.string() << "; the same command continues it",
                      StopSignalNumber());
  }
  progress.Finish();
  save_progress(n);  // complete: a run killed from here on finds OUT.partial or OUT finished
  if (fs::exists(out)) {
    fs::remove_all(out, ec);
    if (ec) throw IoError(Msg() << out.string() << ": cannot remove the old export: " << ec.message());
  }
  fs::rename(partial, out, ec);
  if (ec) throw IoError(Msg() << "cannot rename " << partial.string() << " to " << out.string() << ": " << ec.message());
  Json done = record;
  done["images"] = images;
  WriteFileAtomic(out / kMarker, done.dump(1) + "\n");
  summary.samples = n;
  summary.images = images;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

}  // namespace blurkit::synth
