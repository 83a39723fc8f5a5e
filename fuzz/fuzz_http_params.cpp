// libFuzzer harness: the HTTP query-string handling of the API server. The input is the raw
// query string of a request (what follows '?'). As in the server: percent_decode() screens it
// (malformed escapes are answered 400 bad_encoding), cpp-httplib's own parser splits and decodes
// it into parameters (httplib::detail::parse_query_text, from the same libcpp-httplib the server
// links), search_request_from_params() turns them into a SearchRequest or refuses them with
// evidence::Error(invalid_argument) (HTTP 400), and a valid request is searched over a small real
// index (built once in LLVMFuzzerInitialize). The /api/vocabulary prefix completion is run on
// the 'prefix' parameter too. See fuzz/README.md.
#include <httplib.h>

#include <cstdint>
#include <string>

#include "evidence/api.hpp"
#include "evidence/search.hpp"
#include "fuzz_common.hpp"

using namespace evidence;

namespace {

bool expected_error(const Error& e) {
  return e.code() == ErrorCode::invalid_argument || e.code() == ErrorCode::query_too_complex;
}

void check_request(const SearchRequest& r, const Vocabulary& v) {
  const char* step = "search_request_from_params";
  fuzz::check(r.q.size() <= max_query_length && is_valid_utf8(r.q), step, "accepted a bad q");
  fuzz::check(r.page >= 1 && r.page <= 10000, step, "page out of range: " + std::to_string(r.page));
  fuzz::check(r.per_page >= 1 && r.per_page <= max_per_page, step,
              "per_page out of range: " + std::to_string(r.per_page));
  fuzz::check(r.page * r.per_page <= max_page_depth, step, "page deeper than the limit");
  fuzz::check(evidence::parse_sort_order(evidence::sort_order_name(r.sort)) == r.sort, step,
              "sort does not round-trip");
  auto kinds = [&](const std::vector<std::string>& ids, const char* kind) {
    for (const auto& id : ids) {
      const Concept* c = v.find(id);
      fuzz::check(c && c->kind == kind, step, std::string("accepted ") + kind + " '" + id + "'");
    }
  };
  kinds(r.interventions, "intervention");
  kinds(r.conditions, "condition");
  kinds(r.outcomes, "outcome");
  for (const auto& d : r.designs) fuzz::check(parse_design(d).has_value(), step, "accepted design '" + d + "'");
  if (r.year_min) fuzz::check(*r.year_min >= 1900 && *r.year_min <= 2100, step, "year_min out of range");
  if (r.year_max) fuzz::check(*r.year_max >= 1900 && *r.year_max <= 2100, step, "year_max out of range");
  if (r.quality_min) fuzz::check(*r.quality_min >= 0 && *r.quality_min <= 10, step, "quality_min out of range");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)fuzz::vocabulary();
  (void)fuzz::corpus_reader();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string query(reinterpret_cast<const char*>(data), size);
  const Vocabulary& v = fuzz::vocabulary();

  // 1. The pre-routing check of the server.
  std::string decoded;
  const bool ok = fuzz::no_throw("percent_decode", [&] { return percent_decode(query, decoded); });
  if (!ok) return 0;  // 400 bad_encoding
  fuzz::check(decoded.size() <= query.size(), "percent_decode", "decoded text is longer than the input");
  if (query.find_first_of("%+") == std::string::npos)
    fuzz::check(decoded == query, "percent_decode", "changed text without escapes");

  // 2. cpp-httplib's parameter parsing, as for req.params.
  httplib::Params params;
  fuzz::no_throw("httplib::detail::parse_query_text", [&] {
    httplib::detail::parse_query_text(query, params);
    return 0;
  });

  // 3. /api/vocabulary?prefix=...: autocomplete (the handler refuses prefixes over 100 bytes).
  if (auto it = params.find("prefix"); it != params.end() && it->second.size() <= 100 && is_valid_utf8(it->second)) {
    const auto found = fuzz::no_throw("Vocabulary::complete", [&] { return v.complete(it->second, 30); });
    fuzz::check(found.size() <= 30, "Vocabulary::complete", "more completions than the limit");
  }

  // 4. Parameters to a SearchRequest, then the search the handler runs.
  SearchRequest r;
  try {
    r = search_request_from_params(params, v);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::invalid_argument)
      fuzz::fail("search_request_from_params",
                 std::string("unexpected evidence::Error(") + error_code_name(e.code()) + "): " + e.what());
    return 0;  // 400 bad_parameter
  } catch (const std::exception& e) {
    fuzz::fail("search_request_from_params", std::string("threw ") + typeid(e).name() + ": " + e.what());
  }
  check_request(r, v);
  try {
    const SearchResponse resp = search(fuzz::corpus_reader(), v, r);
    fuzz::check(resp.hits.size() <= r.per_page, "search", "more hits than per_page");
    if (resp.summary) (void)fuzz::dump_lenient(resp.summary->to_json());
  } catch (const Error& e) {
    if (!expected_error(e))
      fuzz::fail("search", std::string("unexpected evidence::Error(") + error_code_name(e.code()) + "): " + e.what());
  } catch (const std::exception& e) {
    fuzz::fail("search", std::string("threw ") + typeid(e).name() + ": " + e.what());
  }
  return 0;
}
