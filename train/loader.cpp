#include "blurkit/train/loader.h"

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

Batch MakeBatch(const DatasetReader& reader, const std::vector<int64_t>& order, int64_t epoch,
                int64_t index, const LoaderOptions& options) {
  const DatasetSpec& spec = reader.spec();
  const int f = spec.frames;
  const int h = options.crop > 0 ? options.crop : spec.height;
  const int w = options.crop > 0 ? options.crop : spec.width;
  if (h > spec.height || w > spec.width) {
    throw InputError(Msg() << reader.folder().string() << ": crops of " << w << "x" << h
                           << " do not fit its " << spec.width << "x" << spec.height
                           << " images (lower --crop)");
  }
  Batch batch;
  batch.epoch = epoch;
  batch.index = index;
  auto blurred = torch::empty({options.batch, 3, h, w}, torch::kFloat32);
  auto sharp = torch::empty({options.batch, f, 3, h, w}, torch::kFloat32);
  const size_t image = static_cast<size_t>(3) * h * w;
  for (int b = 0; b < options.batch; ++b) {
    const int64_t position = (index * options.world_size + options.rank) * options.batch + b;
    const Sample sample = reader.Read(order[position]);
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

Loader::Loader(std::shared_ptr<const DatasetReader> reader, LoaderOptions options)
    : reader_(std::move(reader)), options_(options) {
  options_.Check();
  if (BatchesPerEpoch() < 1) {
    throw InputError(Msg() << reader_->folder().string() << ": " << reader_->size()
                           << " samples make no batch of " << options_.batch * options_.world_size);
  }
}

Loader::~Loader() { Stop(); }

int64_t Loader::BatchesPerEpoch() const {
  return reader_->size() / (int64_t{options_.batch} * options_.world_size);
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
  order_ = options_.shuffle ? reader_->ShuffledOrder(options_.seed, epoch, options_.shuffle_shards) : std::vector<int64_t>();
  if (!options_.shuffle) {
    for (int64_t i = 0; i < reader_->size(); ++i) order_.push_back(i);
  }
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
      Batch batch = MakeBatch(*reader_, order_, epoch_, k, options_);
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
