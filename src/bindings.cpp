// Embind bindings: the only C++ file that depends on JavaScript types.
//
// JavaScript holds integer handles, never pointers into wasm memory. Every bound function
// returns either its result or an error object {adapterkitError: true, code, message}, which
// web/runtime.js turns into one AdapterkitError. Typed arrays are copied in on entry, and
// results are copied out before returning, so a later memory growth cannot invalidate them.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <vector>

#include "bert_config.h"
#include "encoder.h"
#include "fully_connected.h"
#include "safetensors.h"
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
    const std::string name = dtype_name(t.dtype);
    if (dtypes.find(name) == std::string::npos) dtypes += (dtypes.empty() ? "" : ",") + name;
  }
  info.set("dtypes", dtypes);
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
val encoder_forward(int handle, val input_ids, val token_type_ids, val lengths, int n_batch,
                    int n_seq, val outputs) {
  BertEncoder* encoder = encoder_table().find(handle);
  if (encoder == nullptr) return error_value(invalid_handle("encoder", handle));
  if (n_batch <= 0 || n_seq <= 0) {
    return error_value(make_status(StatusCode::kInvalidArgument,
                                   "encoder: batch %d x length %d is empty", n_batch, n_seq));
  }
  const std::vector<int32_t> ids = to_ints(input_ids);
  const std::vector<int32_t> types = to_ints(token_type_ids);
  const std::vector<int32_t> row_lengths = to_ints(lengths);
  const size_t B = static_cast<size_t>(n_batch);
  const size_t T = static_cast<size_t>(n_seq);
  if (ids.size() != B * T || types.size() != B * T || row_lengths.size() != B) {
    return error_value(make_status(StatusCode::kInvalidArgument,
                                   "encoder: got %zu input ids, %zu token types and %zu lengths; "
                                   "expected %zu, %zu and %zu for batch %zu x length %zu",
                                   ids.size(), types.size(), row_lengths.size(), B * T, B * T, B,
                                   B, T));
  }
  EncoderInput input;
  input.input_ids = ids.data();
  input.token_type_ids = types.data();
  input.lengths = row_lengths.data();
  input.n_batch = B;
  input.n_seq = T;
  EncoderOutput encoded;
  Status status = encoder->forward(input, nullptr, &encoded);
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
}
