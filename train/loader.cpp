#include "blurkit/train/loader.h"

#include <algorithm>

#include "blurkit/core/error.h"
#include "blurkit/core/random.h"

namespace blurkit::train {

void LoaderOptions::Check() const {
  if (batch < 1) throw InputError(Msg() << "--batch must be positive, got " << batch);
  if (crop < 0 || crop % 32 != 0) {
    throw InputError(Msg() << "--crop must be a multiple of 32 (the model halves sizes five "
                              "times), got "
                           << crop);
  }
  if (workers < 1) throw InputError(Msg() << "--workers must be positive, got " << workers);
  if (shuffle_shards < 1) {
    throw InputError(Msg() << "--shuffle-shards must be positive, got " << shuffle_shards);
  }
  if (prefetch < 1) throw InputError(Msg() << "prefetch must be positive, got " << prefetch);
}

void Rgb8ToChw(const uint8_t* rgb, int height, int width, float* chw) {
  const size_t plane = static_cast<size_t>(height) * width;
  constexpr float kScale = 1.0f / 255.0f;
  for (size_t p = 0; p < plane; ++p) {
    chw[p] = rgb[3 * p] * kScale;
    chw[plane + p] = rgb[3 * p + 1] * kScale;
    chw[2 * plane + p] = rgb[3 * p + 2] * kScale;
  }
}

namespace {

// Crops, flips and converts one RGB image into CHW floats.
void CropInto(const uint8_t* rgb, int height, int width, int top, int left, int size_h, int size_w,
              bool flip_h, bool flip_v, float* chw) {
  const size_t plane = static_cast<size_t>(size_h) * size_w;
  constexpr float kScale = 1.0f / 255.0f;
  for (int y = 0; y < size_h; ++y) {
    const int sy = top + (flip_v ? size_h - 1 - y : y);
    const uint8_t* row = rgb + (static_cast<size_t>(sy) * width + left) * 3;
    for (int x = 0; x < size_w; ++x) {
      const int sx = flip_h ? size_w - 1 - x : x;
      const size_t p = static_cast<size_t>(y) * size_w + x;
      chw[p] = row[3 * sx] * kScale;
      chw[plane + p] = row[3 * sx + 1] * kScale;
      chw[2 * plane + p] = row[3 * sx + 2] * kScale;
    }
  }
  (void)height;
}

}  // namespace

namespace {

// Batch `index` of an epoch whose order holds global indices into `readers` (see MixedOrder).
Batch MakeMixedBatch(const std::vector<std::shared_ptr<const DatasetReader>>& readers,
                     const std::vector<int64_t>& offsets, const std::vector<int64_t>& order,
                     int64_t epoch, int64_t index, const LoaderOptions& options) {
  const int f = readers.front()->spec().frames;
  for (const auto& reader : readers) {
    const DatasetSpec& spec = reader->spec();
    const int h = options.crop > 0 ? options.crop : spec.height;
    const int w = options.crop > 0 ? options.crop : spec.width;
    if (h > spec.height || w > spec.width) {
      throw InputError(Msg() << reader->folder().string() << ": crops of " << w << "x" << h
                             << " do not fit its " << spec.width << "x" << spec.height
                             << " images (lower --crop)");
    }
  }
  const DatasetSpec& first = readers.front()->spec();
  const int h = options.crop > 0 ? options.crop : first.height;
  const int w = options.crop > 0 ? options.crop : first.width;
  Batch batch;
  batch.epoch = epoch;
  batch.index = index;
  auto blurred = torch::empty({options.batch, 3, h, w}, torch::kFloat32);
  auto sharp = torch::empty({options.batch, f, 3, h, w}, torch::kFloat32);
  const size_t image = static_cast<size_t>(3) * h * w;
  for (int b = 0; b < options.batch; ++b) {
    const int64_t position = (index * options.world_size + options.rank) * options.batch + b;
    const int64_t global = order[position];
    const size_t d = std::upper_bound(offsets.begin(), offsets.end(), global) - offsets.begin() - 1;
    const DatasetSpec& spec = readers[d]->spec();
    const Sample sample = readers[d]->Read(global - offsets[d]);
    RandomStream rng(options.seed, RandomPurpose::kAugment,
                     static_cast<uint64_t>(epoch) * 0x100000000ULL + static_cast<uint64_t>(position));
    const int top = static_cast<int>(rng.UniformInt(spec.height - h + 1));
    const int left = static_cast<int>(rng.UniformInt(spec.width - w + 1));
    const bool flip_h = options.flips && rng.UniformInt(2);
    const bool flip_v = options.flips && rng.UniformInt(2);
    const bool reverse = options.time_reversal && rng.UniformInt(2);
    CropInto(sample.blurred.data(), spec.height, spec.width, top, left, h, w, flip_h, flip_v,
             blurred.data_ptr<float>() + b * image);
    for (int j = 0; j < f; ++j) {
      const int src = reverse ? f - 1 - j : j;
      CropInto(sample.SharpFrame(src, spec), spec.height, spec.width, top, left, h, w, flip_h,
               flip_v, sharp.data_ptr<float>() + (static_cast<size_t>(b) * f + j) * image);
    }
    batch.ids.push_back(sample.id);
  }
  if (options.pin_memory) {
    blurred = blurred.pin_memory();
    sharp = sharp.pin_memory();
  }
  batch.blurred = blurred;
  batch.sharp = sharp;
  return batch;
}

// Not owning: MakeBatch's reader outlives the call.
std::shared_ptr<const DatasetReader> Borrow(const DatasetReader& reader) {
  return std::shared_ptr<const DatasetReader>(&reader, [](const DatasetReader*) {});
}

}  // namespace

Batch MakeBatch(const DatasetReader& reader, const std::vector<int64_t>& order, int64_t epoch,
                int64_t index, const LoaderOptions& options) {
  return MakeMixedBatch({Borrow(reader)}, {0}, order, epoch, index, options);
}

std::vector<int64_t> MixedOrder(const std::vector<std::shared_ptr<const DatasetReader>>& readers,
                                const std::vector<int64_t>& offsets, const LoaderOptions& options,
                                int64_t epoch) {
  std::vector<std::vector<int64_t>> orders;
  for (size_t d = 0; d < readers.size(); ++d) {
    std::vector<int64_t> order;
    if (options.shuffle) {
      // The first dataset keeps the run's seed; the others get seeds of their own from it.
      const uint64_t seed = d == 0 ? options.seed : Mix64(options.seed + 0x9E3779B97F4A7C15ULL * d);
      order = readers[d]->ShuffledOrder(seed, epoch, options.shuffle_shards);
    } else {
      for (int64_t i = 0; i < readers[d]->size(); ++i) order.push_back(i);
    }
    for (int64_t& i : order) i += offsets[d];
    orders.push_back(std::move(order));
  }
  if (orders.size() == 1) return orders.front();
  // Sample j of dataset d (of n_d) goes at (j + 1/2) / n_d of the epoch; exact integer
  // comparison of (2j + 1) n_e against (2k + 1) n_d, ties to the earlier dataset.
  std::vector<size_t> next(orders.size(), 0);
  std::vector<int64_t> mixed;
  for (;;) {
    size_t best = orders.size();
    for (size_t d = 0; d < orders.size(); ++d) {
      if (next[d] >= orders[d].size()) continue;
      if (best == orders.size()) {
        best = d;
        continue;
      }
      const __int128 mine = static_cast<__int128>(2 * next[d] + 1) * orders[best].size();
      const __int128 theirs = static_cast<__int128>(2 * next[best] + 1) * orders[d].size();
      if (mine < theirs) best = d;
    }
    if (best == orders.size()) break;
    mixed.push_back(orders[best][next[best]++]);
  }
  return mixed;
}

Loader::Loader(std::shared_ptr<const DatasetReader> reader, LoaderOptions options)
    : Loader(std::vector<std::shared_ptr<const DatasetReader>>{std::move(reader)}, options) {}

Loader::Loader(std::vector<std::shared_ptr<const DatasetReader>> readers, LoaderOptions options)
    : readers_(std::move(readers)), options_(options) {
  options_.Check();
  BLURKIT_CHECK(!readers_.empty()) << "a loader needs a dataset";
  const DatasetSpec& first = readers_.front()->spec();
  for (const auto& reader : readers_) {
    const DatasetSpec& spec = reader->spec();
    if (spec.frames != first.frames) {
      throw InputError(Msg() << reader->folder().string() << ": " << spec.frames << " frames per sample, "
                             << readers_.front()->folder().string() << " has " << first.frames
                             << "; datasets trained together must agree on F");
    }
    if (options_.crop == 0 && (spec.width != first.width || spec.height != first.height)) {
      throw InputError(Msg() << reader->folder().string() << ": " << spec.width << "x" << spec.height
                             << " images, " << readers_.front()->folder().string() << " has "
                             << first.width << "x" << first.height
                             << "; datasets of different sizes train together on crops (--crop)");
    }
    offsets_.push_back(size_);
    size_ += reader->size();
  }
  if (BatchesPerEpoch() < 1) {
    throw InputError(Msg() << readers_.front()->folder().string()
                           << (readers_.size() > 1 ? " and the other datasets" : "") << ": " << size_
                           << " samples make no batch of " << options_.batch * options_.world_size);
  }
}

Loader::~Loader() { Stop(); }

int64_t Loader::BatchesPerEpoch() const {
  return size_ / (int64_t{options_.batch} * options_.world_size);
}

void Loader::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  space_.notify_all();
  ready_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void Loader::StartEpoch(int64_t epoch, int64_t first) {
  Stop();
  epoch_ = epoch;
  order_ = MixedOrder(readers_, offsets_, options_, epoch);
  first_ = next_ = first;
  end_ = BatchesPerEpoch();
  done_.clear();
  error_ = nullptr;
  stopping_ = false;
  for (int w = 0; w < options_.workers; ++w) threads_.emplace_back(&Loader::Work, this, w);
}

void Loader::Work(int worker) {
  // Worker w builds batches first + w, first + w + workers, ...
  for (int64_t k = first_ + worker; k < end_; k += options_.workers) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      space_.wait(lock, [&] { return stopping_ || k < next_ + options_.prefetch; });
      if (stopping_) return;
    }
    try {
      Batch batch = MakeMixedBatch(readers_, offsets_, order_, epoch_, k, options_);
      std::lock_guard<std::mutex> lock(mutex_);
      done_.emplace(k, std::move(batch));
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
    ready_.notify_all();
  }
}

std::optional<Batch> Loader::Next() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (next_ >= end_) return std::nullopt;
  ready_.wait(lock, [&] { return error_ || done_.count(next_) > 0; });
  if (error_) std::rethrow_exception(error_);
  Batch batch = std::move(done_.at(next_));
  done_.erase(next_);
  ++next_;
  lock.unlock();
  space_.notify_all();
  return batch;
}

}  // namespace blurkit::train
