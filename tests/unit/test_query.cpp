#include <catch2/catch.hpp>

#include "evidence/errors.hpp"
#include "evidence/query.hpp"
#include "test_support.hpp"

using namespace evidence;
using evidence::test::vocabulary;

namespace {
Question parse(const std::string& q) { return parse_question(q, vocabulary()); }
bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}
}  // namespace

TEST_CASE("abbreviations and duration: electrotherapy chronic LBP efficacy", "[query]") {
  const auto q = parse("electrotherapy chronic LBP efficacy");
  CHECK(q.interventions == std::vector<std::string>{"electrotherapy"});
  CHECK(q.conditions == std::vector<std::string>{"chronic_low_back_pain"});
  CHECK(q.duration == "chronic");
  CHECK(has(q.outcomes, "pain"));
  CHECK(has(q.outcomes, "function"));
  CHECK(q.free_text.empty());
}

TEST_CASE("patient wording: does acupuncture help my back", "[query]") {
  const auto q = parse("does acupuncture help my back");
  CHECK(q.interventions == std::vector<std::string>{"acupuncture"});
  CHECK(q.conditions == std::vector<std::string>{"back_pain"});
  CHECK(q.benefit_requested);
  CHECK(q.free_text.empty());
}

TEST_CASE("misspellings and split words resolve", "[query]") {
  CHECK(parse("acupunture for sciatica").interventions == std::vector<std::string>{"acupuncture"});
  CHECK(parse("physio therapy").interventions == std::vector<std::string>{"physiotherapy"});
  CHECK(parse("PT for CLBP").conditions == std::vector<std::string>{"chronic_low_back_pain"});
  CHECK(parse("NSAIDs").interventions == std::vector<std::string>{"nsaids"});
}

TEST_CASE("comparators: 'vs' and 'compared with sham'", "[query]") {
  const auto a = parse("surgery vs physical therapy for spinal stenosis");
  CHECK(a.interventions == std::vector<std::string>{"spinal_surgery"});
  CHECK(a.comparators == std::vector<std::string>{"physiotherapy"});
  CHECK(a.conditions == std::vector<std::string>{"lumbar_spinal_stenosis"});
  const auto b = parse("TENS compared with sham");
  CHECK(b.interventions == std::vector<std::string>{"tens"});
  CHECK(b.comparator_kinds == std::vector<ComparatorKind>{ComparatorKind::placebo_sham});
}

TEST_CASE("outcomes: safety words mean adverse events, designs are recognised", "[query]") {
  const auto q = parse("is spinal manipulation safe");
  CHECK(has(q.outcomes, "adverse_events"));
  CHECK(q.harms_requested);
  CHECK(has(parse("yoga reviews").designs, "systematic_review"));
  CHECK(has(parse("yoga RCTs").designs, "rct"));
}

TEST_CASE("expert field syntax", "[query]") {
  const auto q = parse("intervention:tens design:rct year:2010..2024 quality:6.. condition:CLBP \"nerve stimulation\"");
  CHECK(q.filter_interventions == std::vector<std::string>{"tens"});
  CHECK(q.filter_designs == std::vector<std::string>{"rct"});
  CHECK(q.filter_conditions == std::vector<std::string>{"chronic_low_back_pain"});
  CHECK(q.year_min == 2010);
  CHECK(q.year_max == 2024);
  CHECK(q.quality_min == 6.0);
  CHECK_FALSE(q.quality_max);
  CHECK(q.free_text == "\"nerve stimulation\"");
}

TEST_CASE("boolean operators stay in the free text", "[query]") {
  const auto q = parse("walking OR swimming NOT cycling");
  // "walking" is a concept; the rest is free text, and "OR" had nothing before it once walking was read.
  CHECK(q.free_text == "swimming NOT cycling");
  CHECK(q.interventions == std::vector<std::string>{"walking"});
}

TEST_CASE("bad field values are errors with the field named", "[query]") {
  CHECK_THROWS_WITH(parse("year:abc"), Catch::Contains("year"));
  CHECK_THROWS_WITH(parse("intervention:crystals"), Catch::Contains("unknown concept"));
  CHECK_THROWS_WITH(parse("design:anecdote"), Catch::Contains("unknown design"));
  CHECK_THROWS_AS(parse("bad \xFF utf8"), Error);
}

TEST_CASE("the parsed question is reported back as JSON", "[query]") {
  const auto j = parse("TENS for chronic low back pain").to_json();
  CHECK(j["interventions"][0] == "tens");
  CHECK(j["population"]["duration"] == "chronic");
  REQUIRE(j["concepts"].size() >= 2);
  CHECK(j["concepts"][0]["matched"] == "TENS");
}

// Found by fuzz_query (fuzz/regressions/query/): a 3-character free text looped forever, and a
// year outside int's range was undefined behaviour.
TEST_CASE("fuzz regressions: short free text ends, absurd years are refused", "[query][fuzz]") {
  for (const char* q : {"abc", "xyz OR tens", "ab", "a", " OR", "x AND"}) {
    INFO(q);
    CHECK_NOTHROW(parse_question(q, vocabulary()));
  }
  for (const char* q : {"year:1e300", "year:nan", "year:2000..1e99", "year:-5"}) {
    INFO(q);
    CHECK_THROWS_AS(parse_question(q, vocabulary()), evidence::Error);
  }
}

TEST_CASE("identifiers typed or pasted are read as identifiers, the words around them as usual", "[query]") {
  using Ids = std::vector<std::pair<std::string, std::string>>;
  CHECK(parse("25844995").identifiers == Ids{{"pmid", "25844995"}});
  CHECK(parse("PMID: 25844995").identifiers == Ids{{"pmid", "25844995"}});
  CHECK(parse("pmid:25844995").identifiers == Ids{{"pmid", "25844995"}});
  CHECK(parse("https://pubmed.ncbi.nlm.nih.gov/25844995/").identifiers == Ids{{"pmid", "25844995"}});
  CHECK(parse("10.1002/14651858.CD007612.pub2").identifiers == Ids{{"doi", "10.1002/14651858.cd007612.pub2"}});
  CHECK(parse("see https://doi.org/10.7326/M14-1420.").identifiers == Ids{{"doi", "10.7326/m14-1420"}});
  CHECK(parse("doi:10.7326/M14-1420").identifiers == Ids{{"doi", "10.7326/m14-1420"}});
  CHECK(parse("NCT00022776").identifiers == Ids{{"nct", "nct00022776"}});
  CHECK(parse("https://clinicaltrials.gov/study/NCT00022776?tab=results").identifiers == Ids{{"nct", "nct00022776"}});
  CHECK(parse("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC2830179/").identifiers == Ids{{"pmcid", "pmc2830179"}});
  // Years, doses and counts are not PMIDs; the words around an identifier keep their meaning.
  CHECK(parse("yoga 2019").identifiers.empty());
  CHECK(parse("TENS 100 Hz for 12 weeks").identifiers.empty());
  const Question q = parse("surgery for spinal stenosis PMID 25844995");
  CHECK(q.identifiers == Ids{{"pmid", "25844995"}});
  CHECK(q.conditions == std::vector<std::string>{"lumbar_spinal_stenosis"});
  CHECK(q.free_text.find("25844995") == std::string::npos);
}

TEST_CASE("misspelt words the records never use are read as the vocabulary word", "[query]") {
  const auto unknown = [](const std::string&) { return false; };
  const Question q = parse_question("osteopathy for back pain in pregnacy", vocabulary(), unknown);
  CHECK(q.conditions == std::vector<std::string>{"pregnancy_related_back_pain"});
  REQUIRE(q.corrections.size() == 1);
  CHECK(q.corrections[0].first == "pregnacy");
  CHECK(parse_question("musle relaxants", vocabulary(), unknown).interventions ==
        std::vector<std::string>{"muscle_relaxants"});
  CHECK(parse_question("runing for chronic lower back pain", vocabulary(), unknown).interventions ==
        std::vector<std::string>{"running"});
  // A word the records use is not a typo; short words and words two edits away are left alone;
  // without a list of known words nothing is corrected.
  const auto known = [](const std::string& w) { return w == "pregnacy"; };
  CHECK(parse_question("back pain in pregnacy", vocabulary(), known).corrections.empty());
  CHECK(parse_question("heat for back pain", vocabulary(), unknown).corrections.empty());
  CHECK(parse_question("back pain in pregnacy", vocabulary()).corrections.empty());
}

TEST_CASE("everyday words: lay terms and how long the pain has lasted", "[query]") {
  CHECK(parse("do pills help back pain").interventions == std::vector<std::string>{"drug_therapy"});
  CHECK(parse("are needles any good for my back").interventions == std::vector<std::string>{"acupuncture"});
  CHECK(parse("should I stay in bed with a bad back").interventions == std::vector<std::string>{"bed_rest"});
  CHECK(parse("leg nerve pain").conditions == std::vector<std::string>{"sciatica"});
  CHECK(parse("does sticky tape help back pain").interventions == std::vector<std::string>{"kinesio_taping"});
  CHECK(parse("back pain that won't go away").duration == "chronic");
  CHECK(parse("back pain for years").duration == "chronic");
  CHECK(parse("massage for back pain that started last week").duration == "acute");
  CHECK(parse("sudden back pain").duration == "acute");
  // The outcome a patient asks about: pain that comes back is recurrence, not a second "back".
  const Question walking = parse("will walking stop my back pain coming back");
  CHECK(walking.outcomes == std::vector<std::string>{"recurrence"});
  CHECK(walking.conditions == std::vector<std::string>{"back_pain"});
  // Lay words read questions only: records are annotated without them.
  bool pills_annotate = false;
  for (const auto& m : vocabulary().match(std::string("patients took pills twice daily")))
    if (m.concept_id == "drug_therapy") pills_annotate = true;
  CHECK_FALSE(pills_annotate);
}

TEST_CASE("every lay term says where it comes from and reads as its concept in a question", "[query]") {
  std::size_t terms = 0;
  for (const auto& c : vocabulary().concepts()) {
    for (const auto& l : c.lay) {
      ++terms;
      INFO(c.id << ": \"" << l.term << "\" (" << l.source << ")");
      // A named consumer source gives its page's address; anything else is the project's choice.
      CHECK((l.source == "project" || l.source.find("https://") != std::string::npos));
      const Question q = parse("is " + l.term + " any good for back pain");
      const auto& ids = c.kind == "condition" ? q.conditions : c.kind == "outcome" ? q.outcomes : q.interventions;
      CHECK(has(ids, c.id));
    }
  }
  CHECK(terms >= 30);
  CHECK(parse("narrowing of the spine, operation or physio").conditions ==
        std::vector<std::string>{"lumbar_spinal_stenosis"});
  CHECK(parse("learning how pain works").interventions == std::vector<std::string>{"pain_neuroscience_education"});
  CHECK(parse("talking therapy for long-term back pain").duration == "chronic");
}

TEST_CASE("an abbreviation typed with a capital inside is kept as typed in the free text", "[query]") {
  // Folding "tDCS" to "tdc" (plural folding) lost the word; the search matches it unstemmed.
  CHECK(parse("tDCS chronic low back pain").free_text == "tDCS");
  CHECK(parse("Korean integrative care").free_text == "korean integrative care");
}

TEST_CASE("operators left without words on both sides are dropped, and empty ranges refused", "[query]") {
  // The phrase and the concepts leave only operators: nothing the query parser could refuse.
  CHECK(parse("\"low back pain\" AND massage NOT acute").free_text == "\"low back pain\"");
  CHECK(parse("swimming AND NOT cycling").free_text == "swimming AND NOT cycling");
  CHECK(parse("OR swimming OR").free_text == "swimming");
  CHECK_THROWS_AS(parse("massage year:2030..2000"), Error);
  CHECK_THROWS_AS(parse("massage quality:9..3"), Error);
  CHECK_NOTHROW(parse("massage year:2000..2030"));
}

TEST_CASE("heat and ice in everyday words and heat with cold as one treatment", "[query]") {
  const Question q = parse("should I put ice or heat on my back");
  CHECK(has(q.interventions, "cold_therapy"));
  CHECK(has(q.interventions, "heat_therapy"));
  CHECK(q.either_treatment);
  CHECK(parse("heating and cooling therapy for back pain").interventions ==
        std::vector<std::string>{"heat_and_cold_therapy"});
  // A study of both answers a question about either.
  CHECK(vocabulary().is_a("heat_and_cold_therapy", "heat_therapy"));
  CHECK(vocabulary().is_a("heat_and_cold_therapy", "cold_therapy"));
  CHECK(parse("ThermaCare for back pain").interventions == std::vector<std::string>{"heat_therapy"});
}

TEST_CASE("pain during or after pregnancy in everyday words is pregnancy-related back and pelvic pain", "[query]") {
  CHECK(parse("exercises for pelvic pain after pregnancy").conditions ==
        std::vector<std::string>{"pregnancy_related_back_pain"});
  CHECK(parse("back pain after having a baby").conditions == std::vector<std::string>{"pregnancy_related_back_pain"});
  CHECK(parse("sticky tape for back pain when pregnant").conditions ==
        std::vector<std::string>{"pregnancy_related_back_pain"});
}

TEST_CASE("a treatment named after when or while is when the asked one is wanted", "[query]") {
  const Question q = parse("glute activation exercises when running");
  CHECK_FALSE(has(q.interventions, "running"));
  CHECK(has(q.interventions, "gluteus_medius_activation"));
  CHECK(q.free_text == "running");  // still searched for as a word
  CHECK_FALSE(has(parse("painkillers while waiting for back surgery").interventions, "spinal_surgery"));
  // Before any treatment, "when" asks about the treatment that follows.
  CHECK(has(parse("when is surgery needed for sciatica").interventions, "spinal_surgery"));
}
