// A task: bottleneck adapters (Houlsby et al. 2019), per-task layer norms and a classification
// head, applied on top of a shared, frozen BertEncoder.
//
// Adapter module at one site of layer il, with s[n, H] the sublayer's projected output:
//   s <- s + up(act(down(s)))      down: H -> m (weight [m, H], bias [m]),
//                                  up:   m -> H (weight [H, m], bias [H])
// The encoder then computes LayerNorm(x + s) with the task's own gamma/beta when it has them.
// This is AdapterHub's Houlsby configuration (mh_adapter and output_adapter, residual before
// the layer norm, original layer norm after).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "encoder.h"
#include "fully_connected.h"
#include "json.h"
#include "safetensors.h"
#include "status.h"

namespace adapterkit {

enum class AdapterActivation { kRelu, kGelu, kSwish, kTanh };
const char* adapter_activation_name(AdapterActivation activation);
Status parse_adapter_activation(const std::string& name, const char* field, AdapterActivation* out);

// Applies the activation to n values in place.
void adapter_activation_forward(AdapterActivation activation, float* x, size_t n);
// dx[i] = dy[i] * activation'(x[i]) with x the pre-activation input. dx may equal dy.
void adapter_activation_backward(AdapterActivation activation, float* dx, const float* dy,
                                 const float* x, size_t n);

enum class HeadInput {
  kPooler,  // BERT's pooler: tanh(W h[CLS] + b)
  kCls,     // the raw last hidden state of [CLS]
  kMean,    // mean of the last hidden states over the real tokens
};

struct TaskConfig {
  std::string name;
  // adapters
  int n_bottleneck = 0;                       // m; 0 means no adapters (head only)
  AdapterActivation activation = AdapterActivation::kSwish;
  std::vector<bool> layers;                   // [n_layer] true where the layer has adapters
  bool attention_site = true;                 // adapter after the attention output projection
  bool feed_forward_site = true;              // adapter after the feed-forward output projection
  bool layer_norm = true;                     // per-task layer-norm parameters
  // head
  HeadInput head_input = HeadInput::kPooler;
  bool head_normalize = false;                // L2-normalise the head input first
  int head_layers = 1;                        // 1: linear; 2: linear, activation, linear
  AdapterActivation head_activation = AdapterActivation::kTanh;
  std::vector<std::string> labels;            // [C]
};

// Parses the "adapter" and "head" objects of an adapter file's metadata (JSON) for a base with
// the given config. Errors name the field, the value seen and the value expected.
Status parse_task_config(const JsonValue& json, const BertConfig& base, const std::string& file,
                         TaskConfig* out);

// Parameters of one bottleneck adapter, in PyTorch nn.Linear layout.
struct Bottleneck {
  std::vector<float> down_w;  // [m, H]
  std::vector<float> down_b;  // [m]
  std::vector<float> up_w;    // [H, m]
  std::vector<float> up_b;    // [H]
};

// One named parameter tensor of a task, as stored in adapter files.
struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float>* values;
};

class Task : public TaskOverrides {
 public:
  // Creates a task with fresh parameters: adapter down-projections ~ N(0, init_std^2), up
  // projections and biases zero (so the encoder's output is unchanged), layer norms copied from
  // the base, head weights ~ N(0, 0.02^2) and zero biases. `seed` makes it reproducible.
  static Status create(const TaskConfig& config, const BertEncoder& base, uint32_t seed,
                       float init_std, std::unique_ptr<Task>* out);

  // Loads a task from an adapter file whose tensors follow tensor_names(). Every expected tensor
  // must be present with its shape; unexpected tensors are rejected too, because they mean the
  // file and its config disagree.
  static Status load(const TaskConfig& config, const BertEncoder& base,
                     const SafetensorsFile& file, std::unique_ptr<Task>* out);

  // TaskOverrides
  Status apply_adapter(int il, Site site, float* s, size_t n_tokens) const override;
  const float* ln_gamma(int il, Site site) const override;
  const float* ln_beta(int il, Site site) const override;

  // logits[B, C] from features[B, H] (the head input chosen by the config, already computed).
  Status head_forward(const float* features, size_t n_batch, float* logits) const;

  // Every trained tensor with its file name and shape, in a stable order.
  std::vector<NamedTensor> tensors();

  // Re-creates the XNNPACK operators from the parameter vectors after they changed (training).
  Status repack();

  // Creates a task with this one's config and every parameter zero, without operators: the
  // gradient and optimizer-moment buffers of training. Its tensors() align with this one's.
  std::unique_ptr<Task> zeros_like() const;

  // Training forward of one adapter: s[n, H] <- s + up(act(down(s))), keeping the bottleneck's
  // pre-activation pre[n, m] and activation post[n, m] for the backward pass.
  Status adapter_forward_train(int il, Site site, float* s, size_t n_tokens, float* pre,
                               float* post) const;

  const TaskConfig& config() const { return config_; }
  size_t parameter_count();
  Bottleneck* adapter(int il, Site site) {
    return adapters_[static_cast<int>(site)][static_cast<size_t>(il)].get();
  }

  // Layer-norm parameters [H] owned by the task (empty when config.layer_norm is false).
  std::vector<float>& task_ln_gamma(int il, Site site) { return ln_gamma_[static_cast<int>(site)][static_cast<size_t>(il)]; }
  std::vector<float>& task_ln_beta(int il, Site site) { return ln_beta_[static_cast<int>(site)][static_cast<size_t>(il)]; }
  std::vector<float>& head_hidden_w() { return head_hidden_w_; }
  std::vector<float>& head_hidden_b() { return head_hidden_b_; }
  std::vector<float>& head_out_w() { return head_out_w_; }
  std::vector<float>& head_out_b() { return head_out_b_; }
  int n_embd() const { return n_embd_; }

 private:
  Task() = default;
  void allocate(const BertEncoder& base);

  TaskConfig config_;
  int n_embd_ = 0;
  int n_layer_ = 0;
  std::vector<std::unique_ptr<Bottleneck>> adapters_[2];  // [site][layer], null where absent
  std::vector<std::vector<float>> ln_gamma_[2], ln_beta_[2];  // [site][layer] -> [H]
  std::vector<float> head_hidden_w_, head_hidden_b_;  // [H, H], [H] when head_layers == 2
  std::vector<float> head_out_w_, head_out_b_;        // [C, H], [C]

  // Packed operators, rebuilt by repack(): [site][layer] down and up, then the head.
  std::vector<std::unique_ptr<FullyConnected>> down_ops_[2], up_ops_[2];
  std::unique_ptr<FullyConnected> head_hidden_op_, head_out_op_;
  mutable std::vector<float> bottleneck_, scratch_;
};

// Name of a task tensor in adapter files, following AdapterHub's names without the model prefix:
//   encoder.layer.{il}.attention.output.adapters.{name}.adapter_down.0.weight
//   encoder.layer.{il}.output.adapters.{name}.adapter_up.bias
//   encoder.layer.{il}.attention.output.LayerNorm.weight   (per-task layer norm)
//   heads.{name}.1.weight ... heads.{name}.4.bias           (classification head)
std::string adapter_tensor_prefix(int il, TaskOverrides::Site site, const std::string& name);

// Runs the encoder with each row's task and returns logits[b][C_b] from each row's head.
Status classify(BertEncoder& encoder, const EncoderInput& input, const std::vector<Task*>& tasks,
                std::vector<std::vector<float>>* logits);

}  // namespace adapterkit
