// Status and Result<T>: expected failures as values.
//
// A Status is either ok or an error with a code and a human-readable message
// that names the field and value at fault. Result<T> holds a T or an error
// Status, shaped like a small subset of std::expected. Both are plain values:
// copyable, not thread-safe for concurrent mutation, safe to share read-only.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace ticketd {

enum class StatusCode {
  kOk,
  kInvalidArgument,  // bad input from a sender or a file
  kNotFound,
  kAlreadyExists,
  kConflict,     // invalid state transition
  kUnavailable,  // queue full, backend down: retry later
  kIoError,      // disk or database failure
  kInternal,
};

// [[nodiscard]]: a dropped Status is a dropped error; say `(void)` where ignoring one is meant.
class [[nodiscard]] Status {
 public:
  Status() = default;  // ok

  static Status ok() { return Status(); }
  static Status invalid_argument(std::string msg) {
    return {StatusCode::kInvalidArgument, std::move(msg)};
  }
  static Status not_found(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status already_exists(std::string msg) {
    return {StatusCode::kAlreadyExists, std::move(msg)};
  }
  static Status conflict(std::string msg) { return {StatusCode::kConflict, std::move(msg)}; }
  static Status unavailable(std::string msg) { return {StatusCode::kUnavailable, std::move(msg)}; }
  static Status io_error(std::string msg) { return {StatusCode::kIoError, std::move(msg)}; }
  static Status internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }

  bool is_ok() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return is_ok(); }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid_argument: syslog: invalid PRI ..." or "ok".
  std::string to_string() const;

 private:
  Status(StatusCode code, std::string msg) : code_(code), message_(std::move(msg)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

const char* status_code_name(StatusCode code);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit like std::expected
  Result(Status error) : v_(std::move(error)) { assert(!std::get<Status>(v_).is_ok()); }  // NOLINT

  bool has_value() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Status& error() const { return std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace ticketd
