// `blurkit-synth shards export DIR --format F --out OUT`: a dataset in the layouts other training
// frameworks read.
//   strips        PNG strips to look at (ExportStrips in commands.h; written straight into OUT)
//   basicsr-lmdb  OUT/blur.lmdb, OUT/sharp.lmdb (middle frame) and OUT/frames.lmdb (all F frames,
//                 keys KEY_fJ; J zero-padded to the width of F - 1, as in the other formats), each with the meta_info.txt BasicSR's create_lmdb.py writes
//                 ("KEY.png (H,W,C) 1"), PNG values in OpenCV's BGR order: what BasicSR's
//                 PairedImageDataset reads with its lmdb backend (and NAFNet, Restormer, HINet).
//                 --crop N --crop-step S cuts sub-images as NAFNet/BasicSR's extract_subimages.py
//                 does (keys KEY_sNNN).
//   gopro         OUT/blur/KEY.png, OUT/sharp/KEY.png (middle frame), OUT/frames/KEY/J.png
//   webdataset    OUT/shard-NNNNNN.tar, about --shard-size samples each: KEY.blurred.png,
//                 KEY.sharp.J.png, KEY.json (the sample's metadata), grouped by key as the
//                 webdataset library expects
// KEY is the sample id with every character outside [A-Za-z0-9_-] replaced by '_' (BasicSR and
// webdataset split names at the first '.').
//
// For these three formats: streaming (one batch of 64 samples in memory at a time, one LMDB
// transaction per batch), atomic (the output
// is built in OUT.partial and renamed to OUT when complete; OUT/export.json records what was
// exported from what) and resumable (the same command continues OUT.partial after a kill, a full
// disk or Ctrl-C). Every sample is read through the checksummed reader.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace blurkit::synth {

struct ExportOptions {
  std::filesystem::path dataset;
  std::filesystem::path out;
  std::string format = "gopro";   // basicsr-lmdb, gopro, webdataset
  int crop = 0;                   // basicsr-lmdb: sub-image size, 0 = whole images
  int crop_step = 0;              // basicsr-lmdb: stride between sub-images (default crop / 2)
  int shard_size = 0;             // webdataset: samples per tar file; 0 = automatic (at least 8 tars)
  int png_compression = 1;        // zlib level of every PNG (BasicSR's create_lmdb.py default: 1)
  bool overwrite = false;         // replace a non-empty OUT
  bool progress = true;
};

struct ExportSummary {
  int64_t samples = 0;        // samples exported (by this run and earlier ones)
  int64_t images = 0;         // images written in all (sub-images and frames counted)
  int64_t resumed_from = 0;   // samples an interrupted run had already exported
  bool already_complete = false;
  double seconds = 0;
};

// The key of a sample id in the exported formats.
std::string ExportKey(const std::string& sample_id);

// Throws InputError for bad options, a damaged dataset or an OUT that holds something else;
// IoError when writing fails (OUT.partial is kept, and the same command continues); Interrupted
// on SIGINT/SIGTERM (kept likewise).
ExportSummary ExportDataset(const ExportOptions& options);

}  // namespace blurkit::synth
