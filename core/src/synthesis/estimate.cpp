// The estimate of a finding, what it counts, and the direction and size of its effect.
#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>

#include "evidence/appraisal.hpp"
#include "synthesis_internal.hpp"

namespace evidence {

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

namespace synthesis {

std::string fmt(double x) {
  std::ostringstream ss;
  const double r = std::round(x * 100) / 100;
  ss << (std::fabs(r) < 0.005 ? 0.0 : r);
  return ss.str();
}

Records::Records(const std::vector<const Study*>& studies) {
  for (const Study* s : studies) by_id[s->id] = s;
  // Reports of one trial are linked on either side; the trial is known by its smallest report id.
  std::map<std::string, std::string> parent;
  std::function<std::string(const std::string&)> root = [&](const std::string& id) {
    auto it = parent.find(id);
    if (it == parent.end() || it->second == id) return id;
    return it->second = root(it->second);
  };
  for (const Study* s : studies)
    for (const auto& other : s->same_trial_as) {
      const std::string a = root(s->id), b = root(other);
      if (a != b) parent[std::max(a, b)] = std::min(a, b);
    }
  for (const Study* s : studies) {
    trial_of[s->id] = root(s->id);
    for (const auto& old : s->supersedes) superseded_by[old] = s->id;
  }
}

namespace {

void set_estimate(Finding& f, const OrientedEffect& o) {
  f.effect_measure = o.measure;
  f.effect_scale = o.scale;
  f.effect = o.y;
  f.effect_ci_low = o.lo;
  f.effect_ci_high = o.hi;
}

// The review with an effect estimate and the most trials, then participants, for this comparison
// (the newer on a tie).
StudyResult* largest_review(Finding& f, const Records& records) {
  StudyResult* review = nullptr;
  auto size = [](const StudyResult& r) { return std::make_pair(r.n_studies.value_or(0), r.participants); };
  for (auto& r : f.results) {
    if (!r.review || !r.effect) continue;
    if (!review || size(r) > size(*review) ||
        (size(r) == size(*review) && records.at(r.record_id).year > records.at(review->record_id).year))
      review = &r;
  }
  return review;
}

// A review's pooled estimate is used; the trials it includes (listed as included, or published
// before it) are shown but not counted again.
void use_review(Finding& f, StudyResult& review, const Records& records) {
  const Study& rs = records.at(review.record_id);
  f.effect_source = "review";
  f.rules.push_back("estimate_from_review: the pooled estimate of " + review.label +
                    " is used; trials it may include are not pooled again");
  review.used_in_estimate = true;
  for (auto& r : f.results) {
    if (r.trial == review.trial) {
      r.counted = true;
      continue;
    }
    const auto& included = rs.included_record_ids;
    const bool in_review = std::find(included.begin(), included.end(), r.record_id) != included.end() ||
                           std::find(included.begin(), included.end(), r.trial) != included.end();
    r.counted = !(r.review || in_review || records.at(r.record_id).year <= rs.year);
  }
  if (review.oriented) set_estimate(f, *review.oriented);
}

// Our own random-effects pooling of the largest set of compatible estimates, one per trial
// (results of one trial are never pooled with each other), else a single estimate, else a vote
// count of directions. Every trial is counted.
void pool_trials(Finding& f) {
  std::map<std::string, std::vector<StudyResult*>> sets;
  std::map<std::string, std::set<std::string>> trials_in_set;
  for (auto& r : f.results) {
    r.counted = true;
    if (!r.oriented) continue;
    const std::string k = r.oriented->measure + "|" + r.oriented->scale;
    if (!trials_in_set[k].insert(r.trial).second) continue;
    sets[k].push_back(&r);
  }
  const std::vector<StudyResult*>* best = nullptr;
  for (const auto& [k, s] : sets)
    if (!best || s.size() > best->size()) best = &s;
  if (best && best->size() >= 2) {
    std::vector<double> y, var;
    for (const StudyResult* r : *best) {
      const OrientedEffect& o = *r->oriented;
      y.push_back(o.y);
      const double se = (o.hi - o.lo) / (2 * 1.959964);
      var.push_back(se * se);
    }
    if (auto m = dersimonian_laird(y, var)) {
      f.pooled = m;
      f.effect_source = "pooled";
      const OrientedEffect& first = *best->front()->oriented;
      set_estimate(f, {m->estimate, m->ci_low, m->ci_high, first.measure, first.scale});
      for (StudyResult* r : *best) r->used_in_estimate = true;
      f.rules.push_back("pooled: DerSimonian-Laird random-effects meta-analysis of " + std::to_string(m->k) +
                        " trials, one estimate each");
    }
  } else if (best && best->size() == 1) {
    StudyResult* r = best->front();
    r->used_in_estimate = true;
    f.effect_source = "single";
    set_estimate(f, *r->oriented);
    f.rules.push_back("single_estimate: one study reports an effect estimate");
  }
  if (f.effect_source.empty()) {
    f.effect_source = "vote_count";
    f.rules.push_back(
        "vote_count: no compatible effect estimates; the direction of each study's result is shown as reported");
  }
}

// Each trial once: its largest count for this comparison (thresholds, follow-ups and subgroups of
// one trial are one study). A review without a count for the comparison adds nothing and leaves
// the counts incomplete rather than borrowing its total.
void count_trials(Finding& f) {
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> per_trial;  // studies, participants
  for (const auto& r : f.results) {
    if (!r.counted) continue;
    auto& [studies, people] = per_trial[r.trial];
    studies = std::max(studies, r.n_studies ? *r.n_studies : r.review ? 0 : 1);
    people = std::max(people, r.participants);
  }
  f.counts_complete = true;
  for (const auto& [trial, counts] : per_trial) {
    f.n_studies += static_cast<int>(counts.first);
    f.n_participants += counts.second;
    // Unknown only when no result of the trial gives it.
    if (counts.first == 0) ++f.uncounted_reviews;
    if (counts.first == 0 || counts.second == 0) f.counts_complete = false;
  }
  if (!f.counts_complete)
    f.rules.push_back("counts_incomplete: a source gives no number of trials or participants for this comparison");
}

}  // namespace

void choose_estimate(Finding& f, const Records& records, const Vocabulary& v) {
  // An update replaces its older version instead of adding to it, where the update reports on
  // the same comparison (a record may hold only some of an update's results).
  std::set<std::string> present;
  for (const auto& r : f.results) present.insert(r.record_id);
  std::vector<std::string> dropped;
  std::erase_if(f.results, [&](const StudyResult& r) {
    const auto it = records.superseded_by.find(r.record_id);
    if (it == records.superseded_by.end() || !present.count(it->second)) return false;
    dropped.push_back(r.label + " (updated by " + records.at(it->second).id + ")");
    return true;
  });
  for (const auto& d : dropped) f.rules.push_back("superseded: " + d + " is replaced by its update");
  // Each result's effect is oriented once: the estimate is chosen or pooled from these, and they
  // are sent as they are for the forest plot.
  for (auto& r : f.results) {
    r.trial = records.trial_of.at(r.record_id);
    if (r.effect) r.oriented = orient(*r.effect, f.outcome, r.instrument, v, r.direction);
  }
  if (StudyResult* review = largest_review(f, records))
    use_review(f, *review, records);
  else
    pool_trials(f);
  count_trials(f);
  for (const auto& r : f.results) f.record_ids.push_back(r.record_id);
  std::sort(f.record_ids.begin(), f.record_ids.end());
  f.record_ids.erase(std::unique(f.record_ids.begin(), f.record_ids.end()), f.record_ids.end());
}

namespace {

// The minimal important difference on the estimate's scale: the source's own where the estimate
// is one source's and it gives one (converted to 0-100 with its scale), else the project's.
std::optional<double> mid_for(const Finding& f) {
  if (f.effect_source == "review" || f.effect_source == "single")
    for (const auto& r : f.results)
      if (r.used_in_estimate && r.effect && r.effect->mid) {
        const Effect& e = *r.effect;
        if (f.effect_scale == "0-100" && e.scale_min && e.scale_max && *e.scale_max > *e.scale_min)
          return *e.mid * 100 / (*e.scale_max - *e.scale_min);
        if (f.effect_scale != "0-100") return e.mid;
      }
  if (f.effect_scale == "0-100" && mid_0_100(f.outcome) > 0) return mid_0_100(f.outcome);
  return std::nullopt;
}

// Natural units for readers: points on 0-10 for pain (how patients score it), on 0-100 otherwise.
std::string plain_amount(const Finding& f) {
  if (f.effect_scale != "0-100" || !f.effect) return {};
  const double y = std::fabs(*f.effect);
  if (f.outcome == "pain") return fmt(std::round(y) / 10) + " points on a 0 to 10 pain scale";
  return fmt(std::round(y)) + " points on a 0 to 100 scale";
}

// Where an estimate y (95% CI lo to hi) lies against the threshold m of its scale.
const char* threshold_verdict(double y, double lo, double hi, double m) {
  if (lo >= m || hi <= -m) return "whole CI beyond the MID";
  if (std::fabs(y) >= m) return "estimate beyond the MID, CI includes smaller effects";
  if (hi < m && lo > -m) return "whole CI within the MID: no important effect";
  return "estimate below the MID, CI includes an important effect";
}

// The line the forest plot and the table draw: the MID of a mean difference, else the "moderate"
// threshold of classify_effect() (SMD 0.5, ratio 1.25) for the other measures.
void set_threshold(Finding& f) {
  if (f.effect_measure == "SMD") {
    f.threshold = 0.5, f.threshold_label = "MID 0.5 SMD";
  } else if (f.effect_scale == "log") {
    f.threshold = std::log(1.25), f.threshold_label = "MID ratio 1.25";
  } else if (f.mid && *f.mid > 0) {
    f.threshold = *f.mid, f.threshold_label = "MID " + fmt(*f.mid) + (f.effect_scale == "0-100" ? "/100" : "");
  } else {
    return;
  }
  f.threshold_verdict = threshold_verdict(*f.effect, *f.effect_ci_low, *f.effect_ci_high, *f.threshold);
}

void direction_from_estimate(Finding& f) {
  const double lo = *f.effect_ci_low, hi = *f.effect_ci_high, y = *f.effect;
  f.mid = mid_for(f);
  f.direction = lo > 0   ? Direction::favours_intervention
                : hi < 0 ? Direction::favours_comparator
                         : Direction::no_difference;
  const bool ratio = f.effect_scale == "log";
  const double m = f.effect_measure == "SMD" || ratio ? 1 : f.mid.value_or(0);
  f.effect_size = classify_effect(f.effect_measure, y, lo, hi, m);
  const std::string unit = ratio ? "" : f.effect_scale == "0-100" ? " points on a 0-100 scale" : "";
  if (ratio) {
    f.effect_text = f.effect_measure + " " + fmt(std::exp(-y)) + " (95% CI " + fmt(std::exp(-hi)) + " to " +
                    fmt(std::exp(-lo)) + ")";
  } else {
    f.effect_text = f.effect_measure + " " + fmt(y) + unit + " in favour of the intervention when positive (95% CI " +
                    fmt(lo) + " to " + fmt(hi) + ")";
  }
  if (f.pooled) f.effect_text += "; I² " + fmt(f.pooled->i2) + "%";
  f.effect_plain = plain_amount(f);
  const bool own_mid = f.mid && f.effect_scale == "0-100" && *f.mid != mid_0_100(f.outcome);
  const std::string scale = f.effect_measure == "SMD" ? "SMD 0.2/0.5/0.8"
                            : ratio                   ? "ratio 1.1/1.25/2"
                            : f.mid                   ? "MID " + fmt(*f.mid) + (f.effect_scale == "0-100" ? "/100" : "")
                                                      : "no MID for this scale";
  f.rules.push_back(std::string("effect_size: |effect| against the ") + (own_mid ? "source's own " : "") + "MID (" +
                    scale + ")");
  set_threshold(f);
}

void direction_from_votes(Finding& f) {
  std::map<Direction, int> votes;
  std::set<std::pair<std::string, Direction>> voted;  // one vote per trial and direction
  for (const auto& r : f.results)
    if (r.counted && r.direction != Direction::unclear && voted.emplace(r.trial, r.direction).second)
      ++votes[r.direction];
  if (votes.empty()) {
    f.direction = Direction::unclear;
    f.thin = true;
  } else if (votes.count(Direction::conflicting) ||
             (votes.count(Direction::favours_intervention) && votes.count(Direction::favours_comparator))) {
    f.direction = Direction::conflicting;
  } else {
    // The majority; a tie goes to the first of these (the order the words once sorted in).
    int most = 0;
    for (const Direction d : {Direction::favours_comparator, Direction::favours_intervention, Direction::no_difference})
      if (const auto it = votes.find(d); it != votes.end() && it->second > most) most = it->second, f.direction = d;
    if (votes.size() > 1) {
      f.disagreement = true;
      f.rules.push_back("vote_majority: studies differ; the majority direction is shown");
    }
  }
  f.effect_size = f.direction == Direction::no_difference ? "none" : "unknown";
}

bool opposite(Direction a, Direction b) {
  const auto either = [&](Direction x, Direction y) { return (a == x && b == y) || (a == y && b == x); };
  return either(Direction::favours_intervention, Direction::favours_comparator) ||
         either(Direction::favours_intervention, Direction::no_difference) ||
         either(Direction::favours_comparator, Direction::no_difference);
}

// Counted trials outside the estimate (a later trial beside a review's pooled result) that point
// the other way: the headline says the studies disagree rather than showing one side.
void check_agreement(Finding& f) {
  for (const auto& r : f.results) {
    if (!r.counted || r.used_in_estimate || !opposite(r.direction, f.direction)) continue;
    f.disagreement = true;
    f.rules.push_back("trials_disagree: " + r.label + " points the other way from the estimate");
  }
}

}  // namespace

void set_direction(Finding& f) {
  if (f.effect) {
    direction_from_estimate(f);
    check_agreement(f);
  } else {
    direction_from_votes(f);
  }
}

// The estimate in natural units with its 95% CI, on the footing of effect.plain: pain in points
// on 0-10 (how patients score it), other outcomes in points on 0-100; null when the estimate is
// not on a known 0-100 scale (a ratio, an SMD, or a mean difference on a scale the source does
// not give), since then no absolute effect can be computed without inventing a scale.
nlohmann::json natural_units(const Finding& f) {
  if (f.effect_scale != "0-100" || !f.effect || !f.effect_ci_low || !f.effect_ci_high) return nullptr;
  const bool pain = f.outcome == "pain";
  const double k = pain ? 0.1 : 1;  // 0-100 -> 0-10 for pain
  const auto round1 = [](double x) { return std::round(x * 10) / 10; };
  return {{"value", round1(*f.effect * k)},
          {"ci_low", round1(*f.effect_ci_low * k)},
          {"ci_high", round1(*f.effect_ci_high * k)},
          {"scale_max", pain ? 10 : 100},
          {"unit", pain ? "points on a 0 to 10 pain scale" : "points on a 0 to 100 scale"}};
}

}  // namespace synthesis
}  // namespace evidence
