// Embind bindings: the only C++ file that depends on JavaScript types.
//
// JavaScript keeps integer handles, never pointers into wasm memory. Every bound function
// returns either its result or an error object {adapterkitError: true, code, message}, which
// web/runtime.js turns into one AdapterkitError. Typed arrays are copied in on entry, and
// results are copied out before returning, so a later memory growth cannot invalidate them.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <vector>

#include "bert_config.h"
#include "encoder.h"
#include "fully_connected.h"
#include "safetensors.h"
#include "task.h"
#include "training.h"
#include "status.h"

namespace adapterkit {
namespace {

using emscripten::val;

val error_value(const Status& status) {
  val error = val::object();
  error.set("adapterkitError", true);
  error.set("code", std::string(status_code_name(status.code())));
  error.set("message", status.message());
  return error;
}

// Copies a JavaScript Float32Array (or array of numbers) into a vector.
std::vector<float> to_floats(const val& array) {
  return emscripten::convertJSArrayToNumberVector<float>(array);
}

// Returns a new Float32Array that owns a copy of `data`.
val to_float32_array(const float* data, size_t n) {
  val view(emscripten::typed_memory_view(n, data));
  return val::global("Float32Array").new_(view);
}

// Owns the objects that JavaScript refers to by handle.
template <typename T>
class HandleTable {
 public:
  int insert(std::unique_ptr<T> object) {
    const int handle = next_handle_++;
    objects_[handle] = std::move(object);
    return handle;
  }
  T* find(int handle) {
    auto it = objects_.find(handle);
    return it == objects_.end() ? nullptr : it->second.get();
  }
  bool erase(int handle) { return objects_.erase(handle) > 0; }

 private:
  int next_handle_ = 1;
  std::unordered_map<int, std::unique_ptr<T>> objects_;
};

HandleTable<FullyConnected>& fully_connected_table() {
  static HandleTable<FullyConnected> table;
  return table;
}

Status invalid_handle(const char* kind, int handle) {
  return make_status(StatusCode::kInvalidState,
                     "%s handle %d is not valid: it was disposed or never created", kind, handle);
}

// weight: Float32Array [O*I] in [O, I] order (or [I, O] when transposed); bias: [O] or null.
val fully_connected_create(int n_in, int n_out, val weight, val bias, bool weight_is_in_out) {
  if (n_in <= 0 || n_out <= 0) {
    return error_value(make_status(StatusCode::kInvalidArgument,
                                   "fullyConnected: channels must be positive, got input %d and "
                                   "output %d",
                                   n_in, n_out));
  }
  const std::vector<float> weights = to_floats(weight);
  const size_t expected = static_cast<size_t>(n_in) * static_cast<size_t>(n_out);
  if (weights.size() != expected) {
    return error_value(make_status(StatusCode::kInvalidArgument,
                                   "fullyConnected: weight has %zu values, expected %d x %d = %zu",
                                   weights.size(), n_out, n_in, expected));
  }
  std::vector<float> biases;
  if (!bias.isNull() && !bias.isUndefined()) {
    biases = to_floats(bias);
    if (biases.size() != static_cast<size_t>(n_out)) {
      return error_value(make_status(StatusCode::kInvalidArgument,
                                     "fullyConnected: bias has %zu values, expected %d",
                                     biases.size(), n_out));
    }
  }
  std::unique_ptr<FullyConnected> fc;
  const Status status = FullyConnected::create(
      "fullyConnected", n_in, n_out, weights.data(), biases.empty() ? nullptr : biases.data(),
      weight_is_in_out ? FullyConnected::WeightLayout::kInOut
                       : FullyConnected::WeightLayout::kOutIn,
      &fc);
  if (!status.is_ok()) return error_value(status);
  return val(fully_connected_table().insert(std::move(fc)));
}

// input: Float32Array [R*I]. Returns a Float32Array [R*O].
val fully_connected_run(int handle, int n_rows, val input) {
  FullyConnected* fc = fully_connected_table().find(handle);
  if (fc == nullptr) return error_value(invalid_handle("fullyConnected", handle));
  if (n_rows < 0) {
    return error_value(make_status(StatusCode::kInvalidArgument,
                                   "fullyConnected.run: rows must be >= 0, got %d", n_rows));
  }
  // XNNPACK may read XNN_EXTRA_BYTES past the end of the input.
  std::vector<float> x = to_floats(input);
  const size_t expected = static_cast<size_t>(n_rows) * fc->n_in();
  if (x.size() != expected) {
    return error_value(make_status(StatusCode::kInvalidArgument,
                                   "fullyConnected.run: input has %zu values, expected %d x %zu "
                                   "= %zu",
                                   x.size(), n_rows, fc->n_in(), expected));
  }
  x.resize(expected + XNN_EXTRA_BYTES / sizeof(float));
  std::vector<float> y(static_cast<size_t>(n_rows) * fc->n_out());
  const Status status = fc->run(static_cast<size_t>(n_rows), x.data(), y.data());
  if (!status.is_ok()) return error_value(status);
  return to_float32_array(y.data(), y.size());
}

bool fully_connected_delete(int handle) { return fully_connected_table().erase(handle); }

// Times `repeats` runs of an [R, I] x [I, O] product on the wasm side, so the measurement
// excludes the JavaScript copies. Returns milliseconds per run (median is computed in JS).
val fully_connected_time(int handle, int n_rows, int repeats) {
  FullyConnected* fc = fully_connected_table().find(handle);
  if (fc == nullptr) return error_value(invalid_handle("fullyConnected", handle));
  std::vector<float> x(static_cast<size_t>(n_rows) * fc->n_in() + XNN_EXTRA_BYTES / sizeof(float),
                       0.5f);
  std::vector<float> y(static_cast<size_t>(n_rows) * fc->n_out());
  val times = val::array();
  val performance = val::global("performance");
  for (int i = 0; i < repeats; ++i) {
    const double start = performance.call<double>("now");
    const Status status = fc->run(static_cast<size_t>(n_rows), x.data(), y.data());
    if (!status.is_ok()) return error_value(status);
    times.call<void>("push", performance.call<double>("now") - start);
  }
  return times;
}

// A byte buffer in wasm memory that JavaScript fills through a Uint8Array view, so large files
// cross into wasm with one memcpy and JavaScript never receives a pointer.
HandleTable<std::vector<uint8_t>>& bytes_table() {
  static HandleTable<std::vector<uint8_t>> table;
  return table;
}

val bytes_create(double size) {
  if (!(size >= 0) || size > 4.0e9) {
    return error_value(make_status(StatusCode::kInvalidArgument,
                                   "bytesCreate: size %.0f is outside 0..4e9", size));
  }
  std::unique_ptr<std::vector<uint8_t>> bytes(new std::vector<uint8_t>());
  bytes->resize(static_cast<size_t>(size));
  return val(bytes_table().insert(std::move(bytes)));
}

// The view is valid only until the next allocation in wasm memory: fill it at once.
val bytes_view(int handle) {
  std::vector<uint8_t>* bytes = bytes_table().find(handle);
  if (bytes == nullptr) return error_value(invalid_handle("bytes", handle));
  return val(emscripten::typed_memory_view(bytes->size(), bytes->data()));
}

bool bytes_delete(int handle) { return bytes_table().erase(handle); }

HandleTable<BertEncoder>& encoder_table() {
  static HandleTable<BertEncoder> table;
  return table;
}

// Loads a BERT encoder from config.json text and a safetensors buffer (a bytes handle, which
// stays owned by the caller). Returns {handle, config, parameterCount, tensorPrefix, hasPooler}.
val encoder_load(std::string config_json, std::string config_name, int weights_handle,
                 std::string weights_name) {
  std::vector<uint8_t>* bytes = bytes_table().find(weights_handle);
  if (bytes == nullptr) return error_value(invalid_handle("bytes", weights_handle));
  BertConfig config;
  Status status = parse_bert_config(config_json, config_name, &config);
  if (!status.is_ok()) return error_value(status);
  SafetensorsFile file;
  status = SafetensorsFile::parse(bytes->data(), bytes->size(), weights_name, &file);
  if (!status.is_ok()) return error_value(status);
  std::unique_ptr<BertEncoder> encoder;
  status = BertEncoder::load(config, file, &encoder);
  if (!status.is_ok()) return error_value(status);

  val info = val::object();
  val c = val::object();
  c.set("numHiddenLayers", config.n_layer);
  c.set("hiddenSize", config.n_embd);
  c.set("numAttentionHeads", config.n_head);
  c.set("intermediateSize", config.n_ff);
  c.set("maxPositionEmbeddings", config.n_pos);
  c.set("typeVocabSize", config.n_type);
  c.set("vocabSize", config.n_vocab);
  c.set("layerNormEps", config.ln_eps);
  c.set("hiddenAct", std::string(activation_name(config.activation)));
  info.set("config", c);
  info.set("parameterCount", static_cast<double>(encoder->parameter_count()));
  info.set("tensorPrefix", encoder->tensor_prefix());
  info.set("hasPooler", encoder->has_pooler());
  std::string dtypes;
  for (const TensorInfo& t : file.tensors()) {
    if (t.dtype == DType::kOther) continue;
    const std::string name = dtype_name(t.dtype);
    if (dtypes.find(name) == std::string::npos) dtypes += (dtypes.empty() ? "" : ",") + name;
  }
  info.set("dtypes", dtypes);
  info.set("weightSignature", encoder->weight_signature());
  info.set("handle", encoder_table().insert(std::move(encoder)));
  return info;
}

bool encoder_delete(int handle) { return encoder_table().erase(handle); }

std::vector<int32_t> to_ints(const val& array) {
  return emscripten::convertJSArrayToNumberVector<int32_t>(array);
}

// Runs the encoder on a right-padded batch.
//   inputIds, tokenTypeIds: Int32Array [B*T]; lengths: Int32Array [B]
//   outputs: {hidden, pooler, mean} booleans choosing what to return
// Returns {lastHiddenState: Float32Array [B*T*H] (zeros at padding), pooler: [B*H],
// mean: [B*H]}, each present when requested.
// A right-padded batch copied in from JavaScript: ids and token types [B*T], lengths [B].
struct PaddedBatch {
  std::vector<int32_t> ids, types, lengths;
  EncoderInput input;
};

// Copies and checks the sizes of a padded batch. `what` names the call in error messages.
Status read_padded_batch(const char* what, const val& input_ids, const val& token_type_ids,
                         const val& lengths, int n_batch, int n_seq, PaddedBatch* batch) {
  if (n_batch <= 0 || n_seq <= 0) {
    return make_status(StatusCode::kInvalidArgument, "%s: batch %d x length %d is empty", what,
                       n_batch, n_seq);
  }
  batch->ids = to_ints(input_ids);
  batch->types = to_ints(token_type_ids);
  batch->lengths = to_ints(lengths);
  const size_t B = static_cast<size_t>(n_batch);
  const size_t T = static_cast<size_t>(n_seq);
  if (batch->ids.size() != B * T || batch->types.size() != B * T || batch->lengths.size() != B) {
    return make_status(StatusCode::kInvalidArgument,
                       "%s: got %zu input ids, %zu token types and %zu lengths; expected %zu, %zu "
                       "and %zu for batch %zu x length %zu",
                       what, batch->ids.size(), batch->types.size(), batch->lengths.size(), B * T,
                       B * T, B, B, T);
  }
  batch->input.input_ids = batch->ids.data();
  batch->input.token_type_ids = batch->types.data();
  batch->input.lengths = batch->lengths.data();
  batch->input.n_batch = B;
  batch->input.n_seq = T;
  return Status::ok();
}

Status find_tasks(int encoder_handle, const val& task_handles, size_t n_batch,
                  std::vector<const TaskOverrides*>* out);

val encoder_forward(int handle, val input_ids, val token_type_ids, val lengths, int n_batch,
                    int n_seq, val outputs, val task_handles) {
  BertEncoder* encoder = encoder_table().find(handle);
  if (encoder == nullptr) return error_value(invalid_handle("encoder", handle));
  PaddedBatch batch;
  Status status = read_padded_batch("encoder", input_ids, token_type_ids, lengths, n_batch, n_seq, &batch);
  if (!status.is_ok()) return error_value(status);
  const EncoderInput& input = batch.input;
  const size_t B = input.n_batch;
  const size_t T = input.n_seq;
  std::vector<const TaskOverrides*> tasks;
  status = find_tasks(handle, task_handles, B, &tasks);
  if (!status.is_ok()) return error_value(status);
  EncoderOutput encoded;
  status = encoder->forward(input, tasks.empty() ? nullptr : tasks.data(), &encoded);
  if (!status.is_ok()) return error_value(status);

  const size_t H = static_cast<size_t>(encoder->config().n_embd);
  val result = val::object();
  if (outputs["hidden"].as<bool>()) {
    std::vector<float> padded(B * T * H, 0.0f);
    for (size_t b = 0; b < B; ++b) {
      const size_t n = encoded.offsets[b + 1] - encoded.offsets[b];
      std::memcpy(padded.data() + b * T * H, encoded.hidden.data() + encoded.offsets[b] * H,
                  n * H * sizeof(float));
    }
    result.set("lastHiddenState", to_float32_array(padded.data(), padded.size()));
  }
  if (outputs["pooler"].as<bool>()) {
    std::vector<float> pooled(B * H);
    status = encoder->pooler_forward(encoded, pooled.data());
    if (!status.is_ok()) return error_value(status);
    result.set("pooler", to_float32_array(pooled.data(), pooled.size()));
  }
  if (outputs["mean"].as<bool>()) {
    std::vector<float> pooled(B * H);
    BertEncoder::mean_pool(encoded, H, pooled.data());
    result.set("mean", to_float32_array(pooled.data(), pooled.size()));
  }
  return result;
}

struct TaskEntry {
  int encoder_handle;
  std::unique_ptr<Task> task;
};

HandleTable<TaskEntry>& task_table() {
  static HandleTable<TaskEntry> table;
  return table;
}

// Resolves optional per-row task handles (null/undefined: base model for every row).
Status find_tasks(int encoder_handle, const val& task_handles, size_t n_batch,
                  std::vector<const TaskOverrides*>* out) {
  out->clear();
  if (task_handles.isNull() || task_handles.isUndefined()) return Status::ok();
  const std::vector<int32_t> handles = to_ints(task_handles);
  if (handles.size() != n_batch) {
    return make_status(StatusCode::kInvalidArgument, "got %zu adapter handles for %zu rows",
                       handles.size(), n_batch);
  }
  for (int32_t h : handles) {
    TaskEntry* entry = task_table().find(h);
    if (entry == nullptr) return invalid_handle("adapter", h);
    if (entry->encoder_handle != encoder_handle) {
      return make_status(StatusCode::kIncompatible, "adapter handle %d belongs to another base model", h);
    }
    out->push_back(entry->task.get());
  }
  return Status::ok();
}

val task_info(int handle, Task& task) {
  val info = val::object();
  info.set("handle", handle);
  info.set("parameterCount", static_cast<double>(task.parameter_count()));
  return info;
}

Status parse_task_json(const std::string& config_json, const std::string& file,
                       const BertEncoder& encoder, TaskConfig* config) {
  JsonValue json;
  AK_RETURN_IF_ERROR(parse_json(config_json, file.c_str(), &json));
  return parse_task_config(json, encoder.config(), file, config);
}

// Creates a task with fresh parameters. config_json: the "adapterkit" metadata object.
val task_create(int encoder_handle, std::string config_json, double seed, double init_std) {
  BertEncoder* encoder = encoder_table().find(encoder_handle);
  if (encoder == nullptr) return error_value(invalid_handle("encoder", encoder_handle));
  TaskConfig config;
  Status status = parse_task_json(config_json, "createAdapter options", *encoder, &config);
  if (!status.is_ok()) return error_value(Status(StatusCode::kInvalidArgument, status.message()));
  std::unique_ptr<Task> task;
  status = Task::create(config, *encoder, static_cast<uint32_t>(seed), static_cast<float>(init_std), &task);
  if (!status.is_ok()) return error_value(status);
  Task& ref = *task;
  const int handle = task_table().insert(std::unique_ptr<TaskEntry>(new TaskEntry{encoder_handle, std::move(task)}));
  return task_info(handle, ref);
}

// Loads a task from an adapter file held in a bytes handle (still owned by the caller).
val task_load(int encoder_handle, std::string config_json, int bytes_handle, std::string file_name) {
  BertEncoder* encoder = encoder_table().find(encoder_handle);
  if (encoder == nullptr) return error_value(invalid_handle("encoder", encoder_handle));
  std::vector<uint8_t>* bytes = bytes_table().find(bytes_handle);
  if (bytes == nullptr) return error_value(invalid_handle("bytes", bytes_handle));
  TaskConfig config;
  Status status = parse_task_json(config_json, file_name, *encoder, &config);
  if (!status.is_ok()) return error_value(status);
  SafetensorsFile file;
  status = SafetensorsFile::parse(bytes->data(), bytes->size(), file_name, &file);
  if (!status.is_ok()) return error_value(status);
  std::unique_ptr<Task> task;
  status = Task::load(config, *encoder, file, &task);
  if (!status.is_ok()) return error_value(status);
  Task& ref = *task;
  const int handle = task_table().insert(std::unique_ptr<TaskEntry>(new TaskEntry{encoder_handle, std::move(task)}));
  return task_info(handle, ref);
}

// Returns [{name, shape, data: Float32Array}] with copies of the tensors.
val tensors_value(const std::vector<NamedTensor>& tensors) {
  val list = val::array();
  for (const NamedTensor& t : tensors) {
    val item = val::object();
    item.set("name", t.name);
    val shape = val::array();
    for (int64_t d : t.shape) shape.call<void>("push", static_cast<double>(d));
    item.set("shape", shape);
    item.set("data", to_float32_array(t.values->data(), t.values->size()));
    list.call<void>("push", item);
  }
  return list;
}

// Returns [{name, shape, data: Float32Array}] with copies of every trained tensor.
val task_tensors(int handle) {
  TaskEntry* entry = task_table().find(handle);
  if (entry == nullptr) return error_value(invalid_handle("adapter", handle));
  return tensors_value(entry->task->tensors());
}

bool task_delete(int handle) { return task_table().erase(handle); }

// Classifies a right-padded batch whose row b uses task taskHandles[b]. Returns an array of B
// Float32Array logits, one per row (rows of different tasks may have different label counts).
val task_classify(int encoder_handle, val task_handles, val input_ids, val token_type_ids,
                  val lengths, int n_batch, int n_seq) {
  BertEncoder* encoder = encoder_table().find(encoder_handle);
  if (encoder == nullptr) return error_value(invalid_handle("encoder", encoder_handle));
  PaddedBatch batch;
  const Status read = read_padded_batch("classify", input_ids, token_type_ids, lengths, n_batch, n_seq, &batch);
  if (!read.is_ok()) return error_value(read);
  const size_t B = batch.input.n_batch;
  const std::vector<int32_t> handles = to_ints(task_handles);
  if (handles.size() != B) {
    return error_value(make_status(StatusCode::kInvalidArgument,
                                   "classify: got %zu adapter handles for %zu rows", handles.size(), B));
  }
  std::vector<Task*> tasks(B);
  for (size_t b = 0; b < B; ++b) {
    TaskEntry* entry = task_table().find(handles[b]);
    if (entry == nullptr) return error_value(invalid_handle("adapter", handles[b]));
    if (entry->encoder_handle != encoder_handle) {
      return error_value(make_status(StatusCode::kIncompatible,
                                     "adapter handle %d belongs to another base model", handles[b]));
    }
    tasks[b] = entry->task.get();
  }
  std::vector<std::vector<float>> logits;
  const Status status = classify(*encoder, batch.input, tasks, &logits);
  if (!status.is_ok()) return error_value(status);
  val rows = val::array();
  for (const auto& row : logits) rows.call<void>("push", to_float32_array(row.data(), row.size()));
  return rows;
}

// Packs the transposed weights for training from the model file (a bytes handle).
val encoder_enable_training(int handle, int bytes_handle, std::string file_name) {
  BertEncoder* encoder = encoder_table().find(handle);
  if (encoder == nullptr) return error_value(invalid_handle("encoder", handle));
  std::vector<uint8_t>* bytes = bytes_table().find(bytes_handle);
  if (bytes == nullptr) return error_value(invalid_handle("bytes", bytes_handle));
  SafetensorsFile file;
  Status status = SafetensorsFile::parse(bytes->data(), bytes->size(), file_name, &file);
  if (status.is_ok()) status = encoder->enable_training(file);
  if (!status.is_ok()) return error_value(status);
  return val(true);
}

struct TrainerEntry {
  int encoder_handle;
  int task_handle;
  BertEncoder* encoder;
  Task* task;
  std::unique_ptr<Trainer> trainer;
};

HandleTable<TrainerEntry>& trainer_table() {
  static HandleTable<TrainerEntry> table;
  return table;
}

// options: {weightDecay, beta1, beta2, epsilon, maxGradNorm, recompute}
val trainer_create(int task_handle, val options) {
  TaskEntry* entry = task_table().find(task_handle);
  if (entry == nullptr) return error_value(invalid_handle("adapter", task_handle));
  BertEncoder* encoder = encoder_table().find(entry->encoder_handle);
  if (encoder == nullptr) return error_value(invalid_handle("encoder", entry->encoder_handle));
  TrainerOptions o;
  o.weight_decay = options["weightDecay"].as<float>();
  o.beta1 = options["beta1"].as<float>();
  o.beta2 = options["beta2"].as<float>();
  o.epsilon = options["epsilon"].as<float>();
  o.max_grad_norm = options["maxGradNorm"].as<float>();
  o.recompute = options["recompute"].as<bool>();
  std::unique_ptr<Trainer> trainer;
  const Status status = Trainer::create(encoder, entry->task.get(), o, &trainer);
  if (!status.is_ok()) return error_value(status);
  return val(trainer_table().insert(std::unique_ptr<TrainerEntry>(
      new TrainerEntry{entry->encoder_handle, task_handle, encoder, entry->task.get(), std::move(trainer)})));
}

Status find_trainer(int handle, TrainerEntry** out) {
  TrainerEntry* entry = trainer_table().find(handle);
  if (entry == nullptr) return invalid_handle("trainer", handle);
  TaskEntry* task = task_table().find(entry->task_handle);
  if (task == nullptr || task->task.get() != entry->task ||
      encoder_table().find(entry->encoder_handle) != entry->encoder) {
    return make_status(StatusCode::kInvalidState,
                       "trainer %d: its adapter or base model was disposed", handle);
  }
  *out = entry;
  return Status::ok();
}

// A padded batch with one label per row and optional class weights.
struct TrainingBatch : PaddedBatch {
  std::vector<int32_t> labels;
  std::vector<float> class_weights;
};

Status read_training_batch(val input_ids, val token_type_ids, val lengths, int n_batch, int n_seq,
                           val labels, val class_weights, TrainingBatch* batch) {
  AK_RETURN_IF_ERROR(read_padded_batch("training batch", input_ids, token_type_ids, lengths, n_batch, n_seq, batch));
  batch->labels = to_ints(labels);
  if (batch->labels.size() != batch->input.n_batch) {
    return make_status(StatusCode::kInvalidArgument, "training batch: got %zu labels for %zu rows",
                       batch->labels.size(), batch->input.n_batch);
  }
  if (!class_weights.isNull() && !class_weights.isUndefined()) {
    batch->class_weights = to_floats(class_weights);
  }
  return Status::ok();
}

// One AdamW step. Returns {loss, gradNorm}.
val trainer_step(int handle, val input_ids, val token_type_ids, val lengths, int n_batch,
                 int n_seq, val labels, val class_weights, double lr) {
  TrainerEntry* entry = nullptr;
  Status status = find_trainer(handle, &entry);
  TrainingBatch batch;
  if (status.is_ok()) {
    status = read_training_batch(input_ids, token_type_ids, lengths, n_batch, n_seq, labels, class_weights, &batch);
  }
  if (status.is_ok() && !batch.class_weights.empty() &&
      batch.class_weights.size() != entry->task->config().labels.size()) {
    status = make_status(StatusCode::kInvalidArgument, "got %zu class weights for %zu labels",
                         batch.class_weights.size(), entry->task->config().labels.size());
  }
  float loss = 0;
  float grad_norm = 0;
  if (status.is_ok()) {
    status = entry->trainer->step(batch.input, batch.labels.data(),
                                  batch.class_weights.empty() ? nullptr : batch.class_weights.data(),
                                  static_cast<float>(lr), &loss, &grad_norm);
  }
  if (!status.is_ok()) return error_value(status);
  val result = val::object();
  result.set("loss", loss);
  result.set("gradNorm", grad_norm);
  result.set("peakTapeBytes", static_cast<double>(entry->trainer->peak_tape_bytes()));
  return result;
}

// Loss and gradients of a batch without updating. Returns {loss, gradients: [{name, shape, data}]}.
val trainer_gradients(int handle, val input_ids, val token_type_ids, val lengths, int n_batch,
                      int n_seq, val labels, val class_weights) {
  TrainerEntry* entry = nullptr;
  Status status = find_trainer(handle, &entry);
  TrainingBatch batch;
  if (status.is_ok()) {
    status = read_training_batch(input_ids, token_type_ids, lengths, n_batch, n_seq, labels, class_weights, &batch);
  }
  float loss = 0;
  if (status.is_ok()) {
    status = entry->trainer->compute_gradients(batch.input, batch.labels.data(),
                                               batch.class_weights.empty() ? nullptr : batch.class_weights.data(), &loss);
  }
  if (!status.is_ok()) return error_value(status);
  val result = val::object();
  result.set("loss", loss);
  result.set("gradients", tensors_value(entry->trainer->gradients().tensors()));
  return result;
}

bool trainer_delete(int handle) { return trainer_table().erase(handle); }

val build_info() {
  val info = val::object();
  info.set("simd", true);
  info.set("threads", false);
  info.set("xnnpack", std::string("0.0~git20241108.4ea82e5"));
  return info;
}

}  // namespace
}  // namespace adapterkit

EMSCRIPTEN_BINDINGS(adapterkit) {
  using namespace adapterkit;
  emscripten::function("buildInfo", &build_info);
  emscripten::function("fullyConnectedCreate", &fully_connected_create);
  emscripten::function("fullyConnectedRun", &fully_connected_run);
  emscripten::function("fullyConnectedDelete", &fully_connected_delete);
  emscripten::function("fullyConnectedTime", &fully_connected_time);
  emscripten::function("bytesCreate", &bytes_create);
  emscripten::function("bytesView", &bytes_view);
  emscripten::function("bytesDelete", &bytes_delete);
  emscripten::function("encoderLoad", &encoder_load);
  emscripten::function("encoderForward", &encoder_forward);
  emscripten::function("encoderDelete", &encoder_delete);
  emscripten::function("taskCreate", &task_create);
  emscripten::function("taskLoad", &task_load);
  emscripten::function("taskTensors", &task_tensors);
  emscripten::function("taskDelete", &task_delete);
  emscripten::function("taskClassify", &task_classify);
  emscripten::function("encoderEnableTraining", &encoder_enable_training);
  emscripten::function("trainerCreate", &trainer_create);
  emscripten::function("trainerStep", &trainer_step);
  emscripten::function("trainerGradients", &trainer_gradients);
  emscripten::function("trainerDelete", &trainer_delete);
}
