#include <catch2/catch.hpp>

#include "evidence/search.hpp"
#include "test_support.hpp"

using namespace evidence;
using evidence::test::corpus_index;
using evidence::test::vocabulary;

namespace {
SearchResponse run(const std::string& q, std::size_t per_page = 10) {
  IndexReader reader(corpus_index());
  SearchRequest r;
  r.q = q;
  r.per_page = per_page;
  return search(reader, vocabulary(), r);
}
std::vector<std::string> ids(const SearchResponse& r) {
  std::vector<std::string> out;
  for (const auto& h : r.hits) out.push_back(h.study.id);
  return out;
}
}  // namespace

TEST_CASE("electrotherapy in chronic LBP finds the electrotherapy studies first", "[search]") {
  const auto r = run("electrotherapy chronic LBP efficacy", 5);
  REQUIRE(r.found >= 3);
  for (const auto& h : r.hits) {
    bool electro = false;
    for (const auto& a : h.study.interventions)
      for (const auto& c : a.concepts) electro = electro || vocabulary().is_a(c, "electrotherapy");
    INFO(h.study.id << " " << h.study.title);
    CHECK(electro);
  }
  REQUIRE(r.summary);
  CHECK_FALSE(r.summary->findings.empty());
}
