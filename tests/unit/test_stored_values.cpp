// The stored forms a search reads instead of the JSON record: the binary study codec, the packed
// facet and ranking-feature slots, and the decoded columns built from them. Each must give
// exactly what the record itself gives; the searches that use them are compared with the
// per-slot fallback over a real index. (These tests read the core library's private headers:
// what they check is the storage inside the wall.)
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "doc_columns.hpp"
#include "index_internal.hpp"
#include "evidence/api.hpp"
#include "evidence/errors.hpp"
#include "evidence/fields.hpp"
#include "evidence/index.hpp"
#include "evidence/ingest.hpp"
#include "evidence/record_validator.hpp"
#include "evidence/search.hpp"
#include "evidence/text.hpp"
#include "packed_values.hpp"
#include "study_codec.hpp"
#include "test_support.hpp"

using namespace evidence;
using evidence::test::source_dir;
using evidence::test::vocabulary;
namespace fs = std::filesystem;

namespace {

// Every record of corpus/ (and of ../shared/data's PubMed and CT.gov files when present), read
// and annotated as the indexer does.
std::vector<Study> annotated_records() {
  static const RecordValidator validator =
      RecordValidator::from_file(source_dir() / "schema/study.schema.json", vocabulary());
  const Annotator annotator(vocabulary());
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(source_dir() / "corpus"))
    if (e.is_regular_file() && (e.path().extension() == ".json" || e.path().extension() == ".jsonl"))
      files.push_back(e.path());
  if (!evidence::test::shared_data().empty()) {
    for (const char* sub : {"pubmed_xml", "clinicaltrials_gov/api_v2_example"})
      for (const auto& e : fs::recursive_directory_iterator(evidence::test::shared_data() / sub))
        if (e.is_regular_file()) files.push_back(e.path());
  }
  std::vector<Study> out;
  for (const auto& f : files) {
    ReadResult r = read_records(read_input_file(f), f.string(), validator);
    for (auto& s : r.studies) {
      annotator.annotate(s);
      s.annotation.files = {f.filename().string()};
      out.push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("the binary study codec keeps every field of every record", "[storage]") {
  const auto studies = annotated_records();
  REQUIRE(studies.size() > 90);
  std::size_t json_bytes = 0, binary_bytes = 0;
  for (const auto& s : studies) {
    const std::string bytes = encode_study(s);
    const Study back = decode_stored_study(bytes);
    INFO(s.id);
    // The JSON rendering shows every field users and the API see, including the annotation.
    CHECK(study_to_json(back, true) == study_to_json(s, true));
    CHECK(back.annotation.quality_score == s.annotation.quality_score);
    CHECK(back.meta_analysis_stated == s.meta_analysis_stated);
    json_bytes += study_to_json(s, true).dump().size();
    binary_bytes += bytes.size();
  }
  CHECK(binary_bytes < json_bytes);
}

TEST_CASE("the codec keeps a draft's flag and quotes, and still reads records stored before drafts", "[storage]") {
  Study s = annotated_records().front();
  s.draft = true;
  s.provenance.unverified = {{"outcomes.0.effect", "MD -1 (95% CI -2 to 0)", "read from the abstract", "A sentence."}};
  const Study back = decode_stored_study(encode_study(s));
  CHECK(back.draft);
  REQUIRE(back.provenance.unverified.size() == 1);
  CHECK(back.provenance.unverified[0].quote == "A sentence.");
  // Format 2 (before drafts): the same fields without the quotes and the trailing draft flag.
  Study plain = annotated_records().front();
  plain.provenance.unverified.clear();
  const std::string v3 = encode_study(plain);
  REQUIRE(v3.front() == '\x03');
  const std::string v2 = "\x02" + v3.substr(1, v3.size() - 2);
  const Study old = decode_stored_study(v2);
  CHECK_FALSE(old.draft);
  CHECK(study_to_json(old, true) == study_to_json(plain, true));
}

TEST_CASE("an index of an older format is refused with what to do, for reading and for updating", "[storage]") {
  const fs::path dir = evidence::test::temp_dir("format1");
  {
    IndexWriter w(dir, vocabulary());
    w.put(annotated_records().front());
    w.set_metadata(std::string(fields::meta_format), "");  // as format 1 indexes were written
    w.commit();
  }
  for (const bool writing : {false, true}) {
    INFO((writing ? "writing" : "reading"));
    try {
      if (writing)
        IndexWriter w(dir, vocabulary());
      else
        IndexReader r(dir);
      FAIL("an index of format 1 was opened");
    } catch (const evidence::Error& e) {
      CHECK(e.code() == ErrorCode::index_unavailable);
      CHECK(std::string(e.what()).find("index format 1") != std::string::npos);
      CHECK(std::string(e.what()).find("--rebuild") != std::string::npos);
    }
  }
  // A record stored as JSON (format 1) is corrupt data for this version, never a crash.
  CHECK_THROWS_AS(decode_stored_study(study_to_json(annotated_records().front(), true).dump()), evidence::Error);
}

TEST_CASE("corrupt stored records are an index_corrupt error, never a crash", "[storage]") {
  const auto studies = annotated_records();
  const std::string good = encode_study(studies.front());
  auto code_of = [](const std::string& data) {
    try {
      decode_stored_study(data);
      return std::string("decoded");
    } catch (const Error& e) {
      return std::string(error_code_name(e.code()));
    }
  };
  CHECK(code_of("") == "index_corrupt");
  CHECK(code_of("{not json") == "index_corrupt");
  CHECK(code_of("\x02whatever") == "index_corrupt");
  CHECK(code_of(good + "x") == "index_corrupt");  // trailing bytes
  // Every truncation fails cleanly (lengths and counts are checked against what is left).
  for (std::size_t n = 1; n < good.size(); n += 7) CHECK(code_of(good.substr(0, n)) == "index_corrupt");
  // A huge count must not allocate: 0xFF... is a varint far larger than the data.
  CHECK(code_of(std::string("\x01\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 10)) == "index_corrupt");
}

TEST_CASE("ranking features round-trip and reject malformed values", "[storage]") {
  for (const auto& s : annotated_records()) {
    const RankFeatures f = rank_features_of(s);
    const auto back = parse_rank_features(serialise_rank_features(f));
    INFO(s.id);
    REQUIRE(back);
    CHECK(back->id == f.id);
    CHECK(back->design == f.design);
    CHECK(back->level == f.level);
    CHECK(back->quality == Approx(f.quality).margin(1e-9));
    CHECK(back->meta_analysis == f.meta_analysis);
    CHECK(back->graded == f.graded);
    CHECK(back->retracted == f.retracted);
    CHECK(back->reportable == f.reportable);
    CHECK(back->interventions == f.interventions);
    CHECK(back->secondary_interventions == f.secondary_interventions);
    CHECK(back->comparators == f.comparators);
    CHECK(back->conditions == f.conditions);
  }
  CHECK_FALSE(parse_rank_features(""));
  CHECK_FALSE(parse_rank_features("r1\tid"));
  CHECK_FALSE(parse_rank_features("r9\tid\trct\t0\t2\t5.00\t0\t0\t0\t0\n\n\n\n"));
  CHECK_FALSE(parse_rank_features("r1\tid\trct\t0\tx\t5.00\t0\t0\t0\t0\n\n\n\n"));
  const auto ok = parse_rank_features("r1\tid\trct\t0\t2\t5.00\t1\t0\t0\t1\ntens\n\nsham\nchronic_low_back_pain");
  REQUIRE(ok);
  CHECK(ok->interventions == std::vector<std::string>{"tens"});
  CHECK(ok->secondary_interventions.empty());
  CHECK(ok->comparators == std::vector<std::string>{"sham"});
  CHECK(ok->quality_estimated);
  CHECK(ok->reportable);
}

TEST_CASE("a record is reportable exactly when the graded summary can use it", "[storage]") {
  std::size_t reportable = 0;
  const auto studies = annotated_records();
  for (const auto& s : studies) {
    const RankFeatures f = rank_features_of(s);
    Question q;
    // What synthesise() uses of a record: its outcomes with a result, unless retracted or a protocol.
    bool used = !s.retracted && s.design != Design::protocol;
    bool any = false;
    for (const auto& o : s.outcomes) any = any || o.direction != Direction::unclear || o.effect.has_value();
    INFO(s.id);
    CHECK(f.reportable == (used && any));
    reportable += f.reportable;
  }
  CHECK(reportable > 50);  // the curated corpus is mostly graded results
}

TEST_CASE("the synthesis slot keeps every field a summary reads and only records it can use", "[storage]") {
  std::size_t kept = 0;
  for (const auto& s : annotated_records()) {
    INFO(s.id);
    const auto part = synthesis_record(s);
    CHECK(part.has_value() == rank_features_of(s).reportable);
    if (!part) continue;
    ++kept;
    Study expected = s;
    expected.abstract.clear();
    expected.annotation.mesh_terms.clear();
    expected.annotation.keywords.clear();
    CHECK(study_to_json(decode_stored_study(*part), true) == study_to_json(expected, true));
    CHECK(part->size() <= encode_study(s).size());
  }
  CHECK(kept > 50);
}

TEST_CASE("a summary from the synthesis slot equals one from the stored records", "[storage][search]") {
  // The second index is the first with the slot taken off every document, as in an index written
  // before the slot existed: the summary then decodes the document data.
  const fs::path with_dir = evidence::test::temp_dir("with-slot");
  const fs::path without_dir = evidence::test::temp_dir("without-slot");
  const auto studies = annotated_records();
  for (const auto& dir : {with_dir, without_dir}) {
    IndexWriter w(dir, vocabulary());
    for (const auto& s : studies) w.put(s);
    w.commit();
  }
  {
    // The index directory is a stub ("glass gen-N") naming its live generation.
    std::ifstream stub(without_dir / "XAPIANDB");
    std::string backend, generation;
    stub >> backend >> generation;
    REQUIRE(backend == "glass");
    Xapian::WritableDatabase db((without_dir / generation).string(), Xapian::DB_OPEN);
    std::size_t removed = 0;
    for (Xapian::PostingIterator p = db.postlist_begin(""); p != db.postlist_end(""); ++p) {
      Xapian::Document doc = db.get_document(*p);
      if (doc.get_value(fields::slot_synthesis).empty()) continue;
      doc.remove_value(fields::slot_synthesis);
      db.replace_document(*p, doc);
      ++removed;
    }
    db.commit();
    CHECK(removed > 50);
  }
  IndexReader with(with_dir), without(without_dir);
  for (const std::string q : {"electrotherapy chronic LBP efficacy", "exercise chronic low back pain",
                              "surgery vs physical therapy spinal stenosis", "opioids", "massage"}) {
    SearchRequest r;
    r.q = q;
    const auto a = search(with, vocabulary(), r);
    const auto b = search(without, vocabulary(), r);
    INFO(q);
    REQUIRE(a.summary);
    REQUIRE(b.summary);
    CHECK_FALSE(a.summary->findings.empty());
    CHECK(to_fhir_evidence(*a.summary, q) == to_fhir_evidence(*b.summary, q));
  }
}

TEST_CASE("MeSH words are indexed once as ranked text and not under the retired K prefix", "[storage]") {
  const fs::path dir = evidence::test::temp_dir("mesh-once");
  const std::vector<Study> studies = annotated_records();
  std::string heading;
  for (const auto& s : studies)
    if (!s.annotation.mesh_terms.empty()) heading = s.annotation.mesh_terms.front();
  REQUIRE_FALSE(heading.empty());
  {
    IndexWriter w(dir, vocabulary());
    for (const auto& s : studies) w.put(s);
    w.commit();
  }
  IndexReader reader(dir);
  const Xapian::Database& db = IndexAccess::of(reader).db;
  // The heading's first word ranks as text ("Low Back Pain/therapy": "low").
  const std::vector<std::string> words = split_words(normalise(heading));
  INFO(heading);
  REQUIRE_FALSE(words.empty());
  CHECK(db.get_termfreq(words.front()) > 0);
  // Nothing under K, stemmed or not (docs/FIELDS.md).
  CHECK(db.allterms_begin("K") == db.allterms_end("K"));
  CHECK(db.allterms_begin("ZK") == db.allterms_end("ZK"));
}

TEST_CASE("decoded columns hold each document's facets and features", "[storage]") {
  const fs::path dir = evidence::test::temp_dir("columns");
  std::vector<Study> studies = annotated_records();
  {
    IndexWriter w(dir, vocabulary());
    for (const auto& s : studies) w.put(s);
    w.commit();
  }
  IndexReader reader(dir);
  auto& impl = IndexAccess::of(reader);
  REQUIRE_FALSE(impl.remote);
  const auto cols = impl.columns();
  REQUIRE(cols);
  CHECK(cols->memory_bytes() > 0);
  std::size_t checked = 0;
  for (Xapian::PostingIterator p = impl.db.postlist_begin(""); p != impl.db.postlist_end(""); ++p) {
    const Xapian::Document doc = impl.db.get_document(*p);
    const auto expected = parse_rank_features(doc.get_value(fields::slot_rank_features));
    const auto got = cols->features(*p);
    REQUIRE(expected);
    REQUIRE(got);
    CHECK(got->id == expected->id);
    CHECK(got->quality == Approx(expected->quality).margin(1e-9));
    CHECK(got->level == expected->level);
    CHECK(got->conditions == expected->conditions);
    CHECK(got->comparators == expected->comparators);
    std::string packed;
    for (const auto code : cols->facets(*p)) packed += cols->value(code) + "\n";
    CHECK(packed == doc.get_value(fields::slot_facets));
    ++checked;
  }
  CHECK(checked == studies.size() - 0);
  // The same revision is shared between readers; a new revision gets new columns.
  IndexReader other(dir);
  CHECK(IndexAccess::of(other).columns() == cols);
  {
    IndexWriter w(dir, vocabulary());
    Study s = studies.front();
    s.id = "storage-test-extra";
    s.identifiers = {};
    w.put(s);
    w.commit();
  }
  other.refresh();
  const auto newer = IndexAccess::of(other).columns();
  REQUIRE(newer);
  CHECK(newer != cols);
  CHECK(newer->features(IndexAccess::of(other).db.get_lastdocid())->id == "storage-test-extra");
}

TEST_CASE("searches from the columns equal searches from the per-slot values", "[storage][search]") {
  // One index (decoded columns), and a stub over it and an empty index (two shards: Xapian's own
  // spies per slot and each record's ranking slot): the same hits in the same order with the
  // same scores, the same facets and the same summary.
  const fs::path packed_dir = evidence::test::temp_dir("packed");
  const fs::path empty_dir = evidence::test::temp_dir("empty");
  const fs::path plain_dir = evidence::test::temp_dir("plain");
  const auto studies = annotated_records();
  {
    IndexWriter w(packed_dir, vocabulary());
    for (const auto& s : studies) w.put(s);
    w.commit();
    IndexWriter(empty_dir, vocabulary()).commit();
  }
  std::ofstream(plain_dir / "XAPIANDB") << "auto " << packed_dir.string() << "\nauto " << empty_dir.string() << "\n";
  IndexReader packed(packed_dir), plain(plain_dir);
  REQUIRE(IndexAccess::of(packed).columns() != nullptr);
  REQUIRE(IndexAccess::of(plain).columns() == nullptr);
  for (const std::string q : {"electrotherapy chronic LBP efficacy", "exercise chronic low back pain",
                              "surgery vs physical therapy spinal stenosis", "acupuncture", "pain",
                              "condition:sciatica", "design:rct year:2010..2024", "massage"}) {
    for (const std::size_t sample : {std::size_t{5000}, std::size_t{20}}) {
      SearchRequest r;
      r.q = q;
      r.per_page = 20;
      r.facet_sample = sample;
      const auto a = search(packed, vocabulary(), r);
      const auto b = search(plain, vocabulary(), r);
      INFO(q << " sample " << sample);
      REQUIRE(a.hits.size() == b.hits.size());
      for (std::size_t i = 0; i < a.hits.size(); ++i) {
        CHECK(a.hits[i].study.id == b.hits[i].study.id);
        CHECK(a.hits[i].score == Approx(b.hits[i].score).margin(1e-9));
        CHECK(a.hits[i].why == b.hits[i].why);
      }
      if (sample > studies.size()) {
        // Counted exactly on both paths.
        CHECK(a.found == b.found);
        CHECK(a.facets_exact);
        CHECK(a.facets.size() == b.facets.size());
        for (std::size_t f = 0; f < a.facets.size(); ++f) {
          CHECK(a.facets[f].first == b.facets[f].first);
          REQUIRE(a.facets[f].second.size() == b.facets[f].second.size());
          for (std::size_t k = 0; k < a.facets[f].second.size(); ++k) {
            CHECK(a.facets[f].second[k].value == b.facets[f].second[k].value);
            CHECK(a.facets[f].second[k].count == b.facets[f].second[k].count);
          }
        }
      }
      REQUIRE(a.summary.has_value() == b.summary.has_value());
      if (a.summary) CHECK(to_fhir_evidence(*a.summary, q) == to_fhir_evidence(*b.summary, q));
    }
  }
}

TEST_CASE("a sampled count estimates the matches from the share of the index it covered", "[storage][search]") {
  // Twelve copies of the records (about 1,200 documents), so that a small sample stops Xapian early.
  const fs::path dir = evidence::test::temp_dir("sampled");
  {
    const auto studies = annotated_records();
    IndexWriter w(dir, vocabulary());
    for (int copy = 0; copy < 12; ++copy)
      for (Study s : studies) {
        s.id += "-copy" + std::to_string(copy);
        s.identifiers = {};
        w.put(s);
      }
    w.commit();
  }
  IndexReader reader(dir);
  std::size_t estimated = 0;
  for (const std::string q :
       {"exercise chronic low back pain", "massage", "surgery vs physical therapy spinal stenosis",
        "acupuncture sciatica", "back pain trial"}) {
    SearchRequest exact, sampled;
    exact.q = sampled.q = q;
    exact.with_summary = sampled.with_summary = false;
    exact.facet_sample = 100000;
    sampled.rescore_depth = 10;
    const auto e = search(reader, vocabulary(), exact);
    // Past two copies' matches: the matches within one copy are not spread evenly (the curated
    // records come first), so a sample inside the first copy says little about the rest. Taken
    // from the exact count, since how many records match depends on whether ../shared is there.
    sampled.facet_sample = 2 * e.found / 12 + 1;
    const auto s = search(reader, vocabulary(), sampled);
    INFO(q << ": " << e.found << " matches, sampled " << s.found);
    REQUIRE(e.found_exact);
    REQUIRE(e.facets_exact);
    if (s.found_exact) continue;
    ++estimated;
    CHECK_FALSE(s.facets_exact);
    // Within a fifth of the true count (the copies spread every kind of record over the docid
    // range); Xapian's own estimate for such OR queries of synonyms was off by a factor of two
    // at 100,000 records (docs/BENCHMARKS.md).
    CHECK(static_cast<double>(s.found) > 0.8 * static_cast<double>(e.found));
    CHECK(static_cast<double>(s.found) < 1.2 * static_cast<double>(e.found));
    // Facet counts are scaled from the sample: the largest design stays within a quarter.
    const auto& de = e.facets.front().second.front();
    const auto& ds = s.facets.front().second.front();
    CHECK(static_cast<double>(ds.count) > 0.75 * static_cast<double>(de.count));
    CHECK(static_cast<double>(ds.count) < 1.25 * static_cast<double>(de.count));
  }
  CHECK(estimated >= 3);
}
