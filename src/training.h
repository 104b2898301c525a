// Training of a task (adapters, per-task layer norms and head) on a frozen base encoder:
// the forward pass with saved activations, the cross-entropy loss, the compact backward pass and
// AdamW.
//
// Only task parameters receive gradients. The backward pass carries the gradient through the
// frozen weights (by multiplying with their transposes) down to the lowest layer that contains a
// trained parameter, and never forms a gradient for a base weight.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "encoder.h"
#include "task.h"

namespace adapterkit {

struct TrainerOptions {
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float epsilon = 1e-8f;
  float weight_decay = 0.01f;  // applied to adapter and head weights, not to biases or norms
  float max_grad_norm = 1.0f;  // global L2 norm clip; <= 0 disables clipping
  bool recompute = false;      // keep only layer inputs and recompute each layer's activations
};

// Activations of one layer kept for its backward pass. Shapes: N tokens, H hidden,
// F intermediate, m bottleneck; probs contains n_head * L_b * L_b values per sequence b.
struct LayerTape {
  std::vector<float> x_in;                  // [N, H] layer input
  std::vector<float> qkv;                   // [N, 3H]
  std::vector<float> probs;                 // attention probabilities
  std::vector<float> attn_projected;        // [N, H] attention output projection, adapter input
  std::vector<float> attn_pre, attn_post;   // [N, m] adapter bottleneck
  std::vector<float> xhat1, rstd1;          // [N, H], [N] first layer norm
  std::vector<float> ff_pre;                // [N, F] before the activation
  std::vector<float> ff_projected;          // [N, H] feed-forward output projection
  std::vector<float> ff_pre_adapter, ff_post_adapter;  // [N, m]
  std::vector<float> xhat2, rstd2;          // [N, H], [N] second layer norm
};

class Trainer {
 public:
  // The encoder must have training enabled; both must outlive the trainer.
  static Status create(BertEncoder* encoder, Task* task, const TrainerOptions& options,
                       std::unique_ptr<Trainer>* out);

  // Computes the mean (class-weighted) cross-entropy of a batch and the gradients of every
  // task parameter into gradients(). labels[B] in 0..C-1; class_weights[C] or null.
  Status compute_gradients(const EncoderInput& input, const int32_t* labels,
                           const float* class_weights, float* loss);

  // One optimisation step: compute_gradients, clip, AdamW with learning rate lr, repack.
  Status step(const EncoderInput& input, const int32_t* labels, const float* class_weights,
              float lr, float* loss, float* grad_norm);

  Task& gradients() { return *gradients_; }
  int64_t steps() const { return steps_; }
  size_t peak_tape_bytes() const { return peak_tape_bytes_; }

 private:
  Trainer() = default;
  Status layer_forward(int il, float* x, LayerTape* tape);
  Status layer_backward(int il, float* dx, const LayerTape& tape, bool need_input_gradient);
  Status adapter_backward(int il, TaskOverrides::Site site, const float* input,
                          const float* pre, const float* post, float* ds);
  int lowest_trained_layer() const;

  BertEncoder* encoder_ = nullptr;
  Task* task_ = nullptr;
  TrainerOptions options_;
  std::unique_ptr<Task> gradients_, moment1_, moment2_;
  int64_t steps_ = 0;
  size_t peak_tape_bytes_ = 0;

  // Batch layout of the current step.
  std::vector<size_t> offsets_;
  std::vector<size_t> probs_offsets_;
  size_t n_tokens_ = 0;
  size_t max_length_ = 0;
  std::vector<LayerTape> tapes_;
  LayerTape work_tape_;  // the recomputed layer in recompute mode
  std::vector<float> hidden_, dhidden_, buffer_a_, buffer_b_, buffer_c_, buffer_f_, mean_, scratch_;
};

}  // namespace adapterkit
