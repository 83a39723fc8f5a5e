// Which results answer the question, and the finding each one joins: its own population (never
// the question's), its comparison read the question's way round, one trial counted once.
#include <algorithm>

#include "evidence/appraisal.hpp"
#include "evidence/text.hpp"
#include "synthesis_internal.hpp"

namespace evidence::synthesis {

namespace {

bool related(const Vocabulary& v, const std::string& a, const std::string& b) { return v.is_a(a, b) || v.is_a(b, a); }

bool is_duration(const std::string& d) { return d == "acute" || d == "subacute" || d == "chronic"; }

// A population as synthesis compares it: conditions without their duration, plus the duration.
// "Chronic low back pain" is low back pain of duration chronic, so a review of chronic non-specific
// LBP and a question about chronic LBP meet on both axes.
struct PopulationView {
  std::vector<std::string> conditions;
  std::string concept_id;  // the most specific condition studied, for the label
  std::string duration;    // acute, subacute, chronic or "" (mixed, unspecified)
};

std::string undated(const std::string& c, const Vocabulary& v) {
  if (duration_of_condition(c).empty()) return c;
  const Concept* k = v.find(c);
  return k && !k->parents.empty() ? k->parents.front() : c;
}

PopulationView view_of(const std::vector<std::string>& conditions, const std::string& duration, const Vocabulary& v) {
  PopulationView out;
  std::size_t depth = 0;
  for (const auto& c : conditions) {
    const std::size_t d = v.ancestors(c).size();
    if (out.concept_id.empty() || d > depth) {
      out.concept_id = c;
      depth = d;
    }
    if (const auto dur = duration_of_condition(c); !dur.empty()) out.duration = std::string(dur);
    const std::string u = undated(c, v);
    if (std::find(out.conditions.begin(), out.conditions.end(), u) == out.conditions.end()) out.conditions.push_back(u);
  }
  if (out.duration.empty() && is_duration(duration)) out.duration = duration;
  return out;
}

PopulationView question_view(const Question& q, const Vocabulary& v) {
  // Without a population the question is about back pain, the scope of the knowledge base: a
  // result in neck pain or osteoarthritis is then evidence beside it, not for it.
  PopulationView p =
      view_of(q.conditions.empty() ? std::vector<std::string>{"back_pain"} : q.conditions, q.duration, v);
  return p;
}

bool share_ancestor(const Vocabulary& v, const std::string& a, const std::string& b) {
  const auto aa = v.ancestors(a);
  for (const auto& x : aa)
    if (v.is_a(b, x)) return true;
  return false;
}

enum class Fit { none, direct, indirect };

// Direct: the question's population or narrower. Indirect: broader (including mixed or unstated
// duration for a question about one duration), or beside it under a common parent (chronic-LBP
// evidence for a stenosis question), shown apart and labelled with what was studied. None:
// unrelated, or another stated duration (acute evidence for a chronic question).
Fit population_fit(const PopulationView& r, const PopulationView& q, const Vocabulary& v) {
  if (!q.duration.empty() && !r.duration.empty() && r.duration != q.duration) return Fit::none;
  // Mixed or unstated duration is broader than a question about one duration.
  const bool broader_duration = !q.duration.empty() && r.duration.empty();
  bool narrower = false, near = false;
  for (const auto& rc : r.conditions)
    for (const auto& qc : q.conditions) {
      if (v.is_a(rc, qc)) narrower = true;
      if (related(v, rc, qc) || share_ancestor(v, rc, qc)) near = true;
    }
  if (narrower && !broader_duration) return Fit::direct;
  return near ? Fit::indirect : Fit::none;
}

bool outcome_matches(const OutcomeResult& o, const Question& q, const std::set<std::string>& outcomes) {
  if (outcomes.empty() || outcomes.count(o.domain)) return true;
  if (o.domain == "benefit" && q.benefit_requested) return true;
  // Harms beside benefits: a question about whether a treatment helps also gets its harms.
  return is_harm_domain(o.domain) && !q.outcomes.empty();
}

// The question's concept a result's intervention list answers: one of its interventions that is
// the question's or narrower; else a broader family than asked ("electrotherapy" when TENS was
// asked), which is indirect evidence. Empty when the result is about something else.
std::string key_concept(const std::vector<std::string>& interventions, const Question& q, const Vocabulary& v,
                        bool& direct) {
  direct = true;
  if (q.interventions.empty()) return interventions.empty() ? std::string() : interventions.front();
  for (const auto& c : interventions)
    for (const auto& qi : q.interventions)
      if (v.is_a(c, qi)) return c;
  direct = false;
  for (const auto& c : interventions)
    for (const auto& qi : q.interventions)
      if (v.is_a(qi, c)) return c;
  return {};
}

bool names_any(const std::vector<std::string>& concepts, const std::vector<std::string>& named, const Vocabulary& v) {
  return std::any_of(concepts.begin(), concepts.end(), [&](const auto& c) {
    return std::any_of(named.begin(), named.end(), [&](const auto& n) { return related(v, c, n); });
  });
}

// Whether every concept is one of the treatments, or narrower.
bool all_within(const std::vector<std::string>& concepts, const std::vector<std::string>& treatments,
                const Vocabulary& v) {
  return std::all_of(concepts.begin(), concepts.end(), [&](const auto& c) {
    return std::any_of(treatments.begin(), treatments.end(), [&](const auto& t) { return v.is_a(c, t); });
  });
}

// How a result answers the question's comparison: as stored, turned round (stored as B vs A when
// A vs B was asked), or not at all. A question naming a comparator kind gets that kind only.
enum class Reading { none, as_stored, reversed };

// `comparator`: what the result was compared with (comparator_of).
// `alternatives`: asked_alternatives(q, v), computed once per synthesis.
Reading read_comparison(const OutcomeResult& o, const std::vector<std::string>& comparator, const Question& q,
                        const std::vector<std::string>& alternatives, const Vocabulary& v) {
  const auto& kinds = q.comparator_kinds;
  const auto named = treatment_comparators(q, v);
  if (!kinds.empty() && named.empty())
    return std::find(kinds.begin(), kinds.end(), o.comparator_kind) != kinds.end() ? Reading::as_stored : Reading::none;
  if (named.empty()) {
    // The one treatment asked about, that a study had as the comparator of its usual alternative
    // ("should I stay in bed": the Cochrane review of advice to stay active against bed rest), is
    // answered by that comparison turned round, as "A vs B" is by a study of B vs A; before, the
    // summary said that no study reported results for bed rest. Only for the alternatives the
    // vocabulary names, and only when the comparator arm is the asked treatment itself (not a
    // mixed "non-surgical care"): turning every comparison round put findings such as "acupuncture
    // compared with massage" into every acupuncture summary.
    if (kinds.empty() && !alternatives.empty() && o.comparator_kind == ComparatorKind::active &&
        names_any(o.intervention, alternatives, v) && !names_any(o.intervention, q.interventions, v) &&
        !comparator.empty() && all_within(comparator, q.interventions, v))
      return Reading::reversed;
    return Reading::as_stored;
  }
  // A named treatment is an active comparison: a mixed set of comparators does not answer it.
  if (o.comparator_kind != ComparatorKind::active) return Reading::none;
  if (names_any(comparator, named, v)) return Reading::as_stored;
  // "A vs B" also finds "B vs A": the stored intervention is the named comparator and the stored
  // comparator is a treatment asked about.
  if (names_any(o.intervention, named, v) && names_any(comparator, q.interventions, v)) return Reading::reversed;
  return Reading::none;
}

void turn_effect(Effect& e) {
  if (e.measure == "RR" || e.measure == "OR" || e.measure == "HR") {
    const auto lo = e.ci_low, hi = e.ci_high;
    e.value = 1 / e.value;
    e.ci_low = hi ? std::optional<double>(1 / *hi) : std::nullopt;
    e.ci_high = lo ? std::optional<double>(1 / *lo) : std::nullopt;
    return;
  }
  if (e.contrast == "comparator_minus_intervention")
    e.contrast = "intervention_minus_comparator";
  else if (e.contrast == "intervention_minus_comparator" || e.contrast.empty())
    e.contrast = "comparator_minus_intervention";
  else {  // improvement_difference: positive favours the (stored) intervention
    const auto lo = e.ci_low, hi = e.ci_high;
    e.value = -e.value;
    e.ci_low = hi ? std::optional<double>(-*hi) : std::nullopt;
    e.ci_high = lo ? std::optional<double>(-*lo) : std::nullopt;
  }
}

Direction turn_direction(Direction d) {
  if (d == Direction::favours_intervention) return Direction::favours_comparator;
  if (d == Direction::favours_comparator) return Direction::favours_intervention;
  return d;
}

std::string label_of(const Study& s) {
  std::string a = s.authors.empty() ? s.id : s.authors.front();
  const auto sp = a.find(' ');
  if (sp != std::string::npos) a = a.substr(0, sp);
  return a + " " + std::to_string(s.year);
}

// A preferred name inside a sentence: lower case first letter, but acronyms (TENS, NSAIDs) and
// hyphens ("non-specific") kept as written.
std::string in_sentence(const std::string& preferred) {
  std::string s = preferred;
  if (s.size() > 1 && s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z'))
    s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

std::string concept_label(const Vocabulary& v, const std::string& id) {
  const Concept* c = v.find(id);
  return c ? in_sentence(c->preferred) : id;
}

std::string concept_plain(const Vocabulary& v, const std::string& id) {
  const Concept* c = v.find(id);
  return c ? c->plain : id;
}

// Words for a population: its condition with the duration in front when the concept has none.
std::pair<std::string, std::string> population_words(const Vocabulary& v, const std::string& concept_id,
                                                     const std::string& duration) {
  std::string label = concept_label(v, concept_id), plain = concept_plain(v, concept_id);
  if (is_duration(duration) && duration_of_condition(concept_id).empty()) {
    const std::string dated = duration + "_low_back_pain";
    if (concept_id == "low_back_pain" && v.find(dated)) return {concept_label(v, dated), concept_plain(v, dated)};
    label = duration + " " + label;
    plain = (duration == "chronic" ? "long-lasting " : duration == "acute" ? "recent " : "subacute ") + plain;
  }
  return {label, plain};
}

// The most specific condition all the given ones are (lowest common ancestor), or "" if none.
std::string common_condition(const Vocabulary& v, const std::vector<std::string>& ids) {
  if (ids.empty()) return {};
  std::vector<std::string> candidates = v.ancestors(ids.front());
  candidates.insert(candidates.begin(), ids.front());
  std::string best;
  std::size_t depth = 0;
  for (const auto& c : candidates) {
    if (!std::all_of(ids.begin(), ids.end(), [&](const auto& x) { return v.is_a(x, c); })) continue;
    const std::size_t d = v.ancestors(c).size();
    if (best.empty() || d > depth) {
      best = c;
      depth = d;
    }
  }
  return best;
}

std::string join_labels(const Vocabulary& v, const std::vector<std::string>& ids, bool plain) {
  std::string out;
  for (std::size_t i = 0; i < ids.size(); ++i)
    out += (i == 0                ? ""
            : i + 1 == ids.size() ? " and "
                                  : ", ") +
           (plain ? concept_plain(v, ids[i]) : concept_label(v, ids[i]));
  return out;
}

// One result as a finding sees it, read the question's way round.
StudyResult result_of(const Study& s, const OutcomeResult& o, const PopulationView& pop, bool indirect, bool reversed,
                      const Vocabulary& v) {
  StudyResult r;
  r.record_id = s.id;
  r.trial = s.id;
  r.label = label_of(s);
  r.design = s.design;
  r.review =
      s.design == Design::systematic_review || s.design == Design::meta_analysis || s.design == Design::guideline;
  r.direction = reversed ? turn_direction(o.direction) : o.direction;
  r.result_text = o.result_text;
  r.instrument = o.instrument;
  r.effect = o.effect;
  if (r.effect && reversed) turn_effect(*r.effect);
  r.stated_certainty = o.certainty;
  r.n_studies = o.n_studies;
  if (o.n_participants)
    r.participants = *o.n_participants;
  else if (!r.review)
    r.participants = s.participants();  // a trial's own randomised number
  r.analysis = analysis_of(s, o);
  r.population = pop.concept_id;
  r.population_duration = pop.duration;
  r.population_label = population_words(v, pop.concept_id, pop.duration).first;
  r.follow_up_weeks = o.follow_up_weeks;
  r.time_label = o.time_label;
  r.quality = s.annotation.quality_score;
  r.reversed = reversed;
  r.indirect = indirect;
  return r;
}

struct Placement {
  std::string concept_id;  // the intervention the finding is filed under
  ComparatorKind comparator_kind = ComparatorKind::mixed;
  std::vector<std::string> comparator_concepts;
  bool direct_intervention = true;
};

// The comparator a result was measured against: its own concepts, else those of the record's only
// comparator arm of the same kind (a review of one comparison names it once, on the record, as
// the Cochrane review of surgery versus non-surgical care for stenosis does). Empty when the
// record has several arms of that kind: which one the result is about is not known.
const std::vector<std::string>& comparator_of(const Study& s, const OutcomeResult& o) {
  static const std::vector<std::string> none;
  if (!o.comparator.empty()) return o.comparator;
  const Arm* only = nullptr;
  for (const auto& a : s.comparators) {
    if (a.kind != o.comparator_kind) continue;
    if (only) return none;
    only = &a;
  }
  return only ? only->concepts : none;
}

// The comparator as studied: the treatments the question named when the results compared with
// those (or narrower ones) only; else the treatments the results compared with, so that
// "non-surgical care" with injections and braces is not called "physiotherapy".
void label_comparator(Finding& f, const Question& q, const Vocabulary& v) {
  const auto named = treatment_comparators(q, v);
  if (named.empty() || f.comparator_kind != ComparatorKind::active || f.comparator_concepts.empty()) return;
  if (all_within(f.comparator_concepts, named, v)) return;
  // A patient reads the named treatment and that there were others (a list of plain names fails
  // the reading-age check); a clinician reads up to two by name. The concepts stay in the JSON.
  f.comparator_plain = join_labels(v, named, true) + " and other treatments";
  if (f.comparator_concepts.size() <= 2)
    f.comparator_label = join_labels(v, f.comparator_concepts, false);
  else
    f.comparator_label = join_labels(v, named, false) + " and other active treatments";
}

// A finding of the one asked treatment whose active comparators are all its usual alternatives
// (read_comparison turned them round) is named for them: "compared with advice to stay active",
// not "other active treatments". A finding that also holds other comparisons keeps the general name.
void label_alternative_comparator(Finding& f, const Question& q, const Vocabulary& v) {
  if (!treatment_comparators(q, v).empty() || f.comparator_kind != ComparatorKind::active ||
      f.comparator_concepts.empty())
    return;
  const auto alternatives = asked_alternatives(q, v);
  if (alternatives.empty() || !all_within(f.comparator_concepts, alternatives, v)) return;
  f.comparator_label = join_labels(v, f.comparator_concepts, false);
  f.comparator_plain = join_labels(v, f.comparator_concepts, true);
}

// Where a result goes, or nothing when it does not answer the question.
std::optional<Placement> place(const OutcomeResult& o, const std::vector<std::string>& comparator, const Question& q,
                               const Vocabulary& v, Reading reading) {
  Placement p;
  const auto& own = reading == Reading::reversed ? comparator : o.intervention;
  p.concept_id = key_concept(own, q, v, p.direct_intervention);
  if (p.concept_id.empty()) return std::nullopt;
  p.comparator_kind = reading == Reading::reversed ? ComparatorKind::active : o.comparator_kind;
  p.comparator_concepts = reading == Reading::reversed ? o.intervention : comparator;
  return p;
}

void label_finding(Finding& f, const std::string& key, const Placement& p, const OutcomeResult& o, const Question& q,
                   const Vocabulary& v) {
  f.key = key;
  f.intervention = p.concept_id;
  f.intervention_label = concept_label(v, p.concept_id);
  f.intervention_plain = concept_plain(v, p.concept_id);
  f.comparator_kind = p.comparator_kind;
  f.comparator_label = comparator_clinical(p.comparator_kind);
  f.comparator_plain = comparator_plain(p.comparator_kind);
  const auto named = treatment_comparators(q, v);
  if (!named.empty() && p.comparator_kind == ComparatorKind::active) {
    f.comparator_label = join_labels(v, named, false);
    f.comparator_plain = join_labels(v, named, true);
  }
  f.add_on = o.add_on;
  if (!o.add_on.empty()) {
    f.add_on_label = join_labels(v, o.add_on, false);
    f.add_on_plain = join_labels(v, o.add_on, true);
  }
  f.outcome = o.domain;
  f.harms = is_harm_domain(o.domain);
  if (o.domain == "function")
    f.outcome_label = "function (disability)";
  else if (o.domain == "benefit")
    f.outcome_label = "overall benefit";
  else if (const Concept* c = v.find(o.domain))
    f.outcome_label = in_sentence(c->preferred);
  else
    f.outcome_label = o.domain;
  f.time_point = o.time_point;
}

// Indirectness of the intervention is a property of a record within a finding: if any of its
// results there is indirect, all of them count as indirect.
void spread_indirectness(Finding& f) {
  std::set<std::string> indirect;
  for (const auto& r : f.results)
    if (r.indirect) indirect.insert(r.record_id);
  for (auto& r : f.results) r.indirect = r.indirect || indirect.count(r.record_id) > 0;
}

// The finding's population: the most specific condition all its results studied, with their
// duration when they share one. Never the question's.
void label_population(Finding& f, const Vocabulary& v) {
  std::vector<std::string> concepts;
  std::set<std::string> durations;
  for (const auto& r : f.results) {
    concepts.push_back(r.population);
    durations.insert(r.population_duration);
  }
  f.population = common_condition(v, concepts);
  if (f.population.empty()) f.population = concepts.front();
  const std::string duration = durations.size() == 1 ? *durations.begin() : std::string();
  std::tie(f.population_label, f.population_plain) = population_words(v, f.population, duration);
  if (f.indirect)
    f.population_note = "Studied in " + f.population_label + ", not exactly the population asked about.";
  else if (durations.count(""))
    f.population_note = "Some studies included people with back pain of any duration, or did not say.";
}

}  // namespace

bool is_harm_domain(const std::string& domain) { return domain == "adverse_events"; }

std::set<std::string> asked_outcomes(const Question& q, const Vocabulary& v) {
  std::set<std::string> outcomes;
  for (const auto& o : q.outcomes)
    for (const auto& d : v.descendants(o)) outcomes.insert(d);
  return outcomes;
}

Groups group_results(const std::vector<const Study*>& studies, const Question& q, const Vocabulary& v) {
  const std::set<std::string> outcomes = asked_outcomes(q, v);
  const PopulationView asked = question_view(q, v);
  const std::vector<std::string> alternatives = asked_alternatives(q, v);
  Groups out;
  std::set<std::string> mixed_arm;  // findings whose asked treatment was given with others
  for (const Study* record : studies) {
    const Study& s = *record;
    if (s.retracted || s.design == Design::protocol) continue;
    if (results_unconfirmed(s)) {
      // Drafts and results read automatically from an abstract or a registry are listed, never graded.
      if (std::any_of(s.outcomes.begin(), s.outcomes.end(), reports_result))
        out.unappraised.push_back({s.id, label_of(s), s.title});
      continue;
    }
    for (const auto& o : s.outcomes) {
      if (!reports_result(o) || !outcome_matches(o, q, outcomes)) continue;
      const ResultPopulation rp = population_of(s, o);
      const PopulationView pop = view_of(rp.conditions, rp.duration, v);
      const Fit fit = population_fit(pop, asked, v);
      if (fit == Fit::none) continue;
      const std::vector<std::string>& compared_with = comparator_of(s, o);
      const Reading reading = read_comparison(o, compared_with, q, alternatives, v);
      if (reading == Reading::none) continue;
      const auto placed = place(o, compared_with, q, v, reading);
      if (!placed) continue;
      const bool indirect = fit == Fit::indirect;
      // One finding per population studied (a review's pregnancy subgroup is not its non-specific
      // LBP result), so each is labelled with what was studied. Non-specific LBP is how most LBP
      // trials describe their people, so it groups with low back pain; the label still says it
      // when all the results do.
      std::string group = undated(pop.concept_id, v);
      if (group == "nonspecific_low_back_pain") group = "low_back_pain";
      const std::string population_key = (indirect ? "indirect:" : "direct:") + group + ":" + pop.duration;
      const std::string key =
          finding_key(placed->concept_id, placed->comparator_kind, o.domain, o.time_point, o.add_on) + "|" +
          population_key;
      Finding& f = out.findings[key];
      if (f.key.empty()) {
        label_finding(f, key, *placed, o, q, v);
        f.indirect = indirect;
      }
      // Turned round, the asked treatment was the study's comparator: when that arm held other
      // treatments too ("non-surgical care"), the finding must not call it by the asked name alone.
      if (reading == Reading::reversed && !all_within(compared_with, q.interventions, v)) mixed_arm.insert(key);
      for (const auto& c : placed->comparator_concepts)
        if (std::find(f.comparator_concepts.begin(), f.comparator_concepts.end(), c) == f.comparator_concepts.end())
          f.comparator_concepts.push_back(c);
      StudyResult r = result_of(s, o, pop, indirect || !placed->direct_intervention, reading == Reading::reversed, v);
      f.results.push_back(std::move(r));
    }
  }
  for (auto& [key, f] : out.findings) {
    spread_indirectness(f);
    label_population(f, v);
    label_comparator(f, q, v);
    label_alternative_comparator(f, q, v);
    if (mixed_arm.count(key)) {
      f.intervention_label += " and other active treatments";
      f.intervention_plain += " and other treatments";
    }
  }
  return out;
}

}  // namespace evidence::synthesis
