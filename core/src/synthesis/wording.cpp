// The clinician and patient sentences of a finding, in GRADE's informative wording
// (docs/GRADING.md): the modal verb follows the certainty, the noun the size of the effect.
#include "evidence/appraisal.hpp"
#include "synthesis_internal.hpp"

namespace evidence::synthesis {

namespace {

// Patient wording: what the treatment would do for this outcome.
std::string patient_verb(const std::string& domain, const std::string& condition_plain) {
  if (domain == "pain") return "ease " + condition_plain;
  if (domain == "function") return "help people with " + condition_plain + " do everyday tasks";
  if (domain == "quality_of_life") return "improve quality of life";
  if (domain == "global_improvement") return "make people feel better overall";
  if (domain == "return_to_work") return "help people get back to work";
  if (domain == "adverse_events") return "avoid side effects";
  if (domain == "recurrence") return "stop back pain from coming back";
  if (domain == "cost") return "save money";
  if (domain == "psychological_wellbeing") return "improve mood and worry";
  if (domain == "healthcare_use") return "cut visits to doctors";
  return "help with " + condition_plain;
}

bool plural(const std::string& label) {
  if (label.find(" and ") != std::string::npos) return true;
  return label.size() > 3 && label.back() == 's' && label[label.size() - 2] != 's' &&
         label.compare(label.size() - 3, 3, "sis") != 0 && label.compare(label.size() - 4, 4, "TENS") != 0 &&
         label.compare(label.size() - 4, 4, "PENS") != 0;
}

}  // namespace

void write_sentences(Finding& f) {
  const std::string I = f.intervention_label;
  const bool many = plural(I);
  const bool many_plain = plural(f.intervention_plain);
  const std::string O = f.outcome_label;
  const std::string P = f.condition_label.empty() ? "" : " in " + f.condition_label;
  const std::string C = std::string(" compared with ") + comparator_clinical(f.comparator_kind);
  const std::string counts = std::to_string(f.n_studies) + (f.n_studies == 1 ? " study" : " studies") +
                             (f.n_participants > 0 ? ", " + std::to_string(f.n_participants) + " participants" : "");
  const std::string cert = f.certainty == "very_low" ? "very low" : f.certainty;
  const std::string tail = " (" + cert + " certainty; " + counts + ").";
  const std::string modal = f.certainty == "high" ? "" : f.certainty == "moderate" ? "probably " : "may ";
  // "results" after a singular subject with no modal; "result" after a modal or a plural subject.
  const std::string verb_s = many ? "result" : "results";
  const std::string results = f.certainty == "high"       ? verb_s
                              : f.certainty == "moderate" ? "probably " + verb_s
                                                          : "may result";
  const std::string ip = f.intervention_plain;
  const std::string cp = comparator_plain(f.comparator_kind);
  const std::string verb = patient_verb(f.outcome, f.condition_plain.empty() ? "back pain" : f.condition_plain);
  const bool harm_domain = f.outcome == "adverse_events" || f.outcome == "recurrence";
  if (f.thin) {
    f.clinician_sentence = "The studies found do not report a usable result for " + I + " on " + O + P + C + ".";
    f.patient_sentence = "We could not find clear results for " + ip + " on this.";
    return;
  }
  if (f.certainty == "very_low") {
    f.clinician_sentence = "The evidence is very uncertain about the effect of " + I + " on " + O + P + C + tail;
    f.patient_sentence = "We do not know if " + ip + " can " + verb + ". The studies are too few or too weak.";
    return;
  }
  if (f.direction == "conflicting") {
    f.clinician_sentence = "Studies of " + I + " disagree on " + O + P + C + tail;
    f.patient_sentence = "Studies of " + ip + " do not agree on whether it can " + verb + ".";
    return;
  }
  const bool none = f.direction == "no_difference" || f.effect_size == "none" || f.effect_size == "trivial";
  if (none) {
    f.clinician_sentence = capitalise(I) + " " + results + " in little to no difference in " + O + P + C + tail;
    const std::string doesnt = many_plain ? "do not " : "does not ";
    std::string does = f.certainty == "high" ? doesnt : f.certainty == "moderate" ? "probably " + doesnt : "may not ";
    f.patient_sentence = "Studies found that " + ip + " " + does + verb + " more than " + cp + ".";
    if (f.certainty == "low") f.patient_sentence += " We are not sure.";
    return;
  }
  const bool better = f.direction == "favours_intervention";
  const std::string size = f.effect_size == "large"      ? "large "
                           : f.effect_size == "moderate" ? "moderate "
                           : f.effect_size == "small"    ? "slight "
                                                         : "";
  auto article = [](const std::string& next) {
    return (!next.empty() && std::string("aeiou").find(next[0]) != std::string::npos) ? "an " : "a ";
  };
  std::string change;
  if (better) {
    const std::string noun = harm_domain ? "reduction in " : "improvement in ";
    change = article(size.empty() ? noun : size) + size + noun;
  } else {
    // The comparator did better: say so plainly rather than grading the size of a harm.
    change = harm_domain ? "more " : "less improvement in ";
  }
  const std::string than = better ? C : std::string(" than with ") + comparator_clinical(f.comparator_kind);
  f.clinician_sentence = capitalise(I) + " " + results + " in " + change + O + P + than + tail;
  if (better) {
    std::string amount = f.effect_size == "large"      ? " a lot"
                         : f.effect_size == "moderate" ? ""
                         : f.effect_size == "small"    ? " a little"
                                                       : "";
    const std::string can = f.certainty == "high" ? "can " : f.certainty == "moderate" ? "can probably " : "may ";
    f.patient_sentence = "Studies found that " + ip + " " + can + verb + amount + ", more than " + cp + ".";
  } else {
    const std::string does = f.certainty == "high"       ? (many_plain ? "do" : "does")
                             : f.certainty == "moderate" ? (many_plain ? "probably do" : "probably does")
                                                         : "may do";
    f.patient_sentence = "Studies found that " + ip + " " + does + " less well than " + cp + " for this.";
  }
  if (f.certainty == "low") f.patient_sentence += " We are not sure.";
}

}  // namespace evidence::synthesis
