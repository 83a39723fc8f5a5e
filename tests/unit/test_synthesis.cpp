#include <catch2/catch.hpp>

#include <cmath>
#include <set>

#include "evidence/synthesis.hpp"
#include "test_support.hpp"

using namespace evidence;
using evidence::test::vocabulary;

// BCG vaccine trials (Colditz et al. 1994; dataset dat.bcg in the R package metafor), log risk
// ratios. Expected values: metafor's own test suite, tests/testthat/test_misc_metan_vs_rma.uni_with_dat.bcg.r
// ("results match (RE model w/ DL estimator, measure='RR')": estimate -0.7141, CI -1.0644 to
// -0.3638; EE model: QE 152.2330, estimate -0.4303), which checks metafor against Stata's metan.
TEST_CASE("DerSimonian-Laird reproduces metafor's published BCG example", "[synthesis][meta]") {
  const int d[13][4] = {{4, 119, 11, 128},       {6, 300, 29, 274},        {3, 228, 11, 209},
                        {62, 13536, 248, 12619}, {33, 5036, 47, 5761},     {180, 1361, 372, 1079},
                        {8, 2537, 10, 619},      {505, 87886, 499, 87892}, {29, 7470, 45, 7232},
                        {17, 1699, 65, 1600},    {186, 50448, 141, 27197}, {5, 2493, 3, 2338},
                        {27, 16886, 29, 17825}};
  std::vector<double> y, v;
  for (const auto& t : d) {
    const double a = t[0], b = t[1], c = t[2], e = t[3];
    y.push_back(std::log((a / (a + b)) / (c / (c + e))));
    v.push_back(1 / a - 1 / (a + b) + 1 / c - 1 / (c + e));
  }
  const auto m = dersimonian_laird(y, v);
  REQUIRE(m);
  CHECK(m->k == 13);
  CHECK(m->estimate == Approx(-0.7141).margin(5e-5));
  CHECK(m->ci_low == Approx(-1.0644).margin(5e-5));
  CHECK(m->ci_high == Approx(-0.3638).margin(5e-5));
  CHECK(m->q == Approx(152.2330).margin(5e-4));
  CHECK(m->fixed_estimate == Approx(-0.4303).margin(5e-5));
  // tau^2 and I^2 follow from Q: (Q - df) / C and (Q - df) / Q.
  CHECK(m->i2 == Approx(100 * (152.2330 - 12) / 152.2330).margin(1e-3));
  CHECK(m->tau2 > 0.3);
}

TEST_CASE("DerSimonian-Laird: homogeneous studies give tau2 = 0 and the fixed-effect answer", "[synthesis][meta]") {
  const auto m = dersimonian_laird({1.0, 1.0, 1.0}, {0.04, 0.04, 0.04});
  REQUIRE(m);
  CHECK(m->tau2 == 0);
  CHECK(m->i2 == 0);
  CHECK(m->estimate == Approx(1.0));
  CHECK(m->se == Approx(std::sqrt(0.04 / 3)));
  CHECK_FALSE(dersimonian_laird({1.0}, {0.1}));          // one study is not a meta-analysis
  CHECK_FALSE(dersimonian_laird({1.0, 2.0}, {0.1, 0}));  // a zero variance is unusable
}

TEST_CASE("effect size against the minimal important difference", "[synthesis]") {
  // MD on 0-100 with MID 15 (pain).
  CHECK(classify_effect("MD", 30, 20, 40, 15) == "large");
  CHECK(classify_effect("MD", 15, 12, 18, 15) == "moderate");
  CHECK(classify_effect("MD", 9, 5, 13, 15) == "small");
  CHECK(classify_effect("MD", 4, 1, 7, 15) == "trivial");
  CHECK(classify_effect("MD", 2, -3, 7, 15) == "none");
  CHECK(classify_effect("SMD", 0.9, 0.5, 1.3, 0) == "large");
  CHECK(classify_effect("SMD", 0.1, -0.2, 0.4, 0) == "none");
  CHECK(classify_effect("RR", std::log(2.5), std::log(1.5), std::log(4), 0) == "large");
  CHECK(classify_effect("MD", 5, 1, 9, 0) == "unknown");
}

namespace {
Study trial(const std::string& id, const std::string& intervention, double md, double lo, double hi, std::int64_t n,
            double quality = 8, ComparatorKind comparator_kind = ComparatorKind::placebo_sham,
            Design design = Design::rct) {
  Study s;
  s.id = id;
  s.title = id;
  s.year = 2020;
  s.design = design;
  s.authors = {id + " A"};
  s.population.conditions = {"chronic_low_back_pain"};
  s.population.duration = "chronic";
  s.population.n_randomised = n;
  s.interventions = {{{intervention}, intervention, std::nullopt}};
  OutcomeResult o;
  o.domain = "pain";
  o.time_point = "short";
  o.intervention = {intervention};
  o.comparator_kind = comparator_kind;
  o.direction = lo > 0   ? Direction::favours_intervention
                : hi < 0 ? Direction::favours_comparator
                         : Direction::no_difference;
  Effect e;
  e.measure = "MD";
  e.value = md;
  e.ci_low = lo;
  e.ci_high = hi;
  e.scale_min = 0;
  e.scale_max = 100;
  e.contrast = "improvement_difference";
  o.effect = e;
  s.outcomes = {o};
  s.annotation.quality_score = quality;
  s.annotation.sources = {"curated"};
  return s;
}
Question question(const std::string& intervention) {
  Question q;
  q.interventions = {intervention};
  q.conditions = {"chronic_low_back_pain"};
  q.duration = "chronic";
  q.outcomes = {"pain"};
  return q;
}
const Finding& only(const EvidenceSummary& s) {
  REQUIRE(s.findings.size() == 1);
  return s.findings.front();
}
bool downgraded(const Finding& f, const std::string& domain) {
  return std::any_of(f.downgrades.begin(), f.downgrades.end(), [&](const Downgrade& d) { return d.domain == domain; });
}
}  // namespace

TEST_CASE("GRADE: large, consistent, precise unrated trials reach moderate, the ceiling of unrated sources",
          "[synthesis][grade]") {
  const auto summary = synthesise({trial("T1", "yoga", 20, 15, 25, 300), trial("T2", "yoga", 22, 16, 28, 300)},
                                  question("yoga"), vocabulary());
  const Finding& f = only(summary);
  CHECK(f.effect_source == "pooled");
  CHECK(f.pooled->k == 2);
  CHECK(f.n_participants == 600);
  CHECK(f.direction == Direction::favours_intervention);
  // No source rated this evidence: risk of bias and the other domains were not assessed by anyone.
  CHECK(f.certainty == CertaintyLevel::moderate);
  REQUIRE(f.downgrades.size() == 1);
  CHECK(f.downgrades[0].rule == "unrated_source");
  REQUIRE(f.ceiling);
  CHECK(f.ceiling->level == CertaintyLevel::moderate);
  CHECK(f.record_ids == std::vector<std::string>{"T1", "T2"});
  CHECK(f.clinician_sentence.find("probably results in a moderate improvement in pain") != std::string::npos);
  CHECK(f.clinician_sentence.find("moderate certainty; 2 studies, 600 participants") != std::string::npos);
}

TEST_CASE("the estimate in natural units: pain in points on 0-10 with its CI; none for a scale not known",
          "[synthesis]") {
  const auto pain = synthesise({trial("T1", "yoga", 20, 15, 25, 300), trial("T2", "yoga", 22, 16, 28, 300)},
                               question("yoga"), vocabulary());
  const auto j = only(pain).to_json();
  REQUIRE(j["effect"].contains("natural"));
  const auto& n = j["effect"]["natural"];
  CHECK(n["scale_max"] == 10);
  CHECK(n["unit"] == "points on a 0 to 10 pain scale");
  CHECK(n["value"].get<double>() == Approx(only(pain).effect.value() / 10).margin(0.05));
  CHECK(n["ci_low"].get<double>() == Approx(only(pain).effect_ci_low.value() / 10).margin(0.05));
  CHECK(n["ci_high"].get<double>() == Approx(only(pain).effect_ci_high.value() / 10).margin(0.05));
  // A mean difference on a scale the record does not give: no absolute effect is made up.
  auto a = trial("T1", "yoga", 2, 1, 3, 300), b = trial("T2", "yoga", 2.2, 1.2, 3.2, 300);
  for (auto* s : {&a, &b}) s->outcomes[0].effect->scale_min.reset(), s->outcomes[0].effect->scale_max.reset();
  const auto raw = synthesise({a, b}, question("yoga"), vocabulary());
  const auto jr = only(raw).to_json();
  REQUIRE(jr.contains("effect"));
  CHECK(jr["effect"]["scale"].get<std::string>().rfind("raw", 0) == 0);
  CHECK_FALSE(jr["effect"].contains("natural"));
}

TEST_CASE("each result's effect is sent oriented on the finding's footing with the line it is judged against",
          "[synthesis]") {
  // T2 reports on 0-10, intervention minus comparator, lower is better: on 0-100 and turned it is
  // 20 (15 to 25) in favour of the intervention, on one axis with T1's improvement difference.
  auto t2 = trial("T2", "yoga", -2, -2.5, -1.5, 300);
  Effect& e = *t2.outcomes[0].effect;
  e.scale_max = 10, e.contrast = "intervention_minus_comparator", e.better = "lower";
  t2.outcomes[0].direction = Direction::favours_intervention;
  const auto summary = synthesise({trial("T1", "yoga", 16, 10, 22, 300), t2}, question("yoga"), vocabulary());
  const auto j = only(summary).to_json();
  REQUIRE(j["results"].size() == 2);
  for (const auto& r : j["results"]) {
    REQUIRE(r.contains("oriented"));
    CHECK(r["oriented"]["measure"] == j["effect"]["measure"]);
    CHECK(r["oriented"]["scale"] == j["effect"]["scale"]);
  }
  const auto& o2 = j["results"][1]["record_id"] == "T2" ? j["results"][1]["oriented"] : j["results"][0]["oriented"];
  CHECK(o2["value"].get<double>() == Approx(20));
  CHECK(o2["ci_low"].get<double>() == Approx(15));
  CHECK(o2["ci_high"].get<double>() == Approx(25));
  // Pain on 0-100: the MID of 15, and a pooled CI wholly beyond it.
  REQUIRE(j["effect"].contains("threshold"));
  CHECK(j["effect"]["threshold"]["value"] == 15);
  CHECK(j["effect"]["threshold"]["label"] == "MID 15/100");
  CHECK(j["effect"]["threshold"]["verdict"] == "estimate beyond the MID, CI includes smaller effects");
  // Without a CI a result cannot be drawn or pooled: nothing oriented is sent for it.
  auto bare = trial("T3", "yoga", 5, 0, 0, 50);
  bare.outcomes[0].effect->ci_low.reset(), bare.outcomes[0].effect->ci_high.reset();
  const auto one = synthesise({bare}, question("yoga"), vocabulary());
  CHECK_FALSE(only(one).to_json()["results"][0].contains("oriented"));
  CHECK_FALSE(only(one).to_json().contains("effect"));
}

TEST_CASE("the label tables name every id the API uses, in the words the exports use", "[synthesis][labels]") {
  const auto t = label_tables();
  CHECK(t["designs"]["rct"] == "Randomised trial");
  CHECK(t["designs"]["systematic_review"] == design_label("systematic_review"));
  CHECK(t["designs"].size() == 11);
  CHECK(t["directions"]["favours_intervention"] == "favours the treatment");
  CHECK(t["directions"].size() == 5);
  CHECK(t["certainty"]["very_low"]["label"] == "Very low");
  CHECK(t["certainty"]["very_low"]["symbols"] == "⊕◯◯◯");
  CHECK(t["certainty"]["high"]["rank"] == 4);
  CHECK(t["certainty"]["moderate"]["plain"] == "We are fairly confident");
  CHECK(t["grade_domains"]["source_rating"] == "Never above the source");
  CHECK(grade_domain_label("something_new") == "something_new");
  CHECK(t["time_points"]["short"]["plain"] == "in the short term");
  CHECK(t["comparator_kinds"]["placebo_sham"]["plain"] == comparator_plain(ComparatorKind::placebo_sham));
  // Every downgrade domain the grading rules can name has words.
  const auto summary = synthesise({trial("T1", "yoga", 20, -5, 45, 40, 2)}, question("yoga"), vocabulary());
  for (const auto& d : only(summary).downgrades) CHECK(t["grade_domains"].contains(d.domain));
}

TEST_CASE("GRADE: a review's own GRADE high rating allows high", "[synthesis][grade]") {
  Study review = trial("R1", "yoga", 20, 15, 25, 2000, 8, ComparatorKind::placebo_sham, Design::systematic_review);
  review.outcomes[0].n_studies = 12;
  review.outcomes[0].n_participants = 2000;
  review.outcomes[0].certainty = Certainty{"GRADE", "high", "High certainty (review)", {}};
  const auto summary = synthesise({review}, question("yoga"), vocabulary());
  const Finding& f = only(summary);
  CHECK(f.certainty == CertaintyLevel::high);
  CHECK(f.downgrades.empty());
  CHECK(f.clinician_sentence.find("high certainty; 12 studies, 2000 participants") != std::string::npos);
}

// The opioids journey: an unrated estimate for the class and, in the same finding, the review's
// GRADE "low" for another result of that comparison (one drug, no estimate given).
TEST_CASE("GRADE: a counted result rated lower with GRADE caps the finding even when its estimate is not used",
          "[synthesis][grade]") {
  Study review = trial("R1", "yoga", 20, 15, 25, 2000, 8, ComparatorKind::placebo_sham, Design::systematic_review);
  review.outcomes[0].n_studies = 12;
  review.outcomes[0].n_participants = 2000;
  OutcomeResult rated = review.outcomes[0];
  rated.effect.reset();
  rated.direction = Direction::no_difference;
  rated.n_studies = 2;
  rated.n_participants = 300;
  rated.certainty = Certainty{"GRADE", "low", "Low certainty (one kind of yoga)", {}};
  review.outcomes.push_back(rated);
  const auto summary = synthesise({review}, question("yoga"), vocabulary());
  const Finding& f = only(summary);
  CHECK(f.effect_source == "review");
  CHECK(f.certainty == CertaintyLevel::low);
  REQUIRE(f.ceiling);
  CHECK(f.ceiling->rule == "source_grade");
  CHECK(f.ceiling->level == CertaintyLevel::low);
  CHECK(f.ceiling->reason == "R1 2020 rated a result counted here low (GRADE); ours is never higher.");
  // Without the rated result the unrated estimate alone allows moderate.
  review.outcomes.pop_back();
  const auto unrated = synthesise({review}, question("yoga"), vocabulary());
  CHECK(only(unrated).certainty == CertaintyLevel::moderate);
}

TEST_CASE("GRADE: levels of evidence are not GRADE, 'strong evidence' allows moderate at most", "[synthesis][grade]") {
  Study review = trial("R1", "yoga", 20, 15, 25, 2000, 8, ComparatorKind::placebo_sham, Design::systematic_review);
  review.outcomes[0].n_studies = 12;
  review.outcomes[0].n_participants = 2000;
  review.outcomes[0].certainty = Certainty{"levels_of_evidence", "high", "Strong evidence", {}};
  const auto summary = synthesise({review}, question("yoga"), vocabulary());
  const Finding& f = only(summary);
  CHECK(f.certainty == CertaintyLevel::moderate);
  REQUIRE(f.ceiling);
  CHECK(f.ceiling->rule == "source_other_system");
}

TEST_CASE("GRADE: risk of bias when most participants come from low-quality studies", "[synthesis][grade]") {
  const auto summary = synthesise({trial("T1", "yoga", 20, 15, 25, 300, 2), trial("T2", "yoga", 22, 16, 28, 300, 3)},
                                  question("yoga"), vocabulary());
  const Finding& f = only(summary);
  CHECK(downgraded(f, "risk_of_bias"));
  CHECK(f.certainty == CertaintyLevel::moderate);
  CHECK(f.clinician_sentence.find("probably results in") != std::string::npos);
}

TEST_CASE("GRADE: inconsistency from heterogeneity and from conflicting directions", "[synthesis][grade]") {
  const auto summary = synthesise({trial("T1", "yoga", 30, 25, 35, 300), trial("T2", "yoga", -10, -15, -5, 300)},
                                  question("yoga"), vocabulary());
  const Finding& f = only(summary);
  CHECK(f.pooled->i2 > 75);
  const auto it = std::find_if(f.downgrades.begin(), f.downgrades.end(),
                               [](const Downgrade& d) { return d.domain == "inconsistency"; });
  REQUIRE(it != f.downgrades.end());
  CHECK(it->levels == 2);
  CHECK(it->reason.find("I²") != std::string::npos);
}

TEST_CASE("GRADE: imprecision below 400 participants and when the CI crosses the MID", "[synthesis][grade]") {
  const auto summary = synthesise({trial("T1", "yoga", 5, -10, 20, 60), trial("T2", "yoga", 6, -9, 21, 60)},
                                  question("yoga"), vocabulary());
  const Finding& f = only(summary);
  const auto it = std::find_if(f.downgrades.begin(), f.downgrades.end(),
                               [](const Downgrade& d) { return d.domain == "imprecision"; });
  REQUIRE(it != f.downgrades.end());
  CHECK(it->levels == 2);
  CHECK(it->reason.find("ewer than 400") != std::string::npos);
  CHECK(f.certainty == CertaintyLevel::low);
  CHECK(f.patient_sentence.find("We are not sure") != std::string::npos);
}

TEST_CASE("GRADE: indirectness when the population only partly matches", "[synthesis][grade]") {
  Study a = trial("T1", "yoga", 20, 15, 25, 300), b = trial("T2", "yoga", 22, 16, 28, 300);
  a.population.conditions = {"low_back_pain"};  // broader than the question's chronic LBP
  b.population.conditions = {"low_back_pain"};
  a.population.duration = b.population.duration = "mixed";
  const auto summary = synthesise({a, b}, question("yoga"), vocabulary());
  const Finding& f = only(summary);
  CHECK(downgraded(f, "indirectness"));
}

TEST_CASE("GRADE: observational evidence starts low, one study cannot show consistency", "[synthesis][grade]") {
  const auto summary =
      synthesise({trial("C1", "yoga", 20, 15, 25, 500, 8, ComparatorKind::placebo_sham, Design::cohort)},
                 question("yoga"), vocabulary());
  const Finding& f = only(summary);
  CHECK(std::find(f.rules.begin(), f.rules.end(), "start_low: as-treated or observational comparison") !=
        f.rules.end());
  CHECK(downgraded(f, "inconsistency"));
  CHECK(f.certainty == CertaintyLevel::very_low);
  CHECK(f.clinician_sentence.rfind("The evidence is very uncertain", 0) == 0);
}

TEST_CASE("a review's pooled estimate is used and its trials are not counted again", "[synthesis]") {
  Study review = trial("R1", "yoga", 10, 6, 14, 2000, 8, ComparatorKind::placebo_sham, Design::systematic_review);
  review.outcomes[0].n_studies = 12;
  review.outcomes[0].n_participants = 2000;
  review.year = 2022;
  Study old_trial = trial("T1", "yoga", 30, 10, 50, 100);
  old_trial.year = 2015;
  review.included_record_ids = {"T1"};
  const auto summary = synthesise({review, old_trial}, question("yoga"), vocabulary());
  const Finding& f = only(summary);
  CHECK(f.effect_source == "review");
  CHECK(f.n_studies == 12);
  CHECK(f.n_participants == 2000);
  CHECK(*f.effect == Approx(10));
  CHECK(f.record_ids == std::vector<std::string>{"R1", "T1"});  // still traceable
}

TEST_CASE("a stated certainty that differs from ours is flagged, not hidden", "[synthesis]") {
  Study review = trial("R1", "yoga", 10, 6, 14, 2000, 8, ComparatorKind::placebo_sham, Design::systematic_review);
  review.outcomes[0].n_studies = 12;
  review.outcomes[0].certainty = Certainty{"GRADE", "low", "Low certainty (review)", {"risk_of_bias"}};
  const auto summary = synthesise({review}, question("yoga"), vocabulary());
  const Finding& f = only(summary);
  REQUIRE(f.stated_certainty);
  CHECK(f.stated_source == "R1");
  CHECK(downgraded(f, "risk_of_bias"));   // the review's own downgrade is honoured
  CHECK(downgraded(f, "source_rating"));  // and its rating caps ours
  CHECK(f.certainty == CertaintyLevel::low);
  CHECK_FALSE(f.certainty_disagreement);
}

TEST_CASE("vote counting when no effects are reported, conflict is said plainly", "[synthesis]") {
  Study a = trial("T1", "yoga", 0, 0, 0, 300), b = trial("T2", "yoga", 0, 0, 0, 300);
  a.outcomes[0].effect.reset();
  b.outcomes[0].effect.reset();
  a.outcomes[0].direction = Direction::favours_intervention;
  b.outcomes[0].direction = Direction::favours_comparator;
  const auto summary = synthesise({a, b}, question("yoga"), vocabulary());
  const Finding& f = only(summary);
  CHECK(f.effect_source == "vote_count");
  CHECK(f.direction == Direction::conflicting);
  CHECK(f.clinician_sentence.find("disagree") != std::string::npos);
}

TEST_CASE("an empty question or no matching studies gives a plain message", "[synthesis]") {
  const auto s = synthesise({trial("T1", "yoga", 20, 15, 25, 300)}, question("acupuncture"), vocabulary());
  CHECK(s.findings.empty());
  REQUIRE(s.messages.size() == 1);
  CHECK(s.messages[0].find("No studies in the knowledge base") != std::string::npos);
}

TEST_CASE("a parent intervention gathers its children: electrotherapy finds TENS", "[synthesis]") {
  const auto s =
      synthesise({trial("T1", "tens", 2, -5, 9, 500), trial("T2", "interferential_current", 20, 10, 30, 500)},
                 question("electrotherapy"), vocabulary());
  CHECK(s.findings.size() == 2);
  std::set<std::string> ints;
  for (const auto& f : s.findings) ints.insert(f.intervention);
  CHECK(ints == std::set<std::string>{"interferential_current", "tens"});
}
