#include "training.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ops.h"

namespace adapterkit {

namespace {

using Site = TaskOverrides::Site;

// Layer norm that also keeps xhat[N, H] = (y - mean) * rstd for its backward pass.
void layernorm_forward_train(float* out, float* xhat, float* rstd, float* mean, const float* y,
                             const float* gamma, const float* beta, size_t n_tokens, size_t n_embd,
                             float eps) {
  layernorm_forward(out, mean, rstd, y, gamma, beta, n_tokens, n_embd, eps);
  for (size_t t = 0; t < n_tokens; ++t) {
    for (size_t i = 0; i < n_embd; ++i) xhat[t * n_embd + i] = (y[t * n_embd + i] - mean[t]) * rstd[t];
  }
}

void zero(std::vector<float>* v) { std::fill(v->begin(), v->end(), 0.0f); }

void copy_into(std::vector<float>* dst, const float* src, size_t n) {
  resize_for_xnnpack(dst, n);
  std::memcpy(dst->data(), src, n * sizeof(float));
}

bool is_decayed(const std::string& name) {
  const bool weight = name.size() > 7 && name.compare(name.size() - 7, 7, ".weight") == 0;
  return weight && name.find("LayerNorm") == std::string::npos;
}

}  // namespace

Status Trainer::create(BertEncoder* encoder, Task* task, const TrainerOptions& options,
                       std::unique_ptr<Trainer>* out) {
  if (!encoder->training_enabled()) {
    return make_status(StatusCode::kInvalidState,
                       "training is not enabled on this base model; call enableTraining first");
  }
  if (task->config().head_input == HeadInput::kPooler && encoder->pooler_backward_ == nullptr) {
    return make_status(StatusCode::kInvalidState,
                       "the adapter's head reads the pooler output, but the base has no pooler");
  }
  std::unique_ptr<Trainer> trainer(new Trainer());
  trainer->encoder_ = encoder;
  trainer->task_ = task;
  trainer->options_ = options;
  trainer->gradients_ = task->zeros_like();
  trainer->moment1_ = task->zeros_like();
  trainer->moment2_ = task->zeros_like();
  trainer->tapes_.resize(static_cast<size_t>(encoder->config().n_layer));
  *out = std::move(trainer);
  return Status::ok();
}

int Trainer::lowest_trained_layer() const {
  const TaskConfig& config = task_->config();
  if (config.layer_norm) return 0;
  const int n_layer = encoder_->config().n_layer;
  for (int il = 0; il < n_layer; ++il) {
    if (task_->adapter(il, Site::kAttention) != nullptr || task_->adapter(il, Site::kFeedForward) != nullptr) {
      return il;
    }
  }
  return n_layer;
}

Status Trainer::layer_forward(int il, float* x, LayerTape* tape) {
  const BertConfig& config = encoder_->config();
  const LayerWeights& layer = encoder_->layers_[static_cast<size_t>(il)];
  const size_t H = static_cast<size_t>(config.n_embd);
  const size_t F = static_cast<size_t>(config.n_ff);
  const size_t m = static_cast<size_t>(task_->config().n_bottleneck);
  const size_t N = n_tokens_;
  const size_t B = offsets_.size() - 1;

  copy_into(&tape->x_in, x, N * H);

  // self-attention
  resize_for_xnnpack(&tape->qkv, N * 3 * H);
  AK_RETURN_IF_ERROR(layer.qkv->run(N, x, tape->qkv.data()));
  tape->probs.resize(probs_offsets_[B]);
  resize_for_xnnpack(&buffer_a_, N * H);
  for (size_t b = 0; b < B; ++b) {
    attention_forward(buffer_a_.data() + offsets_[b] * H, tape->probs.data() + probs_offsets_[b],
                      tape->qkv.data() + offsets_[b] * 3 * H, offsets_[b + 1] - offsets_[b], H,
                      static_cast<size_t>(config.n_head), scratch_.data());
  }
  resize_for_xnnpack(&tape->attn_projected, N * H);
  AK_RETURN_IF_ERROR(layer.attn_out->run(N, buffer_a_.data(), tape->attn_projected.data()));

  // adapter, residual and layer norm after attention
  copy_into(&buffer_b_, tape->attn_projected.data(), N * H);
  if (task_->adapter(il, Site::kAttention) != nullptr) {
    tape->attn_pre.resize(N * m);
    tape->attn_post.resize(N * m);
    AK_RETURN_IF_ERROR(task_->adapter_forward_train(il, Site::kAttention, buffer_b_.data(), N,
                                                    tape->attn_pre.data(), tape->attn_post.data()));
  }
  add_inplace(x, buffer_b_.data(), N * H);
  const float* gamma1 = task_->ln_gamma(il, Site::kAttention);
  const float* beta1 = task_->ln_beta(il, Site::kAttention);
  tape->xhat1.resize(N * H);
  tape->rstd1.resize(N);
  layernorm_forward_train(x, tape->xhat1.data(), tape->rstd1.data(), mean_.data(), buffer_b_.data(),
                          gamma1 ? gamma1 : layer.ln_attn_gamma.data(),
                          beta1 ? beta1 : layer.ln_attn_beta.data(), N, H, config.ln_eps);

  // feed-forward
  resize_for_xnnpack(&tape->ff_pre, N * F);
  AK_RETURN_IF_ERROR(layer.ff_in->run(N, x, tape->ff_pre.data()));
  copy_into(&buffer_f_, tape->ff_pre.data(), N * F);
  activation_forward(config.activation, buffer_f_.data(), N * F);
  resize_for_xnnpack(&tape->ff_projected, N * H);
  AK_RETURN_IF_ERROR(layer.ff_out->run(N, buffer_f_.data(), tape->ff_projected.data()));

  // adapter, residual and layer norm after the feed-forward block
  copy_into(&buffer_b_, tape->ff_projected.data(), N * H);
  if (task_->adapter(il, Site::kFeedForward) != nullptr) {
    tape->ff_pre_adapter.resize(N * m);
    tape->ff_post_adapter.resize(N * m);
    AK_RETURN_IF_ERROR(task_->adapter_forward_train(il, Site::kFeedForward, buffer_b_.data(), N,
                                                    tape->ff_pre_adapter.data(),
                                                    tape->ff_post_adapter.data()));
  }
  add_inplace(x, buffer_b_.data(), N * H);
  const float* gamma2 = task_->ln_gamma(il, Site::kFeedForward);
  const float* beta2 = task_->ln_beta(il, Site::kFeedForward);
  tape->xhat2.resize(N * H);
  tape->rstd2.resize(N);
  layernorm_forward_train(x, tape->xhat2.data(), tape->rstd2.data(), mean_.data(), buffer_b_.data(),
                          gamma2 ? gamma2 : layer.ln_ff_gamma.data(),
                          beta2 ? beta2 : layer.ln_ff_beta.data(), N, H, config.ln_eps);
  return Status::ok();
}

Status Trainer::adapter_backward(int il, Site site, const float* input, const float* pre,
                                 const float* post, float* ds) {
  const Bottleneck* a = task_->adapter(il, site);
  Bottleneck* g = gradients_->adapter(il, site);
  const size_t H = static_cast<size_t>(encoder_->config().n_embd);
  const size_t m = static_cast<size_t>(task_->config().n_bottleneck);
  const size_t N = n_tokens_;
  std::vector<float> dpost(N * m, 0.0f);

  // up: u = post Wu^T + bu, so dWu[i, :] += du[t, i] post[t, :] and dpost[t] = du[t] Wu
  for (size_t t = 0; t < N; ++t) {
    const float* du = ds + t * H;
    add_inplace(du, g->up_b.data(), H);
    for (size_t i = 0; i < H; ++i) {
      axpy(du[i], post + t * m, g->up_w.data() + i * m, m);
      axpy(du[i], a->up_w.data() + i * m, dpost.data() + t * m, m);
    }
  }
  // activation
  adapter_activation_backward(task_->config().activation, dpost.data(), dpost.data(), pre, N * m);
  // down: pre = input Wd^T + bd, so dWd[j, :] += dpre[t, j] input[t, :] and ds[t] += dpre[t] Wd
  for (size_t t = 0; t < N; ++t) {
    const float* dpre = dpost.data() + t * m;
    add_inplace(dpre, g->down_b.data(), m);
    for (size_t j = 0; j < m; ++j) {
      axpy(dpre[j], input + t * H, g->down_w.data() + j * H, H);
      axpy(dpre[j], a->down_w.data() + j * H, ds + t * H, H);
    }
  }
  return Status::ok();
}

Status Trainer::layer_backward(int il, float* dx, const LayerTape& tape, bool need_input_gradient) {
  const BertConfig& config = encoder_->config();
  const LayerWeights& layer = encoder_->layers_[static_cast<size_t>(il)];
  const LayerBackwardOps& ops = encoder_->backward_[static_cast<size_t>(il)];
  const size_t H = static_cast<size_t>(config.n_embd);
  const size_t F = static_cast<size_t>(config.n_ff);
  const size_t N = n_tokens_;
  const size_t B = offsets_.size() - 1;
  const bool task_ln = task_->config().layer_norm;

  // second layer norm: dx (gradient of the layer output) -> buffer_b_ = d(x1 + s2)
  resize_for_xnnpack(&buffer_b_, N * H);
  const float* gamma2 = task_->ln_gamma(il, Site::kFeedForward);
  layernorm_backward(buffer_b_.data(),
                     task_ln ? gradients_->task_ln_gamma(il, Site::kFeedForward).data() : nullptr,
                     task_ln ? gradients_->task_ln_beta(il, Site::kFeedForward).data() : nullptr, dx,
                     tape.xhat2.data(), tape.rstd2.data(), gamma2 ? gamma2 : layer.ln_ff_gamma.data(),
                     N, H);

  // feed-forward adapter: buffer_a_ = d s2 (gradient of the output projection)
  copy_into(&buffer_a_, buffer_b_.data(), N * H);
  if (task_->adapter(il, Site::kFeedForward) != nullptr) {
    AK_RETURN_IF_ERROR(adapter_backward(il, Site::kFeedForward, tape.ff_projected.data(),
                                        tape.ff_pre_adapter.data(), tape.ff_post_adapter.data(),
                                        buffer_a_.data()));
  }

  // output projection, activation, input projection through the frozen weights
  resize_for_xnnpack(&buffer_f_, N * F);
  AK_RETURN_IF_ERROR(ops.ff_out->run(N, buffer_a_.data(), buffer_f_.data()));
  activation_backward(config.activation, buffer_f_.data(), buffer_f_.data(), tape.ff_pre.data(), N * F);
  AK_RETURN_IF_ERROR(ops.ff_in->run(N, buffer_f_.data(), buffer_a_.data()));
  // residual: d x1 = d(x1 + s2) + the feed-forward path
  add_inplace(buffer_b_.data(), buffer_a_.data(), N * H);

  // first layer norm: buffer_a_ (d x1) -> dx = d(x + s1)
  const float* gamma1 = task_->ln_gamma(il, Site::kAttention);
  layernorm_backward(dx, task_ln ? gradients_->task_ln_gamma(il, Site::kAttention).data() : nullptr,
                     task_ln ? gradients_->task_ln_beta(il, Site::kAttention).data() : nullptr,
                     buffer_a_.data(), tape.xhat1.data(), tape.rstd1.data(),
                     gamma1 ? gamma1 : layer.ln_attn_gamma.data(), N, H);

  // attention adapter: buffer_a_ = d s1 (gradient of the attention output projection)
  copy_into(&buffer_a_, dx, N * H);
  if (task_->adapter(il, Site::kAttention) != nullptr) {
    AK_RETURN_IF_ERROR(adapter_backward(il, Site::kAttention, tape.attn_projected.data(),
                                        tape.attn_pre.data(), tape.attn_post.data(), buffer_a_.data()));
  }
  // Below the lowest trained layer nothing needs a gradient.
  if (!need_input_gradient) return Status::ok();

  // attention output projection, attention, fused qkv projection
  resize_for_xnnpack(&buffer_b_, N * H);
  AK_RETURN_IF_ERROR(ops.attn_out->run(N, buffer_a_.data(), buffer_b_.data()));
  resize_for_xnnpack(&buffer_c_, N * 3 * H);
  for (size_t b = 0; b < B; ++b) {
    attention_backward(buffer_c_.data() + offsets_[b] * 3 * H, buffer_b_.data() + offsets_[b] * H,
                       tape.probs.data() + probs_offsets_[b], tape.qkv.data() + offsets_[b] * 3 * H,
                       offsets_[b + 1] - offsets_[b], H, static_cast<size_t>(config.n_head),
                       scratch_.data());
  }
  AK_RETURN_IF_ERROR(ops.qkv->run(N, buffer_c_.data(), buffer_a_.data()));
  // residual: dx (the gradient of the layer input) = d(x + s1) + the attention path
  add_inplace(buffer_a_.data(), dx, N * H);
  return Status::ok();
}

Status Trainer::compute_gradients(const EncoderInput& input, const int32_t* labels,
                                  const float* class_weights, float* loss) {
  AK_RETURN_IF_ERROR(encoder_->validate_input(input));
  const BertConfig& config = encoder_->config();
  const TaskConfig& task_config = task_->config();
  const size_t H = static_cast<size_t>(config.n_embd);
  const size_t B = input.n_batch;
  const size_t C = task_config.labels.size();
  const size_t n_head = static_cast<size_t>(config.n_head);
  for (size_t b = 0; b < B; ++b) {
    if (labels[b] < 0 || static_cast<size_t>(labels[b]) >= C) {
      return make_status(StatusCode::kInvalidArgument, "row %zu: label index %d is outside 0..%zu",
                         b, labels[b], C - 1);
    }
  }
  for (NamedTensor& t : gradients_->tensors()) zero(t.values);

  // batch layout
  offsets_.assign(B + 1, 0);
  probs_offsets_.assign(B + 1, 0);
  max_length_ = 0;
  for (size_t b = 0; b < B; ++b) {
    const size_t length = static_cast<size_t>(input.lengths[b]);
    offsets_[b + 1] = offsets_[b] + length;
    probs_offsets_[b + 1] = probs_offsets_[b] + n_head * length * length;
    max_length_ = std::max(max_length_, length);
  }
  const size_t N = offsets_[B];
  n_tokens_ = N;
  scratch_.resize(std::max(attention_scratch_size(max_length_), H));
  mean_.resize(N);

  // forward: embeddings, then every layer with its tape
  resize_for_xnnpack(&hidden_, N * H);
  encoder_->embed(input, offsets_, hidden_.data());
  layernorm_forward(hidden_.data(), nullptr, nullptr, hidden_.data(), encoder_->ln_embd_gamma_.data(),
                    encoder_->ln_embd_beta_.data(), N, H, config.ln_eps);
  const int lowest = lowest_trained_layer();
  size_t tape_bytes = 0;
  for (int il = 0; il < config.n_layer; ++il) {
    LayerTape& tape = tapes_[static_cast<size_t>(il)];
    if (options_.recompute || il < lowest) {
      AK_RETURN_IF_ERROR(layer_forward(il, hidden_.data(), &work_tape_));
      copy_into(&tape.x_in, work_tape_.x_in.data(), N * H);
      tape_bytes += N * H * sizeof(float);
    } else {
      AK_RETURN_IF_ERROR(layer_forward(il, hidden_.data(), &tape));
      for (const std::vector<float>* v : {&tape.x_in, &tape.qkv, &tape.probs, &tape.attn_projected,
                                          &tape.attn_pre, &tape.attn_post, &tape.xhat1, &tape.rstd1,
                                          &tape.ff_pre, &tape.ff_projected, &tape.ff_pre_adapter,
                                          &tape.ff_post_adapter, &tape.xhat2, &tape.rstd2}) {
        tape_bytes += v->size() * sizeof(float);
      }
    }
  }
  peak_tape_bytes_ = std::max(peak_tape_bytes_, tape_bytes);

  // head input per row: pooler, [CLS] or mean, optionally L2-normalised
  std::vector<float> features(B * H), pooled;
  for (size_t b = 0; b < B; ++b) {
    float* f = features.data() + b * H;
    const size_t length = offsets_[b + 1] - offsets_[b];
    const float* rows = hidden_.data() + offsets_[b] * H;
    if (task_config.head_input == HeadInput::kMean) {
      for (size_t i = 0; i < H; ++i) {
        double sum = 0;
        for (size_t t = 0; t < length; ++t) sum += rows[t * H + i];
        f[i] = static_cast<float>(sum / static_cast<double>(length));
      }
    } else {
      std::memcpy(f, rows, H * sizeof(float));
    }
  }
  if (task_config.head_input == HeadInput::kPooler) {
    std::vector<float> cls;
    copy_into(&cls, features.data(), B * H);
    pooled.resize(B * H);
    AK_RETURN_IF_ERROR(encoder_->pooler_->run(B, cls.data(), pooled.data()));
    for (float& v : pooled) v = std::tanh(v);
    features = pooled;
  }
  std::vector<float> norms(B, 1.0f);
  if (task_config.head_normalize) {
    for (size_t b = 0; b < B; ++b) {
      double sum = 0;
      for (size_t i = 0; i < H; ++i) sum += static_cast<double>(features[b * H + i]) * features[b * H + i];
      norms[b] = static_cast<float>(std::max(std::sqrt(sum), 1e-12));
      for (size_t i = 0; i < H; ++i) features[b * H + i] /= norms[b];
    }
  }

  // head: [linear, activation,] linear
  const bool two_layers = task_config.head_layers == 2;
  std::vector<float> hidden_pre, hidden_post;
  const float* head_input = features.data();
  if (two_layers) {
    hidden_pre.resize(B * H);
    for (size_t b = 0; b < B; ++b) {
      for (size_t j = 0; j < H; ++j) {
        hidden_pre[b * H + j] = dot(task_->head_hidden_w().data() + j * H, features.data() + b * H, H) + task_->head_hidden_b()[j];
      }
    }
    hidden_post = hidden_pre;
    adapter_activation_forward(task_config.head_activation, hidden_post.data(), B * H);
    head_input = hidden_post.data();
  }
  std::vector<float> logits(B * C);
  for (size_t b = 0; b < B; ++b) {
    for (size_t c = 0; c < C; ++c) {
      logits[b * C + c] = dot(task_->head_out_w().data() + c * H, head_input + b * H, H) + task_->head_out_b()[c];
    }
  }

  // loss: cross-entropy, mean over the batch weighted by each row's class weight
  double total_weight = 0;
  for (size_t b = 0; b < B; ++b) total_weight += class_weights ? class_weights[labels[b]] : 1.0;
  if (!(total_weight > 0)) {
    return make_status(StatusCode::kInvalidArgument, "the class weights of this batch sum to %g; they must be positive", total_weight);
  }
  double loss_sum = 0;
  std::vector<float> dlogits(B * C);
  for (size_t b = 0; b < B; ++b) {
    const float* row = logits.data() + b * C;
    const float max_logit = *std::max_element(row, row + C);
    double sum = 0;
    for (size_t c = 0; c < C; ++c) sum += std::exp(static_cast<double>(row[c] - max_logit));
    const double weight = (class_weights ? class_weights[labels[b]] : 1.0) / total_weight;
    const double log_sum = std::log(sum) + max_logit;
    loss_sum += weight * (log_sum - row[labels[b]]);
    for (size_t c = 0; c < C; ++c) {
      const double p = std::exp(static_cast<double>(row[c]) - log_sum);
      dlogits[b * C + c] = static_cast<float>(weight * (p - (static_cast<size_t>(labels[b]) == c ? 1.0 : 0.0)));
    }
  }
  *loss = static_cast<float>(loss_sum);

  // head backward
  std::vector<float> dinput(B * H, 0.0f);
  for (size_t b = 0; b < B; ++b) {
    for (size_t c = 0; c < C; ++c) {
      const float d = dlogits[b * C + c];
      gradients_->head_out_b()[c] += d;
      axpy(d, head_input + b * H, gradients_->head_out_w().data() + c * H, H);
      axpy(d, task_->head_out_w().data() + c * H, dinput.data() + b * H, H);
    }
  }
  std::vector<float> dfeatures(B * H, 0.0f);
  if (two_layers) {
    adapter_activation_backward(task_config.head_activation, dinput.data(), dinput.data(), hidden_pre.data(), B * H);
    for (size_t b = 0; b < B; ++b) {
      for (size_t j = 0; j < H; ++j) {
        const float d = dinput[b * H + j];
        gradients_->head_hidden_b()[j] += d;
        axpy(d, features.data() + b * H, gradients_->head_hidden_w().data() + j * H, H);
        axpy(d, task_->head_hidden_w().data() + j * H, dfeatures.data() + b * H, H);
      }
    }
  } else {
    dfeatures = dinput;
  }
  if (task_config.head_normalize) {
    // y = x / |x|: dx = (dy - y (y . dy)) / |x|
    for (size_t b = 0; b < B; ++b) {
      float* d = dfeatures.data() + b * H;
      const float* y = features.data() + b * H;
      const float projection = dot(y, d, H);
      for (size_t i = 0; i < H; ++i) d[i] = (d[i] - y[i] * projection) / norms[b];
    }
  }
  if (lowest >= config.n_layer) return Status::ok();  // only the head is trained

  // gradient of the last hidden states
  resize_for_xnnpack(&dhidden_, N * H);
  std::fill(dhidden_.begin(), dhidden_.end(), 0.0f);
  if (task_config.head_input == HeadInput::kPooler) {
    std::vector<float> dpre;
    resize_for_xnnpack(&dpre, B * H);
    for (size_t i = 0; i < B * H; ++i) dpre[i] = dfeatures[i] * (1.0f - pooled[i] * pooled[i]);
    std::vector<float> dcls(B * H);
    AK_RETURN_IF_ERROR(encoder_->pooler_backward_->run(B, dpre.data(), dcls.data()));
    for (size_t b = 0; b < B; ++b) add_inplace(dcls.data() + b * H, dhidden_.data() + offsets_[b] * H, H);
  } else if (task_config.head_input == HeadInput::kCls) {
    for (size_t b = 0; b < B; ++b) add_inplace(dfeatures.data() + b * H, dhidden_.data() + offsets_[b] * H, H);
  } else {
    for (size_t b = 0; b < B; ++b) {
      const size_t length = offsets_[b + 1] - offsets_[b];
      for (size_t t = 0; t < length; ++t) {
        axpy(1.0f / static_cast<float>(length), dfeatures.data() + b * H, dhidden_.data() + (offsets_[b] + t) * H, H);
      }
    }
  }

  // backward through the layers, top down to the lowest one with trained parameters
  for (int il = config.n_layer - 1; il >= lowest; --il) {
    const LayerTape* tape = &tapes_[static_cast<size_t>(il)];
    if (options_.recompute) {
      std::vector<float> x;
      copy_into(&x, tape->x_in.data(), N * H);
      AK_RETURN_IF_ERROR(layer_forward(il, x.data(), &work_tape_));
      tape = &work_tape_;
    }
    AK_RETURN_IF_ERROR(layer_backward(il, dhidden_.data(), *tape, il > lowest));
  }
  return Status::ok();
}

Status Trainer::step(const EncoderInput& input, const int32_t* labels, const float* class_weights,
                     float lr, float* loss, float* grad_norm) {
  if (!(lr >= 0) || !std::isfinite(lr)) {
    return make_status(StatusCode::kInvalidArgument, "learning rate %g must be a finite number >= 0", lr);
  }
  AK_RETURN_IF_ERROR(compute_gradients(input, labels, class_weights, loss));
  if (!std::isfinite(*loss)) {
    return make_status(StatusCode::kInvalidState,
                       "the loss is %g: training diverged; lower the learning rate", *loss);
  }
  std::vector<NamedTensor> params = task_->tensors();
  std::vector<NamedTensor> grads = gradients_->tensors();
  std::vector<NamedTensor> m1 = moment1_->tensors();
  std::vector<NamedTensor> m2 = moment2_->tensors();

  // global gradient norm clipping, as torch.nn.utils.clip_grad_norm_ does
  double squares = 0;
  for (const NamedTensor& g : grads) for (float v : *g.values) squares += static_cast<double>(v) * v;
  const double norm = std::sqrt(squares);
  *grad_norm = static_cast<float>(norm);
  if (options_.max_grad_norm > 0) {
    const double coefficient = std::min(1.0, options_.max_grad_norm / (norm + 1e-6));
    if (coefficient < 1.0) {
      for (NamedTensor& g : grads) for (float& v : *g.values) v = static_cast<float>(v * coefficient);
    }
  }

  // AdamW with decoupled weight decay, in PyTorch's order of operations
  ++steps_;
  const double bias_correction1 = 1.0 - std::pow(static_cast<double>(options_.beta1), static_cast<double>(steps_));
  const double bias_correction2 = 1.0 - std::pow(static_cast<double>(options_.beta2), static_cast<double>(steps_));
  const float step_size = static_cast<float>(lr / bias_correction1);
  const float correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
  for (size_t k = 0; k < params.size(); ++k) {
    std::vector<float>& p = *params[k].values;
    const std::vector<float>& g = *grads[k].values;
    std::vector<float>& m = *m1[k].values;
    std::vector<float>& v = *m2[k].values;
    const float decay = is_decayed(params[k].name) ? 1.0f - lr * options_.weight_decay : 1.0f;
    for (size_t i = 0; i < p.size(); ++i) {
      p[i] *= decay;
      m[i] = options_.beta1 * m[i] + (1.0f - options_.beta1) * g[i];
      v[i] = options_.beta2 * v[i] + (1.0f - options_.beta2) * g[i] * g[i];
      p[i] -= step_size * m[i] / (std::sqrt(v[i]) / correction2_sqrt + options_.epsilon);
    }
  }
  return task_->repack();
}

}  // namespace adapterkit
