#include <algorithm>
#include <regex>
#include <set>

#include "evidence/index.hpp"
#include "evidence/ingest.hpp"
#include "evidence/text.hpp"

namespace evidence {

namespace {

bool contains_ci(const std::string& hay, const std::string& needle) { return normalise(hay).find(needle) != std::string::npos; }

const std::set<std::string> negators = {"no", "not", "without", "excluding", "excluded", "exclude", "non"};
const std::set<std::string> versus_words = {"versus", "vs", "v", "compared", "comparing", "against", "than"};

struct TextMatches {
  std::vector<Token> tokens;
  std::vector<ConceptMatch> matches;
};

TextMatches match_text(const Vocabulary& v, const std::string& text) {
  TextMatches t;
  t.tokens = tokenize(text);
  t.matches = v.match_tokens(t.tokens, false);
  return t;
}

bool negated(const TextMatches& t, const ConceptMatch& m) {
  const std::size_t from = m.begin >= 3 ? m.begin - 3 : 0;
  for (std::size_t i = from; i < m.begin; ++i)
    if (negators.count(t.tokens[i].folded)) return true;
  return false;
}

void push_unique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

// Sample size from phrases such as "200 patients were randomised" or "randomised 851 adults".
std::optional<std::int64_t> sample_size(const std::string& text) {
  static const std::regex before(
      R"((\d{1,3}(?:,\d{3})*|\d+)\s+(?:adult\s+|older\s+|eligible\s+)?(?:patients|participants|subjects|adults|people|individuals|women|men|volunteers|workers|persons)\s+(?:\w+\s+){0,3}?(?:were\s+)?(?:randomi[sz]ed|enrolled|included|recruited|allocated))",
      std::regex::icase);
  static const std::regex after(R"((?:randomi[sz]ed|enrolled|recruited|a total of|total of)\s+(\d{1,3}(?:,\d{3})*|\d+)\s+(?:\w+\s+)?(?:patients|participants|subjects|adults|people|individuals|women|men))",
                                std::regex::icase);
  static const std::regex n_eq(R"(\b[nN]\s*=\s*(\d{2,6})\b)");
  std::smatch m;
  for (const auto* re : {&before, &after, &n_eq}) {
    if (std::regex_search(text, m, *re)) {
      std::string digits;
      for (char c : m[1].str())
        if (c != ',') digits += c;
      const auto n = std::stoll(digits);
      if (n >= 4 && n <= 1000000) return n;
    }
  }
  return std::nullopt;
}

std::optional<std::int64_t> trial_count(const std::string& text) {
  static const std::regex re(R"((\d{1,4})\s+(?:randomi[sz]ed\s+)?(?:controlled\s+)?(?:trials|studies|RCTs))", std::regex::icase);
  std::smatch m;
  if (std::regex_search(text, m, re)) {
    const auto n = std::stoll(m[1].str());
    if (n >= 1 && n <= 5000) return n;
  }
  return std::nullopt;
}

// The direction of the main result as the abstract's conclusion states it.
std::string direction_from_text(const Study& s, std::string& sentence) {
  std::string text;
  for (const auto& sec : s.abstract) {
    const std::string l = normalise(sec.label);
    if (l.find("conclusion") != std::string::npos || l.find("interpretation") != std::string::npos || l.find("result") != std::string::npos ||
        l.find("finding") != std::string::npos)
      text += sec.text + " ";
  }
  if (text.empty()) return "";
  static const std::regex none(R"([^.]*\b(no (?:statistically )?significant (?:difference|differences|improvement|effect|benefit)|did not differ|not significantly different|not superior|no better than|no more effective|similar (?:effect|improvement|outcome)s?)\b[^.]*\.)",
                               std::regex::icase);
  static const std::regex better(R"([^.]*\b(significantly (?:greater|better|more|larger|improved|reduced|lower|superior)|more effective than|superior to|was effective|is effective|were effective|improved significantly|significant(?:ly)? (?:improvement|reduction|benefit)s?)\b[^.]*\.)",
                                 std::regex::icase);
  static const std::regex worse(R"([^.]*\b(less effective than|inferior to|significantly worse)\b[^.]*\.)", std::regex::icase);
  std::smatch m;
  // Conclusions are read before results: they carry the authors' overall judgement.
  std::string conclusions;
  for (const auto& sec : s.abstract)
    if (normalise(sec.label).find("conclusion") != std::string::npos) conclusions += sec.text + " ";
  for (const std::string* part : {&conclusions, &text}) {
    if (part->empty()) continue;
    if (std::regex_search(*part, m, worse)) { sentence = squash_space(m[0].str()); return "favours_comparator"; }
    if (std::regex_search(*part, m, none)) { sentence = squash_space(m[0].str()); return "no_difference"; }
    if (std::regex_search(*part, m, better)) { sentence = squash_space(m[0].str()); return "favours_intervention"; }
  }
  return "";
}

void design_from_source(Study& s) {
  auto has = [&](const char* t) {
    return std::any_of(s.publication_types.begin(), s.publication_types.end(), [&](const std::string& p) { return p == t; });
  };
  std::string d;
  if (has("Practice Guideline") || has("Guideline")) d = "guideline";
  else if (has("Systematic Review") || has("Meta-Analysis")) {
    d = "systematic_review";
    s.meta_analysis = has("Meta-Analysis");
  } else if (has("Randomized Controlled Trial") || has("Pragmatic Clinical Trial")) d = "rct";
  else if (has("Clinical Trial Protocol")) d = "protocol";
  else if (has("Controlled Clinical Trial") || has("Clinical Trial")) d = "non_randomised_trial";
  else if (has("Observational Study")) d = "cohort";
  else if (has("Case Reports")) d = "case_series";
  else if (has("Review")) d = "narrative_review";
  if (!d.empty()) {
    s.design = d;
    s.annotation.origins["design"] = Origin::source_metadata;
  }
}

void design_from_text(Study& s) {
  const std::string title = normalise(s.title);
  const std::string all = title + " " + normalise(s.abstract_text());
  std::string d;
  auto in = [](const std::string& h, const char* n) { return h.find(n) != std::string::npos; };
  if (in(title, "protocol")) d = "protocol";
  else if (in(title, "guideline")) d = "guideline";
  else if (in(title, "systematic review") || in(title, "meta analysis") || in(title, "metaanalysis")) {
    d = "systematic_review";
    s.meta_analysis = in(all, "meta analysis") || in(all, "pooled");
  } else if (in(all, "randomly assigned") || in(all, "randomly allocated") || in(all, "randomly divided") || in(all, "random allocation") ||
             in(all, "random assignment") || in(all, "were randomised") || in(all, "were randomized") ||
             in(all, "randomised controlled") || in(all, "randomized controlled") || in(all, "randomisation") || in(all, "randomization") ||
             ((in(all, "randomised") || in(all, "randomized")) && (in(all, "trial") || in(all, "study")))) {
    // Random allocation, however it is worded, makes the design a randomised trial.
    d = "rct";
  } else if (in(all, "cohort")) d = "cohort";
  else if (in(all, "case control")) d = "case_control";
  else if (in(all, "case series") || in(all, "case report")) d = "case_series";
  else if (in(all, "controlled trial") || in(all, "clinical trial") || in(all, "pilot study")) d = "non_randomised_trial";
  if (!d.empty()) {
    s.design = d;
    s.annotation.origins["design"] = Origin::text;
  }
}

std::string duration_from_text(const std::string& title, const std::string& abstract) {
  auto kinds = [](const std::string& t) {
    std::set<std::string> k;
    const std::string n = normalise(t);
    if (n.find("subacute") != std::string::npos || n.find("sub acute") != std::string::npos) k.insert("subacute");
    if (std::regex_search(n, std::regex(R"(\bacute\b)"))) k.insert("acute");
    if (n.find("chronic") != std::string::npos || n.find("persistent") != std::string::npos || n.find("long lasting") != std::string::npos ||
        std::regex_search(n, std::regex(R"(\b(more than|over|at least|>) ?(3 months|three months|12 weeks|twelve weeks))")))
      k.insert("chronic");
    return k;
  };
  auto pick = [](const std::set<std::string>& k) -> std::string {
    if (k.empty()) return "";
    if (k.size() == 1) return *k.begin();
    if (k.count("acute") && k.count("subacute") && !k.count("chronic")) return "acute";
    return "mixed";
  };
  std::string d = pick(kinds(title));
  if (d.empty()) d = pick(kinds(abstract));
  return d.empty() ? "unspecified" : d;
}

}  // namespace

void Annotator::annotate(Study& s) const {
  const Vocabulary& v = vocabulary_;
  const bool curated = std::find(s.annotation.sources.begin(), s.annotation.sources.end(), "curated") != s.annotation.sources.end();
  if (curated) {
    for (const char* f : {"design", "interventions", "comparators", "conditions", "outcomes", "duration", "sample_size"})
      s.annotation.origins[f] = Origin::curated;
  } else {
    const std::string abstract = s.abstract_text();
    const TextMatches title = match_text(v, s.title);
    const TextMatches body = match_text(v, abstract);
    // Design: the source's publication types first, then the wording of the title and abstract.
    if (s.annotation.origins.count("design") == 0) design_from_source(s);
    if (s.annotation.origins.count("design") == 0) design_from_text(s);

    // Interventions and comparators. In the title, concepts after "versus"/"compared with" and
    // concepts qualified by sham/placebo are the comparator, not the intervention.
    std::vector<std::string> interventions, comparators;
    auto classify = [&](const TextMatches& t, bool is_title) {
      bool after_versus = false;
      for (std::size_t k = 0; k < t.matches.size(); ++k) {
        const ConceptMatch& m = t.matches[k];
        for (std::size_t i = k == 0 ? 0 : t.matches[k - 1].end; i < m.begin; ++i)
          if (versus_words.count(t.tokens[i].folded)) after_versus = true;
        const Concept* c = v.find(m.concept_id);
        if (!c || negated(t, m)) continue;
        const bool sham_qualified = k > 0 && t.matches[k - 1].end == m.begin && v.is_a(t.matches[k - 1].concept_id, "placebo");
        if (c->kind == "comparator") {
          push_unique(comparators, c->id);
        } else if (c->kind == "intervention") {
          if (sham_qualified || (is_title && after_versus)) push_unique(comparators, c->id);
          else push_unique(interventions, c->id);
        }
      }
    };
    classify(title, true);
    if (interventions.empty()) {
      // Outside the title, a concept must recur to count: one passing mention is not the treatment studied.
      std::map<std::string, int> freq;
      for (const auto& m : body.matches)
        if (const Concept* c = v.find(m.concept_id); c && c->kind == "intervention" && !negated(body, m)) ++freq[c->id];
      for (const auto& [id, n] : freq)
        if (n >= 2 && std::find(comparators.begin(), comparators.end(), id) == comparators.end()) interventions.push_back(id);
    }
    // CT.gov arm labels and MeSH headings are structured fields.
    bool structured = false;
    for (auto& arm : s.interventions)
      for (const auto& m : v.match(arm.label))
        if (const Concept* c = v.find(m.concept_id); c && c->kind == "intervention") {
          push_unique(arm.concepts, c->id);
          push_unique(interventions, c->id);
          structured = true;
        }
    for (auto& arm : s.comparators)
      for (const auto& m : v.match(arm.label))
        if (const Concept* c = v.find(m.concept_id); c && (c->kind == "intervention" || c->kind == "comparator")) push_unique(arm.concepts, c->id);
    std::vector<std::string> conditions;
    for (const auto& term : s.annotation.mesh_terms) {
      if (term.find('/') != std::string::npos) continue;
      if (const Concept* c = v.lookup(term)) {
        if (c->kind == "condition") push_unique(conditions, c->id);
        if (c->kind == "intervention") { push_unique(interventions, c->id); structured = true; }
      }
    }
    if (!interventions.empty()) {
      std::vector<Arm> arms;
      for (auto& a : s.interventions)
        if (!a.concepts.empty()) arms.push_back(a);
      std::vector<std::string> covered;
      for (const auto& a : arms) covered.insert(covered.end(), a.concepts.begin(), a.concepts.end());
      for (const auto& id : interventions)
        if (std::find(covered.begin(), covered.end(), id) == covered.end()) arms.push_back({{id}, v.find(id)->preferred, ""});
      s.interventions = std::move(arms);
      s.annotation.origins["interventions"] = structured ? Origin::source_metadata : Origin::text;
    } else {
      s.interventions.erase(std::remove_if(s.interventions.begin(), s.interventions.end(), [](const Arm& a) { return a.concepts.empty(); }),
                            s.interventions.end());
    }
    for (const auto& id : comparators) {
      bool have = false;
      for (const auto& a : s.comparators) have = have || std::find(a.concepts.begin(), a.concepts.end(), id) != a.concepts.end();
      if (!have) s.comparators.push_back({{id}, v.find(id)->preferred, v.comparator_kind(id)});
    }
    for (auto& a : s.comparators)
      if (a.kind.empty()) a.kind = v.comparator_kind(a.concepts);
    if (!s.comparators.empty()) s.annotation.origins["comparators"] = structured ? Origin::source_metadata : Origin::text;

    // Conditions: MeSH first, then the text (skipping negated mentions such as "without sciatica").
    const bool mesh_conditions = !conditions.empty();
    for (const auto* t : {&title, &body})
      for (const auto& m : t->matches)
        if (const Concept* c = v.find(m.concept_id); c && c->kind == "condition" && !negated(*t, m)) push_unique(conditions, c->id);
    for (const auto& kw : s.annotation.keywords)
      for (const auto& m : v.match(kw))
        if (const Concept* c = v.find(m.concept_id); c && c->kind == "condition") push_unique(conditions, c->id);
    // A specific concept makes its ancestors redundant ("chronic low back pain" implies "low back pain").
    std::vector<std::string> specific;
    for (const auto& c : conditions) {
      bool redundant = false;
      for (const auto& o : conditions)
        if (o != c && v.is_a(o, c)) redundant = true;
      if (!redundant) specific.push_back(c);
    }
    if (!specific.empty()) {
      s.population.conditions = specific;
      s.annotation.origins["conditions"] = mesh_conditions ? Origin::source_metadata : Origin::text;
    }
    s.population.duration = duration_from_text(s.title, abstract);
    for (const auto& c : s.population.conditions) {
      if (c == "chronic_low_back_pain") s.population.duration = "chronic";
      if (c == "acute_low_back_pain") s.population.duration = "acute";
      if (c == "subacute_low_back_pain") s.population.duration = "subacute";
    }
    s.annotation.origins["duration"] = Origin::text;

    // Outcome domains measured.
    std::vector<std::string> domains;
    for (const auto& m : body.matches) {
      const Concept* c = v.find(m.concept_id);
      if (!c) continue;
      if (c->kind == "outcome" && c->id != "benefit") push_unique(domains, c->id);
      if (c->kind == "instrument")
        for (const auto& p : c->parents)
          if (const Concept* d = v.find(p); d && d->kind == "outcome") push_unique(domains, d->id);
    }
    // The main result's direction, for trials, as the abstract states it.
    if (s.design == "rct" || s.design == "non_randomised_trial") {
      std::string sentence;
      const std::string dir = direction_from_text(s, sentence);
      if (!dir.empty() && !s.interventions.empty()) {
        OutcomeResult o;
        o.domain = std::find(domains.begin(), domains.end(), "pain") != domains.end() ? "pain" : (domains.empty() ? "benefit" : domains.front());
        for (const auto& a : s.interventions) o.intervention.insert(o.intervention.end(), a.concepts.begin(), a.concepts.end());
        for (const auto& a : s.comparators) o.comparator.insert(o.comparator.end(), a.concepts.begin(), a.concepts.end());
        o.comparator_kind = s.comparators.empty() ? "mixed" : v.comparator_kind(o.comparator);
        o.direction = dir;
        o.primary = true;
        o.result_text = sentence.size() > 1000 ? sentence.substr(0, 1000) : sentence;
        s.outcomes.push_back(std::move(o));
        s.annotation.origins["direction"] = Origin::text;
      }
    }
    for (const auto& d : domains) {
      bool have = false;
      for (const auto& o : s.outcomes) have = have || o.domain == d;
      if (!have && !s.interventions.empty()) {
        OutcomeResult o;
        o.domain = d;
        for (const auto& a : s.interventions) o.intervention.insert(o.intervention.end(), a.concepts.begin(), a.concepts.end());
        o.comparator_kind = "mixed";
        o.direction = "unclear";  // measured, result not extracted
        s.outcomes.push_back(std::move(o));
      }
    }
    if (!domains.empty()) s.annotation.origins["outcomes"] = Origin::text;

    // Size: registry enrolment, else the abstract's wording.
    if (!s.population.n_randomised && !s.population.n_participants) {
      if (s.design == "systematic_review") {
        if (auto n = trial_count(abstract)) {
          s.population.n_trials = n;
          s.annotation.origins["sample_size"] = Origin::text;
        }
      } else if (auto n = sample_size(abstract)) {
        if (s.design == "rct") s.population.n_randomised = n;
        else s.population.n_participants = n;
        s.annotation.origins["sample_size"] = Origin::text;
      }
    }
  }

  // Evidence level and quality: a curated PEDro score or risk-of-bias judgement when there is one;
  // otherwise a transparent estimate from design, size, blinding and allocation wording.
  s.annotation.evidence_level = evidence_level_of(s);
  if (s.quality.pedro) {
    s.annotation.quality_score = s.quality.pedro->score;
    s.annotation.quality_estimated = false;
    s.annotation.quality_basis = "PEDro " + std::to_string(s.quality.pedro->score) + "/10 (" +
                                 (s.quality.pedro->source.empty() ? "curated" : s.quality.pedro->source) + ")";
    return;
  }
  if (s.quality.risk_of_bias) {
    const std::string& o = s.quality.risk_of_bias->overall;
    s.annotation.quality_score = o == "low" ? 8 : o == "some_concerns" ? 6 : o == "unclear" ? 5 : 3;
    s.annotation.quality_estimated = false;
    s.annotation.quality_basis = "risk of bias " + o + " (" + s.quality.risk_of_bias->tool + "), mapped to " +
                                 std::to_string(static_cast<int>(s.annotation.quality_score)) + "/10";
    return;
  }
  double score = 0;
  std::vector<std::string> basis;
  if (s.design == "guideline") { score = 7; basis.push_back("guideline"); }
  else if (s.design == "systematic_review") { score = s.meta_analysis ? 7 : 6; basis.push_back(s.meta_analysis ? "systematic review with meta-analysis" : "systematic review"); }
  else if (s.design == "rct") { score = 5; basis.push_back("randomised trial"); }
  else if (s.design == "non_randomised_trial" || s.design == "cohort") { score = 3; basis.push_back("non-randomised design"); }
  else if (s.design == "protocol") { score = -1; basis.push_back("protocol (no results)"); }
  else { score = 2; basis.push_back("other design"); }
  if (score >= 0) {
    const std::string text = s.title + " " + s.abstract_text() + " " + s.design_label;
    if (contains_ci(text, "double blind") || contains_ci(text, "assessor blind") || contains_ci(text, "blinded assessor") ||
        contains_ci(text, "masked") || contains_ci(text, "single blind")) {
      score += 1;
      basis.push_back("blinding reported");
    }
    if (contains_ci(text, "concealed allocation") || contains_ci(text, "allocation concealment") || contains_ci(text, "allocation was concealed")) {
      score += 1;
      basis.push_back("concealed allocation");
    }
    if (contains_ci(text, "intention to treat")) {
      score += 1;
      basis.push_back("intention-to-treat");
    }
    const auto n = s.participants();
    if (n >= 100) { score += 1; basis.push_back("n=" + std::to_string(n)); }
    else if (n > 0 && n < 30) { score -= 1; basis.push_back("small (n=" + std::to_string(n) + ")"); }
    score = std::clamp(score, 0.0, 10.0);
  }
  s.annotation.quality_score = score;
  s.annotation.quality_estimated = true;
  std::string b = "estimated";
  if (score >= 0) b += " " + std::to_string(static_cast<int>(score)) + "/10";
  b += " from: ";
  for (std::size_t i = 0; i < basis.size(); ++i) b += (i ? ", " : "") + basis[i];
  s.annotation.quality_basis = b;
}

}  // namespace evidence
