#pragma once
// The relevance figures of tests/relevance/README.md ("Scoring"), one library for
// bench/relevance_bench and the [relevance] unit tests, so that the numbers the benchmark prints
// are computed by code whose hand-worked examples are checked.
//
// A question's judgments map record ids to grades 2 (answers it), 1 (partly) or 0; a record
// that is not judged counts as 0. A ranking is the engine's ids, best first.
#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace evidence::relevance {

using Judgments = std::map<std::string, int>;
using Ranking = std::vector<std::string>;

// The grade of id (0 when it is not judged).
int grade_of(const Judgments& judged, const std::string& id);

// The gain of one grade: 2^grade - 1 (2 -> 3, 1 -> 1, 0 -> 0), as the README defines DCG, so a
// record that answers the question is worth three partial ones.
double gain(int grade);

// DCG@k = sum over the first k ranks r (from 1) of gain(grade) / log2(r + 1).
double dcg_at(const Ranking& ranking, const Judgments& judged, std::size_t k);

// DCG@k of the judged grades in their best order: the most a ranking of k records can score.
double ideal_dcg_at(const Judgments& judged, std::size_t k);

// DCG@k / ideal DCG@k, in 0..1; 0 when nothing is judged relevant (no ranking can do better).
double ndcg_at(const Ranking& ranking, const Judgments& judged, std::size_t k);

// The share of the records graded 1 or 2 that are among the first k ranks. Not capped at k: a
// question with 20 relevant records can reach at most 0.5 at k = 10, as the README defines it.
// 0 when nothing is judged relevant.
double recall_at(const Ranking& ranking, const Judgments& judged, std::size_t k);

// The rank (from 1) of the first record graded 1 or 2 among the first k, 0 when there is none.
std::size_t first_relevant_rank(const Ranking& ranking, const Judgments& judged, std::size_t k);

// 1 / first_relevant_rank, 0 when no relevant record is among the first k.
double reciprocal_rank(const Ranking& ranking, const Judgments& judged, std::size_t k);

// One question's figures at cut-off k.
struct QuestionScore {
  double ndcg = 0, recall = 0, reciprocal_rank = 0;
  std::size_t first_relevant = 0;  // rank of the first record graded >= 1; 0: none in the first k
  bool best_first = false;         // the first record carries the highest grade judged (identifier questions)
};
QuestionScore score_question(const Ranking& ranking, const Judgments& judged, std::size_t k);

// Means over a group of questions (a wording type, or all of them); 0 for an empty group.
struct MeanScore {
  std::size_t questions = 0, best_first = 0;
  std::size_t missed = 0;  // questions with no record graded >= 1 in the first k
  double ndcg_sum = 0, recall_sum = 0, rr_sum = 0;
  void add(const QuestionScore& s);
  double ndcg() const;
  double recall() const;
  double mrr() const;
};

// Issue 16's targets over the means by wording type: every identifier question finds its record
// first; the patient and out-of-vocabulary wordings reach at least the clinician nDCG@10. One
// line for each target missed (empty: all met); a type absent from by_type is a missed target.
std::vector<std::string> unmet_targets(const std::map<std::string, MeanScore>& by_type);

}  // namespace evidence::relevance
