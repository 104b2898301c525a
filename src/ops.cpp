#include "ops.h"

#include <cmath>
#include <wasm_simd128.h>

namespace adapterkit {

float dot(const float* a, const float* b, size_t n) {
  v128_t acc0 = wasm_f32x4_splat(0.0f);
  v128_t acc1 = wasm_f32x4_splat(0.0f);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    acc1 = wasm_f32x4_add(acc1,
                          wasm_f32x4_mul(wasm_v128_load(a + i + 4), wasm_v128_load(b + i + 4)));
  }
  for (; i + 4 <= n; i += 4) {
    acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
  }
  const v128_t acc = wasm_f32x4_add(acc0, acc1);
  float sum = wasm_f32x4_extract_lane(acc, 0) + wasm_f32x4_extract_lane(acc, 1) +
              wasm_f32x4_extract_lane(acc, 2) + wasm_f32x4_extract_lane(acc, 3);
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

void axpy(float alpha, const float* x, float* y, size_t n) {
  const v128_t a = wasm_f32x4_splat(alpha);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i),
                                          wasm_f32x4_mul(a, wasm_v128_load(x + i))));
  }
  for (; i < n; ++i) y[i] += alpha * x[i];
}

void add_inplace(const float* x, float* y, size_t n) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), wasm_v128_load(x + i)));
  }
  for (; i < n; ++i) y[i] += x[i];
}

void layernorm_forward(float* out, float* mean, float* rstd, const float* x, const float* gamma,
                       const float* beta, size_t n_tokens, size_t n_embd, float eps) {
  for (size_t t = 0; t < n_tokens; ++t) {
    const float* row = x + t * n_embd;
    // Double accumulation keeps the statistics exact enough for large activations.
    double sum = 0;
    for (size_t i = 0; i < n_embd; ++i) sum += row[i];
    const double m = sum / static_cast<double>(n_embd);
    double squares = 0;
    for (size_t i = 0; i < n_embd; ++i) {
      const double d = row[i] - m;
      squares += d * d;
    }
    const double variance = squares / static_cast<double>(n_embd);
    const float s = static_cast<float>(1.0 / std::sqrt(variance + static_cast<double>(eps)));
    const float mf = static_cast<float>(m);
    float* y = out + t * n_embd;
    for (size_t i = 0; i < n_embd; ++i) y[i] = (row[i] - mf) * s * gamma[i] + beta[i];
    if (mean != nullptr) mean[t] = mf;
    if (rstd != nullptr) rstd[t] = s;
  }
}

void activation_forward(Activation activation, float* x, size_t n) {
  switch (activation) {
    case Activation::kGeluErf:
      for (size_t i = 0; i < n; ++i) x[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * 0.70710678118654752f));
      break;
    case Activation::kGeluTanh:
      for (size_t i = 0; i < n; ++i) {
        const float v = x[i];
        x[i] = 0.5f * v * (1.0f + std::tanh(0.79788456080286536f * (v + 0.044715f * v * v * v)));
      }
      break;
    case Activation::kRelu:
      for (size_t i = 0; i < n; ++i) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
      break;
  }
}

void attention_forward(float* out, float* probs, const float* qkv, size_t length, size_t n_embd,
                       size_t n_head, float* scratch) {
  const size_t head_size = n_embd / n_head;
  const size_t row_stride = 3 * n_embd;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_size));
  for (size_t h = 0; h < n_head; ++h) {
    const float* q = qkv + h * head_size;
    const float* k = qkv + n_embd + h * head_size;
    const float* v = qkv + 2 * n_embd + h * head_size;
    for (size_t i = 0; i < length; ++i) {
      // 1. scores of query i against every key of the same sequence
      float* p = probs != nullptr ? probs + (h * length + i) * length : scratch;
      float max_score = -INFINITY;
      for (size_t j = 0; j < length; ++j) {
        p[j] = dot(q + i * row_stride, k + j * row_stride, head_size) * scale;
        max_score = p[j] > max_score ? p[j] : max_score;
      }
      // 2. softmax, shifted by the row maximum
      float sum = 0;
      for (size_t j = 0; j < length; ++j) {
        p[j] = std::exp(p[j] - max_score);
        sum += p[j];
      }
      const float inverse = 1.0f / sum;
      for (size_t j = 0; j < length; ++j) p[j] *= inverse;
      // 3. weighted sum of the values
      float* o = out + i * n_embd + h * head_size;
      for (size_t d = 0; d < head_size; ++d) o[d] = 0.0f;
      for (size_t j = 0; j < length; ++j) axpy(p[j], v + j * row_stride, o, head_size);
    }
  }
}

}  // namespace adapterkit
