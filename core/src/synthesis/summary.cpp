// synthesise(): the steps of synthesis in order, the order of the findings, the messages when
// there are none, and the JSON view of a summary.
#include <algorithm>
#include <set>

#include "evidence/appraisal.hpp"
#include "synthesis_internal.hpp"

namespace evidence {

using nlohmann::json;

namespace {

json effect_to_json(const Effect& e) {
  json ej{{"measure", e.measure}, {"value", e.value}};
  if (e.ci_low) ej["ci_low"] = *e.ci_low;
  if (e.ci_high) ej["ci_high"] = *e.ci_high;
  if (e.scale_min) ej["scale_min"] = *e.scale_min;
  if (e.scale_max) ej["scale_max"] = *e.scale_max;
  if (!e.better.empty()) ej["better"] = e.better;
  if (!e.contrast.empty()) ej["contrast"] = e.contrast;
  if (!e.event.empty()) ej["event"] = e.event;
  if (e.mid) ej["mid"] = *e.mid;
  return ej;
}

json result_to_json(const StudyResult& r) {
  json x{{"record_id", r.record_id},
         {"trial", r.trial},
         {"label", r.label},
         {"design", r.design},
         {"analysis", r.analysis},
         {"population", {{"id", r.population}, {"label", r.population_label}}},
         {"direction", direction_name(r.direction)},
         {"participants", r.participants},
         {"counted", r.counted},
         {"reversed", r.reversed},
         {"indirect", r.indirect},
         {"used_in_estimate", r.used_in_estimate}};
  if (!r.result_text.empty()) x["result_text"] = r.result_text;
  if (r.follow_up_weeks) x["follow_up_weeks"] = *r.follow_up_weeks;
  if (!r.time_label.empty()) x["time_label"] = r.time_label;
  if (r.n_studies) x["n_studies"] = *r.n_studies;
  if (r.quality >= 0) x["quality"] = r.quality;
  if (r.effect) x["effect"] = effect_to_json(*r.effect);
  if (r.oriented)
    x["oriented"] = {{"measure", r.oriented->measure},
                     {"scale", r.oriented->scale},
                     {"value", r.oriented->y},
                     {"ci_low", r.oriented->lo},
                     {"ci_high", r.oriented->hi}};
  if (r.stated_certainty)
    x["stated_certainty"] = {{"system", r.stated_certainty->system},
                             {"level", r.stated_certainty->level},
                             {"statement", r.stated_certainty->statement}};
  return x;
}

json certainty_to_json(const Finding& f) {
  json downs = json::array();
  for (const auto& d : f.downgrades)
    downs.push_back({{"domain", d.domain}, {"levels", d.levels}, {"reason", d.reason}, {"rule", d.rule}});
  json cert{
      {"level", certainty_level_name(f.certainty)}, {"symbols", certainty_symbols(f.certainty)}, {"downgrades", downs}};
  if (f.ceiling)
    cert["ceiling"] = {{"level", certainty_level_name(f.ceiling->level)},
                       {"record_id", f.ceiling->record_id},
                       {"rule", f.ceiling->rule},
                       {"reason", f.ceiling->reason}};
  return cert;
}

}  // namespace

json Finding::to_json() const {
  json results_j = json::array();
  for (const auto& r : results) results_j.push_back(result_to_json(r));
  json comparator{{"kind", comparator_kind},
                  {"label", comparator_label},
                  {"plain", comparator_plain},
                  {"concepts", comparator_concepts}};
  if (!add_on.empty()) comparator["add_on"] = {{"concepts", add_on}, {"label", add_on_label}, {"plain", add_on_plain}};
  json j{{"key", key},
         {"intervention", {{"id", intervention}, {"label", intervention_label}, {"plain", intervention_plain}}},
         {"comparator", comparator},
         {"outcome", {{"id", outcome}, {"label", outcome_label}}},
         {"time_point", time_point},
         {"time_label", time_label},
         {"population", {{"id", population}, {"label", population_label}, {"plain", population_plain}}},
         {"indirect", indirect},
         {"n_studies", n_studies},
         {"n_participants", n_participants},
         {"counts_complete", counts_complete},
         {"uncounted_reviews", uncounted_reviews},
         {"effect_source", effect_source},
         {"effect_size", effect_size},
         {"direction", direction_name(direction)},
         {"certainty", certainty_to_json(*this)},
         {"sentences", {{"clinician", clinician_sentence}, {"patient", patient_sentence}}},
         {"record_ids", record_ids},
         {"rules", rules},
         {"results", results_j},
         {"headline", headline},
         {"harms", harms},
         {"disagreement", disagreement},
         {"thin", thin}};
  if (!population_note.empty()) j["population"]["note"] = population_note;
  if (effect) {
    j["effect"] = {{"measure", effect_measure},
                   {"scale", effect_scale},
                   {"value", *effect},
                   {"ci_low", *effect_ci_low},
                   {"ci_high", *effect_ci_high},
                   {"text", effect_text},
                   {"oriented", "positive favours the intervention"}};
    if (mid) j["effect"]["mid"] = *mid;
    if (threshold)
      j["effect"]["threshold"] = {{"value", *threshold}, {"label", threshold_label}, {"verdict", threshold_verdict}};
    if (!effect_plain.empty()) j["effect"]["plain"] = effect_plain;
    if (auto n = synthesis::natural_units(*this); !n.is_null()) j["effect"]["natural"] = std::move(n);
  }
  if (pooled)
    j["meta_analysis"] = {
        {"method", pooled->method},   {"k", pooled->k},   {"estimate", pooled->estimate}, {"ci_low", pooled->ci_low},
        {"ci_high", pooled->ci_high}, {"i2", pooled->i2}, {"tau2", pooled->tau2},         {"q", pooled->q}};
  if (stated_certainty)
    j["stated_certainty"] = {{"system", stated_certainty->system},
                             {"level", stated_certainty->level},
                             {"statement", stated_certainty->statement},
                             {"source", stated_source},
                             {"disagrees", certainty_disagreement}};
  return j;
}

json BottomLine::to_json() const {
  return {{"intervention", {{"id", intervention}, {"label", intervention_label}}},
          {"sentences", {{"clinician", clinician}, {"patient", patient}}},
          {"finding_keys", finding_keys},
          {"record_ids", record_ids}};
}

json EvidenceSummary::to_json() const {
  json f = json::array(), b = json::array(), u = json::array();
  for (const auto& x : findings) f.push_back(x.to_json());
  for (const auto& x : bottom_lines) b.push_back(x.to_json());
  for (const auto& x : unappraised) u.push_back({{"record_id", x.record_id}, {"label", x.label}, {"title", x.title}});
  const auto headlines = std::count_if(findings.begin(), findings.end(), [](const auto& x) { return x.headline; });
  return {
      {"bottom_lines", b}, {"findings", f}, {"headline_count", headlines}, {"unappraised", u}, {"messages", messages}};
}

namespace {

// How many findings the answer shows first; the rest are behind "more".
constexpr std::size_t kHeadlines = 12;

// Relevance to the question: the comparator it names, then the outcomes it names (or pain and
// function, and harms beside them), direct evidence before indirect.
int relevance(const Finding& f, const Question& q, const std::set<std::string>& outcomes) {
  int score = 0;
  const auto& kinds = q.comparator_kinds;
  if (!kinds.empty() && std::find(kinds.begin(), kinds.end(), f.comparator_kind) != kinds.end()) score += 16;
  if (!q.comparators.empty() && f.comparator_kind == ComparatorKind::active) score += 16;
  if (!f.indirect) score += 8;
  if (outcomes.empty() ? (f.outcome == "pain" || f.outcome == "function") : outcomes.count(f.outcome) > 0) score += 4;
  if (f.harms) score += 3;
  // The treatment asked about before a broader family of it.
  if (std::none_of(f.results.begin(), f.results.end(), [](const StudyResult& r) { return r.indirect; })) score += 2;
  return score;
}

int time_rank(const std::string& t) {
  if (t == "short") return 0;
  if (t == "intermediate") return 1;
  if (t == "long") return 2;
  if (t == "immediate") return 3;
  return 4;
}

void order_findings(std::vector<Finding>& findings, const Question& q, const Vocabulary& v) {
  std::set<std::string> outcomes = synthesis::asked_outcomes(q, v);
  if (q.benefit_requested) outcomes.insert({"pain", "function", "benefit"});
  for (auto& f : findings) f.relevance = relevance(f, q, outcomes);
  std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    if (a.thin != b.thin) return !a.thin;
    if (a.relevance != b.relevance) return a.relevance > b.relevance;
    if (a.certainty != b.certainty) return a.certainty > b.certainty;
    if (time_rank(a.time_point) != time_rank(b.time_point)) return time_rank(a.time_point) < time_rank(b.time_point);
    return a.n_participants > b.n_participants;
  });
  for (std::size_t i = 0; i < findings.size(); ++i) findings[i].headline = i < kHeadlines && !findings[i].thin;
}

std::string no_findings_message(const Question& q, const Vocabulary& v) {
  std::string what;
  for (const auto& i : q.interventions)
    if (const Concept* c = v.find(i)) what += (what.empty() ? "" : " or ") + c->preferred;
  std::string with;
  for (const auto& c : q.comparators)
    if (const Concept* k = v.find(c)) with += (with.empty() ? "" : " or ") + k->preferred;
  if (!what.empty() && !with.empty()) return "No studies in the knowledge base compare " + what + " with " + with + ".";
  if (!what.empty())
    return "No studies in the knowledge base report results for " + what +
           (q.conditions.empty() ? "" : " in this population") + ".";
  return "Name a treatment to get a graded summary (for example: exercise for chronic low back pain).";
}

std::vector<Finding> build_findings(const std::vector<const Study*>& studies, const Question& q, const Vocabulary& v,
                                    std::vector<UnappraisedStudy>* unappraised = nullptr) {
  const synthesis::Records records(studies);
  synthesis::Groups groups = synthesis::group_results(studies, q, v);
  if (unappraised) *unappraised = std::move(groups.unappraised);
  std::vector<Finding> findings;
  for (auto& [key, f] : groups.findings) {
    synthesis::choose_estimate(f, records, v);
    if (f.results.empty()) continue;  // only superseded results
    synthesis::set_direction(f);
    synthesis::grade(f);
    synthesis::write_sentences(f);
    findings.push_back(std::move(f));
  }
  return findings;
}

std::vector<const Study*> pointers(const std::vector<Study>& studies) {
  std::vector<const Study*> out;
  out.reserve(studies.size());
  for (const auto& s : studies) out.push_back(&s);
  return out;
}

}  // namespace

EvidenceSummary synthesise(const std::vector<Study>& studies, const Question& q, const Vocabulary& v) {
  EvidenceSummary out;
  // A graded answer is about treatments: without one in the question, say what is needed rather
  // than grading whatever the words happened to match.
  if (q.interventions.empty()) {
    if (!q.free_text.empty())
      out.messages.push_back(
          "No treatment in the question was recognised (\"" + q.free_text +
          "\"). Graded summaries cover the treatments in the vocabulary; try for example \"exercise for "
          "chronic low back pain\".");
    else
      out.messages.push_back(
          "Name a treatment to get a graded summary (for example: exercise for chronic low back pain).");
    return out;
  }
  out.findings = build_findings(pointers(studies), q, v, &out.unappraised);
  order_findings(out.findings, q, v);
  out.bottom_lines = synthesis::bottom_lines(out.findings, q, v);
  if (out.findings.empty()) out.messages.push_back(no_findings_message(q, v));
  return out;
}

json findings_snapshot(const std::vector<Study>& studies, const Vocabulary& v) {
  return findings_snapshot(pointers(studies), v);
}

json findings_snapshot(const std::vector<const Study*>& studies, const Vocabulary& v) {
  json j = json::object();
  for (const auto& f : build_findings(studies, Question{}, v))
    j[f.key] = {{"conclusion", std::string(direction_name(f.direction)) + "; " + certainty_level_name(f.certainty) +
                                   "; " + f.effect_size},
                {"clinician", f.clinician_sentence}};
  return j;
}

}  // namespace evidence
