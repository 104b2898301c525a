// Small kernels of the encoder that are not matrix products: embeddings, layer norm,
// activations and attention. Matrix products go through FullyConnected (XNNPACK).
//
// Shapes use these letters:
//   N  tokens of the batch, packed one sequence after another without padding
//   H  hidden size, F  intermediate size, D  head size, L  length of one sequence
#pragma once

#include <cstddef>
#include <cstdint>

#include "bert_config.h"

namespace adapterkit {

// Dot product of two length-n vectors, accumulated in f32 with four SIMD lanes.
float dot(const float* a, const float* b, size_t n);

// y[i] += alpha * x[i]
void axpy(float alpha, const float* x, float* y, size_t n);

// y[i] += x[i]
void add_inplace(const float* x, float* y, size_t n);

// out[N, H] = LayerNorm(x[N, H]) * gamma[H] + beta[H], biased variance, eps inside the sqrt.
// Also stores mean[N] and rstd[N] (1 / sqrt(var + eps)) when they are not null, for the
// backward pass. `out` may equal `x`.
void layernorm_forward(float* out, float* mean, float* rstd, const float* x, const float* gamma,
                       const float* beta, size_t n_tokens, size_t n_embd, float eps);

// Applies the activation to n values in place. x must have XNNPACK's slack after its end.
void activation_forward(Activation activation, float* x, size_t n);

// Floats of scratch that attention_forward needs for a sequence of `length` tokens.
size_t attention_scratch_size(size_t length);

// Multi-head self-attention of one sequence.
//   qkv[L, 3H]  rows [q | k | v], head h at columns h*D .. h*D+D-1 of each part
//   out[L, H]   context vectors, heads concatenated
//   probs[n_head, L, L] (may be null) receives the softmax probabilities for the backward pass
//   scratch     attention_scratch_size(L) floats
// Softmax subtracts the row maximum; scores are scaled by 1/sqrt(D) (the head size).
void attention_forward(float* out, float* probs, const float* qkv, size_t length, size_t n_embd,
                       size_t n_head, float* scratch);

// Backward of layernorm_forward. Given dout[N, H], the normalised input xhat[N, H] and
// rstd[N], writes dx[N, H] and adds to dgamma[H] and dbeta[H] when they are not null.
void layernorm_backward(float* dx, float* dgamma, float* dbeta, const float* dout,
                        const float* xhat, const float* rstd, const float* gamma, size_t n_tokens,
                        size_t n_embd);

// dx[i] = dy[i] * activation'(x[i]) with x the pre-activation input. dx may equal dy.
void activation_backward(Activation activation, float* dx, const float* dy, const float* x,
                         size_t n);

// Backward of attention_forward for one sequence. Given dout[L, H], the probabilities
// probs[n_head, L, L] and qkv[L, 3H] saved by the forward pass, writes dqkv[L, 3H].
// scratch needs at least L floats.
void attention_backward(float* dqkv, const float* dout, const float* probs, const float* qkv,
                        size_t length, size_t n_embd, size_t n_head, float* scratch);

}  // namespace adapterkit
