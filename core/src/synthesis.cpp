#include "evidence/synthesis.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "evidence/text.hpp"

namespace evidence {

using nlohmann::json;

std::optional<MetaAnalysis> dersimonian_laird(const std::vector<double>& y, const std::vector<double>& v) {
  if (y.size() < 2 || y.size() != v.size()) return std::nullopt;
  double sw = 0, swy = 0, sw2 = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (!(v[i] > 0) || !std::isfinite(v[i]) || !std::isfinite(y[i])) return std::nullopt;
    const double w = 1 / v[i];
    sw += w;
    swy += w * y[i];
    sw2 += w * w;
  }
  MetaAnalysis m;
  m.k = static_cast<int>(y.size());
  m.fixed_estimate = swy / sw;
  for (std::size_t i = 0; i < y.size(); ++i) m.q += (y[i] - m.fixed_estimate) * (y[i] - m.fixed_estimate) / v[i];
  const double df = m.k - 1;
  const double c = sw - sw2 / sw;
  m.tau2 = std::max(0.0, (m.q - df) / c);
  m.i2 = m.q > df ? 100.0 * (m.q - df) / m.q : 0.0;
  double rw = 0, rwy = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double w = 1 / (v[i] + m.tau2);
    rw += w;
    rwy += w * y[i];
  }
  m.estimate = rwy / rw;
  m.se = std::sqrt(1 / rw);
  m.ci_low = m.estimate - 1.959964 * m.se;
  m.ci_high = m.estimate + 1.959964 * m.se;
  return m;
}

std::string certainty_symbols(const std::string& level) {
  if (level == "high") return "⊕⊕⊕⊕";
  if (level == "moderate") return "⊕⊕⊕◯";
  if (level == "low") return "⊕⊕◯◯";
  return "⊕◯◯◯";
}

std::string classify_effect(const std::string& measure, double b, double lo, double hi, double mid) {
  const bool includes_null = lo <= 0 && hi >= 0;
  const double a = std::fabs(b);
  if (measure == "SMD") {
    if (includes_null && a < 0.2) return "none";
    return a >= 0.8 ? "large" : a >= 0.5 ? "moderate" : a >= 0.2 ? "small" : "trivial";
  }
  if (measure == "RR" || measure == "OR" || measure == "HR") {
    if (includes_null && a < std::log(1.1)) return "none";
    return a >= std::log(2.0) ? "large" : a >= std::log(1.25) ? "moderate" : a >= std::log(1.1) ? "small" : "trivial";
  }
  if (!(mid > 0)) return "unknown";
  const double r = a / mid;
  if (includes_null && r < 0.5) return "none";
  return r >= 1.5 ? "large" : r >= 1.0 ? "moderate" : r >= 0.5 ? "small" : "trivial";
}

namespace {

const char* const kLevels[] = {"", "very_low", "low", "moderate", "high"};

std::string fmt(double x) {
  std::ostringstream ss;
  const double r = std::round(x * 100) / 100;
  ss << (std::fabs(r) < 0.005 ? 0.0 : r);
  return ss.str();
}

int level_rank(const std::string& l) {
  if (l == "high") return 4;
  if (l == "moderate") return 3;
  if (l == "low") return 2;
  if (l == "very_low") return 1;
  return 0;
}

std::string label_of(const Study& s) {
  std::string a = s.authors.empty() ? s.id : s.authors.front();
  const auto sp = a.find(' ');
  if (sp != std::string::npos) a = a.substr(0, sp);
  return a + " " + std::to_string(s.year);
}

// The minimal important difference on a 0-100 scale for a domain/instrument (issue 5 defaults:
// pain 15/100 or 2/10; RMDQ 5/24; ODI 10/100).
double mid_0_100(const std::string& domain, const std::string& instrument, const Vocabulary& v) {
  if (!instrument.empty())
    if (const Concept* c = v.find(instrument); c && c->mid && c->mid->scale_max > c->mid->scale_min)
      return 100.0 * c->mid->value / (c->mid->scale_max - c->mid->scale_min);
  if (domain == "pain") return 15;
  if (domain == "function") return 10;
  return 0;
}

struct Oriented {
  double y = 0, lo = 0, hi = 0;
  std::string measure, scale;
  bool ok = false;
};

// Puts an effect on a common footing: positive favours the intervention; MDs on 0-100 when the
// scale is known; ratios as logs.
Oriented orient(const Effect& e, const std::string& domain, const std::string& instrument, const Vocabulary& v,
               const std::string& direction = "") {
  Oriented o;
  if (!e.ci_low || !e.ci_high) return o;
  double y = e.value, lo = *e.ci_low, hi = *e.ci_high;
  o.measure = e.measure;
  if (e.measure == "RR" || e.measure == "OR" || e.measure == "HR") {
    if (y <= 0 || lo <= 0 || hi <= 0) return o;
    y = std::log(y);
    lo = std::log(lo);
    hi = std::log(hi);
    // For a harm (adverse events, recurrence) a ratio below 1 favours the intervention; for a
    // benefit it is the other way round. Records say which way is better; default: lower.
    const bool lower_better = e.better != "higher";
    if (lower_better) {
      std::swap(lo, hi);
      y = -y, lo = -lo, hi = -hi;
    }
    o.scale = "log";
  } else if (e.measure == "MD" || e.measure == "SMD" || e.measure == "RD") {
    bool flip = false;
    if (e.contrast == "improvement_difference") flip = false;
    else if (e.contrast == "comparator_minus_intervention") flip = e.better == "higher";
    else flip = e.better != "higher";  // intervention minus comparator, lower better (pain scores)
    if (flip) {
      std::swap(lo, hi);
      y = -y, lo = -lo, hi = -hi;
    }
    if (e.measure == "MD") {
      double span = 0;
      if (e.scale_min && e.scale_max) span = *e.scale_max - *e.scale_min;
      else if (!instrument.empty())
        if (const Concept* c = v.find(instrument); c && c->mid) span = c->mid->scale_max - c->mid->scale_min;
      if (span > 0) {
        y *= 100 / span, lo *= 100 / span, hi *= 100 / span;
        o.scale = "0-100";
      } else {
        o.scale = "raw:" + domain + ":" + instrument;
      }
    } else {
      o.scale = e.measure;
    }
  } else {
    return o;
  }
  if (lo > hi) std::swap(lo, hi);
  // Without a stated contrast the sign convention is unknown; the record's curated direction
  // says which way the result goes, so it decides the orientation.
  if (e.contrast.empty() && ((direction == "favours_intervention" && y < 0) || (direction == "favours_comparator" && y > 0))) {
    std::swap(lo, hi);
    y = -y, lo = -lo, hi = -hi;
  }
  o.y = y, o.lo = lo, o.hi = hi, o.ok = true;
  return o;
}

std::string outcome_phrase(const std::string& domain, const Vocabulary& v) {
  if (domain == "function") return "function (disability)";
  if (domain == "benefit") return "overall benefit";
  if (const Concept* c = v.find(domain)) return normalise(c->preferred);
  return domain;
}

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

std::string comparator_plain(const std::string& kind) {
  if (kind == "placebo_sham") return "a fake (sham) treatment";
  if (kind == "usual_care") return "usual care";
  if (kind == "no_treatment") return "no treatment";
  if (kind == "active") return "other treatments";
  return "other options";
}

std::string comparator_clinical(const std::string& kind) {
  if (kind == "placebo_sham") return "placebo or sham";
  if (kind == "usual_care") return "usual care";
  if (kind == "no_treatment") return "no treatment or waiting list";
  if (kind == "active") return "other active treatments";
  return "mixed comparators";
}

bool related(const Vocabulary& v, const std::string& a, const std::string& b) { return v.is_a(a, b) || v.is_a(b, a); }

std::string capitalise(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

bool plural(const std::string& label) {
  if (label.find(" and ") != std::string::npos) return true;
  return label.size() > 3 && label.back() == 's' && label[label.size() - 2] != 's' && label.compare(label.size() - 3, 3, "sis") != 0 &&
         label.compare(label.size() - 4, 4, "TENS") != 0 && label.compare(label.size() - 4, 4, "PENS") != 0;
}

void write_sentences(Finding& f) {
  const std::string I = f.intervention_label;
  const bool many = plural(I);
  const bool many_plain = plural(f.intervention_plain);
  const std::string O = f.outcome_label;
  const std::string P = f.condition_label.empty() ? "" : " in " + f.condition_label;
  const std::string C = " compared with " + comparator_clinical(f.comparator_kind);
  const std::string counts = std::to_string(f.n_studies) + (f.n_studies == 1 ? " study" : " studies") +
                             (f.n_participants > 0 ? ", " + std::to_string(f.n_participants) + " participants" : "");
  const std::string cert = f.certainty == "very_low" ? "very low" : f.certainty;
  const std::string tail = " (" + cert + " certainty; " + counts + ").";
  const std::string modal = f.certainty == "high" ? "" : f.certainty == "moderate" ? "probably " : "may ";
  // "results" after a singular subject with no modal; "result" after a modal or a plural subject.
  const std::string verb_s = many ? "result" : "results";
  const std::string results = f.certainty == "high" ? verb_s : f.certainty == "moderate" ? "probably " + verb_s : "may result";
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
  const std::string size = f.effect_size == "large" ? "large " : f.effect_size == "moderate" ? "moderate " : f.effect_size == "small" ? "slight " : "";
  auto article = [](const std::string& next) { return (!next.empty() && std::string("aeiou").find(next[0]) != std::string::npos) ? "an " : "a "; };
  std::string change;
  if (better) {
    const std::string noun = harm_domain ? "reduction in " : "improvement in ";
    change = article(size.empty() ? noun : size) + size + noun;
  } else {
    // The comparator did better: say so plainly rather than grading the size of a harm.
    change = harm_domain ? "more " : "less improvement in ";
  }
  const std::string than = better ? C : " than with " + comparator_clinical(f.comparator_kind);
  f.clinician_sentence = capitalise(I) + " " + results + " in " + change + O + P + than + tail;
  if (better) {
    std::string amount = f.effect_size == "large" ? " a lot" : f.effect_size == "moderate" ? "" : f.effect_size == "small" ? " a little" : "";
    const std::string can = f.certainty == "high" ? "can " : f.certainty == "moderate" ? "can probably " : "may ";
    f.patient_sentence = "Studies found that " + ip + " " + can + verb + amount + ", more than " + cp + ".";
  } else {
    const std::string does = f.certainty == "high" ? (many_plain ? "do" : "does") : f.certainty == "moderate" ? (many_plain ? "probably do" : "probably does") : "may do";
    f.patient_sentence = "Studies found that " + ip + " " + does + " less well than " + cp + " for this.";
  }
  if (f.certainty == "low") f.patient_sentence += " We are not sure.";
}

}  // namespace

json Finding::to_json() const {
  json results_j = json::array();
  for (const auto& r : results) {
    json x{{"record_id", r.record_id}, {"label", r.label}, {"design", r.design}, {"direction", r.direction},
           {"participants", r.participants}, {"text_extracted", r.text_extracted}, {"used_in_estimate", r.used_in_estimate}};
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
      x["stated_certainty"] = {{"system", r.stated_certainty->system}, {"level", r.stated_certainty->level}, {"statement", r.stated_certainty->statement}};
    results_j.push_back(std::move(x));
  }
  json downs = json::array();
  for (const auto& d : downgrades) downs.push_back({{"domain", d.domain}, {"levels", d.levels}, {"reason", d.reason}, {"rule", d.rule}});
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
    j["effect"] = {{"measure", effect_measure}, {"scale", effect_scale}, {"value", *effect}, {"ci_low", *effect_ci_low},
                   {"ci_high", *effect_ci_high}, {"text", effect_text}, {"oriented", "positive favours the intervention"}};
  }
  if (pooled)
    j["meta_analysis"] = {{"method", pooled->method}, {"k", pooled->k}, {"estimate", pooled->estimate}, {"ci_low", pooled->ci_low},
                          {"ci_high", pooled->ci_high}, {"i2", pooled->i2}, {"tau2", pooled->tau2}, {"q", pooled->q}};
  if (stated_certainty)
    j["stated_certainty"] = {{"system", stated_certainty->system}, {"level", stated_certainty->level},
                             {"statement", stated_certainty->statement}, {"source", stated_source}, {"disagrees", certainty_disagreement}};
  return j;
}

json EvidenceSummary::to_json() const {
  json f = json::array();
  for (const auto& x : findings) f.push_back(x.to_json());
  return {{"findings", f}, {"messages", messages}};
}

namespace {
EvidenceSummary synthesise_impl(const std::vector<Study>& studies, const Question& q, const Vocabulary& v);
}  // namespace

EvidenceSummary synthesise(const std::vector<Study>& studies, const Question& q, const Vocabulary& v) {
  // A graded answer is about treatments: without one in the question, say what is needed rather
  // than grading whatever the words happened to match.
  if (q.interventions.empty()) {
    EvidenceSummary out;
    if (!q.free_text.empty())
      out.messages.push_back("No treatment in the question was recognised (\"" + q.free_text +
                             "\"). Graded summaries cover the treatments in the vocabulary; try for example \"exercise for chronic low back pain\".");
    else
      out.messages.push_back("Name a treatment to get a graded summary (for example: exercise for chronic low back pain).");
    return out;
  }
  return synthesise_impl(studies, q, v);
}

namespace {
EvidenceSummary synthesise_impl(const std::vector<Study>& studies, const Question& q, const Vocabulary& v) {
  EvidenceSummary out;
  std::set<std::string> outcome_set;
  for (const auto& o : q.outcomes)
    for (const auto& d : v.descendants(o)) outcome_set.insert(d);
  std::map<std::string, Finding> groups;
  std::map<std::string, const Study*> by_id;
  for (const auto& s : studies) by_id[s.id] = &s;

  for (const auto& s : studies) {
    if (s.retracted || s.design == "protocol") continue;
    // Population: a study about an unrelated condition does not answer the question.
    bool population_matches = q.conditions.empty();
    bool population_direct = q.conditions.empty();
    for (const auto& qc : q.conditions)
      for (const auto& sc : s.population.conditions) {
        if (related(v, sc, qc)) population_matches = true;
        if (v.is_a(sc, qc)) population_direct = true;
      }
    if (!population_matches) continue;
    if (!q.duration.empty() && s.population.duration != "unspecified" && s.population.duration != "mixed" && s.population.duration != q.duration)
      continue;
    for (const auto& o : s.outcomes) {
      if (o.direction == "unclear" && !o.effect) continue;  // measured, but no result to report
      if (!outcome_set.empty() && !outcome_set.count(o.domain) && !(o.domain == "benefit" && q.benefit_requested)) continue;
      std::string key_concept;
      bool intervention_direct = true;
      if (q.interventions.empty()) {
        if (!o.intervention.empty()) key_concept = o.intervention.front();
      } else {
        for (const auto& c : o.intervention)
          for (const auto& qi : q.interventions)
            if (key_concept.empty() && v.is_a(c, qi)) key_concept = c;
        // A study of a broader family than asked ("electrotherapy" when TENS was asked) is indirect evidence.
        if (key_concept.empty())
          for (const auto& c : o.intervention)
            for (const auto& qi : q.interventions)
              if (key_concept.empty() && v.is_a(qi, c)) {
                key_concept = c;
                intervention_direct = false;
              }
      }
      if (key_concept.empty()) continue;
      if (!q.comparator_kinds.empty() &&
          std::find(q.comparator_kinds.begin(), q.comparator_kinds.end(), o.comparator_kind) == q.comparator_kinds.end() &&
          o.comparator_kind != "mixed")
        continue;
      bool comparator_ok = true;
      for (const auto& qc : q.comparators) {
        if (v.find(qc) && v.find(qc)->kind != "intervention") continue;
        comparator_ok = false;
        for (const auto& c : o.comparator)
          if (related(v, c, qc)) comparator_ok = true;
      }
      if (!comparator_ok) continue;
      const std::string key = key_concept + "|" + o.comparator_kind + "|" + o.domain + "|" + o.time_point;
      Finding& f = groups[key];
      if (f.key.empty()) {
        f.key = key;
        f.intervention = key_concept;
        const Concept* ic = v.find(key_concept);
        f.intervention_label = ic ? normalise(ic->preferred) : key_concept;
        if (ic && ic->preferred.size() <= 6) f.intervention_label = ic->preferred;  // keep abbreviations such as TENS
        f.intervention_plain = ic ? ic->plain : key_concept;
        f.comparator_kind = o.comparator_kind;
        f.comparator_label = comparator_clinical(o.comparator_kind);
        f.comparator_plain = comparator_plain(o.comparator_kind);
        f.outcome = o.domain;
        f.outcome_label = outcome_phrase(o.domain, v);
        f.time_point = o.time_point;
      }
      StudyResult r;
      r.record_id = s.id;
      r.label = label_of(s);
      r.design = s.design;
      r.direction = o.direction;
      r.result_text = o.result_text;
      r.instrument = o.instrument;
      r.effect = o.effect;
      r.stated_certainty = o.certainty;
      r.participants = o.n_participants ? *o.n_participants : s.participants();
      r.n_studies = o.n_studies;
      if (!r.n_studies && s.design == "systematic_review" && s.population.n_trials) r.n_studies = s.population.n_trials;
      r.quality = s.annotation.quality_score;
      auto it = s.annotation.origins.find("direction");
      r.text_extracted = it != s.annotation.origins.end() && it->second == Origin::text;
      if (!population_direct || !intervention_direct) f.rules.push_back("indirect:" + s.id + (population_direct ? ":intervention" : ":population"));
      f.results.push_back(std::move(r));
    }
  }

  std::string condition_label, condition_plain;
  if (!q.conditions.empty())
    if (const Concept* c = v.find(q.conditions.front())) {
      condition_label = normalise(c->preferred);
      condition_plain = c->plain;
    }

  for (auto& [key, f] : groups) {
    f.condition_label = condition_label;
    f.condition_plain = condition_plain;
    std::set<std::string> indirect_ids;
    std::vector<std::string> kept_rules;
    for (const auto& r : f.rules) {
      if (r.rfind("indirect:", 0) == 0) indirect_ids.insert(r.substr(9, r.find(':', 9) - 9));
      else kept_rules.push_back(r);
    }
    f.rules = kept_rules;

    // 1. The estimate: a review's pooled estimate first (its trials are not counted again), then
    //    our own random-effects pooling of compatible trial estimates, then a single estimate,
    //    then a vote count of directions.
    const double mid = mid_0_100(f.outcome, "", v);
    const StudyResult* review = nullptr;
    for (const auto& r : f.results) {
      if (r.design != "systematic_review" || !r.effect) continue;
      const Study* s = by_id[r.record_id];
      if (!review || r.participants > review->participants ||
          (r.participants == review->participants && s->year > by_id[review->record_id]->year))
        review = &r;
    }
    std::set<std::string> counted;
    if (review) {
      const Study* rs = by_id[review->record_id];
      f.effect_source = "review";
      f.rules.push_back("estimate_from_review: the pooled estimate of " + review->label + " is used; trials it may include are not pooled again");
      for (auto& r : f.results) {
        const Study* s = by_id[r.record_id];
        const bool included = std::find(rs->included_record_ids.begin(), rs->included_record_ids.end(), r.record_id) != rs->included_record_ids.end();
        // A trial published before the review is assumed to be among its trials (no double counting).
        if (&r == review) {
          r.used_in_estimate = true;
          counted.insert(r.record_id);
        } else if (r.design == "systematic_review" || included || s->year <= rs->year) {
          // listed, not counted
        } else {
          counted.insert(r.record_id);
        }
      }
      Oriented o = orient(*review->effect, f.outcome, review->instrument, v, review->direction);
      if (o.ok) {
        f.effect_measure = review->effect->measure;
        f.effect_scale = o.scale;
        f.effect = o.y;
        f.effect_ci_low = o.lo;
        f.effect_ci_high = o.hi;
      }
    } else {
      // Pool the largest compatible set of trial estimates.
      std::map<std::string, std::vector<std::pair<StudyResult*, Oriented>>> sets;
      for (auto& r : f.results) {
        if (!r.effect) continue;
        Oriented o = orient(*r.effect, f.outcome, r.instrument, v, r.direction);
        if (o.ok) sets[o.measure + "|" + o.scale].push_back({&r, o});
      }
      const std::vector<std::pair<StudyResult*, Oriented>>* best = nullptr;
      for (const auto& [k, s] : sets)
        if (!best || s.size() > best->size()) best = &s;
      if (best && best->size() >= 2) {
        std::vector<double> y, var;
        for (const auto& [r, o] : *best) {
          y.push_back(o.y);
          const double se = (o.hi - o.lo) / (2 * 1.959964);
          var.push_back(se * se);
        }
        if (auto m = dersimonian_laird(y, var)) {
          f.pooled = m;
          f.effect_source = "pooled";
          f.effect_measure = best->front().second.measure;
          f.effect_scale = best->front().second.scale;
          f.effect = m->estimate;
          f.effect_ci_low = m->ci_low;
          f.effect_ci_high = m->ci_high;
          for (const auto& [r, o] : *best) r->used_in_estimate = true;
          f.rules.push_back("pooled: DerSimonian-Laird random-effects meta-analysis of " + std::to_string(m->k) + " studies");
        }
      } else if (best && best->size() == 1) {
        const auto& [r, o] = best->front();
        r->used_in_estimate = true;
        f.effect_source = "single";
        f.effect_measure = o.measure;
        f.effect_scale = o.scale;
        f.effect = o.y;
        f.effect_ci_low = o.lo;
        f.effect_ci_high = o.hi;
        f.rules.push_back("single_estimate: one study reports an effect estimate");
      }
      for (const auto& r : f.results) counted.insert(r.record_id);
      if (f.effect_source.empty()) {
        f.effect_source = "vote_count";
        f.rules.push_back("vote_count: no compatible effect estimates; the direction of each study's result is shown as reported");
      }
    }
    for (const auto& r : f.results) {
      if (!counted.count(r.record_id)) continue;
      f.n_studies += r.n_studies ? static_cast<int>(*r.n_studies) : 1;
      f.n_participants += r.participants;
    }
    for (const auto& r : f.results) f.record_ids.push_back(r.record_id);
    std::sort(f.record_ids.begin(), f.record_ids.end());
    f.record_ids.erase(std::unique(f.record_ids.begin(), f.record_ids.end()), f.record_ids.end());

    // 2. Direction and effect size.
    if (f.effect) {
      const double lo = *f.effect_ci_low, hi = *f.effect_ci_high, y = *f.effect;
      f.direction = lo > 0 ? "favours_intervention" : hi < 0 ? "favours_comparator" : "no_difference";
      const bool ratio = f.effect_scale == "log";
      const double m = f.effect_measure == "SMD" || ratio ? 1 : (f.effect_scale == "0-100" ? mid : 0);
      f.effect_size = classify_effect(f.effect_measure, y, lo, hi, m);
      std::string unit = ratio ? "" : f.effect_scale == "0-100" ? " points on a 0-100 scale" : "";
      if (ratio) {
        f.effect_text = f.effect_measure + " " + fmt(std::exp(-y)) + " (95% CI " + fmt(std::exp(-hi)) + " to " + fmt(std::exp(-lo)) + ")";
      } else {
        f.effect_text = f.effect_measure + " " + fmt(y) + unit + " in favour of the intervention when positive (95% CI " + fmt(lo) + " to " + fmt(hi) + ")";
      }
      if (f.pooled) f.effect_text += "; I² " + fmt(f.pooled->i2) + "%";
      f.rules.push_back("effect_size: |effect| against the MID (" +
                        std::string(f.effect_measure == "SMD" ? "SMD 0.2/0.5/0.8" : ratio ? "ratio 1.1/1.25/2" : "MID " + fmt(mid) + "/100") + ")");
    } else {
      std::map<std::string, int> votes;
      for (const auto& r : f.results)
        if (counted.count(r.record_id) && r.direction != "unclear") ++votes[r.direction];
      if (votes.empty()) {
        f.direction = "unclear";
        f.thin = true;
      } else if (votes.count("conflicting") || (votes.count("favours_intervention") && votes.count("favours_comparator"))) {
        f.direction = "conflicting";
      } else {
        f.direction = std::max_element(votes.begin(), votes.end(), [](const auto& a, const auto& b) { return a.second < b.second; })->first;
        if (votes.size() > 1) f.rules.push_back("vote_majority: studies differ; the majority direction is shown");
      }
      f.effect_size = f.direction == "no_difference" ? "none" : "unknown";
    }

    // 3. Certainty, GRADE-style: start high for randomised evidence, low for observational.
    bool randomised = true;
    for (const auto& r : f.results) {
      if (!counted.count(r.record_id)) continue;
      if (!(r.design == "rct" || r.design == "systematic_review" || r.design == "guideline")) randomised = false;
      // A review of cohort or other non-randomised studies is observational evidence.
      const std::string label = normalise(by_id[r.record_id]->design_label);
      if (r.design == "systematic_review" && (label.find("cohort") != std::string::npos || label.find("observational") != std::string::npos) &&
          label.find("rct") == std::string::npos && label.find("randomi") == std::string::npos)
        randomised = false;
    }
    int level = randomised ? 4 : 2;
    f.rules.push_back(randomised ? "start_high: randomised evidence" : "start_low: includes non-randomised evidence");
    std::int64_t total = 0, high_risk = 0, indirect = 0;
    for (const auto& r : f.results) {
      if (!counted.count(r.record_id)) continue;
      const std::int64_t n = std::max<std::int64_t>(r.participants, 1);
      total += n;
      if (r.quality >= 0 && r.quality < 4) high_risk += n;
      if (indirect_ids.count(r.record_id)) indirect += n;
    }
    auto stated_down = [&](const char* domain) {
      for (const auto& r : f.results)
        if (r.used_in_estimate && r.stated_certainty)
          for (const auto& d : r.stated_certainty->downgrades)
            if (d == domain) return true;
      return false;
    };
    if (total > 0 && 2 * high_risk > total)
      f.downgrades.push_back({"risk_of_bias", 1, "More than half of the participants come from studies at high risk of bias (quality below 4/10).", "rob_share"});
    else if (stated_down("risk_of_bias"))
      f.downgrades.push_back({"risk_of_bias", 1, "The review whose estimate is used downgraded for risk of bias.", "rob_stated"});
    if (f.pooled && f.pooled->i2 >= 75)
      f.downgrades.push_back({"inconsistency", 2, "Very large unexplained heterogeneity (I² " + fmt(f.pooled->i2) + "%).", "i2_75"});
    else if (f.pooled && f.pooled->i2 >= 50)
      f.downgrades.push_back({"inconsistency", 1, "Substantial heterogeneity (I² " + fmt(f.pooled->i2) + "%).", "i2_50"});
    else if (f.direction == "conflicting")
      f.downgrades.push_back({"inconsistency", 1, "Studies point in different directions.", "conflicting_directions"});
    else if (stated_down("inconsistency"))
      f.downgrades.push_back({"inconsistency", 1, "The review whose estimate is used downgraded for inconsistency.", "inconsistency_stated"});
    else if (f.n_studies == 1)
      f.downgrades.push_back({"inconsistency", 1, "Only one study: consistency cannot be judged.", "single_study"});
    if (total > 0 && 2 * indirect > total)
      f.downgrades.push_back({"indirectness", 1, "Most participants come from studies whose population or intervention only partly matches the question.", "indirect_share"});
    else if (stated_down("indirectness"))
      f.downgrades.push_back({"indirectness", 1, "The review whose estimate is used downgraded for indirectness.", "indirectness_stated"});
    int imprecision = 0;
    std::vector<std::string> why;
    if (f.n_participants < 400) {
      ++imprecision;
      why.push_back("fewer than 400 participants (" + std::to_string(f.n_participants) + ")");
    }
    if (f.effect) {
      const double lo = *f.effect_ci_low, hi = *f.effect_ci_high;
      const bool ratio = f.effect_scale == "log";
      const double important = f.effect_measure == "SMD" ? 0.5 : ratio ? std::log(1.25) : (f.effect_scale == "0-100" ? mid : 0);
      if (lo <= 0 && hi >= 0 && important > 0 && (hi >= important || lo <= -important)) {
        ++imprecision;
        why.push_back("the 95% CI includes both no effect and an important effect");
      } else if (lo <= 0 && hi >= 0 && f.direction != "no_difference") {
        ++imprecision;
        why.push_back("the 95% CI includes no effect");
      }
    } else if (!f.thin) {
      ++imprecision;
      why.push_back("no effect estimate, only the direction of results");
    }
    if (imprecision == 0 && stated_down("imprecision")) {
      imprecision = 1;
      why.push_back("the review whose estimate is used downgraded for imprecision");
    }
    if (imprecision > 0) {
      std::string reason;
      for (std::size_t i = 0; i < why.size(); ++i) reason += (i ? "; " : "") + why[i];
      f.downgrades.push_back({"imprecision", std::min(imprecision, 2), capitalise(reason) + ".", "imprecision"});
    }
    if (stated_down("publication_bias"))
      f.downgrades.push_back({"publication_bias", 1, "The review whose estimate is used suspected publication bias.", "publication_bias_stated"});
    else
      f.rules.push_back("publication_bias_not_assessed: fewer than 10 studies pooled here");
    for (const auto& d : f.downgrades) level -= d.levels;
    level = std::clamp(level, 1, 4);
    // When the estimate is a review's, the trials' risk of bias and the other judgements behind it
    // are not in the knowledge base; the review's own GRADE rating of that comparison caps ours.
    if (f.effect_source == "review")
      for (const auto& r : f.results)
        if (r.used_in_estimate && r.stated_certainty && r.stated_certainty->system == "GRADE") {
          const int theirs = level_rank(r.stated_certainty->level);
          if (theirs > 0 && theirs < level) {
            f.downgrades.push_back({"review_rating", level - theirs,
                                    "The review that provides the estimate rated it " + std::string(r.stated_certainty->level == "very_low" ? "very low" : r.stated_certainty->level) +
                                        " (GRADE); the judgements behind that rating (for example the trials' risk of bias) are not in the knowledge base, so it caps ours.",
                                    "review_grade_ceiling"});
            level = theirs;
          }
        }
    f.certainty = kLevels[level];
    bool any_text = false;
    for (const auto& r : f.results) any_text = any_text || r.text_extracted;
    if (any_text) f.rules.push_back("text_extracted: some directions were extracted automatically from abstracts");

    // A certainty stated by a review for the same comparison is shown beside ours.
    for (const auto& r : f.results) {
      if (!r.stated_certainty || r.stated_certainty->level == "not_rated" || r.stated_certainty->system == "none") continue;
      if (f.stated_certainty && !r.used_in_estimate) continue;
      f.stated_certainty = r.stated_certainty;
      f.stated_source = r.record_id;
      if (r.used_in_estimate) break;
    }
    if (f.stated_certainty && f.stated_certainty->system == "GRADE" && level_rank(f.stated_certainty->level) > 0 &&
        level_rank(f.stated_certainty->level) != level) {
      f.certainty_disagreement = true;
      f.rules.push_back("stated_certainty_differs: the review's own GRADE rating differs from ours");
    }
    write_sentences(f);
    out.findings.push_back(std::move(f));
  }
  // Most informative first: more participants, then higher certainty.
  std::stable_sort(out.findings.begin(), out.findings.end(), [](const Finding& a, const Finding& b) {
    if (a.thin != b.thin) return !a.thin;
    const bool ap = a.outcome == "pain" || a.outcome == "function", bp = b.outcome == "pain" || b.outcome == "function";
    if (ap != bp) return ap;
    if (level_rank(a.certainty) != level_rank(b.certainty)) return level_rank(a.certainty) > level_rank(b.certainty);
    return a.n_participants > b.n_participants;
  });
  if (out.findings.empty()) {
    std::string what;
    for (const auto& i : q.interventions)
      if (const Concept* c = v.find(i)) what += (what.empty() ? "" : " or ") + c->preferred;
    std::string with;
    for (const auto& c : q.comparators)
      if (const Concept* k = v.find(c)) with += (with.empty() ? "" : " or ") + k->preferred;
    if (!what.empty() && !with.empty())
      out.messages.push_back("No studies in the knowledge base compare " + what + " with " + with + ".");
    else if (!what.empty())
      out.messages.push_back("No studies in the knowledge base report results for " + what + (q.conditions.empty() ? "" : " in this population") + ".");
    else
      out.messages.push_back("Name a treatment to get a graded summary (for example: exercise for chronic low back pain).");
  }
  return out;
}
}  // namespace

bool can_report(const Study& s) {
  if (s.retracted || s.design == "protocol") return false;
  for (const auto& o : s.outcomes)
    if (o.direction != "unclear" || o.effect) return true;
  return false;
}

json findings_snapshot(const std::vector<Study>& studies, const Vocabulary& v) {
  const EvidenceSummary s = synthesise_impl(studies, Question{}, v);
  json j = json::object();
  for (const auto& f : s.findings) j[f.key] = f.direction + "; " + f.certainty + "; " + f.effect_size;
  return j;
}

}  // namespace evidence
