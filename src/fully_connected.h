// A dense layer y = x W^T + b on XNNPACK's f32 fully-connected operator.
//
// Shapes use these letters throughout the core:
//   R  rows of the input (batch x tokens, flattened)
//   I  input channels, O  output channels
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <xnnpack.h>

#include "status.h"

namespace adapterkit {

// Initialises XNNPACK once per module. Safe to call many times.
Status ensure_xnnpack_initialized();

class FullyConnected {
 public:
  enum class WeightLayout {
    kOutIn,  // weight[O, I], the layout of PyTorch's nn.Linear and of BERT checkpoints
    kInOut,  // weight[I, O], used to multiply by the transpose of an [I, O]-stored matrix
  };

  // Creates the operator and packs the weights once. `weight` and `bias` are only read during
  // the call, so the caller may free them afterwards. `bias` may be null (no bias). `name` is
  // used in error messages, for example "encoder.layer.3.attention.self.query".
  static Status create(const char* name, size_t n_in, size_t n_out, const float* weight,
                       const float* bias, WeightLayout layout,
                       std::unique_ptr<FullyConnected>* out);

  ~FullyConnected();
  FullyConnected(const FullyConnected&) = delete;
  FullyConnected& operator=(const FullyConnected&) = delete;

  // Computes output[R, O] = input[R, I] W^T + b. XNNPACK may read up to XNN_EXTRA_BYTES past the
  // end of `input`, so the input buffer must be allocated with that much slack (see Buffer).
  Status run(size_t n_rows, const float* input, float* output);

  size_t n_in() const { return n_in_; }
  size_t n_out() const { return n_out_; }

 private:
  FullyConnected() = default;

  xnn_operator_t op_ = nullptr;
  size_t n_in_ = 0;
  size_t n_out_ = 0;
  size_t reshaped_rows_ = 0;
  std::string name_;
};

}  // namespace adapterkit
