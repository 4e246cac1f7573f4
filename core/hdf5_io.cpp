#include "hdf5_io.h"

#include "blurkit/core/error.h"

namespace blurkit::hdf5 {

std::mutex& Hdf5Mutex() {
  static std::mutex mutex;
  return mutex;
}

std::unique_lock<std::mutex> Hdf5Lock() {
  std::unique_lock<std::mutex> lock(Hdf5Mutex());
  // HDF5 1.10 leaks internal state when it fails to load a damaged object header (the file closes,
  // H5Fget_obj_count reports nothing open), and its exit handler then prints "HDF5: infinite loop
  // closing library" after the error blurkit has already reported. blurkit closes every file it
  // opens itself (a shard is committed only after an explicit flush and close), so the library is
  // left to the operating system at exit instead. Must precede every other HDF5 call.
  static bool no_atexit = [] {
    H5dont_atexit();
    return true;
  }();
  (void)no_atexit;
  // HDF5 keeps the error-printing setting per thread in thread-safe builds (Debian's is one), so
  // each thread that calls HDF5 switches it off once.
  thread_local bool quiet = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)quiet;
  return lock;
}

namespace {

Handle VariableString() {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  return type;
}

void WriteScalarAttribute(hid_t object, const char* name, hid_t file_type, hid_t mem_type,
                          const void* value, const std::string& where) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(object, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attr.valid() || H5Awrite(attr.get(), mem_type, value) < 0) {
    throw IoError(Msg() << where << ": cannot write attribute '" << name << "'");
  }
}

Handle OpenAttribute(hid_t object, const char* name, const std::string& where) {
  const htri_t exists = H5Aexists(object, name);
  if (exists < 0) {
    throw InputError(Msg() << where << ": cannot read attribute '" << name
                           << "' (checksum error or damaged file)");
  }
  if (exists == 0) {
    throw InputError(Msg() << where << ": attribute '" << name
                           << "' is missing (not a blurkit shard, or a damaged one)");
  }
  Handle attr(H5Aopen(object, name, H5P_DEFAULT), H5Aclose);
  if (!attr.valid()) throw InputError(Msg() << where << ": cannot open attribute '" << name << "'");
  return attr;
}

}  // namespace

void WriteStringAttribute(hid_t object, const char* name, const std::string& value,
                          const std::string& where) {
  Handle type = VariableString();
  const char* text = value.c_str();
  WriteScalarAttribute(object, name, type.get(), type.get(), &text, where);
}

void WriteInt64Attribute(hid_t object, const char* name, int64_t value, const std::string& where) {
  WriteScalarAttribute(object, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value, where);
}

void WriteUInt64Attribute(hid_t object, const char* name, uint64_t value,
                          const std::string& where) {
  WriteScalarAttribute(object, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &value, where);
}

bool HasAttribute(hid_t object, const char* name) { return H5Aexists(object, name) > 0; }

std::string ReadStringAttribute(hid_t object, const char* name, const std::string& where) {
  Handle attr = OpenAttribute(object, name, where);
  Handle stored(H5Aget_type(attr.get()), H5Tclose);
  if (H5Tget_class(stored.get()) != H5T_STRING) {
    throw InputError(Msg() << where << ": attribute '" << name << "' should be a string");
  }
  if (H5Tis_variable_str(stored.get()) > 0) {
    Handle type = VariableString();
    char* text = nullptr;
    if (H5Aread(attr.get(), type.get(), &text) < 0) {
      throw InputError(Msg() << where << ": cannot read attribute '" << name << "'");
    }
    std::string value = text ? text : "";
    H5free_memory(text);
    return value;
  }
  // Fixed-length strings, as some external writers (h5py with numpy bytes) produce.
  const size_t size = H5Tget_size(stored.get());
  std::string value(size, '\0');
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), size);
  if (H5Aread(attr.get(), type.get(), value.data()) < 0) {
    throw InputError(Msg() << where << ": cannot read attribute '" << name << "'");
  }
  value.resize(value.find('\0') == std::string::npos ? size : value.find('\0'));
  return value;
}

int64_t ReadInt64Attribute(hid_t object, const char* name, const std::string& where) {
  Handle attr = OpenAttribute(object, name, where);
  int64_t value = 0;
  if (H5Aread(attr.get(), H5T_NATIVE_INT64, &value) < 0) {
    throw InputError(Msg() << where << ": attribute '" << name << "' should be an integer");
  }
  return value;
}

uint64_t ReadUInt64Attribute(hid_t object, const char* name, const std::string& where) {
  Handle attr = OpenAttribute(object, name, where);
  uint64_t value = 0;
  if (H5Aread(attr.get(), H5T_NATIVE_UINT64, &value) < 0) {
    throw InputError(Msg() << where << ": attribute '" << name << "' should be an integer");
  }
  return value;
}

Handle NewDatasetCreation() {
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_obj_track_times(dcpl.get(), false);
  return dcpl;
}

void WriteStrings(hid_t file, const char* name, const std::vector<std::string>& values,
                  const std::string& where) {
  Handle type = VariableString();
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const auto& v : values) pointers.push_back(v.c_str());
  const hsize_t dims[1] = {values.size()};
  Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose);
  Handle dcpl = NewDatasetCreation();
  Handle dataset(H5Dcreate2(file, name, type.get(), space.get(), H5P_DEFAULT, dcpl.get(),
                            H5P_DEFAULT),
                 H5Dclose);
  if (!dataset.valid() ||
      (!values.empty() &&
       H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()) < 0)) {
    throw IoError(Msg() << where << ": cannot write dataset '" << name << "'");
  }
}

void WriteArray(hid_t file, const char* name, hid_t mem_type, hid_t file_type,
                const std::vector<hsize_t>& dims, const void* data, const std::string& where) {
  Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  Handle dcpl = NewDatasetCreation();
  Handle dataset(
      H5Dcreate2(file, name, file_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
      H5Dclose);
  hsize_t total = 1;
  for (hsize_t d : dims) total *= d;
  if (!dataset.valid() ||
      (total > 0 && H5Dwrite(dataset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)) {
    throw IoError(Msg() << where << ": cannot write dataset '" << name << "'");
  }
}

bool HasDataset(hid_t file, const char* name) { return H5Lexists(file, name, H5P_DEFAULT) > 0; }

namespace {

Handle OpenDatasetWithShape(hid_t file, const char* name, const std::vector<hsize_t>& dims,
                            const std::string& where) {
  if (!HasDataset(file, name)) {
    throw InputError(Msg() << where << ": dataset '" << name << "' is missing");
  }
  Handle dataset(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose);
  if (!dataset.valid()) throw InputError(Msg() << where << ": cannot open dataset '" << name << "'");
  Handle space(H5Dget_space(dataset.get()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> got(rank > 0 ? rank : 0);
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), got.data(), nullptr);
  if (got != dims) {
    Msg msg;
    msg << where << ": dataset '" << name << "' has shape [";
    for (size_t i = 0; i < got.size(); ++i) msg << (i ? ", " : "") << got[i];
    msg << "], expected [";
    for (size_t i = 0; i < dims.size(); ++i) msg << (i ? ", " : "") << dims[i];
    msg << "]";
    throw InputError(msg);
  }
  return dataset;
}

}  // namespace

std::vector<hsize_t> DatasetDims(hid_t file, const char* name, const std::string& where) {
  Handle dataset(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose);
  if (!dataset.valid()) throw InputError(Msg() << where << ": cannot open dataset '" << name << "'");
  Handle space(H5Dget_space(dataset.get()), H5Sclose);
  const int rank = space.valid() ? H5Sget_simple_extent_ndims(space.get()) : -1;
  if (rank < 0) throw InputError(Msg() << where << ": cannot read the shape of dataset '" << name << "'");
  std::vector<hsize_t> dims(rank);
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return dims;
}

std::vector<std::string> ReadStrings(hid_t file, const char* name, hsize_t expected,
                                     const std::string& where) {
  Handle dataset = OpenDatasetWithShape(file, name, {expected}, where);
  std::vector<std::string> values(expected);
  if (expected == 0) return values;
  Handle stored(H5Dget_type(dataset.get()), H5Tclose);
  if (H5Tget_class(stored.get()) != H5T_STRING) {
    throw InputError(Msg() << where << ": dataset '" << name << "' should hold strings");
  }
  if (H5Tis_variable_str(stored.get()) > 0) {
    Handle type = VariableString();
    std::vector<char*> pointers(expected, nullptr);
    if (H5Dread(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()) < 0) {
      throw InputError(Msg() << where << ": cannot read dataset '" << name << "'");
    }
    for (hsize_t i = 0; i < expected; ++i) values[i] = pointers[i] ? pointers[i] : "";
    Handle space(H5Dget_space(dataset.get()), H5Sclose);
    H5Dvlen_reclaim(type.get(), space.get(), H5P_DEFAULT, pointers.data());
    return values;
  }
  const size_t size = H5Tget_size(stored.get());
  std::vector<char> buffer(size * expected);
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), size);
  if (H5Dread(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()) < 0) {
    throw InputError(Msg() << where << ": cannot read dataset '" << name << "'");
  }
  for (hsize_t i = 0; i < expected; ++i) {
    std::string v(buffer.data() + i * size, size);
    values[i] = v.substr(0, v.find('\0'));
  }
  return values;
}

void ReadArray(hid_t file, const char* name, hid_t mem_type, const std::vector<hsize_t>& dims,
               void* data, const std::string& where) {
  Handle dataset = OpenDatasetWithShape(file, name, dims, where);
  hsize_t total = 1;
  for (hsize_t d : dims) total *= d;
  if (total > 0 && H5Dread(dataset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
    throw InputError(Msg() << where << ": cannot read dataset '" << name << "' (damaged file?)");
  }
}

}  // namespace blurkit::hdf5
