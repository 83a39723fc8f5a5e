// GRADE-style certainty (docs/GRADING.md): a starting level from the design, then a table of
// downgrade rules, one domain at a time, the first rule of a domain that applies giving its
// downgrade; then the ceiling of a review's own GRADE rating.
#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>

#include "evidence/appraisal.hpp"
#include "evidence/text.hpp"
#include "synthesis_internal.hpp"

namespace evidence::synthesis {

int level_rank(const std::string& l) {
  const auto level = parse_certainty_level(l);
  return level ? rank_of(*level) : 0;
}

std::string capitalise(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

namespace {

// The level of a rank, 1 (very low) .. 4 (high).
CertaintyLevel level_of_rank(int rank) { return static_cast<CertaintyLevel>(std::clamp(rank, 1, 4)); }

// What the rules look at: the finding, and participant shares of the trials it counts.
struct GradingContext {
  const Finding& f;
  std::int64_t total = 0, high_risk = 0, indirect = 0, per_protocol = 0;  // participants (at least 1 per trial)

  explicit GradingContext(const Finding& finding) : f(finding) {
    std::set<std::string> seen;
    for (const auto& r : f.results) {
      if (!r.counted || !seen.insert(r.trial).second) continue;
      const std::int64_t n = std::max<std::int64_t>(r.participants, 1);
      total += n;
      if (at_high_risk_of_bias(r.quality)) high_risk += n;
      if (r.indirect) indirect += n;
      if (r.analysis == "per_protocol") per_protocol += n;
    }
  }
  // Whether a source whose estimate is used downgraded this domain itself.
  bool stated_down(const char* domain) const {
    for (const auto& r : f.results)
      if (r.used_in_estimate && r.stated_certainty)
        for (const auto& d : r.stated_certainty->downgrades)
          if (d == domain) return true;
    return false;
  }
};

using Check = std::function<std::optional<Downgrade>(const GradingContext&)>;
struct GradingRule {
  const char* domain;
  Check check;
};

std::optional<Downgrade> when(bool applies, Downgrade d) {
  return applies ? std::optional<Downgrade>(std::move(d)) : std::nullopt;
}

std::optional<Downgrade> imprecision(const GradingContext& c) {
  const Finding& f = c.f;
  int levels = 0;
  std::vector<std::string> why;
  // The sample behind the estimate decides (one trial's estimate beside other trials' directions
  // is as precise as that trial); a count the sources do not give is not taken as small.
  std::int64_t behind = 0;
  std::set<std::string> trials;
  bool known = f.counts_complete;
  for (const auto& r : f.results)
    if (r.used_in_estimate && trials.insert(r.trial).second) {
      behind += r.participants;
      if (r.participants == 0) known = false;
    }
  if (trials.empty()) behind = f.n_participants;
  if (known && behind < 400) {
    ++levels;
    why.push_back("fewer than 400 participants behind the estimate (" + std::to_string(behind) + ")");
  }
  if (f.effect) {
    const double lo = *f.effect_ci_low, hi = *f.effect_ci_high;
    const bool ratio = f.effect_scale == "log";
    const double important = f.effect_measure == "SMD" ? 0.5 : ratio ? std::log(1.25) : f.mid.value_or(0);
    if (lo <= 0 && hi >= 0 && important > 0 && (hi >= important || lo <= -important)) {
      ++levels;
      why.push_back("the 95% CI includes both no effect and an important effect");
    } else if (lo <= 0 && hi >= 0 && f.direction != Direction::no_difference) {
      ++levels;
      why.push_back("the 95% CI includes no effect");
    }
  } else if (!f.thin) {
    ++levels;
    why.push_back("no effect estimate, only the direction of results");
    if (!f.counts_complete) {
      ++levels;
      why.push_back("nor the number of participants for this comparison");
    }
  }
  if (levels == 0 && c.stated_down("imprecision")) {
    levels = 1;
    why.push_back("the review whose estimate is used downgraded for imprecision");
  }
  if (levels == 0) return std::nullopt;
  std::string reason;
  for (std::size_t i = 0; i < why.size(); ++i) reason += (i ? "; " : "") + why[i];
  return Downgrade{"imprecision", std::min(levels, 2), capitalise(reason) + ".", "imprecision"};
}

// The rules in the order they are tried; docs/GRADING.md describes each by its id.
const std::vector<GradingRule>& rule_table() {
  static const std::vector<GradingRule> rules = {
      {"risk_of_bias",
       [](const GradingContext& c) {
         return when(c.total > 0 && 2 * c.high_risk > c.total,
                     {"risk_of_bias", 1,
                      "More than half of the participants come from studies at high risk of bias (quality below 4/10).",
                      "rob_share"});
       }},
      {"risk_of_bias",
       [](const GradingContext& c) {
         return when(c.total > 0 && 2 * c.per_protocol > c.total,
                     {"risk_of_bias", 1,
                      "Most participants come from per-protocol analyses, which lose the protection of randomisation.",
                      "per_protocol_analysis"});
       }},
      {"risk_of_bias",
       [](const GradingContext& c) {
         return when(
             c.stated_down("risk_of_bias"),
             {"risk_of_bias", 1, "The review whose estimate is used downgraded for risk of bias.", "rob_stated"});
       }},
      {"inconsistency",
       [](const GradingContext& c) {
         return when(
             c.f.pooled && c.f.pooled->i2 >= 75,
             {"inconsistency", 2,
              "Very large unexplained heterogeneity (I² " + (c.f.pooled ? fmt(c.f.pooled->i2) : "") + "%).", "i2_75"});
       }},
      {"inconsistency",
       [](const GradingContext& c) {
         return when(c.f.pooled && c.f.pooled->i2 >= 50,
                     {"inconsistency", 1,
                      "Substantial heterogeneity (I² " + (c.f.pooled ? fmt(c.f.pooled->i2) : "") + "%).", "i2_50"});
       }},
      {"inconsistency",
       [](const GradingContext& c) {
         return when(c.f.direction == Direction::conflicting,
                     {"inconsistency", 1, "Studies point in different directions.", "conflicting_directions"});
       }},
      {"inconsistency",
       [](const GradingContext& c) {
         return when(c.f.disagreement,
                     {"inconsistency", 1, "Not all counted studies point the same way as the estimate or the majority.",
                      "trials_disagree"});
       }},
      {"inconsistency",
       [](const GradingContext& c) {
         return when(c.stated_down("inconsistency"),
                     {"inconsistency", 1, "The review whose estimate is used downgraded for inconsistency.",
                      "inconsistency_stated"});
       }},
      {"inconsistency",
       [](const GradingContext& c) {
         return when(c.f.n_studies == 1 && c.f.counts_complete,
                     {"inconsistency", 1, "Only one study: consistency cannot be judged.", "single_study"});
       }},
      {"indirectness",
       [](const GradingContext& c) {
         return when(c.stated_down("indirectness"),
                     {"indirectness", 1, "The review whose estimate is used downgraded for indirectness.",
                      "indirectness_stated"});
       }},
      {"imprecision", imprecision},
      {"publication_bias",
       [](const GradingContext& c) {
         return when(c.stated_down("publication_bias"),
                     {"publication_bias", 1, "The review whose estimate is used suspected publication bias.",
                      "publication_bias_stated"});
       }},
  };
  return rules;
}

// As-treated and observational comparisons are not protected by randomisation: they start low.
bool randomised_evidence(const Finding& f) {
  return std::none_of(f.results.begin(), f.results.end(), [](const StudyResult& r) {
    return r.counted && (r.analysis == "as_treated" || r.analysis == "observational");
  });
}

// The highest certainty one source allows for its result: its own GRADE rating; at most moderate
// from another grading system (levels of evidence, AHRQ, an author's tool, a guideline grade) or
// from a source that rates nothing, since risk of bias and the other domains were then not
// assessed by anyone; very low for "insufficient" (docs/GRADING.md).
SourceCeiling source_ceiling(const StudyResult& r) {
  const Certainty* c = r.stated_certainty ? &*r.stated_certainty : nullptr;
  const std::string level = c ? c->level : std::string();
  if (!c || level == "not_rated" || level.empty() || c->system == "none")
    return {CertaintyLevel::moderate, r.record_id, "unrated_source",
            r.label + " gives no certainty rating for this result; unrated evidence is at most moderate."};
  const int native = level == "insufficient" ? 1 : level_rank(level);
  const auto parsed = parse_certainty_level(level);
  const std::string words = parsed ? certainty_level_words(*parsed) : level;
  if (c->system == "GRADE")
    return {level_of_rank(std::max(native, 1)), r.record_id, "source_grade",
            r.label + " rated it " + words + " (GRADE); ours is never higher."};
  return {level_of_rank(std::clamp(native, 1, 3)), r.record_id, "source_other_system",
          r.label + " rated it \"" + words + "\" in " + c->system +
              " terms, which is not GRADE certainty; at most moderate, and never above its own level."};
}

// Never above the source: the most any of the sources behind the estimate allows (the counted
// results when there is no estimate).
int source_limit(Finding& f, int level) {
  const bool any_used =
      std::any_of(f.results.begin(), f.results.end(), [](const auto& r) { return r.used_in_estimate; });
  std::optional<SourceCeiling> best;
  for (const auto& r : f.results) {
    if (any_used ? !r.used_in_estimate : !r.counted) continue;
    SourceCeiling c = source_ceiling(r);
    if (!best || c.level > best->level) best = std::move(c);
  }
  // A counted result whose source rated it lower with GRADE is part of what the finding claims,
  // even when its estimate is not the one shown: an unrated class estimate beside a review's
  // "low" for one drug of the class read as moderate, above the review (found in the opioids
  // journey). So such a rating caps ours too.
  if (any_used && best) {
    for (const auto& r : f.results) {
      if (r.used_in_estimate || !r.counted) continue;
      SourceCeiling c = source_ceiling(r);
      if (c.rule == "source_grade" && c.level < best->level) {
        c.reason = r.label + " rated a result counted here " + certainty_level_words(c.level) +
                   " (GRADE); ours is never higher.";
        best = std::move(c);
      }
    }
  }
  if (!best) return level;
  f.ceiling = best;
  const int cap = rank_of(best->level);
  if (cap < level) {
    f.downgrades.push_back({"source_rating", level - cap, best->reason, best->rule});
    return cap;
  }
  return level;
}

// A certainty stated by a source for the same comparison is shown beside ours (the one whose
// estimate is used first).
void stated_beside(Finding& f, int level) {
  for (const auto& r : f.results) {
    if (!r.stated_certainty || r.stated_certainty->level == "not_rated" || r.stated_certainty->system == "none")
      continue;
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
}

}  // namespace

void grade(Finding& f) {
  const bool randomised = randomised_evidence(f);
  int level = randomised ? 4 : 2;
  f.rules.push_back(randomised ? "start_high: randomised evidence"
                               : "start_low: as-treated or observational comparison");
  const GradingContext context(f);
  std::set<std::string> judged;  // domains whose downgrade is decided
  for (const auto& rule : rule_table()) {
    if (judged.count(rule.domain)) continue;
    if (auto d = rule.check(context)) {
      f.downgrades.push_back(std::move(*d));
      judged.insert(rule.domain);
    }
  }
  if (!judged.count("publication_bias"))
    f.rules.push_back("publication_bias_not_assessed: fewer than 10 studies pooled here");
  for (const auto& d : f.downgrades) level -= d.levels;
  level = source_limit(f, std::clamp(level, 1, 4));
  // An unrated network estimate rests on indirect comparisons whose coherence and transitivity
  // nobody assessed (GRADING_REFERENCE.md 1.6): one level down, below the ceiling.
  const bool network = std::any_of(f.results.begin(), f.results.end(),
                                   [](const StudyResult& r) { return r.used_in_estimate && r.analysis == "network"; });
  if (network && !judged.count("indirectness") && !(f.ceiling && f.ceiling->rule == "source_grade")) {
    f.downgrades.push_back({"indirectness", 1,
                            "A network meta-analysis estimate: its coherence and transitivity were not rated by its "
                            "source, and are not assessed here.",
                            "network_unrated"});
    judged.insert("indirectness");
    level = std::max(1, level - 1);
  }
  // Indirectness to this question is something no source judged: it applies below the source's
  // own rating, not within it.
  if (!judged.count("indirectness") && (f.indirect || (context.total > 0 && 2 * context.indirect > context.total))) {
    const std::string reason =
        f.indirect ? "The studies were done in " + f.population_label + ", not exactly the population asked about."
                   : "Most participants come from studies of a broader treatment family "
                     "than the one asked about.";
    f.downgrades.push_back({"indirectness", 1, reason, f.indirect ? "indirect_population" : "indirect_intervention"});
    level = std::max(1, level - 1);
  }
  f.certainty = level_of_rank(level);
  stated_beside(f, level);
}

}  // namespace evidence::synthesis
