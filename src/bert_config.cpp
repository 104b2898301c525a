#include "bert_config.h"

#include "json.h"

namespace adapterkit {

const char* activation_name(Activation activation) {
  switch (activation) {
    case Activation::kGeluErf: return "gelu";
    case Activation::kGeluTanh: return "gelu_new";
    case Activation::kRelu: return "relu";
  }
  return "?";
}

namespace {

Status read_positive_int(const JsonValue& config, const std::string& file, const char* field,
                         int* out) {
  const JsonValue* value = config.find(field);
  if (value == nullptr) {
    return make_status(StatusCode::kInvalidFile, "%s: field '%s' is missing", file.c_str(), field);
  }
  if (!value->is_number() || value->as_number() < 1 || value->as_number() > 1e9 ||
      value->as_number() != static_cast<double>(static_cast<int>(value->as_number()))) {
    return make_status(StatusCode::kInvalidFile,
                       "%s: field '%s' must be a positive integer, got %s%s", file.c_str(), field,
                       value->is_number() ? "" : "a ",
                       value->is_number() ? std::to_string(value->as_number()).c_str()
                                          : JsonValue::type_name(value->type()));
  }
  *out = static_cast<int>(value->as_number());
  return Status::ok();
}

}  // namespace

Status parse_bert_config(const std::string& json_text, const std::string& file_name,
                         BertConfig* out) {
  const char* file = file_name.c_str();
  JsonValue config;
  AK_RETURN_IF_ERROR(parse_json(json_text, file, &config));
  if (!config.is_object()) {
    return make_status(StatusCode::kInvalidFile, "%s: expected a JSON object, got a %s", file,
                       JsonValue::type_name(config.type()));
  }

  if (const JsonValue* type = config.find("model_type")) {
    if (!type->is_string() || type->as_string() != "bert") {
      return make_status(StatusCode::kInvalidFile,
                         "%s: model_type is '%s', expected 'bert' (only BERT encoders are "
                         "supported)",
                         file, type->is_string() ? type->as_string().c_str() : "not a string");
    }
  }
  if (const JsonValue* position = config.find("position_embedding_type")) {
    if (!position->is_string() || position->as_string() != "absolute") {
      return make_status(StatusCode::kInvalidFile,
                         "%s: position_embedding_type is '%s', expected 'absolute'", file,
                         position->is_string() ? position->as_string().c_str() : "not a string");
    }
  }

  BertConfig c;
  AK_RETURN_IF_ERROR(read_positive_int(config, file_name, "num_hidden_layers", &c.n_layer));
  AK_RETURN_IF_ERROR(read_positive_int(config, file_name, "hidden_size", &c.n_embd));
  AK_RETURN_IF_ERROR(read_positive_int(config, file_name, "num_attention_heads", &c.n_head));
  AK_RETURN_IF_ERROR(read_positive_int(config, file_name, "intermediate_size", &c.n_ff));
  AK_RETURN_IF_ERROR(read_positive_int(config, file_name, "max_position_embeddings", &c.n_pos));
  AK_RETURN_IF_ERROR(read_positive_int(config, file_name, "vocab_size", &c.n_vocab));
  c.n_type = 2;
  if (config.find("type_vocab_size") != nullptr) {
    AK_RETURN_IF_ERROR(read_positive_int(config, file_name, "type_vocab_size", &c.n_type));
  }
  if (c.n_embd % c.n_head != 0) {
    return make_status(StatusCode::kInvalidFile,
                       "%s: hidden_size %d is not divisible by num_attention_heads %d", file,
                       c.n_embd, c.n_head);
  }

  if (const JsonValue* eps = config.find("layer_norm_eps")) {
    if (!eps->is_number() || !(eps->as_number() > 0) || eps->as_number() > 1) {
      return make_status(StatusCode::kInvalidFile,
                         "%s: layer_norm_eps must be a number in (0, 1], got %s", file,
                         eps->is_number() ? std::to_string(eps->as_number()).c_str()
                                          : JsonValue::type_name(eps->type()));
    }
    c.ln_eps = static_cast<float>(eps->as_number());
  }

  const JsonValue* act = config.find("hidden_act");
  const std::string act_name = act == nullptr ? "gelu" : act->is_string() ? act->as_string() : "";
  if (act_name == "gelu") {
    c.activation = Activation::kGeluErf;
  } else if (act_name == "gelu_new" || act_name == "gelu_pytorch_tanh" || act_name == "gelu_fast") {
    c.activation = Activation::kGeluTanh;
  } else if (act_name == "relu") {
    c.activation = Activation::kRelu;
  } else {
    return make_status(StatusCode::kInvalidFile,
                       "%s: hidden_act '%s' is not supported; expected gelu, gelu_new, "
                       "gelu_pytorch_tanh, gelu_fast or relu",
                       file, act_name.empty() ? "(not a string)" : act_name.c_str());
  }
  *out = c;
  return Status::ok();
}

}  // namespace adapterkit
