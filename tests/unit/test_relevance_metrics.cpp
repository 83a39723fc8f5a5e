// The relevance metrics of bench/relevance_bench (bench/relevance_metrics.hpp), checked on small
// rankings whose figures were worked out by hand from the definitions in tests/relevance/README.md
// ("Scoring"): gain 2^g - 1, discount 1 / log2(rank + 1), ideal from the judged grades, recall
// of the records graded 1 or 2, reciprocal rank of the first of them.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <string>

#include "relevance_metrics.hpp"

namespace rel = evidence::relevance;

namespace {
// 1 / log2(rank + 1) for the ranks used below.
const double at2 = 1.0 / std::log2(3.0);  // 0.63093
const double at3 = 0.5;
const double at5 = 1.0 / std::log2(6.0);  // 0.38685
}  // namespace

TEST_CASE("gains are 2^grade - 1, and unjudged records are grade 0", "[relevance]") {
  CHECK(rel::gain(2) == 3.0);
  CHECK(rel::gain(1) == 1.0);
  CHECK(rel::gain(0) == 0.0);
  const rel::Judgments judged{{"A", 2}, {"B", 0}};
  CHECK(rel::grade_of(judged, "A") == 2);
  CHECK(rel::grade_of(judged, "B") == 0);
  CHECK(rel::grade_of(judged, "nobody") == 0);
}

TEST_CASE("a mixed ranking: nDCG, recall and reciprocal rank by hand", "[relevance]") {
  // A answers (2), B and C partly (1), D judged not relevant; X is not judged.
  const rel::Judgments judged{{"A", 2}, {"B", 1}, {"C", 1}, {"D", 0}};
  const rel::Ranking ranking{"X", "A", "C", "D", "B"};

  // DCG = 3/log2(3) + 1/log2(4) + 1/log2(6) = 1.89279 + 0.5 + 0.38685 = 2.77964
  CHECK(rel::dcg_at(ranking, judged, 10) == Approx(3 * at2 + at3 + at5));
  CHECK(rel::dcg_at(ranking, judged, 10) == Approx(2.779642));
  // Ideal: A, then B and C: 3 + 1/log2(3) + 1/log2(4) = 4.13093; D (grade 0) adds nothing.
  CHECK(rel::ideal_dcg_at(judged, 10) == Approx(4.130930));
  CHECK(rel::ndcg_at(ranking, judged, 10) == Approx(0.672885));
  // Cut at 3: B at rank 5 no longer counts; the ideal of 3 ranks is the same 4.13093.
  CHECK(rel::ndcg_at(ranking, judged, 3) == Approx(0.579237));
  CHECK(rel::ideal_dcg_at(judged, 1) == Approx(3.0));

  CHECK(rel::recall_at(ranking, judged, 10) == Approx(1.0));
  CHECK(rel::recall_at(ranking, judged, 3) == Approx(2.0 / 3.0));
  CHECK(rel::recall_at(ranking, judged, 1) == 0.0);

  CHECK(rel::first_relevant_rank(ranking, judged, 10) == 2);
  CHECK(rel::reciprocal_rank(ranking, judged, 10) == Approx(0.5));
  CHECK(rel::reciprocal_rank(ranking, judged, 1) == 0.0);

  const rel::QuestionScore s = rel::score_question(ranking, judged, 10);
  CHECK(s.ndcg == Approx(0.672885));
  CHECK(s.recall == Approx(1.0));
  CHECK(s.reciprocal_rank == Approx(0.5));
  CHECK(s.first_relevant == 2);
  CHECK_FALSE(s.best_first);
}

TEST_CASE("identifier questions: the record that carries the identifier first", "[relevance]") {
  // P carries the identifier (2), Q is another report of the same trial (1).
  const rel::Judgments judged{{"P", 2}, {"Q", 1}};

  const rel::QuestionScore first = rel::score_question({"P", "Z"}, judged, 10);
  CHECK(first.best_first);
  CHECK(first.reciprocal_rank == 1.0);
  CHECK(first.ndcg == Approx(3.0 / (3.0 + at2)));  // 0.82623
  CHECK(first.recall == Approx(0.5));

  // The other report first: reciprocal rank is still 1 (grade 1 is relevant), but the record
  // itself is not first, and nDCG = (1 + 3/log2(3)) / (3 + 1/log2(3)) = 0.79671.
  const rel::QuestionScore second = rel::score_question({"Q", "P"}, judged, 10);
  CHECK_FALSE(second.best_first);
  CHECK(second.reciprocal_rank == 1.0);
  CHECK(second.ndcg == Approx(0.796708));
  CHECK(second.recall == Approx(1.0));

  const rel::QuestionScore none = rel::score_question({}, judged, 10);
  CHECK_FALSE(none.best_first);
  CHECK(none.ndcg == 0.0);
  CHECK(none.recall == 0.0);
  CHECK(none.reciprocal_rank == 0.0);
  CHECK(none.first_relevant == 0);
}

TEST_CASE("the ideal ranking scores 1 and recall is not capped at the cut-off", "[relevance]") {
  rel::Judgments judged;
  rel::Ranking ideal;
  for (int i = 0; i < 12; ++i) {
    const std::string id = "R" + std::to_string(i);
    judged[id] = i < 4 ? 2 : 1;
    ideal.push_back(id);
  }
  CHECK(rel::ndcg_at(ideal, judged, 10) == Approx(1.0));
  // 12 relevant records, 10 places: at most 10/12, as the README defines recall@10.
  CHECK(rel::recall_at(ideal, judged, 10) == Approx(10.0 / 12.0));
  // Grades in the wrong order lose: eight grade-1 records, then two grade-2 ones at ranks 9 and
  // 10: (sum of 1/log2(r + 1), r = 1..8, + 3/log2(10) + 3/log2(11)) / ideal = 0.59211.
  const rel::Ranking reversed(ideal.rbegin(), ideal.rend());
  CHECK(rel::ndcg_at(reversed, judged, 10) == Approx(0.592106));
}

TEST_CASE("degenerate cases score 0 and a repeated id scores once", "[relevance]") {
  const rel::Judgments nothing_relevant{{"A", 0}};
  CHECK(rel::ndcg_at({"A"}, nothing_relevant, 10) == 0.0);
  CHECK(rel::recall_at({"A"}, nothing_relevant, 10) == 0.0);
  CHECK(rel::reciprocal_rank({"A"}, nothing_relevant, 10) == 0.0);
  CHECK_FALSE(rel::score_question({"A"}, nothing_relevant, 10).best_first);

  // [A, A] over A and B both 2: DCG 3 (the copy at rank 2 gains nothing) over 3 + 3/log2(3).
  const rel::Judgments two{{"A", 2}, {"B", 2}};
  CHECK(rel::ndcg_at({"A", "A"}, two, 10) == Approx(0.613147));
  CHECK(rel::recall_at({"A", "A"}, two, 10) == Approx(0.5));
}

TEST_CASE("means over a group of questions", "[relevance]") {
  rel::MeanScore m;
  CHECK(m.ndcg() == 0.0);
  CHECK(m.mrr() == 0.0);
  m.add({1.0, 0.5, 1.0, 1, true});
  m.add({0.5, 0.25, 0.25, 4, false});
  m.add({0.0, 0.0, 0.0, 0, false});
  CHECK(m.questions == 3);
  CHECK(m.best_first == 1);
  CHECK(m.missed == 1);
  CHECK(m.ndcg() == Approx(0.5));
  CHECK(m.recall() == Approx(0.25));
  CHECK(m.mrr() == Approx(1.25 / 3.0));
}

TEST_CASE("issue 16's targets: identifiers first and no wording below the clinician's", "[relevance]") {
  auto mean = [](double ndcg, bool first) {
    rel::MeanScore m;
    m.add({ndcg, 0.5, 1.0, 1, first});
    return m;
  };
  std::map<std::string, rel::MeanScore> by_type = {{"clinician", mean(0.70, false)},
                                                   {"patient", mean(0.70, false)},
                                                   {"out_of_vocabulary", mean(0.80, false)},
                                                   {"identifier", mean(1.0, true)}};
  CHECK(rel::unmet_targets(by_type).empty());  // equal to the clinician figure is enough

  by_type["patient"] = mean(0.69, false);
  by_type["identifier"].add({0.5, 0.5, 0.5, 2, false});  // one identifier question not first
  const auto unmet = rel::unmet_targets(by_type);
  REQUIRE(unmet.size() == 2);
  CHECK(unmet[0] == "identifier questions with their record first: 1 of 2");
  CHECK(unmet[1].rfind("patient nDCG@10 0.69", 0) == 0);

  by_type.erase("out_of_vocabulary");
  CHECK(rel::unmet_targets(by_type).size() == 3);  // a wording with no questions cannot meet its target
}
