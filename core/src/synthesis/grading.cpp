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
  if (l == "high") return 4;
  if (l == "moderate") return 3;
  if (l == "low") return 2;
  if (l == "very_low") return 1;
  return 0;
}

std::string capitalise(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

namespace {

const char* const kLevels[] = {"", "very_low", "low", "moderate", "high"};

// What the rules look at: the finding, the records it counts, and participant shares.
struct GradingContext {
  const Finding& f;
  const std::set<std::string>& counted;
  std::int64_t total = 0, high_risk = 0, indirect = 0;  // participants (at least 1 per result)

  GradingContext(const Finding& finding, const std::set<std::string>& counted_ids) : f(finding), counted(counted_ids) {
    for (const auto& r : f.results) {
      if (!counted.count(r.record_id)) continue;
      const std::int64_t n = std::max<std::int64_t>(r.participants, 1);
      total += n;
      if (at_high_risk_of_bias(r.quality)) high_risk += n;
      if (r.indirect) indirect += n;
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
  if (f.n_participants < 400) {
    ++levels;
    why.push_back("fewer than 400 participants (" + std::to_string(f.n_participants) + ")");
  }
  if (f.effect) {
    const double lo = *f.effect_ci_low, hi = *f.effect_ci_high;
    const bool ratio = f.effect_scale == "log";
    const double important = f.effect_measure == "SMD" ? 0.5
                             : ratio                   ? std::log(1.25)
                                                       : (f.effect_scale == "0-100" ? mid_0_100(f.outcome) : 0);
    if (lo <= 0 && hi >= 0 && important > 0 && (hi >= important || lo <= -important)) {
      ++levels;
      why.push_back("the 95% CI includes both no effect and an important effect");
    } else if (lo <= 0 && hi >= 0 && f.direction != "no_difference") {
      ++levels;
      why.push_back("the 95% CI includes no effect");
    }
  } else if (!f.thin) {
    ++levels;
    why.push_back("no effect estimate, only the direction of results");
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
         return when(c.f.direction == "conflicting",
                     {"inconsistency", 1, "Studies point in different directions.", "conflicting_directions"});
       }},
      {"inconsistency",
       [](const GradingContext& c) {
         return when(c.stated_down("inconsistency"),
                     {"inconsistency", 1, "The review whose estimate is used downgraded for inconsistency.",
                      "inconsistency_stated"});
       }},
      {"inconsistency",
       [](const GradingContext& c) {
         return when(c.f.n_studies == 1,
                     {"inconsistency", 1, "Only one study: consistency cannot be judged.", "single_study"});
       }},
      {"indirectness",
       [](const GradingContext& c) {
         return when(
             c.total > 0 && 2 * c.indirect > c.total,
             {"indirectness", 1,
              "Most participants come from studies whose population or intervention only partly matches the question.",
              "indirect_share"});
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

bool randomised_evidence(const Finding& f, const std::set<std::string>& counted, const StudiesById& studies) {
  bool randomised = true;
  for (const auto& r : f.results) {
    if (!counted.count(r.record_id)) continue;
    if (!(r.design == "rct" || r.design == "systematic_review" || r.design == "guideline")) randomised = false;
    // A review of cohort or other non-randomised studies is observational evidence.
    const std::string label = normalise(studies.at(r.record_id)->design_label);
    const bool observational =
        label.find("cohort") != std::string::npos || label.find("observational") != std::string::npos;
    const bool of_trials = label.find("rct") != std::string::npos || label.find("randomi") != std::string::npos;
    if (r.design == "systematic_review" && observational && !of_trials) randomised = false;
  }
  return randomised;
}

// When the estimate is a review's, the trials' risk of bias and the other judgements behind it
// are not in the knowledge base; the review's own GRADE rating of that comparison caps ours.
int review_ceiling(Finding& f, int level) {
  if (f.effect_source != "review") return level;
  for (const auto& r : f.results) {
    if (!r.used_in_estimate || !r.stated_certainty || r.stated_certainty->system != "GRADE") continue;
    const int theirs = level_rank(r.stated_certainty->level);
    if (theirs > 0 && theirs < level) {
      const std::string stated = r.stated_certainty->level == "very_low" ? "very low" : r.stated_certainty->level;
      f.downgrades.push_back(
          {"review_rating", level - theirs,
           "The review that provides the estimate rated it " + stated +
               " (GRADE); the judgements behind that rating (for example the trials' risk of bias) are "
               "not in the knowledge base, so it caps ours.",
           "review_grade_ceiling"});
      level = theirs;
    }
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

void grade(Finding& f, const std::set<std::string>& counted, const StudiesById& studies) {
  const bool randomised = randomised_evidence(f, counted, studies);
  int level = randomised ? 4 : 2;
  f.rules.push_back(randomised ? "start_high: randomised evidence" : "start_low: includes non-randomised evidence");
  const GradingContext context(f, counted);
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
  level = review_ceiling(f, std::clamp(level, 1, 4));
  f.certainty = kLevels[level];
  const bool any_text = std::any_of(f.results.begin(), f.results.end(), [](const auto& r) { return r.text_extracted; });
  if (any_text) f.rules.push_back("text_extracted: some directions were extracted automatically from abstracts");
  stated_beside(f, level);
}

}  // namespace evidence::synthesis
