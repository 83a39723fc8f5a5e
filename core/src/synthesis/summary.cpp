// synthesise(): the steps of synthesis in order, the order of the findings, the messages when
// there are none, and the JSON view of a summary.
#include <algorithm>

#include "synthesis_internal.hpp"

namespace evidence {

using nlohmann::json;

std::string certainty_symbols(const std::string& level) {
  if (level == "high") return "⊕⊕⊕⊕";
  if (level == "moderate") return "⊕⊕⊕◯";
  if (level == "low") return "⊕⊕◯◯";
  return "⊕◯◯◯";
}

json Finding::to_json() const {
  json results_j = json::array();
  for (const auto& r : results) {
    json x{{"record_id", r.record_id},
           {"label", r.label},
           {"design", r.design},
           {"direction", r.direction},
           {"participants", r.participants},
           {"text_extracted", r.text_extracted},
           {"used_in_estimate", r.used_in_estimate}};
    if (!r.result_text.empty()) x["result_text"] = r.result_text;
    if (r.n_studies) x["n_studies"] = *r.n_studies;
    if (r.quality >= 0) x["quality"] = r.quality;
    if (r.effect) {
      const Effect& e = *r.effect;
      json ej{{"measure", e.measure}, {"value", e.value}};
      if (e.ci_low) ej["ci_low"] = *e.ci_low;
      if (e.ci_high) ej["ci_high"] = *e.ci_high;
      if (e.scale_min) ej["scale_min"] = *e.scale_min;
      if (e.scale_max) ej["scale_max"] = *e.scale_max;
      if (!e.better.empty()) ej["better"] = e.better;
      if (!e.contrast.empty()) ej["contrast"] = e.contrast;
      x["effect"] = ej;
    }
    if (r.stated_certainty)
      x["stated_certainty"] = {{"system", r.stated_certainty->system},
                               {"level", r.stated_certainty->level},
                               {"statement", r.stated_certainty->statement}};
    results_j.push_back(std::move(x));
  }
  json downs = json::array();
  for (const auto& d : downgrades)
    downs.push_back({{"domain", d.domain}, {"levels", d.levels}, {"reason", d.reason}, {"rule", d.rule}});
  json j{{"key", key},
         {"intervention", {{"id", intervention}, {"label", intervention_label}, {"plain", intervention_plain}}},
         {"comparator", {{"kind", comparator_kind}, {"label", comparator_label}, {"plain", comparator_plain}}},
         {"outcome", {{"id", outcome}, {"label", outcome_label}}},
         {"time_point", time_point},
         {"population", {{"label", condition_label}, {"plain", condition_plain}}},
         {"n_studies", n_studies},
         {"n_participants", n_participants},
         {"effect_source", effect_source},
         {"effect_size", effect_size},
         {"direction", direction},
         {"certainty", {{"level", certainty}, {"symbols", certainty_symbols(certainty)}, {"downgrades", downs}}},
         {"sentences", {{"clinician", clinician_sentence}, {"patient", patient_sentence}}},
         {"record_ids", record_ids},
         {"rules", rules},
         {"results", results_j},
         {"thin", thin}};
  if (effect) {
    j["effect"] = {{"measure", effect_measure},
                   {"scale", effect_scale},
                   {"value", *effect},
                   {"ci_low", *effect_ci_low},
                   {"ci_high", *effect_ci_high},
                   {"text", effect_text},
                   {"oriented", "positive favours the intervention"}};
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

json EvidenceSummary::to_json() const {
  json f = json::array();
  for (const auto& x : findings) f.push_back(x.to_json());
  return {{"findings", f}, {"messages", messages}};
}

namespace {

using synthesis::level_rank;

// Most informative first: findings with a result, pain and function, higher certainty, more participants.
void order_findings(std::vector<Finding>& findings) {
  std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    if (a.thin != b.thin) return !a.thin;
    const bool ap = a.outcome == "pain" || a.outcome == "function", bp = b.outcome == "pain" || b.outcome == "function";
    if (ap != bp) return ap;
    if (level_rank(a.certainty) != level_rank(b.certainty)) return level_rank(a.certainty) > level_rank(b.certainty);
    return a.n_participants > b.n_participants;
  });
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

std::vector<Finding> build_findings(const std::vector<Study>& studies, const Question& q, const Vocabulary& v) {
  synthesis::StudiesById by_id;
  for (const auto& s : studies) by_id[s.id] = &s;
  std::vector<Finding> findings;
  for (auto& [key, f] : synthesis::group_results(studies, q, v)) {
    const std::set<std::string> counted = synthesis::choose_estimate(f, by_id, v);
    synthesis::set_direction(f, counted);
    synthesis::grade(f, counted, by_id);
    synthesis::write_sentences(f);
    findings.push_back(std::move(f));
  }
  return findings;
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
  out.findings = build_findings(studies, q, v);
  order_findings(out.findings);
  if (out.findings.empty()) out.messages.push_back(no_findings_message(q, v));
  return out;
}

json findings_snapshot(const std::vector<Study>& studies, const Vocabulary& v) {
  json j = json::object();
  for (const auto& f : build_findings(studies, Question{}, v))
    j[f.key] = f.direction + "; " + f.certainty + "; " + f.effect_size;
  return j;
}

}  // namespace evidence
