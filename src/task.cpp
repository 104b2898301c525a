#include "task.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <set>

namespace adapterkit {

namespace {

constexpr int kSites = 2;

// Gaussian numbers from a counter-based generator, identical on every platform.
class SeededNormal {
 public:
  explicit SeededNormal(uint32_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  float next(float std) {
    if (has_spare_) {
      has_spare_ = false;
      return spare_ * std;
    }
    const double u = std::max(uniform(), 1e-300);
    const double v = uniform();
    const double r = std::sqrt(-2.0 * std::log(u));
    spare_ = static_cast<float>(r * std::sin(6.283185307179586 * v));
    has_spare_ = true;
    return static_cast<float>(r * std::cos(6.283185307179586 * v)) * std;
  }

 private:
  double uniform() {  // splitmix64
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * (1.0 / 9007199254740992.0);
  }
  uint64_t state_;
  bool has_spare_ = false;
  float spare_ = 0;
};

Status make_op(const std::string& name, size_t n_in, size_t n_out, const std::vector<float>& w,
               const std::vector<float>& b, std::unique_ptr<FullyConnected>* out) {
  return FullyConnected::create(name.c_str(), n_in, n_out, w.data(), b.data(),
                                FullyConnected::WeightLayout::kOutIn, out);
}

}  // namespace

const char* adapter_activation_name(AdapterActivation activation) {
  switch (activation) {
    case AdapterActivation::kRelu: return "relu";
    case AdapterActivation::kGelu: return "gelu";
    case AdapterActivation::kSwish: return "swish";
    case AdapterActivation::kTanh: return "tanh";
  }
  return "?";
}

Status parse_adapter_activation(const std::string& name, const char* field, AdapterActivation* out) {
  if (name == "relu") *out = AdapterActivation::kRelu;
  else if (name == "gelu") *out = AdapterActivation::kGelu;
  else if (name == "swish" || name == "silu") *out = AdapterActivation::kSwish;
  else if (name == "tanh") *out = AdapterActivation::kTanh;
  else {
    return make_status(StatusCode::kInvalidArgument,
                       "%s is '%s'; expected relu, gelu, swish (or silu) or tanh", field,
                       name.c_str());
  }
  return Status::ok();
}

void adapter_activation_forward(AdapterActivation activation, float* x, size_t n) {
  switch (activation) {
    case AdapterActivation::kRelu:
      for (size_t i = 0; i < n; ++i) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
      break;
    case AdapterActivation::kGelu:
      for (size_t i = 0; i < n; ++i) x[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * 0.70710678118654752f));
      break;
    case AdapterActivation::kSwish:
      for (size_t i = 0; i < n; ++i) x[i] = x[i] / (1.0f + std::exp(-x[i]));
      break;
    case AdapterActivation::kTanh:
      for (size_t i = 0; i < n; ++i) x[i] = std::tanh(x[i]);
      break;
  }
}

void adapter_activation_backward(AdapterActivation activation, float* dx, const float* dy,
                                 const float* x, size_t n) {
  switch (activation) {
    case AdapterActivation::kRelu:
      for (size_t i = 0; i < n; ++i) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
      break;
    case AdapterActivation::kGelu:
      for (size_t i = 0; i < n; ++i) {
        const float v = x[i];
        const float cdf = 0.5f * (1.0f + std::erf(v * 0.70710678118654752f));
        const float pdf = 0.39894228040143268f * std::exp(-0.5f * v * v);
        dx[i] = dy[i] * (cdf + v * pdf);
      }
      break;
    case AdapterActivation::kSwish:
      for (size_t i = 0; i < n; ++i) {
        const float sigmoid = 1.0f / (1.0f + std::exp(-x[i]));
        dx[i] = dy[i] * sigmoid * (1.0f + x[i] * (1.0f - sigmoid));
      }
      break;
    case AdapterActivation::kTanh:
      for (size_t i = 0; i < n; ++i) {
        const float t = std::tanh(x[i]);
        dx[i] = dy[i] * (1.0f - t * t);
      }
      break;
  }
}

std::string adapter_tensor_prefix(int il, TaskOverrides::Site site, const std::string& name) {
  return "encoder.layer." + std::to_string(il) +
         (site == TaskOverrides::Site::kAttention ? ".attention.output." : ".output.") +
         "adapters." + name + ".";
}

namespace {

std::string ln_tensor_prefix(int il, TaskOverrides::Site site) {
  return "encoder.layer." + std::to_string(il) +
         (site == TaskOverrides::Site::kAttention ? ".attention.output.LayerNorm." : ".output.LayerNorm.");
}

Status field_error(const std::string& file, const char* field, const char* expected) {
  return make_status(StatusCode::kInvalidFile, "%s: adapter config field '%s' %s", file.c_str(),
                     field, expected);
}

}  // namespace

Status parse_task_config(const JsonValue& json, const BertConfig& base, const std::string& file,
                         TaskConfig* out) {
  TaskConfig c;
  const JsonValue* name = json.find("name");
  if (name == nullptr || !name->is_string() || name->as_string().empty()) {
    return field_error(file, "name", "must be a non-empty string");
  }
  for (char ch : name->as_string()) {
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-')) {
      return make_status(StatusCode::kInvalidFile,
                         "%s: adapter name '%s' may only contain letters, digits, '_' and '-'",
                         file.c_str(), name->as_string().c_str());
    }
  }
  c.name = name->as_string();

  const JsonValue* adapter = json.find("adapter");
  if (adapter == nullptr || !adapter->is_object()) {
    return field_error(file, "adapter", "must be an object");
  }
  const JsonValue* size = adapter->find("size");
  if (size == nullptr || !size->is_number() || size->as_number() < 0 ||
      size->as_number() > base.n_embd || size->as_number() != std::floor(size->as_number())) {
    return make_status(StatusCode::kInvalidFile,
                       "%s: adapter.size must be an integer in 0..%d (the hidden size)",
                       file.c_str(), base.n_embd);
  }
  c.n_bottleneck = static_cast<int>(size->as_number());
  if (const JsonValue* act = adapter->find("nonLinearity")) {
    if (!act->is_string()) return field_error(file, "adapter.nonLinearity", "must be a string");
    Status status = parse_adapter_activation(act->as_string(), "adapter.nonLinearity", &c.activation);
    if (!status.is_ok()) return Status(StatusCode::kInvalidFile, file + ": " + status.message());
  }
  c.layers.assign(static_cast<size_t>(base.n_layer), true);
  if (const JsonValue* layers = adapter->find("layers")) {
    if (!layers->is_array()) return field_error(file, "adapter.layers", "must be an array of layer indices");
    c.layers.assign(static_cast<size_t>(base.n_layer), false);
    for (const JsonValue& layer : layers->as_array()) {
      if (!layer.is_number() || layer.as_number() < 0 || layer.as_number() >= base.n_layer ||
          layer.as_number() != std::floor(layer.as_number())) {
        return make_status(StatusCode::kInvalidFile,
                           "%s: adapter.layers contains %s, expected integers in 0..%d",
                           file.c_str(), layer.is_number() ? std::to_string(layer.as_number()).c_str() : "a non-number",
                           base.n_layer - 1);
      }
      c.layers[static_cast<size_t>(layer.as_number())] = true;
    }
  }
  if (const JsonValue* sites = adapter->find("sites")) {
    if (!sites->is_array()) return field_error(file, "adapter.sites", "must be an array");
    c.attention_site = false;
    c.feed_forward_site = false;
    for (const JsonValue& site : sites->as_array()) {
      if (site.is_string() && site.as_string() == "attention") c.attention_site = true;
      else if (site.is_string() && site.as_string() == "feedForward") c.feed_forward_site = true;
      else return field_error(file, "adapter.sites", "may only contain \"attention\" and \"feedForward\"");
    }
  }
  if (const JsonValue* ln = adapter->find("layerNorm")) {
    if (!ln->is_bool()) return field_error(file, "adapter.layerNorm", "must be true or false");
    c.layer_norm = ln->as_bool();
  }

  const JsonValue* head = json.find("head");
  if (head == nullptr || !head->is_object()) return field_error(file, "head", "must be an object");
  const JsonValue* input = head->find("input");
  const std::string input_name = input != nullptr && input->is_string() ? input->as_string() : "";
  if (input_name == "pooler") c.head_input = HeadInput::kPooler;
  else if (input_name == "cls") c.head_input = HeadInput::kCls;
  else if (input_name == "mean") c.head_input = HeadInput::kMean;
  else return field_error(file, "head.input", "must be \"pooler\", \"cls\" or \"mean\"");
  if (const JsonValue* normalize = head->find("normalize")) {
    if (!normalize->is_bool()) return field_error(file, "head.normalize", "must be true or false");
    c.head_normalize = normalize->as_bool();
  }
  if (const JsonValue* layers = head->find("layers")) {
    if (!layers->is_number() || (layers->as_number() != 1 && layers->as_number() != 2)) {
      return field_error(file, "head.layers", "must be 1 or 2");
    }
    c.head_layers = static_cast<int>(layers->as_number());
  }
  if (const JsonValue* act = head->find("activation")) {
    if (!act->is_string()) return field_error(file, "head.activation", "must be a string");
    Status status = parse_adapter_activation(act->as_string(), "head.activation", &c.head_activation);
    if (!status.is_ok()) return Status(StatusCode::kInvalidFile, file + ": " + status.message());
  }
  const JsonValue* labels = head->find("labels");
  if (labels == nullptr || !labels->is_array() || labels->as_array().size() < 2) {
    return field_error(file, "head.labels", "must be an array of at least two label names");
  }
  std::set<std::string> seen;
  for (const JsonValue& label : labels->as_array()) {
    if (!label.is_string() || label.as_string().empty()) {
      return field_error(file, "head.labels", "must contain non-empty strings");
    }
    if (!seen.insert(label.as_string()).second) {
      return make_status(StatusCode::kInvalidFile, "%s: head.labels contains '%s' twice",
                         file.c_str(), label.as_string().c_str());
    }
    c.labels.push_back(label.as_string());
  }
  *out = std::move(c);
  return Status::ok();
}

void Task::allocate(const BertEncoder& base) {
  const BertConfig& bc = base.config();
  n_embd_ = bc.n_embd;
  n_layer_ = bc.n_layer;
  const size_t H = static_cast<size_t>(n_embd_);
  const size_t m = static_cast<size_t>(config_.n_bottleneck);
  const size_t C = config_.labels.size();
  for (int site = 0; site < kSites; ++site) {
    adapters_[site].clear();
    adapters_[site].resize(static_cast<size_t>(n_layer_));
    ln_gamma_[site].assign(static_cast<size_t>(n_layer_), {});
    ln_beta_[site].assign(static_cast<size_t>(n_layer_), {});
    const bool site_on = site == 0 ? config_.attention_site : config_.feed_forward_site;
    for (int il = 0; il < n_layer_; ++il) {
      if (m > 0 && site_on && config_.layers[static_cast<size_t>(il)]) {
        auto adapter = std::make_unique<Bottleneck>();
        adapter->down_w.assign(m * H, 0.0f);
        adapter->down_b.assign(m, 0.0f);
        adapter->up_w.assign(H * m, 0.0f);
        adapter->up_b.assign(H, 0.0f);
        adapters_[site][static_cast<size_t>(il)] = std::move(adapter);
      }
      if (config_.layer_norm) {
        ln_gamma_[site][static_cast<size_t>(il)].assign(H, 1.0f);
        ln_beta_[site][static_cast<size_t>(il)].assign(H, 0.0f);
      }
    }
  }
  if (config_.head_layers == 2) {
    head_hidden_w_.assign(H * H, 0.0f);
    head_hidden_b_.assign(H, 0.0f);
  }
  head_out_w_.assign(C * H, 0.0f);
  head_out_b_.assign(C, 0.0f);
}

std::vector<NamedTensor> Task::tensors() {
  std::vector<NamedTensor> list;
  const int64_t H = n_embd_;
  const int64_t m = config_.n_bottleneck;
  for (int il = 0; il < n_layer_; ++il) {
    for (int site = 0; site < kSites; ++site) {
      const Site s = static_cast<Site>(site);
      if (Bottleneck* a = adapters_[site][static_cast<size_t>(il)].get()) {
        const std::string p = adapter_tensor_prefix(il, s, config_.name);
        list.push_back({p + "adapter_down.0.weight", {m, H}, &a->down_w});
        list.push_back({p + "adapter_down.0.bias", {m}, &a->down_b});
        list.push_back({p + "adapter_up.weight", {H, m}, &a->up_w});
        list.push_back({p + "adapter_up.bias", {H}, &a->up_b});
      }
      if (config_.layer_norm) {
        const std::string p = ln_tensor_prefix(il, s);
        list.push_back({p + "weight", {H}, &ln_gamma_[site][static_cast<size_t>(il)]});
        list.push_back({p + "bias", {H}, &ln_beta_[site][static_cast<size_t>(il)]});
      }
    }
  }
  // AdapterHub's head is Sequential(Dropout, Linear, Activation, Dropout, Linear): the linear
  // layers sit at indices 1 and 4 (a one-layer head has its linear layer at 1).
  const std::string head = "heads." + config_.name + ".";
  const int64_t C = static_cast<int64_t>(config_.labels.size());
  if (config_.head_layers == 2) {
    list.push_back({head + "1.weight", {H, H}, &head_hidden_w_});
    list.push_back({head + "1.bias", {H}, &head_hidden_b_});
    list.push_back({head + "4.weight", {C, H}, &head_out_w_});
    list.push_back({head + "4.bias", {C}, &head_out_b_});
  } else {
    list.push_back({head + "1.weight", {C, H}, &head_out_w_});
    list.push_back({head + "1.bias", {C}, &head_out_b_});
  }
  return list;
}

size_t Task::parameter_count() {
  size_t n = 0;
  for (const NamedTensor& t : tensors()) n += t.values->size();
  return n;
}

Status Task::repack() {
  const size_t H = static_cast<size_t>(n_embd_);
  const size_t m = static_cast<size_t>(config_.n_bottleneck);
  for (int site = 0; site < kSites; ++site) {
    down_ops_[site].clear();
    up_ops_[site].clear();
    down_ops_[site].resize(static_cast<size_t>(n_layer_));
    up_ops_[site].resize(static_cast<size_t>(n_layer_));
    for (int il = 0; il < n_layer_; ++il) {
      Bottleneck* a = adapters_[site][static_cast<size_t>(il)].get();
      if (a == nullptr) continue;
      const std::string p = adapter_tensor_prefix(il, static_cast<Site>(site), config_.name);
      AK_RETURN_IF_ERROR(make_op(p + "adapter_down", H, m, a->down_w, a->down_b, &down_ops_[site][static_cast<size_t>(il)]));
      AK_RETURN_IF_ERROR(make_op(p + "adapter_up", m, H, a->up_w, a->up_b, &up_ops_[site][static_cast<size_t>(il)]));
    }
  }
  const std::string head = "heads." + config_.name;
  if (config_.head_layers == 2) {
    AK_RETURN_IF_ERROR(make_op(head + ".1", H, H, head_hidden_w_, head_hidden_b_, &head_hidden_op_));
  }
  AK_RETURN_IF_ERROR(make_op(head + ".out", H, config_.labels.size(), head_out_w_, head_out_b_, &head_out_op_));
  return Status::ok();
}

Status Task::create(const TaskConfig& config, const BertEncoder& base, uint32_t seed,
                    float init_std, std::unique_ptr<Task>* out) {
  std::unique_ptr<Task> task(new Task());
  task->config_ = config;
  task->allocate(base);
  SeededNormal normal(seed);
  for (int il = 0; il < task->n_layer_; ++il) {
    for (int site = 0; site < kSites; ++site) {
      if (Bottleneck* a = task->adapters_[site][static_cast<size_t>(il)].get()) {
        for (float& w : a->down_w) w = normal.next(init_std);
      }
      if (config.layer_norm) {
        const Site s = static_cast<Site>(site);
        const float* g = base.base_ln_gamma(il, s);
        const float* b = base.base_ln_beta(il, s);
        std::memcpy(task->ln_gamma_[site][static_cast<size_t>(il)].data(), g, sizeof(float) * static_cast<size_t>(task->n_embd_));
        std::memcpy(task->ln_beta_[site][static_cast<size_t>(il)].data(), b, sizeof(float) * static_cast<size_t>(task->n_embd_));
      }
    }
  }
  for (float& w : task->head_hidden_w_) w = normal.next(0.02f);
  for (float& w : task->head_out_w_) w = normal.next(0.02f);
  AK_RETURN_IF_ERROR(task->repack());
  *out = std::move(task);
  return Status::ok();
}

Status Task::load(const TaskConfig& config, const BertEncoder& base, const SafetensorsFile& file,
                  std::unique_ptr<Task>* out) {
  std::unique_ptr<Task> task(new Task());
  task->config_ = config;
  task->allocate(base);
  std::set<std::string> expected;
  for (const NamedTensor& t : task->tensors()) {
    const TensorInfo* info = nullptr;
    Status status = file.require(t.name, t.shape, &info);
    if (!status.is_ok()) {
      return Status(StatusCode::kInvalidFile,
                    status.message() + " (the adapter config in the file's metadata implies it)");
    }
    file.read_f32(*info, t.values->data());
    for (float v : *t.values) {
      if (!std::isfinite(v)) {
        return make_status(StatusCode::kInvalidFile, "%s: tensor '%s' contains NaN or infinity",
                           file.file_name().c_str(), t.name.c_str());
      }
    }
    expected.insert(t.name);
  }
  for (const TensorInfo& info : file.tensors()) {
    if (expected.count(info.name) == 0) {
      return make_status(StatusCode::kInvalidFile,
                         "%s: unexpected tensor '%s' for an adapter named '%s' with this config; "
                         "the file's tensors and its metadata disagree",
                         file.file_name().c_str(), info.name.c_str(), config.name.c_str());
    }
  }
  AK_RETURN_IF_ERROR(task->repack());
  *out = std::move(task);
  return Status::ok();
}

std::unique_ptr<Task> Task::zeros_like() const {
  std::unique_ptr<Task> copy(new Task());
  copy->config_ = config_;
  copy->n_embd_ = n_embd_;
  copy->n_layer_ = n_layer_;
  for (int site = 0; site < kSites; ++site) {
    copy->adapters_[site].resize(adapters_[site].size());
    for (size_t il = 0; il < adapters_[site].size(); ++il) {
      if (const Bottleneck* a = adapters_[site][il].get()) {
        auto zero = std::make_unique<Bottleneck>();
        zero->down_w.assign(a->down_w.size(), 0.0f);
        zero->down_b.assign(a->down_b.size(), 0.0f);
        zero->up_w.assign(a->up_w.size(), 0.0f);
        zero->up_b.assign(a->up_b.size(), 0.0f);
        copy->adapters_[site][il] = std::move(zero);
      }
    }
    copy->ln_gamma_[site].resize(ln_gamma_[site].size());
    copy->ln_beta_[site].resize(ln_beta_[site].size());
    for (size_t il = 0; il < ln_gamma_[site].size(); ++il) {
      copy->ln_gamma_[site][il].assign(ln_gamma_[site][il].size(), 0.0f);
      copy->ln_beta_[site][il].assign(ln_beta_[site][il].size(), 0.0f);
    }
  }
  copy->head_hidden_w_.assign(head_hidden_w_.size(), 0.0f);
  copy->head_hidden_b_.assign(head_hidden_b_.size(), 0.0f);
  copy->head_out_w_.assign(head_out_w_.size(), 0.0f);
  copy->head_out_b_.assign(head_out_b_.size(), 0.0f);
  return copy;
}

Status Task::adapter_forward_train(int il, Site site, float* s, size_t n_tokens, float* pre,
                                   float* post) const {
  const int si = static_cast<int>(site);
  FullyConnected* down = down_ops_[si].empty() ? nullptr : down_ops_[si][static_cast<size_t>(il)].get();
  if (down == nullptr || n_tokens == 0) return Status::ok();
  const size_t H = static_cast<size_t>(n_embd_);
  const size_t m = static_cast<size_t>(config_.n_bottleneck);
  resize_for_xnnpack(&scratch_, n_tokens * H);
  AK_RETURN_IF_ERROR(down->run(n_tokens, s, pre));
  std::memcpy(post, pre, n_tokens * m * sizeof(float));
  adapter_activation_forward(config_.activation, post, n_tokens * m);
  AK_RETURN_IF_ERROR(up_ops_[si][static_cast<size_t>(il)]->run(n_tokens, post, scratch_.data()));
  for (size_t i = 0; i < n_tokens * H; ++i) s[i] += scratch_[i];
  return Status::ok();
}

Status Task::apply_adapter(int il, Site site, float* s, size_t n_tokens) const {
  const int si = static_cast<int>(site);
  FullyConnected* down = down_ops_[si].empty() ? nullptr : down_ops_[si][static_cast<size_t>(il)].get();
  if (down == nullptr || n_tokens == 0) return Status::ok();
  const size_t H = static_cast<size_t>(n_embd_);
  const size_t m = static_cast<size_t>(config_.n_bottleneck);
  resize_for_xnnpack(&bottleneck_, n_tokens * m);
  resize_for_xnnpack(&scratch_, n_tokens * H);
  // s is a slice of a larger buffer that has XNNPACK's slack at its end, so reading past the
  // last row is safe.
  AK_RETURN_IF_ERROR(down->run(n_tokens, s, bottleneck_.data()));
  adapter_activation_forward(config_.activation, bottleneck_.data(), n_tokens * m);
  AK_RETURN_IF_ERROR(up_ops_[si][static_cast<size_t>(il)]->run(n_tokens, bottleneck_.data(), scratch_.data()));
  for (size_t i = 0; i < n_tokens * H; ++i) s[i] += scratch_[i];
  return Status::ok();
}

const float* Task::ln_gamma(int il, Site site) const {
  const auto& v = ln_gamma_[static_cast<int>(site)][static_cast<size_t>(il)];
  return v.empty() ? nullptr : v.data();
}

const float* Task::ln_beta(int il, Site site) const {
  const auto& v = ln_beta_[static_cast<int>(site)][static_cast<size_t>(il)];
  return v.empty() ? nullptr : v.data();
}

Status Task::head_forward(const float* features, size_t n_batch, float* logits) const {
  const size_t H = static_cast<size_t>(n_embd_);
  std::vector<float> input;
  resize_for_xnnpack(&input, n_batch * H);
  std::memcpy(input.data(), features, n_batch * H * sizeof(float));
  if (config_.head_normalize) {
    for (size_t b = 0; b < n_batch; ++b) {
      double sum = 0;
      for (size_t i = 0; i < H; ++i) sum += static_cast<double>(input[b * H + i]) * input[b * H + i];
      const float scale = static_cast<float>(1.0 / std::max(std::sqrt(sum), 1e-12));
      for (size_t i = 0; i < H; ++i) input[b * H + i] *= scale;
    }
  }
  if (head_hidden_op_ != nullptr) {
    std::vector<float> hidden;
    resize_for_xnnpack(&hidden, n_batch * H);
    AK_RETURN_IF_ERROR(head_hidden_op_->run(n_batch, input.data(), hidden.data()));
    adapter_activation_forward(config_.head_activation, hidden.data(), n_batch * H);
    return head_out_op_->run(n_batch, hidden.data(), logits);
  }
  return head_out_op_->run(n_batch, input.data(), logits);
}

}  // namespace adapterkit

namespace adapterkit {

Status classify(BertEncoder& encoder, const EncoderInput& input, const std::vector<Task*>& tasks,
                std::vector<std::vector<float>>* logits) {
  const size_t B = input.n_batch;
  if (tasks.size() != B) {
    return make_status(StatusCode::kInvalidArgument, "classify: %zu tasks for %zu rows", tasks.size(), B);
  }
  std::vector<const TaskOverrides*> overrides(B);
  bool need_pooler = false;
  bool need_mean = false;
  for (size_t b = 0; b < B; ++b) {
    overrides[b] = tasks[b];
    need_pooler |= tasks[b]->config().head_input == HeadInput::kPooler;
    need_mean |= tasks[b]->config().head_input == HeadInput::kMean;
  }
  EncoderOutput encoded;
  AK_RETURN_IF_ERROR(encoder.forward(input, overrides.data(), &encoded));

  const size_t H = static_cast<size_t>(encoder.config().n_embd);
  std::vector<float> pooled, mean;
  if (need_pooler) {
    pooled.resize(B * H);
    AK_RETURN_IF_ERROR(encoder.pooler_forward(encoded, pooled.data()));
  }
  if (need_mean) {
    mean.resize(B * H);
    BertEncoder::mean_pool(encoded, H, mean.data());
  }
  logits->assign(B, {});
  for (size_t b = 0; b < B; ++b) {
    const Task& task = *tasks[b];
    const float* features = nullptr;
    switch (task.config().head_input) {
      case HeadInput::kPooler: features = pooled.data() + b * H; break;
      case HeadInput::kMean: features = mean.data() + b * H; break;
      case HeadInput::kCls: features = encoded.hidden.data() + encoded.offsets[b] * H; break;
    }
    (*logits)[b].resize(task.config().labels.size());
    AK_RETURN_IF_ERROR(task.head_forward(features, 1, (*logits)[b].data()));
  }
  return Status::ok();
}

}  // namespace adapterkit
