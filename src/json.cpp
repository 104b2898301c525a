#include "json.h"

#include <cmath>
#include <cstdlib>

namespace adapterkit {

namespace {
constexpr int kMaxDepth = 64;
}  // namespace

const JsonValue* JsonValue::find(const std::string& key) const {
  if (type_ != Type::kObject) return nullptr;
  auto it = object_.find(key);
  return it == object_.end() ? nullptr : &it->second;
}

const char* JsonValue::type_name(Type type) {
  switch (type) {
    case Type::kNull: return "null";
    case Type::kBool: return "boolean";
    case Type::kNumber: return "number";
    case Type::kString: return "string";
    case Type::kArray: return "array";
    case Type::kObject: return "object";
  }
  return "unknown";
}

class JsonParser {
 public:
  JsonParser(const std::string& text, const char* source) : text_(text), source_(source) {}

  Status parse_document(JsonValue* out) {
    skip_whitespace();
    AK_RETURN_IF_ERROR(parse_value(out, 0));
    skip_whitespace();
    if (pos_ != text_.size()) return error("unexpected characters after the JSON value");
    return Status::ok();
  }

 private:
  Status error(const char* what) const {
    return make_status(StatusCode::kInvalidFile, "%s: invalid JSON at byte %zu: %s", source_,
                       pos_, what);
  }

  void skip_whitespace() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  bool consume_literal(const char* literal) {
    size_t i = 0;
    while (literal[i] != '\0') {
      if (pos_ + i >= text_.size() || text_[pos_ + i] != literal[i]) return false;
      ++i;
    }
    pos_ += i;
    return true;
  }

  Status parse_value(JsonValue* out, int depth) {
    if (depth > kMaxDepth) return error("nesting deeper than 64 levels");
    if (pos_ >= text_.size()) return error("unexpected end of input");
    const char c = text_[pos_];
    if (c == '{') return parse_object(out, depth);
    if (c == '[') return parse_array(out, depth);
    if (c == '"') {
      out->type_ = JsonValue::Type::kString;
      return parse_string(&out->string_);
    }
    if (c == 't' && consume_literal("true")) {
      out->type_ = JsonValue::Type::kBool;
      out->bool_ = true;
      return Status::ok();
    }
    if (c == 'f' && consume_literal("false")) {
      out->type_ = JsonValue::Type::kBool;
      out->bool_ = false;
      return Status::ok();
    }
    if (c == 'n' && consume_literal("null")) {
      out->type_ = JsonValue::Type::kNull;
      return Status::ok();
    }
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number(out);
    return error("expected a value");
  }

  Status parse_number(JsonValue* out) {
    const size_t start = pos_;
    if (text_[pos_] == '-') ++pos_;
    auto digits = [&]() {
      const size_t from = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      return pos_ - from;
    };
    if (digits() == 0) return error("expected digits in a number");
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (digits() == 0) return error("expected digits after the decimal point");
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (digits() == 0) return error("expected digits in the exponent");
    }
    const std::string token = text_.substr(start, pos_ - start);
    out->type_ = JsonValue::Type::kNumber;
    out->number_ = std::strtod(token.c_str(), nullptr);
    if (!std::isfinite(out->number_)) return error("number out of range");
    return Status::ok();
  }

  static void append_utf8(std::string* s, uint32_t cp) {
    if (cp < 0x80) {
      s->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      s->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      s->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      s->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  Status parse_hex4(uint32_t* out) {
    if (pos_ + 4 > text_.size()) return error("truncated \\u escape");
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
      value <<= 4;
      if (c >= '0' && c <= '9') value |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') value |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') value |= static_cast<uint32_t>(c - 'A' + 10);
      else return error("invalid hex digit in \\u escape");
    }
    *out = value;
    return Status::ok();
  }

  Status parse_string(std::string* out) {
    ++pos_;  // opening quote
    out->clear();
    while (true) {
      if (pos_ >= text_.size()) return error("unterminated string");
      const char c = text_[pos_++];
      if (c == '"') return Status::ok();
      if (static_cast<unsigned char>(c) < 0x20) return error("control character inside a string");
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) return error("unterminated escape");
      const char e = text_[pos_++];
      switch (e) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t cp = 0;
          AK_RETURN_IF_ERROR(parse_hex4(&cp));
          if (cp >= 0xD800 && cp <= 0xDBFF && pos_ + 1 < text_.size() && text_[pos_] == '\\' &&
              text_[pos_ + 1] == 'u') {
            const size_t saved = pos_;
            pos_ += 2;
            uint32_t low = 0;
            AK_RETURN_IF_ERROR(parse_hex4(&low));
            if (low >= 0xDC00 && low <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
              pos_ = saved;
            }
          }
          // A lone surrogate cannot be encoded in UTF-8: it becomes U+FFFD.
          if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
          append_utf8(out, cp);
          break;
        }
        default: return error("invalid escape character");
      }
    }
  }

  Status parse_array(JsonValue* out, int depth) {
    ++pos_;
    out->type_ = JsonValue::Type::kArray;
    skip_whitespace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return Status::ok();
    }
    while (true) {
      skip_whitespace();
      out->array_.emplace_back();
      AK_RETURN_IF_ERROR(parse_value(&out->array_.back(), depth + 1));
      skip_whitespace();
      if (pos_ >= text_.size()) return error("unterminated array");
      const char c = text_[pos_++];
      if (c == ']') return Status::ok();
      if (c != ',') return error("expected ',' or ']' in an array");
    }
  }

  Status parse_object(JsonValue* out, int depth) {
    ++pos_;
    out->type_ = JsonValue::Type::kObject;
    skip_whitespace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return Status::ok();
    }
    while (true) {
      skip_whitespace();
      if (pos_ >= text_.size() || text_[pos_] != '"') return error("expected a string key");
      std::string key;
      AK_RETURN_IF_ERROR(parse_string(&key));
      skip_whitespace();
      if (pos_ >= text_.size() || text_[pos_] != ':') return error("expected ':' after a key");
      ++pos_;
      skip_whitespace();
      JsonValue value;
      AK_RETURN_IF_ERROR(parse_value(&value, depth + 1));
      out->object_[key] = std::move(value);
      skip_whitespace();
      if (pos_ >= text_.size()) return error("unterminated object");
      const char c = text_[pos_++];
      if (c == '}') return Status::ok();
      if (c != ',') return error("expected ',' or '}' in an object");
    }
  }

  const std::string& text_;
  const char* source_;
  size_t pos_ = 0;
};

Status parse_json(const std::string& text, const char* source, JsonValue* out) {
  JsonParser parser(text, source);
  *out = JsonValue();
  return parser.parse_document(out);
}

}  // namespace adapterkit
