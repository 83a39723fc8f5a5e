// The answer first: for each treatment asked about, its most relevant headline finding in words,
// its harms beside it (or that none are known), and a guideline's recommendation quoted from the
// record with its source. Built only from findings, so every sentence has their record ids.
#include <algorithm>

#include "synthesis_internal.hpp"

namespace evidence::synthesis {

namespace {

void cite(BottomLine& b, const Finding& f) {
  b.finding_keys.push_back(f.key);
  for (const auto& id : f.record_ids)
    if (std::find(b.record_ids.begin(), b.record_ids.end(), id) == b.record_ids.end()) b.record_ids.push_back(id);
}

}  // namespace

std::vector<BottomLine> bottom_lines(const std::vector<Finding>& findings, const Question& q, const Vocabulary& v) {
  std::vector<BottomLine> out;
  for (const auto& asked : q.interventions) {
    BottomLine b;
    b.intervention = asked;
    const Concept* c = v.find(asked);
    b.intervention_label = c ? c->preferred : asked;
    auto mine = [&](const Finding& f) { return !f.thin && v.is_a(f.intervention, asked); };
    const auto lead = std::find_if(findings.begin(), findings.end(),
                                   [&](const Finding& f) { return mine(f) && f.headline && !f.harms; });
    const auto harm =
        std::find_if(findings.begin(), findings.end(), [&](const Finding& f) { return mine(f) && f.harms; });
    if (lead == findings.end() && harm == findings.end()) {
      b.clinician = "No graded results for " + b.intervention_label + " answer this question in the knowledge base.";
      b.patient = "We found no clear results for this treatment.";
      out.push_back(std::move(b));
      continue;
    }
    if (lead != findings.end()) {
      cite(b, *lead);
      b.clinician = clinician_statement(*lead, false);
      b.patient = lead->patient_sentence;
    }
    if (harm != findings.end()) {
      cite(b, *harm);
      b.clinician += (b.clinician.empty() ? "" : " Harms: ") + clinician_statement(*harm, false);
      b.patient += (b.patient.empty() ? "" : " ") + harm->patient_sentence;
    } else {
      b.clinician += " The knowledge base has no harms data on this treatment for this question.";
      b.patient += " These studies do not tell us about side effects.";
    }
    const auto more = std::count_if(findings.begin(), findings.end(), mine) - static_cast<long>(b.finding_keys.size());
    if (more > 0)
      b.clinician += " " + std::to_string(more) + (more == 1 ? " other finding" : " other findings") +
                     " below (other comparisons, outcomes, times or populations).";
    // A guideline's recommendation, quoted from its record with its source.
    for (const auto& f : findings) {
      if (!mine(f)) continue;
      const auto g = std::find_if(f.results.begin(), f.results.end(), [](const StudyResult& r) {
        return r.design == Design::guideline && !r.result_text.empty();
      });
      if (g == f.results.end()) continue;
      b.clinician += " Guideline (" + g->label + "): \"" + g->result_text + "\"";
      if (std::find(b.record_ids.begin(), b.record_ids.end(), g->record_id) == b.record_ids.end())
        b.record_ids.push_back(g->record_id);
      break;
    }
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace evidence::synthesis
