#include "relevance_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>

namespace evidence::relevance {

int grade_of(const Judgments& judged, const std::string& id) {
  const auto it = judged.find(id);
  return it == judged.end() ? 0 : it->second;
}

double gain(int grade) { return grade <= 0 ? 0.0 : std::exp2(static_cast<double>(grade)) - 1.0; }

namespace {

double discount(std::size_t rank) { return 1.0 / std::log2(static_cast<double>(rank) + 1.0); }

std::size_t relevant_count(const Judgments& judged) {
  return static_cast<std::size_t>(
      std::count_if(judged.begin(), judged.end(), [](const auto& j) { return j.second >= 1; }));
}

// The engine never repeats a record, but a repeated id must not score twice: the second copy
// takes its rank and gains nothing, so no ranking can beat the ideal.
bool repeated(const Ranking& ranking, std::size_t i) {
  return std::find(ranking.begin(), ranking.begin() + static_cast<std::ptrdiff_t>(i), ranking[i]) !=
         ranking.begin() + static_cast<std::ptrdiff_t>(i);
}

}  // namespace

double dcg_at(const Ranking& ranking, const Judgments& judged, std::size_t k) {
  double dcg = 0;
  for (std::size_t i = 0; i < ranking.size() && i < k; ++i)
    if (!repeated(ranking, i)) dcg += gain(grade_of(judged, ranking[i])) * discount(i + 1);
  return dcg;
}

double ideal_dcg_at(const Judgments& judged, std::size_t k) {
  std::vector<int> grades;
  for (const auto& [id, g] : judged)
    if (g > 0) grades.push_back(g);
  std::sort(grades.begin(), grades.end(), std::greater<>());
  double dcg = 0;
  for (std::size_t i = 0; i < grades.size() && i < k; ++i) dcg += gain(grades[i]) * discount(i + 1);
  return dcg;
}

double ndcg_at(const Ranking& ranking, const Judgments& judged, std::size_t k) {
  const double ideal = ideal_dcg_at(judged, k);
  return ideal > 0 ? dcg_at(ranking, judged, k) / ideal : 0.0;
}

double recall_at(const Ranking& ranking, const Judgments& judged, std::size_t k) {
  const std::size_t relevant = relevant_count(judged);
  if (relevant == 0) return 0.0;
  std::size_t found = 0;
  for (std::size_t i = 0; i < ranking.size() && i < k; ++i)
    if (grade_of(judged, ranking[i]) >= 1 && !repeated(ranking, i)) ++found;
  return static_cast<double>(found) / static_cast<double>(relevant);
}

std::size_t first_relevant_rank(const Ranking& ranking, const Judgments& judged, std::size_t k) {
  for (std::size_t i = 0; i < ranking.size() && i < k; ++i)
    if (grade_of(judged, ranking[i]) >= 1) return i + 1;
  return 0;
}

double reciprocal_rank(const Ranking& ranking, const Judgments& judged, std::size_t k) {
  const std::size_t r = first_relevant_rank(ranking, judged, k);
  return r == 0 ? 0.0 : 1.0 / static_cast<double>(r);
}

QuestionScore score_question(const Ranking& ranking, const Judgments& judged, std::size_t k) {
  QuestionScore s;
  s.ndcg = ndcg_at(ranking, judged, k);
  s.recall = recall_at(ranking, judged, k);
  s.first_relevant = first_relevant_rank(ranking, judged, k);
  s.reciprocal_rank = s.first_relevant == 0 ? 0.0 : 1.0 / static_cast<double>(s.first_relevant);
  int best = 0;
  for (const auto& [id, g] : judged) best = std::max(best, g);
  s.best_first = best > 0 && k > 0 && !ranking.empty() && grade_of(judged, ranking.front()) == best;
  return s;
}

void MeanScore::add(const QuestionScore& s) {
  ++questions;
  if (s.best_first) ++best_first;
  if (s.first_relevant == 0) ++missed;
  ndcg_sum += s.ndcg;
  recall_sum += s.recall;
  rr_sum += s.reciprocal_rank;
}

double MeanScore::ndcg() const { return questions == 0 ? 0.0 : ndcg_sum / static_cast<double>(questions); }
double MeanScore::recall() const { return questions == 0 ? 0.0 : recall_sum / static_cast<double>(questions); }
double MeanScore::mrr() const { return questions == 0 ? 0.0 : rr_sum / static_cast<double>(questions); }

std::vector<std::string> unmet_targets(const std::map<std::string, MeanScore>& by_type) {
  std::vector<std::string> out;
  auto type = [&](const char* t) -> const MeanScore* {
    const auto it = by_type.find(t);
    if (it == by_type.end() || it->second.questions == 0) {
      out.push_back(std::string("no ") + t + " questions");
      return nullptr;
    }
    return &it->second;
  };
  if (const MeanScore* ids = type("identifier"); ids && ids->best_first < ids->questions)
    out.push_back("identifier questions with their record first: " + std::to_string(ids->best_first) + " of " +
                  std::to_string(ids->questions));
  const MeanScore* clinician = type("clinician");
  for (const char* t : {"patient", "out_of_vocabulary"})
    if (const MeanScore* m = type(t); m && clinician && m->ndcg() < clinician->ndcg())
      out.push_back(std::string(t) + " nDCG@10 " + std::to_string(m->ndcg()) + " below clinician " +
                    std::to_string(clinician->ndcg()));
  return out;
}

}  // namespace evidence::relevance
