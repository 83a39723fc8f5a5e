#include "evidence/study.hpp"

#include <set>

namespace evidence {

using nlohmann::json;

const char* origin_name(Origin o) noexcept {
  switch (o) {
    case Origin::curated: return "curated";
    case Origin::source_metadata: return "source_metadata";
    case Origin::text: return "text";
    case Origin::estimated: return "estimated";
  }
  return "text";
}

const char* direction_name(Direction d) noexcept {
  switch (d) {
    case Direction::favours_intervention: return "favours_intervention";
    case Direction::favours_comparator: return "favours_comparator";
    case Direction::no_difference: return "no_difference";
    case Direction::conflicting: return "conflicting";
    case Direction::unclear: return "unclear";
  }
  return "unclear";
}

std::optional<Direction> parse_direction(std::string_view w) noexcept {
  for (const Direction d : {Direction::favours_intervention, Direction::favours_comparator, Direction::no_difference,
                            Direction::conflicting, Direction::unclear})
    if (w == direction_name(d)) return d;
  return std::nullopt;
}

const char* certainty_level_name(CertaintyLevel l) noexcept {
  switch (l) {
    case CertaintyLevel::very_low: return "very_low";
    case CertaintyLevel::low: return "low";
    case CertaintyLevel::moderate: return "moderate";
    case CertaintyLevel::high: return "high";
  }
  return "very_low";
}

const char* certainty_level_words(CertaintyLevel l) noexcept {
  return l == CertaintyLevel::very_low ? "very low" : certainty_level_name(l);
}

std::optional<CertaintyLevel> parse_certainty_level(std::string_view w) noexcept {
  for (const CertaintyLevel l :
       {CertaintyLevel::very_low, CertaintyLevel::low, CertaintyLevel::moderate, CertaintyLevel::high})
    if (w == certainty_level_name(l)) return l;
  return std::nullopt;
}

const char* design_name(Design d) noexcept {
  switch (d) {
    case Design::guideline: return "guideline";
    case Design::systematic_review: return "systematic_review";
    case Design::meta_analysis: return "meta_analysis";
    case Design::rct: return "rct";
    case Design::non_randomised_trial: return "non_randomised_trial";
    case Design::cohort: return "cohort";
    case Design::case_control: return "case_control";
    case Design::case_series: return "case_series";
    case Design::protocol: return "protocol";
    case Design::narrative_review: return "narrative_review";
    case Design::other: return "other";
  }
  return "other";
}

std::optional<Design> parse_design(std::string_view w) noexcept {
  for (const Design d : all_designs)
    if (w == design_name(d)) return d;
  return std::nullopt;
}

const char* comparator_kind_name(ComparatorKind k) noexcept {
  switch (k) {
    case ComparatorKind::placebo_sham: return "placebo_sham";
    case ComparatorKind::usual_care: return "usual_care";
    case ComparatorKind::no_treatment: return "no_treatment";
    case ComparatorKind::active: return "active";
    case ComparatorKind::mixed: return "mixed";
  }
  return "mixed";
}

std::optional<ComparatorKind> parse_comparator_kind(std::string_view w) noexcept {
  for (const ComparatorKind k : all_comparator_kinds)
    if (w == comparator_kind_name(k)) return k;
  return std::nullopt;
}

namespace {

Origin origin_from_name(const std::string& s) {
  if (s == "curated") return Origin::curated;
  if (s == "source_metadata") return Origin::source_metadata;
  if (s == "estimated") return Origin::estimated;
  return Origin::text;
}

// Optional members are written only when present so the output stays schema-valid.
void put(json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}
template <typename T>
void put(json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}
void put(json& j, const char* key, const std::vector<std::string>& v) {
  if (!v.empty()) j[key] = v;
}

std::string get_str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
template <typename T>
std::optional<T> get_opt(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return it->get<T>();
}
std::vector<std::string> get_strs(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() ? it->get<std::vector<std::string>>() : std::vector<std::string>{};
}

json arm_to_json(const Arm& a, bool comparator) {
  json j = json::object();
  if (!a.concepts.empty() || !comparator) j["concepts"] = a.concepts;
  j["label"] = a.label;
  if (comparator) j["kind"] = a.kind.value_or(ComparatorKind::mixed);
  return j;
}

Arm arm_from_json(const json& j) {
  Arm a;
  a.concepts = get_strs(j, "concepts");
  a.label = get_str(j, "label");
  a.kind = parse_comparator_kind(get_str(j, "kind"));
  return a;
}

json certainty_to_json(const Certainty& c) {
  json j{{"system", c.system}, {"level", c.level}};
  put(j, "statement", c.statement);
  put(j, "downgrades", c.downgrades);
  return j;
}

Certainty certainty_from_json(const json& j) {
  return {get_str(j, "system"), get_str(j, "level"), get_str(j, "statement"), get_strs(j, "downgrades")};
}

json identifiers_to_json(const Identifiers& i) {
  json ids = json::object();
  put(ids, "pmid", i.pmid);
  put(ids, "doi", i.doi);
  put(ids, "nct", i.nct);
  put(ids, "pmcid", i.pmcid);
  put(ids, "other", i.other);
  return ids;
}

json abstract_to_json(const std::vector<AbstractSection>& sections) {
  json a = json::array();
  for (const auto& sec : sections) {
    json x{{"text", sec.text}};
    put(x, "label", sec.label);
    a.push_back(std::move(x));
  }
  return a;
}

json population_to_json(const Population& p) {
  json pop{{"conditions", p.conditions}, {"duration", p.duration}};
  put(pop, "description", p.description);
  put(pop, "n_randomised", p.n_randomised);
  put(pop, "n_trials", p.n_trials);
  put(pop, "n_participants", p.n_participants);
  return pop;
}

json risk_of_bias_to_json(const RiskOfBias& r) {
  json rj{{"tool", r.tool}, {"overall", r.overall}};
  if (!r.domains.empty()) {
    rj["domains"] = json::array();
    for (const auto& d : r.domains) {
      json dj{{"domain", d.domain}, {"judgement", d.judgement}};
      put(dj, "support", d.support);
      rj["domains"].push_back(std::move(dj));
    }
  }
  put(rj, "source", r.source);
  return rj;
}

// An empty object when nothing is known (the caller leaves "quality" out then).
json quality_to_json(const Quality& quality) {
  json q = json::object();
  if (quality.pedro) {
    json p{{"score", quality.pedro->score}};
    if (!quality.pedro->items.empty()) p["items"] = quality.pedro->items;
    put(p, "source", quality.pedro->source);
    q["pedro"] = std::move(p);
  }
  if (quality.risk_of_bias) q["risk_of_bias"] = risk_of_bias_to_json(*quality.risk_of_bias);
  put(q, "certainty_statement", quality.certainty_statement);
  put(q, "grading_system", quality.grading_system);
  return q;
}

json provenance_to_json(const Provenance& p) {
  json prov{{"sources", p.sources}};
  put(prov, "reference_row", p.reference_row);
  if (!p.unverified.empty()) {
    prov["unverified"] = json::array();
    for (const auto& u : p.unverified) {
      json uj{{"field", u.field}, {"note", u.note}};
      put(uj, "candidate", u.candidate);
      put(uj, "quote", u.quote);
      prov["unverified"].push_back(std::move(uj));
    }
  }
  if (p.secondary_source) prov["secondary_source"] = true;
  put(prov, "notes", p.notes);
  return prov;
}

Quality quality_from_json(const json& j) {
  Quality q;
  if (auto p = j.find("pedro"); p != j.end()) {
    Pedro pd;
    pd.score = p->at("score").get<int>();
    if (auto items = p->find("items"); items != p->end()) pd.items = items->get<std::vector<bool>>();
    pd.source = get_str(*p, "source");
    q.pedro = pd;
  }
  if (auto r = j.find("risk_of_bias"); r != j.end()) {
    RiskOfBias rb;
    rb.tool = get_str(*r, "tool");
    rb.overall = get_str(*r, "overall");
    rb.source = get_str(*r, "source");
    if (auto d = r->find("domains"); d != r->end())
      for (const auto& x : *d)
        rb.domains.push_back({get_str(x, "domain"), get_str(x, "judgement"), get_str(x, "support")});
    q.risk_of_bias = rb;
  }
  q.certainty_statement = get_str(j, "certainty_statement");
  q.grading_system = get_str(j, "grading_system");
  return q;
}

Provenance provenance_from_json(const json& prov) {
  Provenance p;
  p.reference_row = get_str(prov, "reference_row");
  p.sources = get_strs(prov, "sources");
  if (auto it = prov.find("unverified"); it != prov.end())
    for (const auto& u : *it)
      p.unverified.push_back({get_str(u, "field"), get_str(u, "candidate"), get_str(u, "note"), get_str(u, "quote")});
  p.secondary_source = prov.value("secondary_source", false);
  p.notes = get_str(prov, "notes");
  return p;
}

json outcome_to_json(const OutcomeResult& o) {
  json j{{"domain", o.domain},
         {"time_point", o.time_point},
         {"intervention", o.intervention},
         {"comparator_kind", o.comparator_kind},
         {"direction", direction_name(o.direction)}};
  put(j, "instrument", o.instrument);
  put(j, "instrument_label", o.instrument_label);
  put(j, "time_label", o.time_label);
  put(j, "follow_up_weeks", o.follow_up_weeks);
  if (o.population) {
    json pj{{"conditions", o.population->conditions}};
    put(pj, "duration", o.population->duration);
    put(pj, "label", o.population->label);
    j["population"] = std::move(pj);
  }
  put(j, "comparator", o.comparator);
  put(j, "add_on", o.add_on);
  if (o.effect) {
    const Effect& e = *o.effect;
    json ej{{"measure", e.measure}, {"value", e.value}};
    put(ej, "ci_low", e.ci_low);
    put(ej, "ci_high", e.ci_high);
    put(ej, "scale_min", e.scale_min);
    put(ej, "scale_max", e.scale_max);
    put(ej, "better", e.better);
    put(ej, "contrast", e.contrast);
    put(ej, "event", e.event);
    put(ej, "mid", e.mid);
    put(ej, "label", e.label);
    j["effect"] = std::move(ej);
  }
  put(j, "n_studies", o.n_studies);
  put(j, "n_participants", o.n_participants);
  put(j, "analysis", o.analysis);
  if (o.certainty) j["certainty"] = certainty_to_json(*o.certainty);
  if (o.primary) j["primary"] = true;
  put(j, "result_text", o.result_text);
  return j;
}

OutcomeResult outcome_from_json(const json& j) {
  OutcomeResult o;
  o.domain = get_str(j, "domain");
  o.instrument = get_str(j, "instrument");
  o.instrument_label = get_str(j, "instrument_label");
  o.time_point = get_str(j, "time_point");
  o.time_label = get_str(j, "time_label");
  o.follow_up_weeks = get_opt<double>(j, "follow_up_weeks");
  if (auto it = j.find("population"); it != j.end())
    o.population = ResultPopulation{get_strs(*it, "conditions"), get_str(*it, "duration"), get_str(*it, "label")};
  o.add_on = get_strs(j, "add_on");
  o.intervention = get_strs(j, "intervention");
  o.comparator = get_strs(j, "comparator");
  o.comparator_kind = parse_comparator_kind(get_str(j, "comparator_kind")).value_or(ComparatorKind::mixed);
  // Validation rejects any other word first (schema's enum); an unvalidated record reads it as unclear.
  o.direction = parse_direction(get_str(j, "direction")).value_or(Direction::unclear);
  if (auto it = j.find("effect"); it != j.end()) {
    Effect e;
    e.measure = get_str(*it, "measure");
    e.value = it->at("value").get<double>();
    e.ci_low = get_opt<double>(*it, "ci_low");
    e.ci_high = get_opt<double>(*it, "ci_high");
    e.scale_min = get_opt<double>(*it, "scale_min");
    e.scale_max = get_opt<double>(*it, "scale_max");
    e.better = get_str(*it, "better");
    e.contrast = get_str(*it, "contrast");
    e.event = get_str(*it, "event");
    e.mid = get_opt<double>(*it, "mid");
    e.label = get_str(*it, "label");
    o.effect = e;
  }
  o.n_studies = get_opt<std::int64_t>(j, "n_studies");
  o.n_participants = get_opt<std::int64_t>(j, "n_participants");
  o.analysis = get_str(j, "analysis");
  if (auto it = j.find("certainty"); it != j.end()) o.certainty = certainty_from_json(*it);
  o.primary = j.value("primary", false);
  o.result_text = get_str(j, "result_text");
  return o;
}

}  // namespace

std::string Study::abstract_text() const {
  std::string out;
  for (const auto& s : abstract) {
    if (!out.empty()) out += ' ';
    if (!s.label.empty()) out += s.label + ": ";
    out += s.text;
  }
  return out;
}

std::int64_t Study::participants() const {
  if (population.n_randomised) return *population.n_randomised;
  if (population.n_participants) return *population.n_participants;
  return 0;
}

json annotation_to_json(const Annotation& a) {
  json origins = json::object();
  for (const auto& [field, o] : a.origins) origins[field] = origin_name(o);
  json j{{"origins", origins}, {"evidence_level", a.evidence_level}, {"quality_estimated", a.quality_estimated}};
  if (a.quality_score >= 0) j["quality_score"] = a.quality_score;
  put(j, "quality_basis", a.quality_basis);
  put(j, "mesh_terms", a.mesh_terms);
  put(j, "keywords", a.keywords);
  put(j, "sources", a.sources);
  put(j, "files", a.files);
  put(j, "status", a.status);
  return j;
}

Annotation annotation_from_json(const json& j) {
  Annotation a;
  if (auto it = j.find("origins"); it != j.end())
    for (const auto& [k, v] : it->items()) a.origins[k] = origin_from_name(v.get<std::string>());
  a.evidence_level = j.value("evidence_level", 0);
  a.quality_estimated = j.value("quality_estimated", false);
  a.quality_score = j.value("quality_score", -1.0);
  a.quality_basis = get_str(j, "quality_basis");
  a.mesh_terms = get_strs(j, "mesh_terms");
  a.keywords = get_strs(j, "keywords");
  a.sources = get_strs(j, "sources");
  a.files = get_strs(j, "files");
  a.status = get_str(j, "status");
  return a;
}

json study_to_json(const Study& s, bool include_annotation) {
  json j = json::object();
  j["id"] = s.id;
  if (!s.identifiers.empty()) j["identifiers"] = identifiers_to_json(s.identifiers);
  j["title"] = s.title;
  put(j, "authors", s.authors);
  if (!s.authors_complete) j["authors_complete"] = false;
  put(j, "journal", s.journal);
  put(j, "citation", s.citation);
  j["year"] = s.year;
  put(j, "language", s.language);
  put(j, "publication_types", s.publication_types);
  if (!s.abstract.empty()) j["abstract"] = abstract_to_json(s.abstract);
  j["design"] = s.design;
  if (s.meta_analysis || s.meta_analysis_stated) j["meta_analysis"] = s.meta_analysis;
  put(j, "design_label", s.design_label);
  j["population"] = population_to_json(s.population);
  j["interventions"] = json::array();
  for (const auto& a : s.interventions) j["interventions"].push_back(arm_to_json(a, false));
  if (!s.comparators.empty()) {
    j["comparators"] = json::array();
    for (const auto& a : s.comparators) j["comparators"].push_back(arm_to_json(a, true));
  }
  if (!s.outcomes.empty()) {
    j["outcomes"] = json::array();
    for (const auto& o : s.outcomes) j["outcomes"].push_back(outcome_to_json(o));
  }
  if (json q = quality_to_json(s.quality); !q.empty()) j["quality"] = std::move(q);
  put(j, "included_record_ids", s.included_record_ids);
  put(j, "same_trial_as", s.same_trial_as);
  put(j, "supersedes", s.supersedes);
  if (!s.summary.clinician.empty() || !s.summary.plain.empty()) {
    json sm = json::object();
    put(sm, "clinician", s.summary.clinician);
    put(sm, "plain", s.summary.plain);
    j["summary"] = std::move(sm);
  }
  j["provenance"] = provenance_to_json(s.provenance);
  if (s.retracted) j["retracted"] = true;
  if (s.draft) j["draft"] = true;
  if (include_annotation) j["annotation"] = annotation_to_json(s.annotation);
  return j;
}

Study study_from_json(const json& j) {
  Study s;
  s.id = j.at("id").get<std::string>();
  if (auto it = j.find("identifiers"); it != j.end()) {
    s.identifiers.pmid = get_str(*it, "pmid");
    s.identifiers.doi = get_str(*it, "doi");
    s.identifiers.nct = get_str(*it, "nct");
    s.identifiers.pmcid = get_str(*it, "pmcid");
    s.identifiers.other = get_strs(*it, "other");
  }
  s.title = j.at("title").get<std::string>();
  s.authors = get_strs(j, "authors");
  s.authors_complete = j.value("authors_complete", true);
  s.journal = get_str(j, "journal");
  s.citation = get_str(j, "citation");
  s.year = j.at("year").get<int>();
  s.language = get_str(j, "language");
  s.publication_types = get_strs(j, "publication_types");
  if (auto it = j.find("abstract"); it != j.end())
    for (const auto& sec : *it) s.abstract.push_back({get_str(sec, "label"), get_str(sec, "text")});
  s.design = parse_design(j.at("design").get<std::string>()).value_or(Design::other);
  s.meta_analysis = j.value("meta_analysis", false);
  s.meta_analysis_stated = j.contains("meta_analysis");
  s.design_label = get_str(j, "design_label");
  const json& pop = j.at("population");
  s.population.description = get_str(pop, "description");
  s.population.conditions = get_strs(pop, "conditions");
  s.population.duration = pop.value("duration", "unspecified");
  s.population.n_randomised = get_opt<std::int64_t>(pop, "n_randomised");
  s.population.n_trials = get_opt<std::int64_t>(pop, "n_trials");
  s.population.n_participants = get_opt<std::int64_t>(pop, "n_participants");
  for (const auto& a : j.at("interventions")) s.interventions.push_back(arm_from_json(a));
  if (auto it = j.find("comparators"); it != j.end())
    for (const auto& a : *it) s.comparators.push_back(arm_from_json(a));
  if (auto it = j.find("outcomes"); it != j.end())
    for (const auto& o : *it) s.outcomes.push_back(outcome_from_json(o));
  if (auto it = j.find("quality"); it != j.end()) s.quality = quality_from_json(*it);
  s.included_record_ids = get_strs(j, "included_record_ids");
  s.same_trial_as = get_strs(j, "same_trial_as");
  s.supersedes = get_strs(j, "supersedes");
  if (auto it = j.find("summary"); it != j.end()) {
    s.summary.clinician = get_str(*it, "clinician");
    s.summary.plain = get_str(*it, "plain");
  }
  s.provenance = provenance_from_json(j.at("provenance"));
  s.retracted = j.value("retracted", false);
  s.draft = j.value("draft", false);
  if (auto it = j.find("annotation"); it != j.end()) s.annotation = annotation_from_json(*it);
  return s;
}

}  // namespace evidence
