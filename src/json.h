// A small JSON reader for config.json and safetensors headers.
//
// It accepts RFC 8259 JSON (objects, arrays, strings with escapes, numbers, true, false, null).
// Numbers are kept as double, which is exact for every integer below 2^53, the range that
// safetensors offsets use in practice.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "status.h"

namespace adapterkit {

class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  bool as_bool() const { return bool_; }
  double as_number() const { return number_; }
  const std::string& as_string() const { return string_; }
  const std::vector<JsonValue>& as_array() const { return array_; }
  // Members in key order; a duplicated key keeps its last value, as JavaScript's JSON.parse does.
  const std::map<std::string, JsonValue>& as_object() const { return object_; }

  // Returns the member `key` of an object, or null when absent or when this is not an object.
  const JsonValue* find(const std::string& key) const;

  static const char* type_name(Type type);

 private:
  friend class JsonParser;
  Type type_ = Type::kNull;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<JsonValue> array_;
  std::map<std::string, JsonValue> object_;
};

// Parses `text` into `out`. `source` names the file in error messages, such as "config.json".
Status parse_json(const std::string& text, const char* source, JsonValue* out);

}  // namespace adapterkit
