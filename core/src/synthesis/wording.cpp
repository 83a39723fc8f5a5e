// The clinician and patient sentences of a finding, in GRADE's informative wording
// (docs/GRADING.md): the modal verb follows the certainty, the noun the size of the effect; the
// comparison, the population studied and the time point are always named. Patient sentences are
// short, so that they read at school grade 8 or below (tests check every one).
#include <cmath>
#include <set>

#include "evidence/appraisal.hpp"
#include "evidence/text.hpp"
#include "synthesis_internal.hpp"

namespace evidence::synthesis {

namespace {

// Whether a treatment's name is plural: its head noun, before any "(...)", "of", "with", "to" or
// "through" ("heat treatment of small back nerves" is one treatment).
bool plural(const std::string& label) {
  if (label.find(" and ") != std::string::npos) return true;
  std::string head = label.substr(0, label.find(" ("));
  for (const char* cut : {" of ", " with ", " to ", " through ", " for ", " in "})
    if (const auto at = head.find(cut); at != std::string::npos) head = head.substr(0, at);
  const std::string last = normalise(head.substr(head.rfind(' ') == std::string::npos ? 0 : head.rfind(' ') + 1));
  static const std::set<std::string> singular = {"pilates", "tens",    "pens",     "analysis", "stenosis",   "mckenzie",
                                                 "class",   "fitness", "wellness", "stress",   "mindfulness"};
  if (singular.count(last)) return false;
  return last.size() > 3 && last.back() == 's' && last[last.size() - 2] != 's';
}

// "makes" / "make" / "probably makes" / "may make", by certainty and number.
std::string verb(CertaintyLevel certainty, bool many, const std::string& base, const std::string& third) {
  if (certainty <= CertaintyLevel::low) return "may " + base;
  const std::string v = many ? base : third;
  return certainty == CertaintyLevel::moderate ? "probably " + v : v;
}

std::string weeks_words(double w) {
  if (w >= 52 && std::fmod(w, 52) < 0.5) {
    const int years = static_cast<int>(std::lround(w / 52));
    return years == 1 ? "1 year" : std::to_string(years) + " years";
  }
  if (w >= 8 && w < 52) {
    const double months = w * 12 / 52;
    if (std::fabs(months - std::round(months)) < 0.1)
      return std::to_string(static_cast<int>(std::lround(months))) + " months";
  }
  const int n = static_cast<int>(std::lround(w));
  return n == 1 ? "1 week" : std::to_string(n) + " weeks";
}

// "at 1 year" when the results share one follow-up; else the time point in words.
std::string time_words(const Finding& f) {
  std::set<double> weeks;
  bool all = !f.results.empty();
  for (const auto& r : f.results) {
    if (r.follow_up_weeks)
      weeks.insert(*r.follow_up_weeks);
    else
      all = false;
  }
  if (all && weeks.size() == 1) return "at " + weeks_words(*weeks.begin());
  if (f.time_point == "immediate") return "right after treatment";
  if (f.time_point == "short") return "in the short term (up to 3 months)";
  if (f.time_point == "intermediate") return "at 3 to 12 months";
  if (f.time_point == "long") return "in the long term (a year or more)";
  return "";
}

std::string plain_time(const Finding& f) {
  if (f.time_point == "immediate") return "right after treatment";
  if (f.time_point == "short") return "in the first few months";
  if (f.time_point == "intermediate") return "after a few months";
  if (f.time_point == "long") return "after a year or more";
  return "";
}

// What the outcome is, for patients.
std::string plain_outcome(const std::string& domain) {
  if (domain == "pain") return "pain";
  if (domain == "function") return "daily activities";
  if (domain == "quality_of_life") return "quality of life";
  if (domain == "global_improvement") return "how people feel overall";
  if (domain == "return_to_work") return "getting back to work";
  if (domain == "adverse_events") return "side effects";
  if (domain == "recurrence") return "pain coming back";
  if (domain == "cost") return "costs";
  if (domain == "psychological_wellbeing") return "mood and worry";
  if (domain == "healthcare_use") return "visits to doctors";
  return "how people feel";
}

// What the treatment does for the outcome when it helps: verb (base, third person) and object.
struct Helps {
  std::string base, third, object;
};
Helps helps_with(const std::string& domain, const std::string& what) {
  if (domain == "pain") return {"ease", "eases", "pain"};
  if (domain == "function") return {"help", "helps", "with daily activities"};
  if (domain == "quality_of_life") return {"improve", "improves", "quality of life"};
  if (domain == "global_improvement") return {"help", "helps", "people feel better overall"};
  if (domain == "return_to_work") return {"help", "helps", "people get back to work"};
  if (domain == "psychological_wellbeing") return {"improve", "improves", "mood"};
  if (domain == "healthcare_use") return {"cut", "cuts", "visits to doctors"};
  if (domain == "cost") return {"save", "saves", "money"};
  if (domain == "benefit") return {"help", "helps", "people with back pain"};
  return {"help", "helps", "with " + what};
}

std::string counts_text(const Finding& f) {
  std::string out;
  if (f.n_studies > 0) out = std::to_string(f.n_studies) + (f.n_studies == 1 ? " study" : " studies");
  if (f.n_participants > 0) out += (out.empty() ? "" : ", ") + std::to_string(f.n_participants) + " participants";
  if (f.uncounted_reviews > 0)
    out += std::string(out.empty() ? "" : "; ") +
           (f.uncounted_reviews == 1 ? "1 review" : std::to_string(f.uncounted_reviews) + " reviews") +
           " not giving the number of trials for this comparison";
  else if (!f.counts_complete)
    out += std::string(out.empty() ? "" : "; ") + "participants not given for this comparison";
  return out;
}

std::string subject_clinician(const Finding& f) {
  if (!f.add_on.empty()) return "Adding " + f.intervention_label + " to " + f.add_on_label;
  return capitalise(f.intervention_label);
}

std::string comparison_clinician(const Finding& f) {
  if (!f.add_on.empty()) return "compared with " + f.add_on_label + " alone";
  return "compared with " + f.comparator_label;
}

}  // namespace

std::string clinician_statement(const Finding& f, bool counts) {
  const std::string I = subject_clinician(f);
  const bool many = f.add_on.empty() && plural(f.intervention_label);
  const std::string O = f.outcome_label;
  const std::string P = " in " + f.population_label;
  const std::string T = time_words(f).empty() ? "" : " " + time_words(f);
  const std::string C = ", " + comparison_clinician(f);
  const std::string tail = std::string(" (") + certainty_level_words(f.certainty) + " certainty" +
                           (counts ? "; " + counts_text(f) : std::string()) + ").";
  if (f.thin) {
    return "The studies found do not report a usable result for " + f.intervention_label + " on " + O + P + T + C + ".";
  }
  if (f.certainty == CertaintyLevel::very_low) {
    return "The evidence is very uncertain about the effect of " + f.intervention_label + " on " + O + P + T + C + tail;
  }
  if (f.direction == Direction::conflicting) {
    return "Studies of " + f.intervention_label + " disagree on " + O + P + T + C + tail;
  }
  const std::string results = verb(f.certainty, many, "result", "results");
  const bool none = f.direction == Direction::no_difference || f.effect_size == "none" || f.effect_size == "trivial";
  if (none) {
    return I + " " + results + " in little to no difference in " + O + P + T + C + tail;
  }
  const bool better = f.direction == Direction::favours_intervention;
  const std::string size = f.effect_size == "large"      ? "large "
                           : f.effect_size == "moderate" ? "moderate "
                           : f.effect_size == "small"    ? "slight "
                                                         : "";
  std::string change;
  if (better) {
    const std::string noun = f.harms || f.outcome == "recurrence" ? "reduction in " : "improvement in ";
    const std::string first = size.empty() ? noun : size;
    change = std::string(first[0] == 'a' || first[0] == 'e' || first[0] == 'i' || first[0] == 'o' ? "an " : "a ") +
             size + noun;
  } else {
    change = f.harms || f.outcome == "recurrence" ? "more " : "less improvement in ";
  }
  return I + " " + results + " in " + change + O + P + T + C + tail;
}

namespace {

void write_patient(Finding& f) {
  const std::string ip = capitalise(f.intervention_plain);
  const bool many = plural(f.intervention_plain);
  const std::string what = plain_outcome(f.outcome);
  const std::string when = plain_time(f).empty() ? "" : " " + plain_time(f);
  const std::string compared = !f.add_on.empty()
                                   ? " It was added to other care. Both groups had " + f.add_on_plain + "."
                                   : " This is compared with " + f.comparator_plain + ".";
  const std::string who = " The studies were in people with " + f.population_plain + ".";
  if (f.thin) {
    f.patient_sentence = "We found no clear results for " + f.intervention_plain + " on " + what + "." + who;
    return;
  }
  if (f.certainty == CertaintyLevel::very_low) {
    f.patient_sentence = "We do not know if " + f.intervention_plain + (many ? " change " : " changes ") + what + "." +
                         compared + " The studies are too few or too weak to tell.";
    return;
  }
  std::string main;
  if (f.direction == Direction::conflicting) {
    main = "Studies of " + f.intervention_plain + " do not agree about " + what + when + ".";
  } else if (f.direction == Direction::no_difference || f.effect_size == "none" || f.effect_size == "trivial") {
    main = ip + " " + verb(f.certainty, many, "make", "makes") + " little or no difference to " + what + when + ".";
  } else if (f.direction == Direction::favours_intervention) {
    const std::string amount = f.effect_size == "large" ? " a lot" : f.effect_size == "small" ? " a little" : "";
    if (f.harms)
      main = ip + " " + verb(f.certainty, many, "cause", "causes") + " fewer " + what + when + ".";
    else if (f.outcome == "recurrence")
      main = ip + " " + verb(f.certainty, many, "lower", "lowers") + " the chance of " + what + when + ".";
    else {
      const Helps h = helps_with(f.outcome, what);
      main = ip + " " + verb(f.certainty, many, h.base, h.third) + " " + h.object + amount + when + ".";
    }
  } else {
    if (f.harms)
      main = ip + " " + verb(f.certainty, many, "cause", "causes") + " more " + what + when + ".";
    else
      main = ip + " " + verb(f.certainty, many, "work", "works") + " less well for " + what + when + ".";
  }
  f.patient_sentence = main + compared + who;
  if (f.certainty == CertaintyLevel::low) f.patient_sentence += " We are not sure about this.";
}

}  // namespace

void write_sentences(Finding& f) {
  f.clinician_sentence = clinician_statement(f, true);
  write_patient(f);
  if (f.disagreement && !f.thin && f.direction != Direction::conflicting) {
    f.clinician_sentence += " Not all studies agree.";
    f.patient_sentence += " Not all studies agree.";
  }
}

}  // namespace evidence::synthesis
