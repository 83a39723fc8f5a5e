#pragma once
// The request parameters of the API, read and validated once, in one place, into typed requests.
// Parameters arrive as cpp-httplib decodes the query string: a name may repeat (the first value
// counts, except for lists) and list parameters may also be comma-separated. The limits of a
// search (query length, per_page, paging depth) are core's, checked by check_search_request();
// the limits here are the API's own (export and autocomplete sizes, year and quality ranges).
//
// Every parse function throws evidence::Error naming what is wrong: invalid_argument (HTTP 400
// bad_parameter), or query_too_long (HTTP 400) for an over-long q, which is reported before any
// other parameter.
#include <cstddef>
#include <map>
#include <string>

#include "evidence/search.hpp"
#include "evidence/vocabulary.hpp"

namespace evidence {

using Params = std::multimap<std::string, std::string>;  // httplib::Params

// Which of the summary's two sentences the reader is shown (the summary carries both).
enum class Audience { clinician, patient };
const char* audience_name(Audience audience) noexcept;

enum class ExportFormat { ris, bibtex, csv, json, fhir };

// The parameters of /api/search, /api/summary and /api/export.
struct ApiSearchRequest {
  SearchRequest search;  // q, page, per_page, sort, filters (concept ids, designs, years, quality)
  Audience audience = Audience::clinician;
  ExportFormat format = ExportFormat::ris;  // /api/export only
  std::size_t limit = 500;                  // /api/export only: studies exported at most (1-5000)
};

// /api/search and /api/summary: q, page, per_page, sort, intervention, condition, outcome,
// design, year_min, year_max, quality_min, audience. format and limit are not read.
ApiSearchRequest parse_search_request(const Params& params, const Vocabulary& vocabulary);

// /api/export: the search parameters, then format (ris, bibtex, csv, json, fhir; default ris)
// and limit (default 500).
ApiSearchRequest parse_export_request(const Params& params, const Vocabulary& vocabulary);

// The search parameters alone, every error as invalid_argument (an over-long q too): the
// contract the parameter fuzzer (fuzz/fuzz_http_params.cpp) checks.
SearchRequest search_request_from_params(const Params& params, const Vocabulary& vocabulary);

// /api/vocabulary: prefix (at most 100 bytes; empty: every concept), limit (1-50, default 10),
// kind (a concept kind; empty: any).
struct VocabularyRequest {
  std::string prefix, kind;
  std::size_t limit = 10;
};
VocabularyRequest parse_vocabulary_request(const Params& params);

// The {id} of /api/studies/{id}: at most 64 bytes of valid UTF-8. Returns it unchanged.
std::string parse_study_id(const std::string& id);

// Percent-decoding ('+' is a space) that rejects malformed escapes: returns false for bad input.
// The server screens every query string with it before cpp-httplib's lenient decoder sees it.
bool percent_decode(const std::string& in, std::string& out);

}  // namespace evidence
