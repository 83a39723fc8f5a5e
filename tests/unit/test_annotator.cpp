// Annotation quality on a small hand-annotated test corpus (tests/data/annotation), and coverage
// on the real records in ../shared/data. Figures are printed; thresholds are the promise.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <set>

#include "evidence/ingest.hpp"
#include "test_support.hpp"

using namespace evidence;
using nlohmann::json;

namespace {
Study from_case(const json& c, int i) {
  Study s;
  s.id = "case-" + std::to_string(i);
  s.title = c["title"];
  for (const auto& a : c["abstract"]) s.abstract.push_back({a[0], a[1]});
  s.year = 2020;
  s.annotation.sources = {"pubmed"};
  return s;
}
// A record as a reader makes it (its source from its id's prefix, "ctgov-" or "pubmed-"), annotated.
Study annotated(const std::string& id, const std::string& title, std::vector<AbstractSection> abstract) {
  static const Annotator annotator(evidence::test::vocabulary());
  Study s;
  s.id = id;
  s.title = title;
  s.abstract = std::move(abstract);
  s.annotation.sources = {id.substr(0, id.find('-'))};
  annotator.annotate(s);
  return s;
}
std::set<std::string> concept_set(const std::vector<Arm>& arms) {
  std::set<std::string> out;
  for (const auto& a : arms) out.insert(a.concepts.begin(), a.concepts.end());
  return out;
}
}  // namespace

TEST_CASE("annotation matches the hand annotations of the test corpus", "[annotator]") {
  std::ifstream in(evidence::test::test_data() / "annotation/expected.json");
  const json cases = json::parse(in);
  const Annotator annotator(evidence::test::vocabulary());
  int fields = 0, correct = 0, i = 0;
  for (const auto& c : cases) {
    Study s = from_case(c, ++i);
    annotator.annotate(s);
    const json& e = c["expect"];
    INFO(s.title);
    auto score = [&](bool ok, const std::string& what) {
      ++fields;
      correct += ok ? 1 : 0;
      if (!ok) UNSCOPED_INFO("missed " << what);
      return ok;
    };
    const auto ints = concept_set(s.interventions), comps = concept_set(s.comparators);
    for (const auto& x : e.value("interventions", json::array()))
      CHECK(score(ints.count(x) == 1, "intervention " + x.get<std::string>()));
    for (const auto& x : e.value("comparators", json::array())) {
      score(comps.count(x) == 1, "comparator " + x.get<std::string>());
      CHECK(ints.count(x) == 0);  // a comparator is never taken for the intervention
    }
    for (const auto& x : e.value("conditions", json::array()))
      score(
          std::find(s.population.conditions.begin(), s.population.conditions.end(), x) != s.population.conditions.end(),
          "condition " + x.get<std::string>());
    for (const auto& x : e.value("not_conditions", json::array()))
      CHECK(std::find(s.population.conditions.begin(), s.population.conditions.end(), x) ==
            s.population.conditions.end());
    CHECK(score(s.design == e["design"],
                "design " + e["design"].get<std::string>() + " (got " + design_name(s.design) + ")"));
    if (e.contains("duration"))
      score(s.population.duration == e["duration"], "duration " + e["duration"].get<std::string>());
    if (e.contains("n")) score(s.participants() == e["n"].get<std::int64_t>(), "participants " + e["n"].dump());
    if (e.contains("direction")) {
      bool found = false;
      for (const auto& o : s.outcomes) found = found || o.direction == e["direction"];
      score(found, "direction " + e["direction"].get<std::string>());
    }
    CHECK(s.annotation.origins.count("design") == 1);
    CHECK(s.annotation.quality_estimated);
  }
  const double accuracy = static_cast<double>(correct) / fields;
  WARN("annotation accuracy on the test corpus: " << correct << "/" << fields << " fields");
  CHECK(accuracy >= 0.85);
}

TEST_CASE("annotation coverage on the real back-pain records", "[annotator][shared]") {
  REQUIRE_SHARED_DATA();
  const auto file = evidence::test::shared_data() /
                    "pubmed_xml/derived_from_pmc_jats/backpain_evidence_inference_DERIVED_PubmedArticleSet.xml";
  ReadResult r = read_pubmed_xml(read_input_file(file), file.string());
  const Annotator annotator(evidence::test::vocabulary());
  std::size_t n = 0, with_i = 0, with_c = 0, with_d = 0;
  for (auto& s : r.studies) {
    annotator.annotate(s);
    ++n;
    with_i += concept_set(s.interventions).empty() ? 0u : 1u;
    with_c += s.population.conditions.empty() ? 0u : 1u;
    with_d += s.design == Design::other ? 0u : 1u;
  }
  WARN("PMC-derived back-pain trials: " << n << " records; intervention " << with_i << ", condition " << with_c
                                        << ", design " << with_d);
  CHECK(n == 70);
  CHECK(with_d >= 55);  // most are trials; some are imaging, diagnostic or cohort studies (measured 2026-11-27)
  CHECK(with_c >= 50);
  CHECK(with_i >= 40);
}

TEST_CASE("imaging named for eligibility or measurement is not the treatment studied", "[annotator]") {
  const Study s = annotated(
      "ctgov-NCT99999991", "A Cohort Study of Older Adults With Lumbar Spinal Stenosis",
      {{"Detailed description",
        "Inclusion criteria: stenosis confirmed on MRI or x-ray. Exclusion criteria: contraindication to MRI. "
        "Standing x-ray and MRI will be repeated at 2 years to measure canal area."}});
  const auto ints = concept_set(s.interventions);
  CHECK(ints.count("mri") == 0);
  CHECK(ints.count("xray") == 0);
  CHECK(ints.count("diagnostic_imaging") == 0);

  // A study of the test names it in its title.
  const Study t =
      annotated("pubmed-99999992", "Early MRI for acute low back pain: a randomised trial",
                {{"Methods", "Patients were randomised to early MRI or usual care. MRI findings were reported."}});
  CHECK(concept_set(t.interventions).count("mri") == 1);
}

TEST_CASE("heat wraps by brand and heating-and-cooling devices are heat and cold therapy", "[annotator]") {
  const Study s =
      annotated("ctgov-NCT99999993",
                "Safety and Efficacy of a Heating and Cooling Combination Therapeutic Device in Chronic Low Back Pain",
                {{"Brief summary", "Real or sham heating and cooling combination treatment for 2 weeks."}});
  CHECK(concept_set(s.interventions).count("heat_and_cold_therapy") == 1);

  const Study t = annotated("ctgov-NCT99999994", "The Impact of ThermaCare on Flexibility in Low Back Pain",
                            {{"Brief summary", "Subjects wear ThermaCare HeatWraps during daily activities."}});
  CHECK(concept_set(t.interventions).count("heat_therapy") == 1);
}

TEST_CASE("a field of medicine in a title is not drug therapy and the treatments of the abstract are", "[annotator]") {
  // Words match with plurals folded: "medicines" as a drug-therapy term made every "... Medicine"
  // title a study of drugs, and a title's treatment hides the abstract's.
  const Study s = annotated(
      "ctgov-NCT99999996", "Pregnancy-Related Low Back Pain and Complementary and Alternative Medicine Treatment",
      {{"Brief summary", "This study compares exercise and spinal manipulation for pregnancy-related low back pain."},
       {"Detailed description", "Women are randomised to exercise or to spinal manipulation for eight weeks."}});
  const auto ints = concept_set(s.interventions);
  CHECK(ints.count("drug_therapy") == 0);
  CHECK(ints.count("exercise_therapy") == 1);
  CHECK(ints.count("spinal_manipulation") == 1);

  // Medication is still drug therapy.
  const Study t = annotated("pubmed-99999997", "Pain medication for acute low back pain: a randomised trial",
                            {{"Methods", "Patients were randomised to medication or placebo."}});
  CHECK(concept_set(t.interventions).count("drug_therapy") == 1);
}

TEST_CASE("a treatment a title names as when people were treated is not the treatment studied", "[annotator]") {
  // Titles of the shared data: the operation is the setting; the treatment before it is studied.
  const Study s =
      annotated("ctgov-NCT99999990", "Comparison of Exercise Intervention Effects Following Lumbar Microdiscectomy",
                {{"Brief summary", "Patients are randomised to two exercise programmes."}});
  CHECK(concept_set(s.interventions) == std::set<std::string>{"exercise_therapy"});
  const Study t =
      annotated("pubmed-99999989", "Physiotherapy for Patients with Sciatica Awaiting Lumbar Micro-discectomy Surgery",
                {{"Methods", "Interviews with patients."}});
  CHECK(concept_set(t.interventions) == std::set<std::string>{"physiotherapy"});

  // With no treatment before it, the operation is what was studied.
  const Study u = annotated("pubmed-99999988", "Outcomes after lumbar discectomy: a cohort study",
                            {{"Methods", "Patients were followed for two years."}});
  CHECK(concept_set(u.interventions).count("discectomy") == 1);
}

TEST_CASE("a condition mentioned once outside the title is not who was studied", "[annotator]") {
  auto conditions = [](const Study& s) {
    return std::set<std::string>(s.population.conditions.begin(), s.population.conditions.end());
  };
  // A knee trial that names low back pain once, among whom it excluded.
  const Study s = annotated(
      "ctgov-NCT99999987", "Massage Therapy for Osteoarthritis of the Knee",
      {{"Brief summary", "Adults with knee osteoarthritis receive massage. Knee osteoarthritis pain is measured."},
       {"Detailed description", "People whose main complaint is low back pain are not eligible."}});
  CHECK(conditions(s) == std::set<std::string>{"osteoarthritis"});

  // Broader and narrower conditions count together: one "chronic low back pain" and two "back pain".
  const Study t = annotated("pubmed-99999986", "Yoga classes in primary care: a randomised trial",
                            {{"Background", "Back pain is common. Yoga may help back pain."},
                             {"Methods", "Adults with chronic low back pain were randomised to yoga or usual care."}});
  CHECK(conditions(t) == std::set<std::string>{"chronic_low_back_pain"});

  // A short abstract that names its condition once, and nothing else, keeps it.
  const Study w = annotated("pubmed-99999984", "Effect of a walking programme on recurrence of low back pain",
                            {{"Methods", "Adults recently recovered from low back pain were randomised to walking."}});
  CHECK(conditions(w) == std::set<std::string>{"low_back_pain"});

  // "Non-specific" does not negate the condition it qualifies.
  const Study u =
      annotated("ctgov-NCT99999985", "Medial Branch Block in Patients With Non-specific Chronic Low Back Pain",
                {{"Brief summary", "A randomised trial of two injections."}});
  CHECK(conditions(u) == std::set<std::string>{"chronic_low_back_pain"});
}

TEST_CASE("a treatment named as a function measured is not a treatment given", "[annotator]") {
  const Study s =
      annotated("ctgov-NCT99999983", "Assessment of Acupuncture to Improve Function, Exercise Capacity, and Pain",
                {{"Brief summary", "Acupuncture or usual care for chronic low back pain."}});
  CHECK(concept_set(s.interventions) == std::set<std::string>{"acupuncture"});
  const Study t = annotated(
      "ctgov-NCT99999982", "Gait in Adults With Scoliosis: an Observational Study",
      {{"Brief summary", "Walking speed is measured at baseline and at one year. Walking ability is rated."}});
  CHECK(concept_set(t.interventions).count("walking") == 0);
}

TEST_CASE("advice to stay as active as possible is advice to stay active", "[annotator]") {
  const Study s =
      annotated("ctgov-NCT99999998", "Acute Low Back Pain: Causes, Mechanisms, Treatment and Followup",
                {{"Brief summary",
                  "Patients are allocated to the advice to stay as active as possible or to adjust activity to pain."},
                 {"Detailed description", "One group is told to stay active as much as possible in spite of pain."}});
  CHECK(concept_set(s.interventions).count("advice_to_stay_active") == 1);
}

TEST_CASE("pain after childbirth is annotated as pregnancy-related back and pelvic pain", "[annotator]") {
  const Study s =
      annotated("pubmed-99999995", "Stabilisation exercises for postpartum back pain",
                {{"Methods", "Women with lumbopelvic pain after delivery were randomised to exercise or usual care."}});
  CHECK(std::find(s.population.conditions.begin(), s.population.conditions.end(), "pregnancy_related_back_pain") !=
        s.population.conditions.end());
}

TEST_CASE("a result sentence is quoted whole and not cut at the point of a number", "[annotator]") {
  const std::string result =
      "Compared with the control group, the exercise group showed significantly greater reductions in pain "
      "(mean difference -1.8, 95% CI -3.5 to -0.1; p=0.04).";
  const Study s =
      annotated("pubmed-99999993", "Exercise and manual therapy for chronic low back pain: a randomised trial",
                {{"Methods", "Adults with chronic low back pain were randomised to exercise or usual care."},
                 {"Results", result + " Function also improved."}});
  const auto it =
      std::find_if(s.outcomes.begin(), s.outcomes.end(), [](const OutcomeResult& o) { return !o.result_text.empty(); });
  REQUIRE(it != s.outcomes.end());
  CHECK(it->direction == Direction::favours_intervention);
  CHECK(it->result_text == result);
}
