// The question and the request as a Xapian query (what ranks) and a filter (what restricts).
#include <algorithm>
#include <cmath>
#include <utility>
#include <set>

#include "evidence/errors.hpp"
#include "evidence/fields.hpp"
#include "evidence/text.hpp"
#include "search_internal.hpp"

namespace evidence::search_detail {

namespace {

Xapian::Query or_terms(const std::string& prefix, const std::vector<std::string>& values) {
  std::vector<Xapian::Query> qs;
  for (const auto& v : values) qs.emplace_back(prefix + v);
  if (qs.empty()) return Xapian::Query();
  return Xapian::Query(Xapian::Query::OP_OR, qs.begin(), qs.end());
}

}  // namespace

Xapian::Query filter_and(Xapian::Query base, const Xapian::Query& filter) {
  if (filter.empty()) return base;
  if (base.empty()) return filter;
  return Xapian::Query(Xapian::Query::OP_FILTER, base, filter);
}

namespace {

// Free text through the QueryParser: phrases, AND/OR/NOT, stemming, synonyms from the vocabulary.
Xapian::Query free_text_query(const Xapian::Database& db, const std::string& text) {
  Xapian::QueryParser qp;
  qp.set_database(db);
  qp.set_stemmer(Xapian::Stem("english"));
  qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
  qp.set_default_op(Xapian::Query::OP_OR);
  qp.add_prefix("title", std::string(fields::title));
  const unsigned flags = Xapian::QueryParser::FLAG_DEFAULT | Xapian::QueryParser::FLAG_AUTO_SYNONYMS |
                         Xapian::QueryParser::FLAG_AUTO_MULTIWORD_SYNONYMS;
  // QueryParser leaves a word that starts with a capital unstemmed; an abbreviation typed with a
  // capital inside it ("tDCS") is kept as typed in the free text, and capitalised here so that it
  // is not stemmed to another word ("tdc").
  std::string typed = text;
  for (std::size_t i = 0; i < typed.size(); ++i) {
    const bool starts = i == 0 || typed[i - 1] == ' ' || typed[i - 1] == '"';
    if (!starts || typed[i] < 'a' || typed[i] > 'z') continue;
    std::size_t end = i;
    while (end < typed.size() && typed[end] != ' ' && typed[end] != '"') ++end;
    if (std::any_of(typed.begin() + static_cast<std::ptrdiff_t>(i), typed.begin() + static_cast<std::ptrdiff_t>(end),
                    [](char ch) { return ch >= 'A' && ch <= 'Z'; }))
      typed[i] = static_cast<char>(typed[i] - 'a' + 'A');
  }
  // Ordinary words never make a syntax error: text the parser refuses with its operators is read
  // again as plain words and phrases, then as plain words (the parser's own message is not shown).
  const unsigned plain = Xapian::QueryParser::FLAG_PHRASE | Xapian::QueryParser::FLAG_AUTO_SYNONYMS |
                         Xapian::QueryParser::FLAG_AUTO_MULTIWORD_SYNONYMS;
  for (const unsigned f : {flags, plain}) {
    try {
      return qp.parse_query(typed, f);
    } catch (const Xapian::QueryParserError&) {}
  }
  std::replace(typed.begin(), typed.end(), '"', ' ');
  try {
    return qp.parse_query(typed, 0);
  } catch (const Xapian::QueryParserError&) {
    throw Error(ErrorCode::invalid_argument, "the question's words could not be read as a search");
  }
}

// The one-word written forms (one-word preferred terms, abbreviations, synonyms, variants) of a
// concept and, when asked, its descendants, normalised and each once.
std::vector<std::string> one_word_forms(const Vocabulary& v, const std::string& id, bool with_descendants) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add_form = [&](const std::string& text) {
    auto words = split_words(normalise(text));
    if (words.size() == 1 && seen.insert(words[0]).second) out.push_back(std::move(words[0]));
  };
  for (const auto& d : with_descendants ? v.descendants(id) : std::vector<std::string>{id}) {
    const Concept* c = v.find(d);
    if (!c) continue;
    add_form(c->preferred);
    for (const auto& a : c->abbreviations) add_form(a);
    for (const auto& t : c->synonyms) add_form(t);
    for (const auto& t : c->variants) add_form(t);
  }
  return out;
}

// A concept as text: its one-word forms, for it and its descendants. Multi-word forms are left to
// the annotation terms: phrase checks read the position lists of every candidate, and at 100,000
// records they made a PICO question take 200 ms instead of 40 (docs/BENCHMARKS.md). A quoted
// phrase typed by the user is still a phrase (QueryParser above).
Xapian::Query concept_text(IndexReader::Impl& index, const Vocabulary& v, const std::string& id,
                           bool with_descendants) {
  std::vector<Xapian::Query> forms;
  // Most forms (misspellings, rare abbreviations) never occur; each would still cost a
  // posting-list lookup on every query.
  for (const auto& w : one_word_forms(v, id, with_descendants))
    if (index.has_term(w)) forms.emplace_back(w);
  return Xapian::Query(Xapian::Query::OP_OR, forms.begin(), forms.end());
}

// A concept's one-word forms as title terms of the index (as typed and stemmed), for it and its
// descendants: a record that names the asked treatment in its title is about it.
QuestionWord concept_in_title(IndexReader::Impl& index, const Vocabulary& v, const std::string& id) {
  QuestionWord w{id, {}, {}, 1.0};
  const Xapian::Stem stem("english");
  for (const auto& form : one_word_forms(v, id, true))
    for (const std::string& t : {std::string(fields::title) + form, "Z" + std::string(fields::title) + stem(form)})
      if (index.has_term(t) && std::find(w.title_terms.begin(), w.title_terms.end(), t) == w.title_terms.end())
        w.title_terms.push_back(t);
  return w;
}

// Concepts: the one-word forms of a recognised concept rank as text (so a study that only
// mentions them still matches), and the annotation terms make the match exact.
void add_concepts(std::vector<Xapian::Query>& parts, IndexReader::Impl& index, const Vocabulary& v,
                  const std::vector<std::string>& ids, std::string_view prefix, bool with_descendants = true) {
  for (const auto& id : ids) {
    Xapian::Query annotated(std::string(prefix) + id);
    parts.push_back(Xapian::Query(Xapian::Query::OP_OR, Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, annotated, 0),
                                  concept_text(index, v, id, with_descendants)));
  }
}

// The outcomes the question names (an outcome, or an instrument's domain) rank. Not "benefit"
// ("does yoga help"), nor the pain and function it stands for in Question::outcomes: every study
// of a treatment is about those, and ranking by them would lift any trial above a review.
std::vector<std::string> ranked_outcomes(const Question& q, const Vocabulary& v) {
  std::vector<std::string> out;
  auto add = [&](const std::string& id) {
    if (id != "benefit" && std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  };
  for (const auto& c : q.concepts) {
    if (c.kind == "outcome") add(c.id);
    if (c.kind != "instrument") continue;
    if (const Concept* k = v.find(c.id))
      for (const auto& p : k->parents)
        if (const Concept* d = v.find(p); d && d->kind == "outcome") add(d->id);
  }
  return out;
}

// An asked outcome (ranked_outcomes) and how many records are annotated as measuring it.
struct AskedOutcome {
  std::string id;
  Xapian::doccount records = 0;
};

std::vector<AskedOutcome> asked_outcomes(IndexReader::Impl& index, const Vocabulary& v, const Question& q) {
  std::vector<AskedOutcome> out;
  for (const auto& id : ranked_outcomes(q, v))
    out.push_back({id, index.db.get_termfreq(std::string(fields::outcome) + id)});
  return out;
}

Xapian::Query ranked_query(IndexReader::Impl& index, const Vocabulary& v, const Question& q, bool relaxed,
                           const std::vector<AskedOutcome>& outcomes) {
  std::vector<Xapian::Query> parts;
  if (!q.free_text.empty()) parts.push_back(free_text_query(index.db, q.free_text));
  // A named treatment must be there: studies about it (annotated), comparing with it (bed rest
  // is the comparator of "advice to stay active versus bed rest"; "A vs B" is answered by a study
  // of B vs A) or mentioning it. Several treatments must all be there ("ultrasound plus
  // exercise"), except for "A or B" or when no record has all of them (`relaxed`, see search()):
  // then any one will do, never an AND that finds nothing when each finds something, and a record
  // with more of them ranks first (rescoring counts each). Everything else only adds weight
  // (AND_MAYBE), so each concept's posting lists are read once.
  std::vector<Xapian::Query> musts;
  add_concepts(musts, index, v, q.interventions, fields::intervention);
  for (std::size_t i = 0; i < q.interventions.size() && i < musts.size(); ++i)
    musts[i] = Xapian::Query(Xapian::Query::OP_OR, musts[i],
                             Xapian::Query(std::string(fields::comparator) + q.interventions[i]));
  // The one asked treatment's usual alternatives answer it too (rescoring counts them as half).
  if (const auto alternatives = asked_alternatives(q, v); !alternatives.empty() && musts.size() == 1) {
    std::vector<Xapian::Query> either{musts[0]};
    add_concepts(either, index, v, alternatives, fields::intervention);
    musts[0] = Xapian::Query(Xapian::Query::OP_OR, either.begin(), either.end());
  }
  const std::vector<std::string> compared_with = treatment_comparators(q, v);
  const bool any = q.either_treatment || relaxed;
  add_concepts(parts, index, v, q.conditions, fields::condition);
  // An outcome ranks like a condition: by its words (a record that speaks of recurrence) and, in
  // rescoring, by the annotation that the record measures it. One that a tenth of the records or
  // more measure (pain, function) is left to rescoring: its words cannot tell records apart (the
  // rarity rule of question_words) and walking their posting lists cost PICO questions up to
  // 4.5 ms at 100k records (docs/BENCHMARKS.md).
  std::vector<std::string> rare_outcomes;
  const double tenth = static_cast<double>(index.db.get_doccount()) / 10.0;
  for (const auto& o : outcomes)
    if (static_cast<double>(o.records) < tenth) rare_outcomes.push_back(o.id);
  add_concepts(parts, index, v, rare_outcomes, fields::outcome);
  // A comparator ranks by its own words only: "physical therapy" has some fifty modalities below
  // it, and ORing all their words cost more than the rest of the query while ranking studies of
  // any one modality up (the annotated comparator still counts, in rescoring).
  add_concepts(parts, index, v, compared_with, fields::comparator, false);
  Xapian::Query ranked =
      parts.empty() ? Xapian::Query() : Xapian::Query(Xapian::Query::OP_OR, parts.begin(), parts.end());
  if (!musts.empty()) {
    Xapian::Query must(any ? Xapian::Query::OP_OR : Xapian::Query::OP_AND, musts.begin(), musts.end());
    ranked = ranked.empty() ? must : Xapian::Query(Xapian::Query::OP_AND_MAYBE, must, ranked);
  }
  // A record an identifier names matches whatever else the question says; rescoring puts it first.
  if (!q.identifiers.empty()) {
    std::vector<Xapian::Query> ids;
    for (const auto& [kind, value] : q.identifiers) ids.emplace_back(identifier_term(kind, value));
    Xapian::Query named(Xapian::Query::OP_OR, ids.begin(), ids.end());
    ranked = ranked.empty() ? named : Xapian::Query(Xapian::Query::OP_OR, named, ranked);
  }
  return ranked;
}

// Each asked outcome that some record measures, as its annotation term.
std::vector<QuestionWord> outcome_terms(const std::vector<AskedOutcome>& outcomes) {
  std::vector<QuestionWord> out;
  for (const auto& o : outcomes)
    if (o.records > 0) out.push_back({o.id, {std::string(fields::outcome) + o.id}, {}, 1.0});
  return out;
}

// The question's concept groups (BuiltQuery::complete): all treatments as one group when any one
// will do, else each its own; sets of fewer than two groups are left out.
std::vector<std::vector<ConceptGroup>> complete_groups(const Vocabulary& v, const Question& q, bool relaxed) {
  using Kind = ConceptGroup::Kind;
  auto groups = [&](bool any_treatment) {
    std::vector<ConceptGroup> g;
    if (any_treatment) {
      if (!q.interventions.empty()) g.push_back({Kind::treatment, q.interventions});
    } else {
      for (const auto& id : q.interventions) g.push_back({Kind::treatment, {id}});
    }
    for (const auto& id : q.conditions) g.push_back({Kind::condition, {id}});
    for (const auto& id : treatment_comparators(q, v)) g.push_back({Kind::comparator, {id}});
    return g;
  };
  std::vector<std::vector<ConceptGroup>> sets;
  const bool any = q.either_treatment || relaxed;
  if (auto g = groups(any); g.size() >= 2) sets.push_back(std::move(g));
  // Not when relaxed: that search runs because no record has all the treatments.
  if (q.either_treatment && q.interventions.size() > 1) sets.push_back(groups(false));
  return sets;
}

bool has_capital(const std::string& word) {
  return std::any_of(word.begin(), word.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; });
}

// The free text's words as ranking weighs them (RankingWeights::word_match): operators and the
// words after NOT left out, each word with the index terms that carry it and its rarity.
std::vector<QuestionWord> question_words(const Xapian::Database& db, const std::string& free_text) {
  std::vector<QuestionWord> words;
  const Xapian::Stem stem("english");
  const double n = std::max(1.0, static_cast<double>(db.get_doccount()));
  bool negated = false;
  std::string spaced = free_text;
  std::replace(spaced.begin(), spaced.end(), '"', ' ');
  for (const auto& token : split_words(spaced)) {
    if (token == "AND" || token == "OR") continue;
    if (token == "NOT") {
      negated = true;
      continue;
    }
    if (std::exchange(negated, false)) continue;
    // Abbreviations are matched as typed (see free_text_query); other words also by their stem.
    const bool exact = has_capital(token);
    for (const auto& w : split_words(normalise(token))) {
      if (std::any_of(words.begin(), words.end(), [&](const QuestionWord& q) { return q.word == w; })) continue;
      QuestionWord q{w, {}, {}, 0};
      std::vector<std::string> forms = {w};
      if (!exact && stem(w) != w) forms.push_back("Z" + stem(w));
      Xapian::doccount tf = 0;
      for (const auto& f : forms) {
        const Xapian::doccount t = db.get_termfreq(f);
        if (t == 0) continue;
        tf = std::max(tf, t);
        q.terms.push_back(f);
        q.title_terms.push_back(f[0] == 'Z' ? "Z" + std::string(fields::title) + f.substr(1)
                                            : std::string(fields::title) + f);
      }
      if (tf == 0) continue;  // no record has it: it cannot tell records apart
      // Rarity on a fixed scale, so that a common word ("routine", "people") does not weigh as
      // much as a matched concept just because the question has no rarer one: a word in at
      // least a tenth of the records weighs nothing, one in at most a hundredth weighs 1.
      const double idf = std::log(n / static_cast<double>(tf));
      q.weight = std::clamp((idf - std::log(10.0)) / (std::log(100.0) - std::log(10.0)), 0.0, 1.0);
      if (q.weight > 0) words.push_back(std::move(q));
    }
  }
  return words;
}

Xapian::Query value_range(Xapian::valueno slot, double low, double high) {
  return Xapian::Query(Xapian::Query::OP_VALUE_RANGE, slot, Xapian::sortable_serialise(low),
                       Xapian::sortable_serialise(high));
}

// Filters: expert field syntax and request parameters.
Xapian::Query filter_query(const Question& q, const SearchRequest& req) {
  Xapian::Query filter;
  filter = filter_and(filter, or_terms(std::string(fields::intervention), q.filter_interventions));
  filter = filter_and(filter, or_terms(std::string(fields::condition), q.filter_conditions));
  filter = filter_and(filter, or_terms(std::string(fields::outcome), q.filter_outcomes));
  filter = filter_and(filter, or_terms(std::string(fields::design), q.filter_designs));
  filter = filter_and(filter, or_terms(std::string(fields::intervention), req.interventions));
  filter = filter_and(filter, or_terms(std::string(fields::condition), req.conditions));
  filter = filter_and(filter, or_terms(std::string(fields::outcome), req.outcomes));
  filter = filter_and(filter, or_terms(std::string(fields::design), req.designs));
  filter = filter_and(filter, or_terms(std::string(fields::id_term), req.only_ids));
  // Designs named in the question ("reviews", "trials") restrict too.
  if (!q.designs.empty()) filter = filter_and(filter, or_terms(std::string(fields::design), q.designs));
  const std::optional<int> ymin = req.year_min ? req.year_min : q.year_min;
  const std::optional<int> ymax = req.year_max ? req.year_max : q.year_max;
  if (ymin || ymax) filter = filter_and(filter, value_range(fields::slot_year, ymin.value_or(0), ymax.value_or(9999)));
  const std::optional<double> qmin = req.quality_min ? req.quality_min : q.quality_min;
  if (qmin || q.quality_max)
    filter = filter_and(filter, value_range(fields::slot_quality, qmin.value_or(0), q.quality_max.value_or(10)));
  return filter;
}

}  // namespace

BuiltQuery build_query(IndexReader::Impl& index, const Vocabulary& v, const SearchRequest& req, bool relaxed) {
  BuiltQuery b;
  // A word the records use is not a typo, even when the vocabulary lacks it.
  b.question = parse_question(req.q, v, [&](const std::string& w) { return index.db.get_termfreq(w) > 0; });
  const std::vector<AskedOutcome> outcomes = asked_outcomes(index, v, b.question);
  b.query = ranked_query(index, v, b.question, relaxed, outcomes);
  b.complete = complete_groups(v, b.question, relaxed);
  b.relaxable = !relaxed && !b.question.either_treatment && b.question.interventions.size() > 1;
  b.filter = filter_query(b.question, req);
  b.words = question_words(index.db, b.question.free_text);
  for (const auto& id : b.question.interventions) b.concept_titles.push_back(concept_in_title(index, v, id));
  b.outcomes = outcome_terms(outcomes);
  return b;
}

Xapian::Query complete_query(const std::vector<ConceptGroup>& groups) {
  using Kind = ConceptGroup::Kind;
  std::vector<Xapian::Query> all;
  for (const auto& g : groups) {
    std::vector<Xapian::Query> any;
    for (const auto& id : g.concepts) {
      if (g.kind != Kind::comparator)
        any.emplace_back(std::string(g.kind == Kind::condition ? fields::condition : fields::intervention) + id);
      if (g.kind != Kind::condition) any.emplace_back(std::string(fields::comparator) + id);
    }
    all.push_back(Xapian::Query(Xapian::Query::OP_OR, any.begin(), any.end()));
  }
  if (all.empty()) return Xapian::Query();
  return Xapian::Query(Xapian::Query::OP_AND, all.begin(), all.end());
}

Xapian::Query full_query(const BuiltQuery& built, bool include_retracted) {
  // A fresh match-all query (the empty term), never a copy of the static Xapian::Query::MatchAll:
  // copying a Query bumps its non-atomic reference count, so workers copying the one shared
  // object at once raced on it (ThreadSanitizer, concurrent exports of every record).
  Xapian::Query full = filter_and(built.query.empty() ? Xapian::Query(std::string()) : built.query, built.filter);
  if (!include_retracted)
    full = Xapian::Query(Xapian::Query::OP_AND_NOT, full, Xapian::Query(std::string(fields::flag) + "retracted"));
  return full;
}

}  // namespace evidence::search_detail
