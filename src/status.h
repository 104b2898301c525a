// Status codes and error messages of the C++ core.
//
// The core is compiled without C++ exceptions (an exception that escapes into JavaScript aborts
// the whole wasm runtime), so every fallible function returns a Status. The Embind layer turns a
// failed Status into one JavaScript Error with the code and the message.
#pragma once

#include <string>
#include <utility>

namespace adapterkit {

// Mirrored in web/errors.js (ErrorCode); wasm_tests/error_codes.test.mjs keeps both lists equal.
enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument = 1,  // a caller passed a value outside the documented range
  kInvalidFile = 2,      // a model, vocabulary or adapter file is malformed
  kIncompatible = 3,     // an adapter does not belong to the loaded base model
  kOutOfMemory = 4,
  kBackendFailure = 5,   // XNNPACK rejected an operator that passed our own checks
  kInvalidState = 6,     // a call out of order, such as using a disposed object
};

const char* status_code_name(StatusCode code);

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }

  bool is_ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Builds a Status from printf-style arguments so every message follows one pattern:
// what failed, on which value, and what was expected.
Status make_status(StatusCode code, const char* format, ...) __attribute__((format(printf, 2, 3)));

}  // namespace adapterkit

// Returns early from the enclosing function when the expression yields a failed Status.
#define AK_RETURN_IF_ERROR(expr)                  \
  do {                                            \
    ::adapterkit::Status ak_status_ = (expr);     \
    if (!ak_status_.is_ok()) return ak_status_;   \
  } while (0)
