// blurkit's one error policy.
//
//  - BLURKIT_CHECK(cond) << "context": an invariant of the code. When it fails it is a bug in blurkit,
//    so the message goes to stderr and the process aborts.
//  - InputError: bad input from a user (a missing or corrupt file, a wrong shape, an inconsistent
//    option). The message names the file, the sample and what was expected.
//  - IoError: the system failed an operation on valid input (cannot create, write or rename a file).
//
// Library code throws; it never parses argv and never calls exit(). Tools catch blurkit::Error at the
// top of main(), print one line "error: <message>" and return a non-zero status.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace blurkit {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class InputError : public Error {
 public:
  using Error::Error;
};

// Bad input of one kind: a file or folder named as input that is not there (Python callers get
// FileNotFoundError for it).
class MissingInputError : public InputError {
 public:
  using InputError::InputError;
};

class IoError : public Error {
 public:
  using Error::Error;
};

// Builds an exception message with <<: throw InputError(Msg() << path << ": expected ...");
class Msg {
 public:
  template <typename T>
  Msg& operator<<(const T& value) {
    stream_ << value;
    return *this;
  }
  operator std::string() const { return stream_.str(); }  // NOLINT: implicit by design.

 private:
  std::ostringstream stream_;
};

namespace internal {

// Collects the message of a failed BLURKIT_CHECK and aborts in its destructor.
class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  [[noreturn]] ~CheckFailure();
  std::ostream& stream() { return stream_; }

 private:
  std::ostringstream stream_;
};

}  // namespace internal
}  // namespace blurkit

#define BLURKIT_CHECK(condition) \
  if (condition) {               \
  } else                         \
    ::blurkit::internal::CheckFailure(__FILE__, __LINE__, #condition).stream()
