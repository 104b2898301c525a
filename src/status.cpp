#include "status.h"

#include <cstdarg>
#include <cstdio>
#include <vector>

namespace adapterkit {

const char* status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case StatusCode::kInvalidFile: return "INVALID_FILE";
    case StatusCode::kIncompatible: return "INCOMPATIBLE";
    case StatusCode::kOutOfMemory: return "OUT_OF_MEMORY";
    case StatusCode::kBackendFailure: return "BACKEND_FAILURE";
    case StatusCode::kInvalidState: return "INVALID_STATE";
  }
  return "UNKNOWN";
}

Status make_status(StatusCode code, const char* format, ...) {
  va_list args;
  va_start(args, format);
  va_list args_copy;
  va_copy(args_copy, args);
  const int length = std::vsnprintf(nullptr, 0, format, args);
  va_end(args);
  std::vector<char> buffer(length > 0 ? static_cast<size_t>(length) + 1 : 1, '\0');
  std::vsnprintf(buffer.data(), buffer.size(), format, args_copy);
  va_end(args_copy);
  return Status(code, std::string(buffer.data()));
}

}  // namespace adapterkit
