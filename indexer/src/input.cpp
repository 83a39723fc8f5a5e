#include <zlib.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>

#include "evidence/errors.hpp"
#include "evidence/ingest.hpp"
#include "evidence/text.hpp"

namespace evidence {

const char* format_name(InputFormat f) noexcept {
  switch (f) {
    case InputFormat::curated_json: return "curated_json";
    case InputFormat::pubmed_xml: return "pubmed_xml";
    case InputFormat::ctgov_json: return "ctgov_json";
    case InputFormat::unknown: return "unknown";
  }
  return "unknown";
}

std::string RecordProblem::to_string() const {
  std::string s = file;
  if (!record.empty()) s += ": " + record;
  if (!field.empty()) s += ": " + field;
  return s + ": " + message;
}

namespace {

std::string size_words(std::size_t bytes) {
  if (bytes >= (std::size_t{1} << 20)) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

std::string too_large(std::size_t max_bytes, const char* what) {
  return std::string(what) + " more than " + size_words(max_bytes) +
         ", the limit for one input file (evidence-index --max-input-mb raises it)";
}

std::string gunzip(const std::string& data, std::size_t max_bytes) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw Error(ErrorCode::internal, "zlib initialisation failed");
  struct End {
    z_stream& zs;
    ~End() { inflateEnd(&zs); }
  } end{zs};
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[65536];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END)
      throw Error(ErrorCode::io_error, "corrupt gzip data (" + std::string(zs.msg ? zs.msg : "inflate failed") + ")");
    const std::size_t n = sizeof buf - zs.avail_out;
    // Checked before the bytes are kept: a decompression bomb never costs more than the bound.
    if (out.size() + n > max_bytes) throw Error(ErrorCode::io_error, too_large(max_bytes, "decompresses to"));
    out.append(buf, n);
    if (rc != Z_STREAM_END && zs.avail_in == 0 && zs.avail_out != 0)
      throw Error(ErrorCode::io_error, "truncated gzip data");
  }
  return out;
}

}  // namespace

std::string read_input_file(const std::filesystem::path& file, std::size_t max_bytes) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (!ec && size > max_bytes) throw Error(ErrorCode::io_error, too_large(max_bytes, "holds"));
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(ErrorCode::io_error, "cannot be read");
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string data = ss.str();
  if (data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f && static_cast<unsigned char>(data[1]) == 0x8b)
    return gunzip(data, max_bytes);
  return data;
}

namespace {

// Elements that mark an XML file as a PubMed export (looked for in its first 8 KiB).
constexpr std::string_view pubmed_markers[] = {"<PubmedArticleSet", "<PubmedArticle>", "<PubmedArticle "};

}  // namespace

InputFormat detect_format(std::string_view content) {
  const std::size_t bom = content.size() >= 3 && content.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
  const std::size_t i = content.find_first_not_of(" \n\r\t", bom);
  if (i >= content.size()) return InputFormat::unknown;
  const std::string_view head = content.substr(i, 8192);
  if (content[i] == '<') {
    const bool pubmed = std::any_of(std::begin(pubmed_markers), std::end(pubmed_markers),
                                    [&](std::string_view m) { return head.find(m) != std::string_view::npos; });
    return pubmed ? InputFormat::pubmed_xml : InputFormat::unknown;
  }
  if (content[i] == '{' || content[i] == '[') {
    if (head.find("\"protocolSection\"") != std::string_view::npos) return InputFormat::ctgov_json;
    const auto studies = head.find("\"studies\"");
    if (studies != std::string_view::npos && studies < 200) return InputFormat::ctgov_json;
    return InputFormat::curated_json;
  }
  return InputFormat::unknown;
}

namespace {

// Unicode encodings other than UTF-8, by the bytes a file in them starts with, in order of
// precedence: a byte order mark, else the NUL bytes that ASCII characters carry in them. A
// pattern byte is that byte's value, or non_nul for any byte but 0.
constexpr int non_nul = -1;
struct WideEncoding {
  std::vector<int> start;
  const char* name;
};
const std::vector<WideEncoding> wide_encodings = {
    {{0, 0, 0xFE, 0xFF}, "UTF-32BE (byte order mark 00 00 FE FF)"},
    {{0xFF, 0xFE, 0, 0}, "UTF-32LE (byte order mark FF FE 00 00)"},
    {{0xFE, 0xFF}, "UTF-16BE (byte order mark FE FF)"},
    {{0xFF, 0xFE}, "UTF-16LE (byte order mark FF FE)"},
    {{0, 0, 0, non_nul}, "UTF-32BE (no byte order mark)"},
    {{non_nul, 0, 0, 0}, "UTF-32LE (no byte order mark)"},
    {{0, non_nul, 0, non_nul}, "UTF-16BE (no byte order mark)"},
    {{non_nul, 0, non_nul, 0}, "UTF-16LE (no byte order mark)"},
};

// The wide Unicode encoding the content is in, or "" when it is not in one of them.
std::string wide_unicode_encoding(std::string_view c) {
  auto starts_with = [&](const std::vector<int>& start) {
    if (c.size() < start.size()) return false;
    for (std::size_t i = 0; i < start.size(); ++i) {
      const int b = static_cast<unsigned char>(c[i]);
      if (start[i] == non_nul ? b == 0 : b != start[i]) return false;
    }
    return true;
  };
  for (const auto& e : wide_encodings)
    if (starts_with(e.start)) return e.name;
  return "";
}

ReadResult file_problem(const std::string& file, const std::string& message) {
  ReadResult r;
  r.problems.push_back({file, "", "", message});
  return r;
}

}  // namespace

ReadResult read_records(std::string_view content, const std::string& file, const RecordValidator& validator) {
  if (content.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return file_problem(file,
                        content.empty() ? "empty file: no records" : "the file holds only white space: no records");
  if (const std::string enc = wide_unicode_encoding(content); !enc.empty())
    return file_problem(file, "the file is encoded as " + enc +
                                  "; only UTF-8 is accepted (convert it first, e.g. iconv -f " +
                                  enc.substr(0, enc.find(' ')) + " -t UTF-8)");
  switch (detect_format(content)) {
    case InputFormat::pubmed_xml: return read_pubmed_xml(content, file);
    case InputFormat::ctgov_json: return read_ctgov_json(content, file);
    case InputFormat::curated_json: return read_curated_json(content, file, validator);
    case InputFormat::unknown: break;
  }
  return file_problem(file,
                      "unrecognised format: expected PubMed XML (PubmedArticleSet), ClinicalTrials.gov API v2 "
                      "JSON or a curated JSON record");
}

namespace detail {

using nlohmann::json;

namespace {

// Replaces every byte that does not start a valid UTF-8 sequence with U+FFFD.
std::string replace_invalid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  while (!s.empty()) {
    const std::size_t bad = first_invalid_utf8(s);
    if (bad == std::string_view::npos) {
      out.append(s);
      break;
    }
    out.append(s.substr(0, bad));
    out.append("\xEF\xBF\xBD");
    s.remove_prefix(bad + 1);
  }
  return out;
}

// Builds the document like nlohmann's own DOM parser, but tracks where it is (for error
// messages), drops values nested deeper than the limit instead of failing, and never throws.
class GuardedSax {
 public:
  GuardedSax(JsonDocument& doc, std::size_t max_depth) : doc_(doc), max_depth_(max_depth) {}

  bool null() { return scalar(nullptr); }
  bool boolean(bool v) { return scalar(v); }
  bool number_integer(json::number_integer_t v) { return scalar(v); }
  bool number_unsigned(json::number_unsigned_t v) { return scalar(v); }
  bool number_float(json::number_float_t v, const json::string_t&) { return scalar(v); }
  bool string(json::string_t& v) { return scalar(std::move(v)); }
  bool binary(json::binary_t& v) { return scalar(json::binary_t(std::move(v))); }
  bool start_object(std::size_t) { return open(json::object()); }
  bool start_array(std::size_t) { return open(json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(json::string_t& k) {
    if (skip_ > 0) return true;
    levels_.back().label = k;
    // nlohmann's parser keeps the last of two equal keys without a word; which value the author
    // meant cannot be known, so the location is kept for a problem report.
    if (levels_.back().node->contains(k)) doc_.duplicate_keys.push_back(path());
    slot_ = &(*levels_.back().node)[k];
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) {
    std::string what = ex.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 7: ..." -> "parse error at ..."
    if (what.rfind("[json.exception.", 0) == 0)
      if (const auto end = what.find("] "); end != std::string::npos) what = what.substr(end + 2);
    if (what.find(" line ") == std::string::npos) what += " (at byte " + std::to_string(position) + ")";
    doc_.error = "malformed JSON: " + printable(what, 300);
    doc_.error_path = path();
    return false;
  }

 private:
  struct Level {
    json* node;
    std::string label;  // key or index of the child being read, "" between children
  };

  std::vector<std::string> path() const {
    std::vector<std::string> p;
    for (const auto& l : levels_) {
      if (l.label.empty()) break;
      p.push_back(l.label);
    }
    return p;
  }

  json* place(json&& v) {
    if (levels_.empty()) {
      doc_.root = std::move(v);
      return &doc_.root;
    }
    Level& top = levels_.back();
    if (top.node->is_array()) {
      top.node->push_back(std::move(v));
      top.label = std::to_string(top.node->size() - 1);
      return &top.node->back();
    }
    *slot_ = std::move(v);
    return slot_;
  }

  bool scalar(json&& v) {
    if (skip_ > 0) return true;
    place(std::move(v));
    if (!levels_.empty()) levels_.back().label.clear();
    return true;
  }

  bool open(json&& v) {
    if (skip_ > 0) {
      ++skip_;
      return true;
    }
    if (levels_.size() + 1 > max_depth_) {
      place(nullptr);  // a null stands in for the dropped value
      doc_.too_deep.push_back(path());
      skip_ = 1;
      return true;
    }
    json* p = place(std::move(v));
    levels_.push_back({p, ""});
    return true;
  }

  bool close() {
    if (skip_ > 0) {
      if (--skip_ == 0 && !levels_.empty()) levels_.back().label.clear();
      return true;
    }
    levels_.pop_back();
    if (!levels_.empty()) levels_.back().label.clear();
    return true;
  }

  JsonDocument& doc_;
  std::size_t max_depth_;
  std::vector<Level> levels_;
  json* slot_ = nullptr;
  std::size_t skip_ = 0;
};

bool find_replaced(const json& j, std::string& pointer) {
  static constexpr std::string_view replacement = "\xEF\xBF\xBD";
  if (j.is_string()) return j.get_ref<const std::string&>().find(replacement) != std::string::npos;
  if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) {
      std::string sub;
      if (find_replaced(j[i], sub)) {
        pointer = "/" + std::to_string(i) + sub;
        return true;
      }
    }
  } else if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      std::string sub;
      if (k.find(replacement) != std::string::npos || find_replaced(v, sub)) {
        pointer = "/";
        append_pointer_token(k, pointer);
        pointer += sub;
        return true;
      }
    }
  }
  return false;
}

}  // namespace

JsonDocument parse_json(std::string_view text, std::size_t max_depth) {
  JsonDocument doc;
  std::string repaired;
  if (const auto bad = first_invalid_utf8(text); bad != std::string_view::npos) {
    doc.invalid_utf8_at = bad;
    doc.utf8_locatable = text.find("\xEF\xBF\xBD") == std::string_view::npos;
    repaired = replace_invalid_utf8(text);
    text = repaired;
  }
  GuardedSax sax(doc, max_depth == 0 ? 1 : max_depth);
  try {
    if (!json::sax_parse(text.begin(), text.end(), &sax) && doc.error.empty()) doc.error = "malformed JSON";
  } catch (const std::exception& e) {  // the SAX interface reports errors; this is a safety net
    if (doc.error.empty()) doc.error = "malformed JSON: " + printable(e.what(), 300);
  }
  return doc;
}

std::string json_pointer(const std::vector<std::string>& tokens, std::size_t from, std::size_t max_tokens) {
  std::string out;
  for (std::size_t i = from; i < tokens.size() && i - from < max_tokens; ++i) {
    out += '/';
    append_pointer_token(tokens[i], out);
  }
  return out;
}

bool find_replaced_text(const json& j, std::string& pointer) {
  pointer.clear();
  return find_replaced(j, pointer);
}

std::string printable(std::string_view s, std::size_t max_bytes) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (out.size() >= max_bytes) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out += c < 0x20 || c == 0x7F ? ' ' : static_cast<char>(c);
      ++i;
      continue;
    }
    const std::size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    if (len > 1 && i + len <= s.size() && first_invalid_utf8(s.substr(i, len)) == std::string_view::npos) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      static constexpr char hex[] = "0123456789ABCDEF";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xF];
      ++i;
    }
  }
  return out;
}

std::string truncate_utf8(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut));
}

}  // namespace detail

}  // namespace evidence
