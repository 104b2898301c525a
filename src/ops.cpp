#include "ops.h"

#include <cmath>
#include <vector>
#include <wasm_simd128.h>
#include <xnnpack.h>

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
      // XNNPACK's vectorised GELU (a rational approximation of the erf form, accurate to a few
      // ulp). x has XNNPACK's slack after its end, as every activation buffer here does.
      if (xnn_run_unary_elementwise_nc(xnn_unary_gelu, xnn_datatype_fp32, xnn_datatype_fp32,
                                       nullptr, nullptr, nullptr, 0, n, 1, 1, 1, nullptr, x,
                                       x) != xnn_status_success) {
        for (size_t i = 0; i < n; ++i) x[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * 0.70710678118654752f));
      }
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

namespace {

// s[r] = q_r . k for four query rows q_r that share the loads of k.
inline void dot4(const float* q0, const float* q1, const float* q2, const float* q3,
                 const float* k, size_t n, float* s) {
  v128_t a0 = wasm_f32x4_splat(0.0f);
  v128_t a1 = a0;
  v128_t a2 = a0;
  v128_t a3 = a0;
  size_t d = 0;
  for (; d + 4 <= n; d += 4) {
    const v128_t kv = wasm_v128_load(k + d);
    a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(q0 + d), kv));
    a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load(q1 + d), kv));
    a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(wasm_v128_load(q2 + d), kv));
    a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(wasm_v128_load(q3 + d), kv));
  }
  const v128_t* acc[4] = {&a0, &a1, &a2, &a3};
  const float* q[4] = {q0, q1, q2, q3};
  for (int r = 0; r < 4; ++r) {
    float sum = wasm_f32x4_extract_lane(*acc[r], 0) + wasm_f32x4_extract_lane(*acc[r], 1) +
                wasm_f32x4_extract_lane(*acc[r], 2) + wasm_f32x4_extract_lane(*acc[r], 3);
    for (size_t t = d; t < n; ++t) sum += q[r][t] * k[t];
    s[r] = sum;
  }
}

// Row-wise softmax of x[rows, n] into y, through XNNPACK's vectorised kernel (it subtracts the
// row maximum). Falls back to scalar code if the operator cannot be created.
void softmax_rows(const float* x, float* y, size_t rows, size_t n) {
  static xnn_operator_t op = nullptr;
  static bool unavailable = false;
  if (op == nullptr && !unavailable) {
    unavailable = xnn_initialize(nullptr) != xnn_status_success ||
                  xnn_create_softmax_nc_f32(0, &op) != xnn_status_success;
  }
  if (!unavailable && xnn_reshape_softmax_nc_f32(op, n, n, n, rows, nullptr) == xnn_status_success &&
      xnn_setup_softmax_nc_f32(op, x, y) == xnn_status_success &&
      xnn_run_operator(op, nullptr) == xnn_status_success) {
    return;
  }
  for (size_t r = 0; r < rows; ++r) {
    const float* in = x + r * n;
    float* out = y + r * n;
    float max_value = -INFINITY;
    for (size_t j = 0; j < n; ++j) max_value = in[j] > max_value ? in[j] : max_value;
    float sum = 0;
    for (size_t j = 0; j < n; ++j) {
      out[j] = std::exp(in[j] - max_value);
      sum += out[j];
    }
    for (size_t j = 0; j < n; ++j) out[j] /= sum;
  }
}

}  // namespace

size_t attention_scratch_size(size_t length) {
  return 2 * length * length + XNN_EXTRA_BYTES / sizeof(float);
}

void attention_forward(float* out, float* probs, const float* qkv, size_t length, size_t n_embd,
                       size_t n_head, float* scratch) {
  const size_t head_size = n_embd / n_head;
  const size_t row_stride = 3 * n_embd;
  const size_t L = length;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_size));
  float* scores = scratch;
  for (size_t h = 0; h < n_head; ++h) {
    const float* q = qkv + h * head_size;
    const float* k = qkv + n_embd + h * head_size;
    const float* v = qkv + 2 * n_embd + h * head_size;
    float* p = probs != nullptr ? probs + h * L * L : scratch + L * L;

    // 1. scores[i, j] = scale * q_i . k_j, four query rows at a time
    size_t i = 0;
    for (; i + 4 <= L; i += 4) {
      const float* q0 = q + i * row_stride;
      for (size_t j = 0; j < L; ++j) {
        float s[4];
        dot4(q0, q0 + row_stride, q0 + 2 * row_stride, q0 + 3 * row_stride, k + j * row_stride, head_size, s);
        for (int r = 0; r < 4; ++r) scores[(i + r) * L + j] = s[r] * scale;
      }
    }
    for (; i < L; ++i) {
      for (size_t j = 0; j < L; ++j) scores[i * L + j] = dot(q + i * row_stride, k + j * row_stride, head_size) * scale;
    }

    // 2. softmax over the keys, shifted by the row maximum
    softmax_rows(scores, p, L, L);

    // 3. out_i = sum_j p[i, j] v_j
    for (size_t r = 0; r < L; ++r) {
      float* o = out + r * n_embd + h * head_size;
      for (size_t d = 0; d < head_size; ++d) o[d] = 0.0f;
      const float* pr = p + r * L;
      for (size_t j = 0; j < L; ++j) axpy(pr[j], v + j * row_stride, o, head_size);
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
    case Activation::kGeluErf: {
      // d/dx [x Phi(x)] = Phi(x) + x phi(x). Phi is gelu(x) / x from XNNPACK's vectorised GELU,
      // with a Taylor term near 0 where the quotient loses precision, and phi uses its
      // vectorised exp. Scalar erf and exp cost about a third of a BERT-base training step.
      static std::vector<float> gelu, gauss;
      const size_t slack = XNN_EXTRA_BYTES / sizeof(float);
      if (gelu.size() < n + slack) {
        gelu.resize(n + slack);
        gauss.resize(n + slack);
      }
      for (size_t i = 0; i < n; ++i) gauss[i] = -0.5f * x[i] * x[i];
      const bool vectorised =
          xnn_run_unary_elementwise_nc(xnn_unary_gelu, xnn_datatype_fp32, xnn_datatype_fp32, nullptr,
                                       nullptr, nullptr, 0, n, 1, 1, 1, nullptr, x, gelu.data()) == xnn_status_success &&
          xnn_run_unary_elementwise_nc(xnn_unary_exp, xnn_datatype_fp32, xnn_datatype_fp32, nullptr,
                                       nullptr, nullptr, 0, n, 1, 1, 1, nullptr, gauss.data(), gauss.data()) == xnn_status_success;
      for (size_t i = 0; i < n; ++i) {
        const float v = x[i];
        float cdf;
        float pdf;
        if (vectorised) {
          cdf = std::fabs(v) > 1e-3f ? gelu[i] / v : 0.5f + 0.39894228040143268f * v;
          pdf = 0.39894228040143268f * gauss[i];
        } else {
          cdf = 0.5f * (1.0f + std::erf(v * 0.70710678118654752f));
          pdf = 0.39894228040143268f * std::exp(-0.5f * v * v);
        }
        dx[i] = dy[i] * (cdf + v * pdf);
      }
      break;
    }
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
