// Drafts for curators (evidence/draft.hpp, issue 18): effects with 95% CIs, participants and
// follow-up read from abstracts, each with its exact sentence; the draft record valid against the
// schema; and a draft, once indexed, listed but never graded.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "evidence/appraisal.hpp"
#include "evidence/draft.hpp"
#include "evidence/errors.hpp"
#include "evidence/index.hpp"
#include "evidence/index_run.hpp"
#include "evidence/ingest.hpp"
#include "evidence/search.hpp"
#include "test_support.hpp"

using namespace evidence;
using evidence::test::shared_data;
using evidence::test::validator;
using evidence::test::vocabulary;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

json fixture(const char* name) {
  return json::parse(evidence::test::read_text(evidence::test::test_data() / "draft" / name));
}

// The 71 derived back-pain PubMed records, read and annotated as evidence-index does.
std::vector<Study> derived_records() {
  const fs::path file =
      shared_data() / "pubmed_xml/derived_from_pmc_jats/backpain_evidence_inference_DERIVED_PubmedArticleSet.xml";
  ReadResult r = read_pubmed_xml(read_input_file(file), file.string());
  const Annotator annotator(vocabulary());
  for (auto& s : r.studies) annotator.annotate(s);
  return r.studies;
}

const Study* with_pmid(const std::vector<Study>& studies, const std::string& pmid) {
  for (const auto& s : studies)
    if (s.identifiers.pmid == pmid) return &s;
  return nullptr;
}

std::vector<ExtractedEffect> effects_of(const Study& s) { return extract_numbers(s.abstract).effects; }

}  // namespace

TEST_CASE("sentences are exact substrings, split at sentence ends only", "[draft]") {
  const std::string text =
      "Pain fell by 1.5 points vs. usual care (p = 0.01). Disability did not change. 120 adults took part; "
      "see e.g. Smith J. Jones for details! (Results were similar.)";
  const auto s = split_sentences(text);
  REQUIRE(s.size() == 4);
  CHECK(s[0] == "Pain fell by 1.5 points vs. usual care (p = 0.01).");
  CHECK(s[1] == "Disability did not change.");
  CHECK(s[2] == "120 adults took part; see e.g. Smith J. Jones for details!");
  CHECK(s[3] == "(Results were similar.)");
  for (const auto& x : s) CHECK(text.find(x) != std::string::npos);
  CHECK(split_sentences("").empty());
  CHECK(split_sentences("No full stop at the end").size() == 1);
}

TEST_CASE("effects with 95% CIs in hand-written sentences", "[draft]") {
  // Kept in a variable: a range-for over .at() of a temporary reads freed memory (found by ASan).
  const json sentences = fixture("effect_sentences.json");
  for (const auto& item : sentences.at("sentences")) {
    const std::string text = item.at("text");
    INFO(text);
    const auto found = effects_in_sentence(text);
    const auto& want = item.at("effects");
    REQUIRE(found.size() == want.size());
    for (std::size_t i = 0; i < found.size(); ++i) {
      CHECK(found[i].measure == want[i].at("measure").get<std::string>());
      CHECK(found[i].value == Approx(want[i].at("value").get<double>()));
      CHECK(found[i].ci_low == Approx(want[i].at("ci_low").get<double>()));
      CHECK(found[i].ci_high == Approx(want[i].at("ci_high").get<double>()));
      CHECK(found[i].quote == text);
    }
  }
}

TEST_CASE("an NNT and an interaction are effects of kind other, named", "[draft]") {
  auto e = effects_in_sentence("The number needed to treat was 6 (95% CI 4 to 12).");
  REQUIRE(e.size() == 1);
  CHECK(e[0].kind == "NNT");
  e = effects_in_sentence("The interaction was -0.9 (95% CI -3.3 to 1.3).");
  REQUIRE(e.size() == 1);
  CHECK(e[0].measure == "other");
  CHECK(e[0].kind == "interaction (effect modification)");
  // Odd text yields nothing rather than a guess.
  for (const char* odd : {"95% CI", "(95% CI) to", "95% CI -", "1 (2 to 3)", "((((", "95% CI 1 to"})
    CHECK(effects_in_sentence(odd).empty());
}

TEST_CASE("follow-up times in hand-written sentences", "[draft]") {
  // Kept in a variable: a range-for over .at() of a temporary reads freed memory (found by ASan).
  const json sentences = fixture("follow_up_sentences.json");
  for (const auto& item : sentences.at("sentences")) {
    const std::string text = item.at("text");
    INFO(text);
    const auto found = follow_ups_in_sentence(text);
    const auto want = item.at("weeks").get<std::vector<double>>();
    REQUIRE(found.size() == want.size());
    for (std::size_t i = 0; i < found.size(); ++i) CHECK(found[i].weeks == Approx(want[i]).margin(0.01));
  }
}

TEST_CASE("real abstracts: the effects the derived PubMed records state", "[draft][shared]") {
  REQUIRE_SHARED_DATA();
  const auto studies = derived_records();
  REQUIRE(studies.size() == 70);  // of 71: one has no PMID, and the reader skips it with a report

  // Four mean differences, the first labelled "(95% CI)" before its value, the rest continuing the list.
  const Study* s = with_pmid(studies, "20163739");
  REQUIRE(s);
  auto e = effects_of(*s);
  REQUIRE(e.size() == 4);
  CHECK(e[0].measure == "MD");
  CHECK(e[0].value == -1.8);
  CHECK(e[0].ci_low == -3.5);
  CHECK(e[0].ci_high == -0.1);
  CHECK(e[3].value == 46.7);
  CHECK(e[3].ci_low == 16.1);
  CHECK(e[3].ci_high == 77.3);
  for (const auto& x : e) CHECK(x.measure == "MD");

  // Group means with CIs are not effects; the group difference is.
  s = with_pmid(studies, "24288556");
  REQUIRE(s);
  e = effects_of(*s);
  REQUIRE(e.size() == 1);
  CHECK(e[0].value == 285.8);
  CHECK(e[0].ci_low == -33.9);  // a Unicode minus sign in the article
  CHECK(e[0].ci_high == 605.5);

  // Proportions of patients with CIs are not between-group effects.
  s = with_pmid(studies, "26587400");
  REQUIRE(s);
  CHECK(effects_of(*s).empty());
  // A Bayesian credible interval is not a confidence interval.
  s = with_pmid(studies, "25785242");
  REQUIRE(s);
  CHECK(effects_of(*s).empty());

  // NNTs: six, the first with "95% CI", the others "(lo to hi)" in the same list.
  s = with_pmid(studies, "19519911");
  REQUIRE(s);
  e = effects_of(*s);
  REQUIRE(e.size() == 6);
  CHECK(e[1].value == 9.0);
  CHECK(e[1].ci_low == 5.0);
  CHECK(e[1].ci_high == 45.5);
  for (const auto& x : e) CHECK(x.kind == "NNT");
}

TEST_CASE("real abstracts: every quote is a sentence of its record's abstract", "[draft][shared]") {
  REQUIRE_SHARED_DATA();
  std::size_t quotes = 0;
  for (const auto& s : derived_records()) {
    INFO(s.id);
    const AbstractNumbers n = extract_numbers(s.abstract);
    auto in_abstract = [&](const std::string& quote, const std::string& section) {
      return std::any_of(s.abstract.begin(), s.abstract.end(), [&](const AbstractSection& a) {
        return a.label == section && a.text.find(quote) != std::string::npos;
      });
    };
    for (const auto& e : n.effects) {
      CHECK(in_abstract(e.quote, e.section));
      ++quotes;
    }
    for (const auto& f : n.follow_ups) {
      CHECK(in_abstract(f.quote, f.section));
      ++quotes;
    }
    if (n.participants) {
      CHECK(in_abstract(n.participants->quote, n.participants->section));
      ++quotes;
    }
  }
  CHECK(quotes > 71);
}

TEST_CASE("real abstracts: every draft is valid against the schema, with every field unverified", "[draft][shared]") {
  REQUIRE_SHARED_DATA();
  for (const auto& s : derived_records()) {
    INFO(s.id);
    const Study d = make_draft(s, vocabulary(), "test");
    const json j = study_to_json(d, false);
    const auto issues = validator().validate(j);
    for (const auto& i : issues) INFO(i.pointer + ": " + i.message);
    CHECK(issues.empty());
    CHECK(j.at("draft") == true);
    CHECK_FALSE(j.contains("annotation"));
    // Every drafted effect is listed as unverified, with its sentence.
    const auto& unverified = j.at("provenance").at("unverified");
    for (std::size_t i = 0; i < d.outcomes.size(); ++i) {
      if (!d.outcomes[i].effect) continue;
      const std::string field = "outcomes." + std::to_string(i) + ".effect";
      const auto it =
          std::find_if(unverified.begin(), unverified.end(), [&](const json& u) { return u.at("field") == field; });
      REQUIRE(it != unverified.end());
      CHECK(it->at("quote") == d.outcomes[i].result_text);
      CHECK(s.abstract_text().find(it->at("quote").get<std::string>()) != std::string::npos);
    }
    for (const char* f : {"title", "year", "design", "population.conditions", "interventions"}) {
      INFO(f);
      CHECK(std::any_of(unverified.begin(), unverified.end(), [&](const json& u) { return u.at("field") == f; }));
    }
  }
}

namespace {

// A trial of TENS against sham with a pain result that a graded summary would use, were it confirmed.
Study tens_trial(const std::string& id, bool draft) {
  Study s;
  s.id = id;
  s.draft = draft;
  s.title = "TENS versus sham TENS for chronic low back pain: a randomised trial";
  s.year = 2020;
  s.design = Design::rct;
  s.population.conditions = {"chronic_low_back_pain"};
  s.population.duration = "chronic";
  s.population.n_randomised = 200;
  s.interventions = {{{"tens"}, "TENS", std::nullopt}};
  s.comparators = {{{"sham"}, "sham TENS", ComparatorKind::placebo_sham}};
  OutcomeResult o;
  o.domain = "pain";
  o.time_point = "short";
  o.intervention = {"tens"};
  o.comparator = {"sham"};
  o.comparator_kind = ComparatorKind::placebo_sham;
  o.direction = Direction::favours_intervention;
  Effect e;
  e.measure = "MD";
  e.value = -12;
  e.ci_low = -18;
  e.ci_high = -6;
  e.scale_min = 0;
  e.scale_max = 100;
  e.better = "lower";
  e.contrast = "intervention_minus_comparator";
  o.effect = e;
  o.result_text = "Pain fell more with TENS (MD -12, 95% CI -18 to -6).";
  s.outcomes = {o};
  s.quality.pedro = Pedro{8, {}, "test"};
  s.provenance.sources = {"test fixture"};
  if (draft)
    s.provenance.unverified = {
        {"outcomes.0.effect", "MD -12 (95% CI -18 to -6)", "read from the abstract", o.result_text}};
  return s;
}

}  // namespace

TEST_CASE("a draft indexed by evidence-index is listed, never graded; confirmed, it is graded", "[draft]") {
  const fs::path dir = evidence::test::temp_dir("draft_gate");
  const fs::path records = dir / "records";
  fs::create_directories(records);
  // Only the draft flag differs between the two records.
  for (const bool draft : {true, false}) {
    const Study s = tens_trial(draft ? "draft-T1" : "T1", draft);
    const json j = study_to_json(s, false);
    REQUIRE(validator().validate(j).empty());
    std::ofstream(records / (s.id + ".json")) << j.dump(2);
  }
  RunOptions o;
  o.db = dir / "db";
  o.inputs = {records / "draft-T1.json"};
  REQUIRE(run_index(o).exit_code() == 0);

  IndexReader reader(o.db);
  const auto stored = reader.get("draft-T1");
  REQUIRE(stored);
  CHECK(stored->draft);  // kept through the stored form (codec 0x03)
  REQUIRE(stored->provenance.unverified.size() == 1);
  CHECK(stored->provenance.unverified[0].quote == "Pain fell more with TENS (MD -12, 95% CI -18 to -6).");
  CHECK(stored->annotation.origins.at("outcomes") == Origin::text);  // read automatically, not a curator's
  CHECK(results_unconfirmed(*stored));

  SearchRequest req;
  req.q = "TENS versus sham for chronic low back pain";
  auto response = search(reader, vocabulary(), req);
  REQUIRE(response.summary);
  CHECK(response.summary->findings.empty());
  REQUIRE(response.summary->unappraised.size() == 1);
  CHECK(response.summary->unappraised[0].record_id == "draft-T1");
  CHECK(response.found == 1);  // still found by search

  // The confirmed record (draft flag removed) is graded.
  o.inputs = {records / "T1.json"};
  REQUIRE(run_index(o).exit_code() == 0);
  reader.refresh();
  response = search(reader, vocabulary(), req);
  REQUIRE(response.summary);
  REQUIRE_FALSE(response.summary->findings.empty());
  for (const auto& f : response.summary->findings) {
    const auto& ids = f.record_ids;
    CHECK(std::find(ids.begin(), ids.end(), "draft-T1") == ids.end());
    CHECK(std::find(ids.begin(), ids.end(), "T1") != ids.end());
  }
}

TEST_CASE("evidence-index --draft writes a valid draft of an indexed PubMed record", "[draft][cli][shared]") {
  REQUIRE_SHARED_DATA();
  const fs::path dir = evidence::test::temp_dir("draft_cli");
  RunOptions o;
  o.db = dir / "db";
  o.inputs = {shared_data() /
              "pubmed_xml/derived_from_pmc_jats/backpain_evidence_inference_DERIVED_PubmedArticleSet.xml"};
  REQUIRE(run_index(o).exit_code() == 1);  // the record without a PMID is skipped

  const DraftRun run = draft_from_index(o.db, "20163739");
  CHECK(run.record_id == "pubmed-20163739");
  CHECK(run.issues.empty());
  CHECK(run.effects == 4);
  CHECK(run.record.at("draft") == true);
  CHECK_THROWS_AS(draft_from_index(o.db, "99999999"), evidence::Error);

  const fs::path out = dir / "draft.json";
  const std::string cmd = std::string(EVIDENCE_INDEX_BIN) + " --db " + o.db.string() + " --draft 20163739 --out " +
                          out.string() + " 2>" + (dir / "stderr.txt").string();
  REQUIRE(std::system(cmd.c_str()) == 0);
  const json written = json::parse(evidence::test::read_text(out));
  CHECK(validator().validate(written).empty());
  CHECK(written == run.record);
  CHECK(evidence::test::read_text(dir / "stderr.txt").find("4 effects with 95% CIs") != std::string::npos);
  // Without --draft the paths are still required; an unknown record is exit status 2.
  CHECK(std::system((std::string(EVIDENCE_INDEX_BIN) + " --db " + o.db.string() + " 2>/dev/null").c_str()) != 0);
  CHECK(std::system((std::string(EVIDENCE_INDEX_BIN) + " --db " + o.db.string() + " --draft 1 2>/dev/null").c_str()) !=
        0);
}
