// The BERT encoder: embeddings, n_layer post-LN Transformer layers, and the pooler.
//
// Tokens are packed: the N tokens of a batch are stored one sequence after another without
// padding, so no work is spent on padding and a padded row computes exactly what it computes
// alone. Shape letters: B sequences, T padded length of the input, N packed tokens,
// H hidden size, F intermediate size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bert_config.h"
#include "fully_connected.h"
#include "safetensors.h"
#include "status.h"

namespace adapterkit {

// Per-task changes to the base computation (adapters and layer-norm parameters). The encoder
// calls these for the tokens of every sequence that uses the task; a null task means the base
// model alone. Implemented by Task in task.h.
class TaskOverrides {
 public:
  enum class Site { kAttention = 0, kFeedForward = 1 };

  virtual ~TaskOverrides() = default;
  // Replaces s[n_tokens, H] (the sublayer's projected output) by s + adapter(s), in place.
  virtual Status apply_adapter(int il, Site site, float* s, size_t n_tokens) const = 0;
  // Layer-norm parameters [H] of layer il after `site`, or null to keep the base's.
  virtual const float* ln_gamma(int il, Site site) const = 0;
  virtual const float* ln_beta(int il, Site site) const = 0;
};

struct EncoderInput {
  const int32_t* input_ids = nullptr;       // [B, T], padding ignored
  const int32_t* token_type_ids = nullptr;  // [B, T], or null for all zeros
  const int32_t* lengths = nullptr;         // [B], real tokens of each row, 1..min(T, n_pos)
  size_t n_batch = 0;                       // B
  size_t n_seq = 0;                         // T
};

struct EncoderOutput {
  std::vector<float> hidden;    // [N, H] last hidden states, packed
  std::vector<size_t> offsets;  // [B + 1], row b owns tokens offsets[b] .. offsets[b+1]-1
};

// Operators that multiply by the transpose of a frozen weight, for the backward pass:
// dX[N, I] = dY[N, O] W[O, I].
struct LayerBackwardOps {
  std::unique_ptr<FullyConnected> qkv;       // [3H] -> [H]
  std::unique_ptr<FullyConnected> attn_out;  // [H] -> [H]
  std::unique_ptr<FullyConnected> ff_in;     // [F] -> [H]
  std::unique_ptr<FullyConnected> ff_out;    // [H] -> [F]
};

struct LayerWeights {
  std::unique_ptr<FullyConnected> qkv;       // [H] -> [3H], query, key, value fused
  std::unique_ptr<FullyConnected> attn_out;  // [H] -> [H]
  std::unique_ptr<FullyConnected> ff_in;     // [H] -> [F]
  std::unique_ptr<FullyConnected> ff_out;    // [F] -> [H]
  std::vector<float> ln_attn_gamma, ln_attn_beta;  // [H] after attention
  std::vector<float> ln_ff_gamma, ln_ff_beta;      // [H] after feed-forward
};

class BertEncoder {
 public:
  // Validates every tensor the config implies (present, shape, dtype) and packs the matrices
  // into XNNPACK operators. Tensor names may carry a "bert." prefix; other tensors (such as
  // "cls.*" heads) are ignored. `weights` is only read during the call.
  static Status load(const BertConfig& config, const SafetensorsFile& weights,
                     std::unique_ptr<BertEncoder>* out);

  // Runs the encoder. `tasks` is null (base model for every row) or contains B entries, each null
  // or the task of that row. Errors: kInvalidArgument for a token id outside the vocabulary, a
  // token type outside type_vocab_size, or a length outside 1..min(T, n_pos), naming the row.
  Status forward(const EncoderInput& input, const TaskOverrides* const* tasks,
                 EncoderOutput* output);

  // pooled[B, H] = tanh(W_p h[CLS] + b_p) for each row. kInvalidState without pooler weights.
  Status pooler_forward(const EncoderOutput& encoded, float* pooled);
  // mean[B, H] = mean of each row's hidden states over its real tokens.
  static void mean_pool(const EncoderOutput& encoded, size_t n_embd, float* pooled);

  // Packs the transposed weights that the backward pass needs, from the same file the model was
  // loaded from. Doubles the memory of the packed weights; called once before training.
  Status enable_training(const SafetensorsFile& weights);
  bool training_enabled() const { return !backward_.empty(); }

  const BertConfig& config() const { return config_; }
  bool has_pooler() const { return pooler_ != nullptr; }
  size_t parameter_count() const { return parameter_count_; }
  const std::string& tensor_prefix() const { return prefix_; }
  // Base layer-norm parameters [H] of layer il after `site`.
  const float* base_ln_gamma(int il, TaskOverrides::Site site) const;
  const float* base_ln_beta(int il, TaskOverrides::Site site) const;
  // Architecture and the RMS of every weight matrix (3 significant digits), the same for F32,
  // F16 and BF16 copies of one model. Adapters record a hash of it together
  // with the vocabulary, to recognise the base they were trained on.
  const std::string& weight_signature() const { return weight_signature_; }

 private:
  BertEncoder() = default;
  Status validate_input(const EncoderInput& input) const;
  void embed(const EncoderInput& input, const std::vector<size_t>& offsets, float* x);

  BertConfig config_;
  std::string prefix_;
  std::string weight_signature_;
  size_t parameter_count_ = 0;
  std::vector<float> word_embeddings_;      // [V, H]
  std::vector<float> position_embeddings_;  // [n_pos, H]
  std::vector<float> type_embeddings_;      // [n_type, H]
  std::vector<float> ln_embd_gamma_, ln_embd_beta_;
  std::vector<LayerWeights> layers_;
  std::unique_ptr<FullyConnected> pooler_;  // [H] -> [H], null when the file has no pooler

  friend class Trainer;
  std::vector<LayerBackwardOps> backward_;  // [n_layer], empty until enable_training()
  std::unique_ptr<FullyConnected> pooler_backward_;
  const std::vector<float>& ln_embd_gamma() const { return ln_embd_gamma_; }

  // Scratch buffers reused between calls, each with XNN_EXTRA_BYTES of slack.
  std::vector<float> qkv_, context_, projected_, intermediate_, scores_;
};

// Returns a vector of n floats plus the slack that XNNPACK may read past the end.
void resize_for_xnnpack(std::vector<float>* buffer, size_t n);

}  // namespace adapterkit
