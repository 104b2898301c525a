#include "safetensors.h"

#include <algorithm>
#include <cstring>

#include "json.h"

namespace adapterkit {

namespace {

// Headers of real models are a few hundred KB. A larger declared length means a corrupt file.
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

Status parse_dtype(const std::string& text, const std::string& file, const std::string& tensor,
                   TensorInfo* out) {
  static const struct {
    const char* name;
    DType dtype;
    size_t size;
  } kDTypes[] = {
      {"F32", DType::kF32, 4},    {"F16", DType::kF16, 2},    {"BF16", DType::kBF16, 2},
      {"F64", DType::kOther, 8},  {"I64", DType::kOther, 8},  {"I32", DType::kOther, 4},
      {"I16", DType::kOther, 2},  {"I8", DType::kOther, 1},   {"U64", DType::kOther, 8},
      {"U32", DType::kOther, 4},  {"U16", DType::kOther, 2},  {"U8", DType::kOther, 1},
      {"BOOL", DType::kOther, 1}, {"F8_E4M3", DType::kOther, 1}, {"F8_E5M2", DType::kOther, 1},
  };
  for (const auto& d : kDTypes) {
    if (text == d.name) {
      out->dtype = d.dtype;
      out->element_size = d.size;
      out->dtype_text = text;
      return Status::ok();
    }
  }
  return make_status(StatusCode::kInvalidFile, "%s: tensor '%s' has unknown dtype '%s'",
                     file.c_str(), tensor.c_str(), text.c_str());
}

bool is_non_negative_integer(const JsonValue& value) {
  return value.is_number() && value.as_number() >= 0 && value.as_number() <= 9007199254740992.0 &&
         value.as_number() == static_cast<double>(static_cast<int64_t>(value.as_number()));
}

}  // namespace

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "F32";
    case DType::kF16: return "F16";
    case DType::kBF16: return "BF16";
    case DType::kOther: return "other";
  }
  return "?";
}


int64_t TensorInfo::element_count() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string TensorInfo::shape_string() const {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

Status SafetensorsFile::parse(const uint8_t* data, size_t size, const std::string& file_name,
                              SafetensorsFile* out) {
  const char* file = file_name.c_str();
  if (size < 8) {
    return make_status(StatusCode::kInvalidFile,
                       "%s: file is %zu bytes, too short for a safetensors header (8 bytes "
                       "minimum); the download may be truncated",
                       file, size);
  }
  uint64_t header_length = 0;
  for (int i = 7; i >= 0; --i) header_length = (header_length << 8) | data[i];
  if (header_length > size - 8) {
    return make_status(StatusCode::kInvalidFile,
                       "%s: header length %llu is larger than the %zu bytes after it; the file "
                       "is truncated or not a safetensors file",
                       file, static_cast<unsigned long long>(header_length), size - 8);
  }
  if (header_length > kMaxHeaderBytes) {
    return make_status(StatusCode::kInvalidFile,
                       "%s: header length %llu exceeds the 100 MB limit; not a safetensors file",
                       file, static_cast<unsigned long long>(header_length));
  }

  JsonValue header;
  const std::string header_text(reinterpret_cast<const char*>(data + 8), header_length);
  AK_RETURN_IF_ERROR(parse_json(header_text, file, &header));
  if (!header.is_object()) {
    return make_status(StatusCode::kInvalidFile, "%s: header is a JSON %s, expected an object",
                       file, JsonValue::type_name(header.type()));
  }

  SafetensorsFile result;
  result.file_name_ = file_name;
  result.data_ = data + 8 + header_length;
  result.data_size_ = size - 8 - static_cast<size_t>(header_length);

  for (const auto& [name, entry] : header.as_object()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) {
        return make_status(StatusCode::kInvalidFile, "%s: __metadata__ is a %s, expected an object",
                           file, JsonValue::type_name(entry.type()));
      }
      for (const auto& [key, value] : entry.as_object()) {
        if (!value.is_string()) {
          return make_status(StatusCode::kInvalidFile,
                             "%s: __metadata__ field '%s' is a %s, expected a string", file,
                             key.c_str(), JsonValue::type_name(value.type()));
        }
        result.metadata_[key] = value.as_string();
      }
      continue;
    }
    const JsonValue* dtype = entry.find("dtype");
    const JsonValue* shape = entry.find("shape");
    const JsonValue* offsets = entry.find("data_offsets");
    if (dtype == nullptr || !dtype->is_string() || shape == nullptr || !shape->is_array() ||
        offsets == nullptr || !offsets->is_array()) {
      return make_status(StatusCode::kInvalidFile,
                         "%s: tensor '%s' lacks a string 'dtype', an array 'shape' or an array "
                         "'data_offsets'",
                         file, name.c_str());
    }
    TensorInfo info;
    info.name = name;
    AK_RETURN_IF_ERROR(parse_dtype(dtype->as_string(), file_name, name, &info));
    for (const JsonValue& d : shape->as_array()) {
      if (!is_non_negative_integer(d)) {
        return make_status(StatusCode::kInvalidFile,
                           "%s: tensor '%s' has a shape entry that is not a non-negative integer",
                           file, name.c_str());
      }
      info.shape.push_back(static_cast<int64_t>(d.as_number()));
    }
    const auto& range = offsets->as_array();
    if (range.size() != 2 || !is_non_negative_integer(range[0]) ||
        !is_non_negative_integer(range[1])) {
      return make_status(StatusCode::kInvalidFile,
                         "%s: tensor '%s' data_offsets must be two non-negative integers", file,
                         name.c_str());
    }
    info.begin = static_cast<size_t>(range[0].as_number());
    info.end = static_cast<size_t>(range[1].as_number());
    if (info.begin > info.end || info.end > result.data_size_) {
      return make_status(StatusCode::kInvalidFile,
                         "%s: tensor '%s' data_offsets [%zu, %zu] fall outside the %zu-byte data "
                         "section; the file is truncated or corrupt",
                         file, name.c_str(), info.begin, info.end, result.data_size_);
    }
    const uint64_t expected_bytes =
        static_cast<uint64_t>(info.element_count()) * info.element_size;
    if (info.end - info.begin != expected_bytes) {
      return make_status(StatusCode::kInvalidFile,
                         "%s: tensor '%s' has %zu bytes of data, but shape %s in %s needs %llu",
                         file, name.c_str(), info.end - info.begin, info.shape_string().c_str(),
                         info.dtype_text.c_str(), static_cast<unsigned long long>(expected_bytes));
    }
    result.index_[name] = result.tensors_.size();
    result.tensors_.push_back(std::move(info));
  }

  std::vector<const TensorInfo*> by_offset;
  for (const TensorInfo& t : result.tensors_) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const TensorInfo* a, const TensorInfo* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    if (by_offset[i]->begin < by_offset[i - 1]->end) {
      return make_status(StatusCode::kInvalidFile,
                         "%s: tensors '%s' [%zu, %zu] and '%s' [%zu, %zu] overlap", file,
                         by_offset[i - 1]->name.c_str(), by_offset[i - 1]->begin,
                         by_offset[i - 1]->end, by_offset[i]->name.c_str(), by_offset[i]->begin,
                         by_offset[i]->end);
    }
  }
  *out = std::move(result);
  return Status::ok();
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

Status SafetensorsFile::require(const std::string& name, const std::vector<int64_t>& expected,
                                const TensorInfo** out) const {
  const TensorInfo* tensor = find(name);
  if (tensor == nullptr) {
    return make_status(StatusCode::kInvalidFile, "%s: tensor '%s' is missing", file_name_.c_str(),
                       name.c_str());
  }
  if (tensor->dtype == DType::kOther) {
    return make_status(StatusCode::kInvalidFile,
                       "%s: tensor '%s' has unsupported dtype '%s'; expected F32, F16 or BF16 "
                       "(convert the model with a tool that saves floating-point weights)",
                       file_name_.c_str(), name.c_str(), tensor->dtype_text.c_str());
  }
  if (tensor->shape != expected) {
    TensorInfo wanted;
    wanted.shape = expected;
    return make_status(StatusCode::kInvalidFile,
                       "%s: tensor '%s' has shape %s, expected %s from the model config",
                       file_name_.c_str(), name.c_str(), tensor->shape_string().c_str(),
                       wanted.shape_string().c_str());
  }
  *out = tensor;
  return Status::ok();
}

float f16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exponent = (h >> 10) & 0x1F;
  uint32_t mantissa = h & 0x3FF;
  uint32_t bits;
  if (exponent == 0x1F) {
    bits = sign | 0x7F800000 | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {
    // Subnormal half: normalise the mantissa.
    int shift = 0;
    while ((mantissa & 0x400) == 0) {
      mantissa <<= 1;
      ++shift;
    }
    mantissa &= 0x3FF;
    bits = sign | (static_cast<uint32_t>(113 - shift) << 23) | (mantissa << 13);
  }
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

float bf16_to_f32(uint16_t h) {
  const uint32_t bits = static_cast<uint32_t>(h) << 16;
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

uint16_t f32_to_f16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  const uint32_t abs = bits & 0x7FFFFFFF;
  if (abs >= 0x7F800000) {  // inf or NaN
    return sign | 0x7C00 | (abs > 0x7F800000 ? 0x200 : 0);
  }
  if (abs >= 0x477FF000) return sign | 0x7C00;  // rounds to infinity
  if (abs < 0x38800000) {
    // Subnormal or zero in half precision: scale into the integer range and round to even.
    float magnitude;
    std::memcpy(&magnitude, &abs, sizeof(magnitude));
    const float scaled = magnitude * 16777216.0f;  // 2^24, so one unit = smallest subnormal
    uint32_t q = static_cast<uint32_t>(scaled);
    const float remainder = scaled - static_cast<float>(q);
    if (remainder > 0.5f || (remainder == 0.5f && (q & 1))) ++q;
    return sign | static_cast<uint16_t>(q);
  }
  const uint32_t exponent = (abs >> 23) - 112;
  uint32_t mantissa = abs & 0x7FFFFF;
  uint32_t half = (exponent << 10) | (mantissa >> 13);
  const uint32_t rest = mantissa & 0x1FFF;
  if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) ++half;
  return sign | static_cast<uint16_t>(half);
}

void SafetensorsFile::read_f32(const TensorInfo& tensor, float* out) const {
  const uint8_t* src = data_ + tensor.begin;
  const size_t n = static_cast<size_t>(tensor.element_count());
  switch (tensor.dtype) {
    case DType::kF32:
      std::memcpy(out, src, n * sizeof(float));
      break;
    case DType::kF16:
      for (size_t i = 0; i < n; ++i) {
        out[i] = f16_to_f32(static_cast<uint16_t>(src[2 * i] | (src[2 * i + 1] << 8)));
      }
      break;
    case DType::kBF16:
      for (size_t i = 0; i < n; ++i) {
        out[i] = bf16_to_f32(static_cast<uint16_t>(src[2 * i] | (src[2 * i + 1] << 8)));
      }
      break;
    case DType::kOther:
      // require() rejects these, so no caller reaches this point.
      for (size_t i = 0; i < n; ++i) out[i] = 0.0f;
      break;
  }
}

std::vector<float> SafetensorsFile::read_f32(const TensorInfo& tensor) const {
  std::vector<float> values(static_cast<size_t>(tensor.element_count()));
  read_f32(tensor, values.data());
  return values;
}

}  // namespace adapterkit
