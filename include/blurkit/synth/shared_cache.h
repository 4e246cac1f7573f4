// The cache of decoded sources that synthesis threads share (panoramas and photos in
// PanoramaSampleMaker, video windows in VideoSampleMaker): the `capacity` most recently used
// values stay; a value missing is made once, by the first thread that asks, while the others
// asking for the same key wait for it rather than decode it again.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace blurkit::synth {

template <typename Key, typename Value>
class SharedLruCache {
 public:
  explicit SharedLruCache(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

  // The value of `key`, made by `load()` where the cache lacks it. `load` may run outside the
  // lock; a value evicted again before its caller got it (a tiny cache, many threads) is made
  // once more for that caller alone.
  template <typename Load>
  Value Get(const Key& key, const Load& load) {
    std::shared_ptr<std::once_flag> once;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = values_.find(key);
      if (it != values_.end()) {
        recent_.erase(std::find(recent_.begin(), recent_.end(), key));
        recent_.push_back(key);
        return it->second;
      }
      auto& flag = loading_[key];
      if (!flag) flag = std::make_shared<std::once_flag>();
      once = flag;
    }
    std::call_once(*once, [&] {
      Value loaded = load();
      std::lock_guard<std::mutex> lock(mutex_);
      values_[key] = loaded;
      recent_.push_back(key);
      while (recent_.size() > capacity_) {
        values_.erase(recent_.front());
        loading_.erase(recent_.front());
        recent_.erase(recent_.begin());
      }
    });
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = values_.find(key);
      if (it != values_.end()) return it->second;
    }
    return load();
  }

 private:
  size_t capacity_;
  std::mutex mutex_;
  std::map<Key, Value> values_;
  std::map<Key, std::shared_ptr<std::once_flag>> loading_;
  std::vector<Key> recent_;  // least recently used first
};

}  // namespace blurkit::synth
