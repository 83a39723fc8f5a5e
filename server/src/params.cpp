#include "evidence/params.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <vector>

#include "evidence/errors.hpp"
#include "evidence/study.hpp"
#include "evidence/text.hpp"

namespace evidence {

namespace {

[[noreturn]] void bad(const std::string& message) { throw Error(ErrorCode::invalid_argument, message); }

std::string param(const Params& ps, const char* name, const std::string& def = "") {
  const auto it = ps.lower_bound(name);
  if (it == ps.end() || it->first != name) return def;
  if (!is_valid_utf8(it->second)) bad(std::string("parameter '") + name + "' is not valid UTF-8");
  return it->second;
}

std::vector<std::string> list_param(const Params& ps, const char* name) {
  std::vector<std::string> out;
  const auto [first, last] = ps.equal_range(name);
  for (auto it = first; it != last; ++it) {
    const std::string& v = it->second;
    if (!is_valid_utf8(v)) bad(std::string("parameter '") + name + "' is not valid UTF-8");
    std::size_t start = 0;
    while (start <= v.size()) {
      std::size_t end = v.find(',', start);
      if (end == std::string::npos) end = v.size();
      if (end > start) out.push_back(v.substr(start, end - start));
      start = end + 1;
    }
  }
  return out;
}

long long whole_number(const Params& ps, const char* name, long long def) {
  const std::string v = param(ps, name);
  if (v.empty()) return def;
  try {
    std::size_t used = 0;
    const long long x = std::stoll(v, &used);
    if (used != v.size()) throw std::invalid_argument(v);
    return x;
  } catch (const std::logic_error&) {
    bad(std::string("parameter '") + name + "' must be a whole number");
  }
}

long long int_param(const Params& ps, const char* name, long long def, long long lo, long long hi) {
  const long long x = whole_number(ps, name, def);
  if (x < lo || x > hi)
    bad(std::string("parameter '") + name + "' must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  return x;
}

// An empty value ("year_max=") means no bound, not 0 (found by fuzz_http_params).
std::optional<long long> bound_param(const Params& ps, const char* name, long long lo, long long hi) {
  if (param(ps, name).empty()) return std::nullopt;
  return int_param(ps, name, 0, lo, hi);
}

std::vector<std::string> concept_ids(const Params& ps, const char* name, const Vocabulary& v) {
  std::vector<std::string> out;
  for (const auto& x : list_param(ps, name)) {
    const Concept* c = v.lookup(x);
    if (!c || c->kind != name) bad(std::string("parameter '") + name + "': unknown " + name + " '" + x + "'");
    out.push_back(c->id);
  }
  return out;
}

void read_filters(const Params& ps, const Vocabulary& v, SearchRequest& r) {
  r.interventions = concept_ids(ps, "intervention", v);
  r.conditions = concept_ids(ps, "condition", v);
  r.outcomes = concept_ids(ps, "outcome", v);
  for (const auto& d : list_param(ps, "design")) {
    if (!parse_design(d)) bad("parameter 'design': unknown design '" + d + "'");
    r.designs.push_back(d);
  }
  if (const auto y = bound_param(ps, "year_min", 1900, 2100)) r.year_min = static_cast<int>(*y);
  if (const auto y = bound_param(ps, "year_max", 1900, 2100)) r.year_max = static_cast<int>(*y);
  if (const auto q = bound_param(ps, "quality_min", 0, 10)) r.quality_min = static_cast<double>(*q);
}

std::optional<Audience> parse_audience(const std::string& text) {
  if (text == "clinician") return Audience::clinician;
  if (text == "patient") return Audience::patient;
  return std::nullopt;
}

std::optional<ExportFormat> parse_export_format(const std::string& text) {
  if (text == "ris") return ExportFormat::ris;
  if (text == "bibtex") return ExportFormat::bibtex;
  if (text == "csv") return ExportFormat::csv;
  if (text == "json") return ExportFormat::json;
  if (text == "fhir") return ExportFormat::fhir;
  return std::nullopt;
}

// Everything but the query_too_long check, in the order errors have always been reported.
ApiSearchRequest read_search(const Params& ps, const Vocabulary& v) {
  ApiSearchRequest r;
  SearchRequest& s = r.search;
  s.q = param(ps, "q");
  // The paging limits are core's; page is also read as a bounded whole number so that a huge value
  // gets the usual message. A negative per_page is passed on as 0, which core refuses with the
  // range it accepts.
  s.page = static_cast<std::size_t>(int_param(ps, "page", 1, 1, static_cast<long long>(max_page_depth)));
  s.per_page = static_cast<std::size_t>(std::max(0LL, whole_number(ps, "per_page", 10)));
  check_search_request(s);
  const auto sort = parse_sort_order(param(ps, "sort", "relevance"));
  if (!sort) bad("sort must be relevance, year or quality");
  s.sort = *sort;
  read_filters(ps, v, s);
  const auto audience = parse_audience(param(ps, "audience", "clinician"));
  if (!audience) bad("audience must be clinician or patient");
  r.audience = *audience;
  return r;
}

// An over-long query is reported before any other parameter (core's check of the query alone
// throws query_too_long).
void refuse_long_query(const Params& ps) {
  SearchRequest query_only;
  query_only.q = param(ps, "q");
  check_search_request(query_only);
}

}  // namespace

const char* audience_name(Audience audience) noexcept {
  return audience == Audience::patient ? "patient" : "clinician";
}

ApiSearchRequest parse_search_request(const Params& params, const Vocabulary& vocabulary) {
  refuse_long_query(params);
  return read_search(params, vocabulary);
}

ApiSearchRequest parse_export_request(const Params& params, const Vocabulary& vocabulary) {
  const std::string format = param(params, "format", "ris");  // its encoding is checked first, as always
  refuse_long_query(params);
  ApiSearchRequest r = read_search(params, vocabulary);
  r.limit = static_cast<std::size_t>(int_param(params, "limit", 500, 1, 5000));
  const auto f = parse_export_format(format);
  if (!f) bad("format must be ris, bibtex, csv, json or fhir");
  r.format = *f;
  return r;
}

SearchRequest search_request_from_params(const Params& params, const Vocabulary& vocabulary) {
  return read_search(params, vocabulary).search;
}

VocabularyRequest parse_vocabulary_request(const Params& params) {
  VocabularyRequest r;
  r.prefix = param(params, "prefix");
  if (r.prefix.size() > 100) bad("prefix is too long");
  r.limit = static_cast<std::size_t>(int_param(params, "limit", 10, 1, 50));
  r.kind = param(params, "kind");
  return r;
}

std::string parse_study_id(const std::string& id) {
  if (id.size() > 64 || !is_valid_utf8(id)) bad("invalid study id");
  return id;
}

bool percent_decode(const std::string& in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (i + 2 >= in.size() || !std::isxdigit(static_cast<unsigned char>(in[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(in[i + 2])))
        return false;
      out += static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else if (in[i] == '+') {
      out += ' ';
    } else {
      out += in[i];
    }
  }
  return true;
}

}  // namespace evidence
