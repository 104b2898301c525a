#include "fully_connected.h"

#include <limits>

namespace adapterkit {

Status ensure_xnnpack_initialized() {
  static xnn_status init_status = xnn_initialize(/*allocator=*/nullptr);
  if (init_status != xnn_status_success) {
    return make_status(StatusCode::kBackendFailure,
                       "XNNPACK initialisation failed with status %d: this browser or Node.js "
                       "lacks WebAssembly SIMD support",
                       static_cast<int>(init_status));
  }
  return Status::ok();
}

Status FullyConnected::create(const char* name, size_t n_in, size_t n_out, const float* weight,
                              const float* bias, WeightLayout layout,
                              std::unique_ptr<FullyConnected>* out) {
  if (n_in == 0 || n_out == 0) {
    return make_status(StatusCode::kInvalidArgument,
                       "fully-connected '%s': channels must be positive, got input %zu and "
                       "output %zu",
                       name, n_in, n_out);
  }
  if (weight == nullptr) {
    return make_status(StatusCode::kInvalidArgument, "fully-connected '%s': weight is missing",
                       name);
  }
  AK_RETURN_IF_ERROR(ensure_xnnpack_initialized());

  std::unique_ptr<FullyConnected> fc(new FullyConnected());
  fc->n_in_ = n_in;
  fc->n_out_ = n_out;
  fc->name_ = name;
  const uint32_t flags = layout == WeightLayout::kInOut ? XNN_FLAG_TRANSPOSE_WEIGHTS : 0;
  const xnn_status status = xnn_create_fully_connected_nc_f32(
      n_in, n_out, /*input_stride=*/n_in, /*output_stride=*/n_out, weight, bias,
      -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::infinity(), flags,
      /*code_cache=*/nullptr, /*weights_cache=*/nullptr, &fc->op_);
  if (status != xnn_status_success) {
    return make_status(StatusCode::kBackendFailure,
                       "xnn_create_fully_connected_nc_f32 failed for '%s' (%zu -> %zu) with "
                       "status %d",
                       name, n_in, n_out, static_cast<int>(status));
  }
  *out = std::move(fc);
  return Status::ok();
}

FullyConnected::~FullyConnected() {
  if (op_ != nullptr) xnn_delete_operator(op_);
}

Status FullyConnected::run(size_t n_rows, const float* input, float* output) {
  if (n_rows == 0) return Status::ok();
  if (n_rows != reshaped_rows_) {
    const xnn_status status = xnn_reshape_fully_connected_nc_f32(op_, n_rows, nullptr);
    if (status != xnn_status_success) {
      return make_status(StatusCode::kBackendFailure,
                         "xnn_reshape_fully_connected_nc_f32 failed for '%s' with %zu rows, "
                         "status %d",
                         name_.c_str(), n_rows, static_cast<int>(status));
    }
    reshaped_rows_ = n_rows;
  }
  xnn_status status = xnn_setup_fully_connected_nc_f32(op_, input, output);
  if (status == xnn_status_success) status = xnn_run_operator(op_, nullptr);
  if (status != xnn_status_success) {
    return make_status(StatusCode::kBackendFailure,
                       "running fully-connected '%s' on %zu rows failed with status %d", name_.c_str(),
                       n_rows, static_cast<int>(status));
  }
  return Status::ok();
}

}  // namespace adapterkit
