#include <catch2/catch.hpp>

#include <fstream>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include "evidence/errors.hpp"
#include "evidence/vocabulary.hpp"
#include "test_support.hpp"

using namespace evidence;
using evidence::test::source_dir;
using evidence::test::vocabulary;
using nlohmann::json;

TEST_CASE("the vocabulary file validates against its schema", "[vocabulary]") {
  std::ifstream sf(source_dir() / "schema/vocabulary.schema.json"), vf(source_dir() / "schema/vocabulary.json");
  const json schema_doc = json::parse(sf), vocab_doc = json::parse(vf);
  valijson::Schema schema;
  valijson::SchemaParser parser;
  valijson::adapters::NlohmannJsonAdapter sa(schema_doc), va(vocab_doc);
  parser.populateSchema(sa, schema);
  valijson::Validator validator;
  valijson::ValidationResults results;
  const bool ok = validator.validate(schema, va, &results);
  valijson::ValidationResults::Error e;
  while (results.popError(e)) UNSCOPED_INFO(e.description);
  CHECK(ok);
}

TEST_CASE("the vocabulary is consistent: no dangling parents, no cycles, no shared terms", "[vocabulary]") {
  const auto problems = vocabulary().check();
  for (const auto& p : problems) UNSCOPED_INFO(p);
  CHECK(problems.empty());
  CHECK(vocabulary().concepts().size() >= 130);
}

TEST_CASE("check() reports dangling parents, cycles and terms claimed twice", "[vocabulary]") {
  const json j = {
      {"version", "t"},
      {"concepts",
       {{{"id", "aa"}, {"kind", "intervention"}, {"preferred", "Alpha"}, {"plain", "a"}, {"parents", {"bb"}}},
        {{"id", "bb"}, {"kind", "intervention"}, {"preferred", "Beta"}, {"plain", "b"}, {"parents", {"aa"}}},
        {{"id", "cc"},
         {"kind", "intervention"},
         {"preferred", "Gamma"},
         {"plain", "c"},
         {"parents", {"nowhere"}},
         {"synonyms", {"alpha"}}}}}};
  const auto problems = Vocabulary::from_json(j).check();
  auto has = [&](const std::string& s) {
    return std::any_of(problems.begin(), problems.end(),
                       [&](const std::string& p) { return p.find(s) != std::string::npos; });
  };
  CHECK(has("unknown parent 'nowhere'"));
  CHECK(has("cycle"));
  CHECK(has("claimed by both 'aa' and 'cc'"));
}

TEST_CASE("a treatment's alternatives are other treatments of the vocabulary with a source", "[vocabulary]") {
  const Concept* bed = vocabulary().find("bed_rest");
  REQUIRE(bed);
  REQUIRE(bed->alternatives.size() == 1);
  CHECK(bed->alternatives[0].concept_id == "advice_to_stay_active");
  CHECK(bed->alternatives[0].source.find("CD007612") != std::string::npos);
  const json j = {{"version", "t"},
                  {"concepts",
                   {{{"id", "aa"},
                     {"kind", "intervention"},
                     {"preferred", "Alpha"},
                     {"alternatives", {{{"concept", "nowhere"}, {"source", "project"}}}}},
                    {{"id", "bb"},
                     {"kind", "condition"},
                     {"preferred", "Beta"},
                     {"alternatives", {{{"concept", "aa"}, {"source", "project"}}}}}}}};
  const auto problems = Vocabulary::from_json(j).check();
  auto has = [&](const std::string& s) {
    return std::any_of(problems.begin(), problems.end(),
                       [&](const std::string& p) { return p.find(s) != std::string::npos; });
  };
  CHECK(has("concept 'aa' has alternative 'nowhere'"));
  CHECK(has("concept 'bb' has alternative 'aa'"));
}

TEST_CASE("a missing or malformed vocabulary file throws with the file named", "[vocabulary]") {
  CHECK_THROWS_WITH(Vocabulary::load("/nonexistent/vocabulary.json"), Catch::Contains("/nonexistent/vocabulary.json"));
  const auto dir = evidence::test::temp_dir("vocab");
  std::ofstream(dir / "bad.json") << "{ not json";
  CHECK_THROWS_AS(Vocabulary::load(dir / "bad.json"), evidence::Error);
}

TEST_CASE("every treatment the founding brief names resolves to a concept", "[vocabulary]") {
  const std::vector<std::pair<std::string, std::string>> seeds = {
      {"physiotherapy", "physiotherapy"},
      {"physical therapy", "physiotherapy"},
      {"specific low back exercises", "specific_back_exercise"},
      {"strengthening of the back and core muscles", "core_strengthening"},
      {"stretching", "stretching"},
      {"posture correction", "posture_correction"},
      {"aerobic exercise", "aerobic_exercise"},
      {"gluteus medius activation", "gluteus_medius_activation"},
      {"running technique", "running_technique"},
      {"surgical decompression", "surgical_decompression"},
      {"laminectomy", "laminectomy"},
      {"osteopathy", "osteopathic_manipulative_treatment"},
      {"manual therapy", "manual_therapy"},
      {"TENS", "tens"},
      {"PENS", "pens"},
      {"interferential current therapy", "interferential_current"},
      {"electrotherapy", "electrotherapy"},
      {"acupuncture", "acupuncture"},
      {"opioids", "opioids"},
      {"x-ray", "xray"},
      {"MRI", "mri"},
      {"Pilates", "pilates"},
      {"yoga", "yoga"},
      {"McKenzie", "mckenzie_method"},
      {"motor control exercise", "motor_control_exercise"},
      {"spinal manipulation", "spinal_manipulation"},
      {"mobilisation", "spinal_mobilisation"},
      {"massage", "massage"},
      {"heat wrap", "heat_therapy"},
      {"back school", "back_school"},
      {"advice to stay active", "advice_to_stay_active"},
      {"bed rest", "bed_rest"},
      {"cognitive behavioural therapy", "cognitive_behavioural_therapy"},
      {"mindfulness", "mindfulness"},
      {"multidisciplinary rehabilitation", "multidisciplinary_rehabilitation"},
      {"NSAIDs", "nsaids"},
      {"paracetamol", "paracetamol"},
      {"acetaminophen", "paracetamol"},
      {"muscle relaxants", "muscle_relaxants"},
      {"stratified care", "stratified_care"},
      {"traction", "traction"},
      {"lumbar support", "lumbar_support"},
      {"therapeutic ultrasound", "therapeutic_ultrasound"},
      {"low-level laser therapy", "low_level_laser_therapy"},
      {"kinesio taping", "kinesio_taping"},
      {"dry needling", "dry_needling"},
      {"epidural steroid injection", "epidural_steroid_injection"},
      {"radiofrequency denervation", "radiofrequency_denervation"},
      {"spinal fusion", "spinal_fusion"},
      {"discectomy", "discectomy"},
      {"spinal cord stimulation", "spinal_cord_stimulation"}};
  for (const auto& [term, id] : seeds) {
    INFO(term);
    const Concept* c = vocabulary().lookup(term);
    REQUIRE(c != nullptr);
    CHECK(c->id == id);
  }
}

TEST_CASE("abbreviations clinicians type resolve", "[vocabulary]") {
  const std::vector<std::pair<std::string, std::string>> abbrevs = {{"LBP", "low_back_pain"},
                                                                    {"CLBP", "chronic_low_back_pain"},
                                                                    {"NSLBP", "nonspecific_low_back_pain"},
                                                                    {"PT", "physiotherapy"},
                                                                    {"physio", "physiotherapy"},
                                                                    {"SMT", "spinal_manipulation"},
                                                                    {"OMT", "osteopathic_manipulative_treatment"},
                                                                    {"TENS", "tens"},
                                                                    {"PENS", "pens"},
                                                                    {"IFC", "interferential_current"},
                                                                    {"CBT", "cognitive_behavioural_therapy"},
                                                                    {"MBSR", "mindfulness"},
                                                                    {"NSAID", "nsaids"},
                                                                    {"RCT", "rct"},
                                                                    {"SR", "systematic_review"},
                                                                    {"MA", "meta_analysis"},
                                                                    {"ODI", "odi"},
                                                                    {"RMDQ", "rmdq"},
                                                                    {"VAS", "vas"},
                                                                    {"NRS", "nrs"},
                                                                    {"QoL", "quality_of_life"},
                                                                    {"RTW", "return_to_work"}};
  for (const auto& [a, id] : abbrevs) {
    INFO(a);
    const auto m = vocabulary().match(a, false);
    REQUIRE(m.size() == 1);
    CHECK(m[0].concept_id == id);
  }
}

TEST_CASE("matching takes the longest term and respects abbreviation case in running text", "[vocabulary]") {
  const auto m = vocabulary().match("Patients with chronic low back pain received TENS; tens of patients improved.");
  std::vector<std::string> ids;
  for (const auto& x : m) ids.push_back(x.concept_id);
  CHECK(std::count(ids.begin(), ids.end(), "chronic_low_back_pain") == 1);
  CHECK(std::count(ids.begin(), ids.end(), "low_back_pain") == 0);  // the longer term wins
  CHECK(std::count(ids.begin(), ids.end(), "tens") == 1);           // "tens of" is not TENS
}

TEST_CASE("British and American spellings and plurals match the same concept", "[vocabulary]") {
  CHECK(vocabulary().lookup("spinal mobilization")->id == "spinal_mobilisation");
  CHECK(vocabulary().lookup("cognitive behavioral therapy")->id == "cognitive_behavioural_therapy");
  CHECK(vocabulary().lookup("randomized controlled trials")->id == "rct");
}

TEST_CASE("descendants and ancestors follow the hierarchy", "[vocabulary]") {
  const auto d = vocabulary().descendants("electrotherapy");
  for (const char* c : {"tens", "pens", "interferential_current"}) CHECK(std::find(d.begin(), d.end(), c) != d.end());
  CHECK(vocabulary().is_a("laminectomy", "spinal_surgery"));
  CHECK_FALSE(vocabulary().is_a("spinal_surgery", "laminectomy"));
  CHECK(vocabulary().is_a("chronic_low_back_pain", "back_pain"));
}

TEST_CASE("autocomplete ranks prefix matches and offers plain terms", "[vocabulary]") {
  const auto c = vocabulary().complete("acup", 5);
  REQUIRE_FALSE(c.empty());
  CHECK(c.front()->id == "acupuncture");
  const auto e = vocabulary().complete("electro", 10);
  CHECK(std::any_of(e.begin(), e.end(), [](const Concept* k) { return k->id == "electrotherapy"; }));
}
