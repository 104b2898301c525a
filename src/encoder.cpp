#include "encoder.h"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "ops.h"

namespace adapterkit {

void resize_for_xnnpack(std::vector<float>* buffer, size_t n) {
  const size_t needed = n + XNN_EXTRA_BYTES / sizeof(float);
  if (buffer->size() < needed) buffer->resize(needed);
}

namespace {

// Finds "<prefix>name", accepting the old TensorFlow names gamma/beta for LayerNorm.
Status find_tensor(const SafetensorsFile& file, const std::string& prefix, const std::string& name,
                   const std::vector<int64_t>& shape, const TensorInfo** out) {
  std::string full = prefix + name;
  if (file.find(full) == nullptr) {
    std::string alias = full;
    const size_t weight_at = alias.rfind("LayerNorm.weight");
    const size_t bias_at = alias.rfind("LayerNorm.bias");
    if (weight_at != std::string::npos) alias.replace(weight_at, 16, "LayerNorm.gamma");
    else if (bias_at != std::string::npos) alias.replace(bias_at, 14, "LayerNorm.beta");
    if (file.find(alias) != nullptr) full = alias;
  }
  return file.require(full, shape, out);
}

Status read_tensor(const SafetensorsFile& file, const std::string& prefix, const std::string& name,
                   const std::vector<int64_t>& shape, std::vector<float>* out, size_t* count) {
  const TensorInfo* tensor = nullptr;
  AK_RETURN_IF_ERROR(find_tensor(file, prefix, name, shape, &tensor));
  *out = file.read_f32(*tensor);
  *count += out->size();
  return Status::ok();
}

// Returns "name:rms;" with 3 significant digits. Rounding the weights to F16 or BF16 moves the
// RMS by about 1e-6 relative, so the text is the same for every storage dtype of one model
// except in rare cases where the RMS sits on a rounding boundary.
std::string tensor_statistics(const std::string& name, const std::vector<float>& values) {
  double squares = 0;
  for (float v : values) squares += static_cast<double>(v) * v;
  char text[64];
  std::snprintf(text, sizeof(text), ":%.3g;", std::sqrt(squares / static_cast<double>(values.size())));
  return name + text;
}

}  // namespace

const float* BertEncoder::base_ln_gamma(int il, TaskOverrides::Site site) const {
  const LayerWeights& layer = layers_[static_cast<size_t>(il)];
  return site == TaskOverrides::Site::kAttention ? layer.ln_attn_gamma.data() : layer.ln_ff_gamma.data();
}

const float* BertEncoder::base_ln_beta(int il, TaskOverrides::Site site) const {
  const LayerWeights& layer = layers_[static_cast<size_t>(il)];
  return site == TaskOverrides::Site::kAttention ? layer.ln_attn_beta.data() : layer.ln_ff_beta.data();
}

Status BertEncoder::load(const BertConfig& config, const SafetensorsFile& weights,
                         std::unique_ptr<BertEncoder>* out) {
  std::unique_ptr<BertEncoder> encoder(new BertEncoder());
  encoder->config_ = config;
  const int64_t H = config.n_embd;
  const int64_t F = config.n_ff;
  const std::string embeddings_name = "embeddings.word_embeddings.weight";
  if (weights.find(embeddings_name) != nullptr) {
    encoder->prefix_ = "";
  } else if (weights.find("bert." + embeddings_name) != nullptr) {
    encoder->prefix_ = "bert.";
  } else {
    return make_status(StatusCode::kInvalidFile,
                       "%s: tensor '%s' is missing (also looked for 'bert.%s'); this is not a "
                       "BERT checkpoint",
                       weights.file_name().c_str(), embeddings_name.c_str(),
                       embeddings_name.c_str());
  }
  const std::string& p = encoder->prefix_;
  size_t& count = encoder->parameter_count_;

  // embeddings
  AK_RETURN_IF_ERROR(read_tensor(weights, p, embeddings_name, {config.n_vocab, H},
                                 &encoder->word_embeddings_, &count));
  AK_RETURN_IF_ERROR(read_tensor(weights, p, "embeddings.position_embeddings.weight",
                                 {config.n_pos, H}, &encoder->position_embeddings_, &count));
  AK_RETURN_IF_ERROR(read_tensor(weights, p, "embeddings.token_type_embeddings.weight",
                                 {config.n_type, H}, &encoder->type_embeddings_, &count));
  AK_RETURN_IF_ERROR(read_tensor(weights, p, "embeddings.LayerNorm.weight", {H},
                                 &encoder->ln_embd_gamma_, &count));
  AK_RETURN_IF_ERROR(read_tensor(weights, p, "embeddings.LayerNorm.bias", {H},
                                 &encoder->ln_embd_beta_, &count));

  char architecture[160];
  std::snprintf(architecture, sizeof(architecture), "bert L%d H%d A%d F%d P%d T%d V%d %s;",
                config.n_layer, config.n_embd, config.n_head, config.n_ff, config.n_pos,
                config.n_type, config.n_vocab, activation_name(config.activation));
  encoder->weight_signature_ = architecture;
  encoder->weight_signature_ += tensor_statistics("word_embeddings", encoder->word_embeddings_);
  encoder->weight_signature_ += tensor_statistics("position_embeddings", encoder->position_embeddings_);

  // layers
  encoder->layers_.resize(static_cast<size_t>(config.n_layer));
  for (int il = 0; il < config.n_layer; ++il) {
    LayerWeights& layer = encoder->layers_[static_cast<size_t>(il)];
    const std::string lp = "encoder.layer." + std::to_string(il) + ".";
    {
      // query, key and value stacked into one [3H, H] product
      std::vector<float> w(static_cast<size_t>(3 * H * H));
      std::vector<float> b(static_cast<size_t>(3 * H));
      const char* parts[3] = {"query", "key", "value"};
      for (int part = 0; part < 3; ++part) {
        std::vector<float> wp, bp;
        AK_RETURN_IF_ERROR(read_tensor(weights, p, lp + "attention.self." + parts[part] + ".weight",
                                       {H, H}, &wp, &count));
        AK_RETURN_IF_ERROR(read_tensor(weights, p, lp + "attention.self." + parts[part] + ".bias",
                                       {H}, &bp, &count));
        std::memcpy(w.data() + part * H * H, wp.data(), wp.size() * sizeof(float));
        std::memcpy(b.data() + part * H, bp.data(), bp.size() * sizeof(float));
      }
      encoder->weight_signature_ += tensor_statistics("qkv" + std::to_string(il), w);
      AK_RETURN_IF_ERROR(FullyConnected::create((p + lp + "attention.self.qkv").c_str(),
                                                static_cast<size_t>(H), static_cast<size_t>(3 * H),
                                                w.data(), b.data(),
                                                FullyConnected::WeightLayout::kOutIn, &layer.qkv));
    }
    struct Dense {
      const char* name;
      int64_t n_in, n_out;
      std::unique_ptr<FullyConnected>* op;
    };
    const Dense denses[3] = {
        {"attention.output.dense", H, H, &layer.attn_out},
        {"intermediate.dense", H, F, &layer.ff_in},
        {"output.dense", F, H, &layer.ff_out},
    };
    for (const Dense& dense : denses) {
      std::vector<float> w, b;
      const std::string name = lp + dense.name;
      AK_RETURN_IF_ERROR(read_tensor(weights, p, name + ".weight", {dense.n_out, dense.n_in}, &w, &count));
      AK_RETURN_IF_ERROR(read_tensor(weights, p, name + ".bias", {dense.n_out}, &b, &count));
      encoder->weight_signature_ += tensor_statistics(name, w);
      AK_RETURN_IF_ERROR(FullyConnected::create((p + name).c_str(), static_cast<size_t>(dense.n_in),
                                                static_cast<size_t>(dense.n_out), w.data(), b.data(),
                                                FullyConnected::WeightLayout::kOutIn, dense.op));
    }
    AK_RETURN_IF_ERROR(read_tensor(weights, p, lp + "attention.output.LayerNorm.weight", {H},
                                   &layer.ln_attn_gamma, &count));
    AK_RETURN_IF_ERROR(read_tensor(weights, p, lp + "attention.output.LayerNorm.bias", {H},
                                   &layer.ln_attn_beta, &count));
    AK_RETURN_IF_ERROR(read_tensor(weights, p, lp + "output.LayerNorm.weight", {H},
                                   &layer.ln_ff_gamma, &count));
    AK_RETURN_IF_ERROR(read_tensor(weights, p, lp + "output.LayerNorm.bias", {H},
                                   &layer.ln_ff_beta, &count));
  }

  // pooler, optional: sentence-transformers checkpoints may leave it out
  if (weights.find(p + "pooler.dense.weight") != nullptr) {
    std::vector<float> w, b;
    AK_RETURN_IF_ERROR(read_tensor(weights, p, "pooler.dense.weight", {H, H}, &w, &count));
    AK_RETURN_IF_ERROR(read_tensor(weights, p, "pooler.dense.bias", {H}, &b, &count));
    AK_RETURN_IF_ERROR(FullyConnected::create((p + "pooler.dense").c_str(), static_cast<size_t>(H),
                                              static_cast<size_t>(H), w.data(), b.data(),
                                              FullyConnected::WeightLayout::kOutIn,
                                              &encoder->pooler_));
  }
  *out = std::move(encoder);
  return Status::ok();
}

Status BertEncoder::enable_training(const SafetensorsFile& weights) {
  if (training_enabled()) return Status::ok();
  const int64_t H = config_.n_embd;
  const int64_t F = config_.n_ff;
  const std::string& p = prefix_;
  size_t unused = 0;
  std::vector<LayerBackwardOps> ops(static_cast<size_t>(config_.n_layer));
  auto transposed = [&](const std::string& name, int64_t n_out_forward, int64_t n_in_forward,
                        std::unique_ptr<FullyConnected>* op) -> Status {
    std::vector<float> w;
    AK_RETURN_IF_ERROR(read_tensor(weights, p, name + ".weight", {n_out_forward, n_in_forward}, &w, &unused));
    // The forward weight [O, I] read as [I_backward = O, O_backward = I].
    return FullyConnected::create((p + name + ".transposed").c_str(), static_cast<size_t>(n_out_forward),
                                  static_cast<size_t>(n_in_forward), w.data(), nullptr,
                                  FullyConnected::WeightLayout::kInOut, op);
  };
  for (int il = 0; il < config_.n_layer; ++il) {
    LayerBackwardOps& layer = ops[static_cast<size_t>(il)];
    const std::string lp = "encoder.layer." + std::to_string(il) + ".";
    std::vector<float> w(static_cast<size_t>(3 * H * H));
    const char* parts[3] = {"query", "key", "value"};
    for (int part = 0; part < 3; ++part) {
      std::vector<float> wp;
      AK_RETURN_IF_ERROR(read_tensor(weights, p, lp + "attention.self." + parts[part] + ".weight", {H, H}, &wp, &unused));
      std::memcpy(w.data() + part * H * H, wp.data(), wp.size() * sizeof(float));
    }
    AK_RETURN_IF_ERROR(FullyConnected::create((p + lp + "attention.self.qkv.transposed").c_str(),
                                              static_cast<size_t>(3 * H), static_cast<size_t>(H), w.data(),
                                              nullptr, FullyConnected::WeightLayout::kInOut, &layer.qkv));
    AK_RETURN_IF_ERROR(transposed(lp + "attention.output.dense", H, H, &layer.attn_out));
    AK_RETURN_IF_ERROR(transposed(lp + "intermediate.dense", F, H, &layer.ff_in));
    AK_RETURN_IF_ERROR(transposed(lp + "output.dense", H, F, &layer.ff_out));
  }
  if (pooler_ != nullptr) AK_RETURN_IF_ERROR(transposed("pooler.dense", H, H, &pooler_backward_));
  backward_ = std::move(ops);
  return Status::ok();
}

Status BertEncoder::validate_input(const EncoderInput& input) const {
  if (input.n_batch == 0 || input.n_seq == 0) {
    return make_status(StatusCode::kInvalidArgument,
                       "encoder input is empty: batch %zu x length %zu", input.n_batch,
                       input.n_seq);
  }
  const size_t max_length = std::min(input.n_seq, static_cast<size_t>(config_.n_pos));
  for (size_t b = 0; b < input.n_batch; ++b) {
    const int32_t length = input.lengths[b];
    if (length < 1 || static_cast<size_t>(length) > max_length) {
      return make_status(StatusCode::kInvalidArgument,
                         "row %zu has length %d, expected 1..%zu (the padded length %zu and "
                         "max_position_embeddings %d); truncate longer inputs",
                         b, length, max_length, input.n_seq, config_.n_pos);
    }
    for (int32_t t = 0; t < length; ++t) {
      const int32_t id = input.input_ids[b * input.n_seq + static_cast<size_t>(t)];
      if (id < 0 || id >= config_.n_vocab) {
        return make_status(StatusCode::kInvalidArgument,
                           "row %zu position %d: token id %d is outside the vocabulary [0, %d)",
                           b, t, id, config_.n_vocab);
      }
      if (input.token_type_ids != nullptr) {
        const int32_t type = input.token_type_ids[b * input.n_seq + static_cast<size_t>(t)];
        if (type < 0 || type >= config_.n_type) {
          return make_status(StatusCode::kInvalidArgument,
                             "row %zu position %d: token type %d is outside [0, %d)", b, t, type,
                             config_.n_type);
        }
      }
    }
  }
  return Status::ok();
}

void BertEncoder::embed(const EncoderInput& input, const std::vector<size_t>& offsets, float* x) {
  const size_t H = static_cast<size_t>(config_.n_embd);
  for (size_t b = 0; b < input.n_batch; ++b) {
    for (size_t t = 0; t < offsets[b + 1] - offsets[b]; ++t) {
      const size_t at = b * input.n_seq + t;
      const size_t id = static_cast<size_t>(input.input_ids[at]);
      const size_t type = input.token_type_ids ? static_cast<size_t>(input.token_type_ids[at]) : 0;
      float* row = x + (offsets[b] + t) * H;
      const float* word = word_embeddings_.data() + id * H;
      const float* position = position_embeddings_.data() + t * H;
      const float* token_type = type_embeddings_.data() + type * H;
      for (size_t i = 0; i < H; ++i) row[i] = word[i] + position[i] + token_type[i];
    }
  }
}

Status BertEncoder::forward(const EncoderInput& input, const TaskOverrides* const* tasks,
                            EncoderOutput* output) {
  AK_RETURN_IF_ERROR(validate_input(input));
  const size_t H = static_cast<size_t>(config_.n_embd);
  const size_t F = static_cast<size_t>(config_.n_ff);
  const size_t B = input.n_batch;

  std::vector<size_t>& offsets = output->offsets;
  offsets.assign(B + 1, 0);
  size_t max_length = 0;
  for (size_t b = 0; b < B; ++b) {
    offsets[b + 1] = offsets[b] + static_cast<size_t>(input.lengths[b]);
    max_length = std::max(max_length, static_cast<size_t>(input.lengths[b]));
  }
  const size_t N = offsets[B];

  std::vector<float>& x = output->hidden;
  resize_for_xnnpack(&x, N * H);
  resize_for_xnnpack(&qkv_, N * 3 * H);
  resize_for_xnnpack(&context_, N * H);
  resize_for_xnnpack(&projected_, N * H);
  resize_for_xnnpack(&intermediate_, N * F);
  if (scores_.size() < attention_scratch_size(max_length)) scores_.resize(attention_scratch_size(max_length));

  // embeddings and their layer norm
  embed(input, offsets, x.data());
  layernorm_forward(x.data(), nullptr, nullptr, x.data(), ln_embd_gamma_.data(),
                    ln_embd_beta_.data(), N, H, config_.ln_eps);

  // Runs each row's adapter on its tokens of s[N, H], then the residual add and layer norm.
  auto finish_sublayer = [&](int il, TaskOverrides::Site site, float* s, const float* gamma,
                             const float* beta) -> Status {
    for (size_t b = 0; b < B; ++b) {
      const TaskOverrides* task = tasks != nullptr ? tasks[b] : nullptr;
      const size_t n = offsets[b + 1] - offsets[b];
      float* s_row = s + offsets[b] * H;
      float* x_row = x.data() + offsets[b] * H;
      const float* g = gamma;
      const float* be = beta;
      if (task != nullptr) {
        AK_RETURN_IF_ERROR(task->apply_adapter(il, site, s_row, n));
        if (const float* task_gamma = task->ln_gamma(il, site)) g = task_gamma;
        if (const float* task_beta = task->ln_beta(il, site)) be = task_beta;
      }
      add_inplace(s_row, x_row, n * H);
      layernorm_forward(x_row, nullptr, nullptr, x_row, g, be, n, H, config_.ln_eps);
    }
    return Status::ok();
  };

  for (int il = 0; il < config_.n_layer; ++il) {
    LayerWeights& layer = layers_[static_cast<size_t>(il)];

    // self-attention: fused qkv projection, per-sequence attention, output projection
    AK_RETURN_IF_ERROR(layer.qkv->run(N, x.data(), qkv_.data()));
    for (size_t b = 0; b < B; ++b) {
      attention_forward(context_.data() + offsets[b] * H, nullptr, qkv_.data() + offsets[b] * 3 * H,
                        offsets[b + 1] - offsets[b], H, static_cast<size_t>(config_.n_head),
                        scores_.data());
    }
    AK_RETURN_IF_ERROR(layer.attn_out->run(N, context_.data(), projected_.data()));
    AK_RETURN_IF_ERROR(finish_sublayer(il, TaskOverrides::Site::kAttention, projected_.data(),
                                       layer.ln_attn_gamma.data(), layer.ln_attn_beta.data()));

    // feed-forward
    AK_RETURN_IF_ERROR(layer.ff_in->run(N, x.data(), intermediate_.data()));
    activation_forward(config_.activation, intermediate_.data(), N * F);
    AK_RETURN_IF_ERROR(layer.ff_out->run(N, intermediate_.data(), projected_.data()));
    AK_RETURN_IF_ERROR(finish_sublayer(il, TaskOverrides::Site::kFeedForward, projected_.data(),
                                       layer.ln_ff_gamma.data(), layer.ln_ff_beta.data()));
  }
  return Status::ok();
}

Status BertEncoder::pooler_forward(const EncoderOutput& encoded, float* pooled) {
  if (pooler_ == nullptr) {
    return make_status(StatusCode::kInvalidState,
                       "this model has no pooler weights (%spooler.dense.*); use mean pooling",
                       prefix_.c_str());
  }
  const size_t H = static_cast<size_t>(config_.n_embd);
  const size_t B = encoded.offsets.size() - 1;
  std::vector<float> cls;
  resize_for_xnnpack(&cls, B * H);
  for (size_t b = 0; b < B; ++b) {
    std::memcpy(cls.data() + b * H, encoded.hidden.data() + encoded.offsets[b] * H, H * sizeof(float));
  }
  AK_RETURN_IF_ERROR(pooler_->run(B, cls.data(), pooled));
  for (size_t i = 0; i < B * H; ++i) pooled[i] = std::tanh(pooled[i]);
  return Status::ok();
}

void BertEncoder::mean_pool(const EncoderOutput& encoded, size_t n_embd, float* pooled) {
  const size_t B = encoded.offsets.size() - 1;
  for (size_t b = 0; b < B; ++b) {
    const size_t n = encoded.offsets[b + 1] - encoded.offsets[b];
    float* out = pooled + b * n_embd;
    for (size_t i = 0; i < n_embd; ++i) {
      double sum = 0;
      for (size_t t = 0; t < n; ++t) sum += encoded.hidden[(encoded.offsets[b] + t) * n_embd + i];
      out[i] = static_cast<float>(sum / static_cast<double>(n));
    }
  }
}

}  // namespace adapterkit
