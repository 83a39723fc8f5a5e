// libFuzzer harness: the query parser (parse_question) and a full search (query building,
// Xapian, ranking, facets, snippets, spelling, the graded summary, export) over a small real
// index of tests/data and corpus/, built once in LLVMFuzzerInitialize. The input is the typed
// query text. See fuzz/README.md.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "evidence/query.hpp"
#include "evidence/search.hpp"
#include "fuzz_common.hpp"

using namespace evidence;

namespace {

// The errors search() and parse_question() may throw for a bad query (HTTP 400).
bool expected_error(const Error& e) {
  return e.code() == ErrorCode::invalid_argument || e.code() == ErrorCode::query_too_complex;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)fuzz::vocabulary();
  (void)fuzz::corpus_reader();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const Vocabulary& v = fuzz::vocabulary();

  std::optional<Question> q;
  try {
    q = parse_question(text, v);
  } catch (const Error& e) {
    if (!expected_error(e))
      fuzz::fail("parse_question",
                 std::string("unexpected evidence::Error(") + error_code_name(e.code()) + "): " + e.what());
  } catch (const std::exception& e) {
    fuzz::fail("parse_question", std::string("threw ") + typeid(e).name() + ": " + e.what());
  }
  if (q) {
    fuzz::check(q->text == text, "parse_question", "text not kept as typed");
    for (const auto& c : q->concepts)
      fuzz::check(v.contains(c.id), "parse_question", "recognised unknown concept '" + c.id + "'");
    if (q->year_min && q->year_max) (void)(*q->year_max - *q->year_min);
    (void)fuzz::dump_lenient(q->to_json());
  }

  // The same text as a search; the sort order varies with the input so all three are reached.
  static constexpr std::array<const char*, 3> sorts = {"relevance", "year", "quality"};
  SearchRequest r;
  r.q = text;
  r.sort = *evidence::parse_sort_order(sorts[size % sorts.size()]);
  try {
    const SearchResponse resp = search(fuzz::corpus_reader(), v, r);
    fuzz::check(text.size() <= max_query_length, "search", "accepted a query longer than the limit");
    fuzz::check(q.has_value(), "search", "accepted a query that parse_question refused");
    fuzz::check(resp.hits.size() <= r.per_page, "search", "more hits than per_page");
    fuzz::check(resp.found >= resp.hits.size(), "search", "found is less than the hits returned");
    for (std::size_t i = 0; i < resp.hits.size(); ++i)
      fuzz::check(resp.hits[i].rank == i + 1, "search", "ranks are not 1..n on page 1");
    fuzz::check(resp.summary.has_value(), "search", "no summary although with_summary is set");
    (void)fuzz::dump_lenient(resp.summary->to_json());
    (void)fuzz::dump_lenient(resp.question.to_json());
    // /api/export runs the same request through search_all (for one input in four: it costs as
    // much as the search itself).
    if (size % 4 == 0) {
      const auto all = search_all(fuzz::corpus_reader(), v, r, 50);
      fuzz::check(all.size() <= 50, "search_all", "more studies than the limit");
    }
  } catch (const Error& e) {
    if (!expected_error(e))
      fuzz::fail("search", std::string("unexpected evidence::Error(") + error_code_name(e.code()) + "): " + e.what());
  } catch (const std::exception& e) {
    fuzz::fail("search", std::string("threw ") + typeid(e).name() + ": " + e.what());
  }
  return 0;
}
