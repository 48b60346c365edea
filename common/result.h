#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace trailsight::common {

// What went wrong, in words an operator can act on. Codes group failures for metrics and
// tests; the message names the file, line, field or topic involved.
enum class ErrorCode {
  kInvalidArgument,  // a caller passed something unusable (bad flag, bad path)
  kInvalidConfig,    // a config file or property was refused
  kMalformedEvent,   // a CloudTrail record could not be turned into an Event
  kIo,               // a file or stream could not be read or written
  kInternal,         // a library reported something it should not have
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};

// Result<T> holds either a T or an Error. It is shaped like C++23 std::expected
// (has_value, operator bool, *, ->, error), so moving to the standard type is a rename.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& operator*() & { return std::get<0>(state_); }
  const T& operator*() const& { return std::get<0>(state_); }
  T&& operator*() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &std::get<0>(state_); }
  const T* operator->() const { return &std::get<0>(state_); }

  const Error& error() const& { return std::get<1>(state_); }
  Error&& error() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, Error> state_;
};

// Status is a Result with nothing in it: success, or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

inline Status Ok() { return Status(); }

}  // namespace trailsight::common
