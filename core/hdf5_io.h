// Internal HDF5 helpers of blurkit_core: RAII handles, typed attribute and dataset I/O, and the
// process-wide lock. HDF5 builds need not be thread-safe (Debian's is, but serialises every call
// anyway), so every HDF5 call in blurkit happens under Hdf5Lock().
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace blurkit::hdf5 {

std::mutex& Hdf5Mutex();
// Also switches off HDF5's own printing of error stacks (blurkit throws its own messages).
std::unique_lock<std::mutex> Hdf5Lock();

// Owns one hid_t and closes it with the matching H5?close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ~Handle() { Reset(); }
  Handle(Handle&& other) noexcept : id_(other.id_), closer_(other.closer_) { other.id_ = -1; }
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      Reset();
      id_ = other.id_;
      closer_ = other.closer_;
      other.id_ = -1;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // Closes without looking at the result: for objects given up on an error path.
  void Reset() {
    if (id_ >= 0 && closer_) closer_(id_);
    id_ = -1;
  }
  // Closes and says whether HDF5 succeeded (a file's close writes its last metadata and can fail
  // on a full disk): writers check it before they commit.
  bool Close() {
    const herr_t status = id_ >= 0 && closer_ ? closer_(id_) : 0;
    id_ = -1;
    return status >= 0;
  }

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

// Each throws InputError/IoError naming `where` (the file) and the object on failure.
void WriteStringAttribute(hid_t object, const char* name, const std::string& value,
                          const std::string& where);
void WriteInt64Attribute(hid_t object, const char* name, int64_t value, const std::string& where);
void WriteUInt64Attribute(hid_t object, const char* name, uint64_t value, const std::string& where);
bool HasAttribute(hid_t object, const char* name);
std::string ReadStringAttribute(hid_t object, const char* name, const std::string& where);
int64_t ReadInt64Attribute(hid_t object, const char* name, const std::string& where);
uint64_t ReadUInt64Attribute(hid_t object, const char* name, const std::string& where);

// Dataset creation property list without timestamps (byte-identical files).
Handle NewDatasetCreation();

// Whole small datasets (metadata columns).
void WriteStrings(hid_t file, const char* name, const std::vector<std::string>& values,
                  const std::string& where);
void WriteArray(hid_t file, const char* name, hid_t mem_type, hid_t file_type,
                const std::vector<hsize_t>& dims, const void* data, const std::string& where);
std::vector<std::string> ReadStrings(hid_t file, const char* name, hsize_t expected,
                                     const std::string& where);
// Reads a whole dataset after checking its shape equals `dims`.
void ReadArray(hid_t file, const char* name, hid_t mem_type, const std::vector<hsize_t>& dims,
               void* data, const std::string& where);
bool HasDataset(hid_t file, const char* name);
// The shape of a dataset. Throws InputError naming `where` when it cannot be opened.
std::vector<hsize_t> DatasetDims(hid_t file, const char* name, const std::string& where);

}  // namespace blurkit::hdf5
