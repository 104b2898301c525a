// The hyper-parameters of a BERT encoder, read from a Hugging Face config.json.
#pragma once

#include <string>

#include "status.h"

namespace adapterkit {

enum class Activation {
  kGeluErf,   // "gelu": x * Phi(x) with the exact erf, BERT's activation
  kGeluTanh,  // "gelu_new", "gelu_pytorch_tanh", "gelu_fast": the tanh approximation
  kRelu,      // "relu"
};

const char* activation_name(Activation activation);

struct BertConfig {
  int n_layer = 0;    // num_hidden_layers
  int n_embd = 0;     // hidden_size (H)
  int n_head = 0;     // num_attention_heads
  int n_ff = 0;       // intermediate_size (F)
  int n_pos = 0;      // max_position_embeddings
  int n_type = 0;     // type_vocab_size
  int n_vocab = 0;    // vocab_size
  float ln_eps = 1e-12f;
  Activation activation = Activation::kGeluErf;

  int head_size() const { return n_embd / n_head; }
};

// Parses and validates config.json. Errors name the field, the value seen and the value
// expected: a missing or non-integer size, hidden_size not divisible by num_attention_heads,
// an unsupported hidden_act, model_type other than "bert", or position embeddings other than
// "absolute".
Status parse_bert_config(const std::string& json_text, const std::string& file_name,
                         BertConfig* out);

}  // namespace adapterkit
