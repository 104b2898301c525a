// Reader for the safetensors format: an 8-byte little-endian header length N, N bytes of JSON
// header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then the
// tensor data, with offsets relative to the end of the header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "status.h"

namespace adapterkit {

// kOther covers the integer, boolean and F64 dtypes: such tensors are validated for size and
// skipped, and reading one as f32 is an error.
enum class DType { kF32, kF16, kBF16, kOther };

const char* dtype_name(DType dtype);

struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  std::string dtype_text;  // as written in the file, such as "I64"
  size_t element_size = 4;
  std::vector<int64_t> shape;
  size_t begin = 0;  // byte offset into the data section
  size_t end = 0;

  int64_t element_count() const;
  std::string shape_string() const;  // "[384, 1536]"
};

class SafetensorsFile {
 public:
  // Parses and validates the header of `data` (the whole file). The file bytes are borrowed:
  // they must outlive this object. `file_name` is used in every error message.
  // Errors (kInvalidFile): file shorter than 8 bytes, header length larger than the file,
  // invalid JSON, an unknown dtype, a shape or offsets that do not agree with each other,
  // offsets outside the data section, and overlapping tensors. Integer tensors (such as
  // BERT's position_ids) are accepted here and rejected only when require() requests them.
  static Status parse(const uint8_t* data, size_t size, const std::string& file_name,
                      SafetensorsFile* out);

  // Returns the tensor called `name`, or null.
  const TensorInfo* find(const std::string& name) const;
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::string& file_name() const { return file_name_; }

  // Converts a tensor to f32 into `out`, which must hold element_count() values.
  void read_f32(const TensorInfo& tensor, float* out) const;
  std::vector<float> read_f32(const TensorInfo& tensor) const;

  // Checks that `name` exists with exactly `expected` shape, and returns it in `out`.
  Status require(const std::string& name, const std::vector<int64_t>& expected,
                 const TensorInfo** out) const;

 private:
  const uint8_t* data_ = nullptr;  // start of the data section
  size_t data_size_ = 0;
  std::string file_name_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

// IEEE half and bfloat16 to float conversions, exact for every input including subnormals,
// infinities and NaN.
float f16_to_f32(uint16_t bits);
float bf16_to_f32(uint16_t bits);
uint16_t f32_to_f16(float value);  // round to nearest even

}  // namespace adapterkit
