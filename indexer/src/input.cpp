#include <zlib.h>

#include <fstream>
#include <sstream>

#include "evidence/errors.hpp"
#include "evidence/ingest.hpp"

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

std::string gunzip(const std::string& data, const std::string& file) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw Error(ErrorCode::internal, "zlib initialisation failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[65536];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      throw Error(ErrorCode::io_error, file + ": corrupt gzip data (" + std::string(zs.msg ? zs.msg : "inflate failed") + ")");
    }
    out.append(buf, sizeof buf - zs.avail_out);
    // A decompression bomb is refused rather than exhausting memory.
    if (out.size() > (std::size_t{2} << 30)) {
      inflateEnd(&zs);
      throw Error(ErrorCode::io_error, file + ": decompresses to more than 2 GiB");
    }
    if (rc != Z_STREAM_END && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      throw Error(ErrorCode::io_error, file + ": truncated gzip data");
    }
  }
  inflateEnd(&zs);
  return out;
}

}  // namespace

std::string read_input_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(ErrorCode::io_error, "cannot read " + file.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string data = ss.str();
  if (data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f && static_cast<unsigned char>(data[1]) == 0x8b)
    return gunzip(data, file.string());
  return data;
}

InputFormat detect_format(std::string_view content) {
  std::size_t i = 0;
  if (content.size() >= 3 && content.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
  while (i < content.size() && (content[i] == ' ' || content[i] == '\n' || content[i] == '\r' || content[i] == '\t')) ++i;
  if (i >= content.size()) return InputFormat::unknown;
  const std::string_view head = content.substr(i, 8192);
  if (content[i] == '<') {
    if (head.find("<PubmedArticleSet") != std::string_view::npos || head.find("<PubmedArticle>") != std::string_view::npos ||
        head.find("<PubmedArticle ") != std::string_view::npos)
      return InputFormat::pubmed_xml;
    return InputFormat::unknown;
  }
  if (content[i] == '{' || content[i] == '[') {
    if (head.find("\"protocolSection\"") != std::string_view::npos) return InputFormat::ctgov_json;
    const auto studies = head.find("\"studies\"");
    if (studies != std::string_view::npos && studies < 200) return InputFormat::ctgov_json;
    return InputFormat::curated_json;
  }
  return InputFormat::unknown;
}

ReadResult read_records(std::string_view content, const std::string& file, const RecordValidator& validator) {
  switch (detect_format(content)) {
    case InputFormat::pubmed_xml: return read_pubmed_xml(content, file);
    case InputFormat::ctgov_json: return read_ctgov_json(content, file);
    case InputFormat::curated_json: return read_curated_json(content, file, validator);
    case InputFormat::unknown: break;
  }
  ReadResult r;
  r.problems.push_back({file, "", "", "unrecognised format: expected PubMed XML (PubmedArticleSet), ClinicalTrials.gov API v2 JSON or a curated JSON record"});
  return r;
}

}  // namespace evidence
