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

void layernorm_backward(float* dx, float* dgamma, float* dbeta, const float* dout,
                        const float* xhat, const float* rstd, const float* gamma, size_t n_tokens,
                        size_t n_embd) {
  for (size_t t = 0; t < n_tokens; ++t) {
    const float* dy = dout + t * n_embd;
    const float* xh = xhat + t * n_embd;
    // dxhat = dy * gamma; dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
    double sum_dxhat = 0;
    double sum_dxhat_xhat = 0;
    for (size_t i = 0; i < n_embd; ++i) {
      const double dxhat = static_cast<double>(dy[i]) * gamma[i];
      sum_dxhat += dxhat;
      sum_dxhat_xhat += dxhat * xh[i];
    }
    const float mean_dxhat = static_cast<float>(sum_dxhat / static_cast<double>(n_embd));
    const float mean_dxhat_xhat = static_cast<float>(sum_dxhat_xhat / static_cast<double>(n_embd));
    float* out = dx + t * n_embd;
    for (size_t i = 0; i < n_embd; ++i) {
      out[i] = rstd[t] * (dy[i] * gamma[i] - mean_dxhat - xh[i] * mean_dxhat_xhat);
    }
    if (dgamma != nullptr) {
      for (size_t i = 0; i < n_embd; ++i) dgamma[i] += dy[i] * xh[i];
    }
    if (dbeta != nullptr) {
      for (size_t i = 0; i < n_embd; ++i) dbeta[i] += dy[i];
    }
  }
}

void activation_backward(Activation activation, float* dx, const float* dy, const float* x,
                         size_t n) {
  switch (activation) {
    case Activation::kGeluErf:
      for (size_t i = 0; i < n; ++i) {
        // d/dx [x Phi(x)] = Phi(x) + x phi(x)
        const float v = x[i];
        const float cdf = 0.5f * (1.0f + std::erf(v * 0.70710678118654752f));
        const float pdf = 0.39894228040143268f * std::exp(-0.5f * v * v);
        dx[i] = dy[i] * (cdf + v * pdf);
      }
      break;
    case Activation::kGeluTanh:
      for (size_t i = 0; i < n; ++i) {
        const float v = x[i];
        const float inner = 0.79788456080286536f * (v + 0.044715f * v * v * v);
        const float t = std::tanh(inner);
        const float dinner = 0.79788456080286536f * (1.0f + 3.0f * 0.044715f * v * v);
        dx[i] = dy[i] * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * dinner);
      }
      break;
    case Activation::kRelu:
      for (size_t i = 0; i < n; ++i) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
      break;
  }
}

void attention_backward(float* dqkv, const float* dout, const float* probs, const float* qkv,
                        size_t length, size_t n_embd, size_t n_head, float* scratch) {
  const size_t head_size = n_embd / n_head;
  const size_t row_stride = 3 * n_embd;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_size));
  for (size_t i = 0; i < length; ++i) {
    for (size_t c = 0; c < row_stride; ++c) dqkv[i * row_stride + c] = 0.0f;
  }
  for (size_t h = 0; h < n_head; ++h) {
    const float* q = qkv + h * head_size;
    const float* k = qkv + n_embd + h * head_size;
    const float* v = qkv + 2 * n_embd + h * head_size;
    float* dq = dqkv + h * head_size;
    float* dk = dqkv + n_embd + h * head_size;
    float* dv = dqkv + 2 * n_embd + h * head_size;
    for (size_t i = 0; i < length; ++i) {
      const float* p = probs + (h * length + i) * length;
      const float* dctx = dout + i * n_embd + h * head_size;
      // 3. out_i = sum_j p_ij v_j: dp_ij = dctx_i . v_j and dv_j += p_ij dctx_i
      float* dp = scratch;
      float weighted = 0;
      for (size_t j = 0; j < length; ++j) {
        dp[j] = dot(dctx, v + j * row_stride, head_size);
        axpy(p[j], dctx, dv + j * row_stride, head_size);
        weighted += p[j] * dp[j];
      }
      // 2. softmax: ds_ij = p_ij (dp_ij - sum_k p_ik dp_ik); 1. scores = scale q_i . k_j
      for (size_t j = 0; j < length; ++j) {
        const float ds = p[j] * (dp[j] - weighted) * scale;
        axpy(ds, k + j * row_stride, dq + i * row_stride, head_size);
        axpy(ds, q + i * row_stride, dk + j * row_stride, head_size);
      }
    }
  }
}

}  // namespace adapterkit
