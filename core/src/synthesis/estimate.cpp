// The estimate of a finding, what it counts, and the direction and size of its effect.
#include <algorithm>
#include <cmath>
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

namespace {

void set_estimate(Finding& f, const OrientedEffect& o) {
  f.effect_measure = o.measure;
  f.effect_scale = o.scale;
  f.effect = o.y;
  f.effect_ci_low = o.lo;
  f.effect_ci_high = o.hi;
}

// The review with an effect estimate and the most participants (the newer on a tie).
const StudyResult* largest_review(const Finding& f, const StudiesById& studies) {
  const StudyResult* review = nullptr;
  for (const auto& r : f.results) {
    if (r.design != "systematic_review" || !r.effect) continue;
    if (!review || r.participants > review->participants ||
        (r.participants == review->participants && studies.at(r.record_id)->year > studies.at(review->record_id)->year))
      review = &r;
  }
  return review;
}

// A review's pooled estimate is used; its trials (listed as included, or published before it)
// are shown but not counted again.
std::set<std::string> use_review(Finding& f, const StudyResult& review, const StudiesById& studies,
                                 const Vocabulary& v) {
  const Study* rs = studies.at(review.record_id);
  f.effect_source = "review";
  f.rules.push_back("estimate_from_review: the pooled estimate of " + review.label +
                    " is used; trials it may include are not pooled again");
  std::set<std::string> counted;
  for (auto& r : f.results) {
    const Study* s = studies.at(r.record_id);
    const auto& included = rs->included_record_ids;
    const bool in_review = std::find(included.begin(), included.end(), r.record_id) != included.end();
    if (&r == &review) {
      r.used_in_estimate = true;
      counted.insert(r.record_id);
    } else if (!(r.design == "systematic_review" || in_review || s->year <= rs->year)) {
      counted.insert(r.record_id);
    }
  }
  if (const auto o = orient(*review.effect, f.outcome, review.instrument, v, review.direction)) set_estimate(f, *o);
  return counted;
}

// Our own random-effects pooling of the largest set of compatible trial estimates, else a single
// estimate, else a vote count of directions. Every result is counted.
std::set<std::string> pool_trials(Finding& f, const Vocabulary& v) {
  std::map<std::string, std::vector<std::pair<StudyResult*, OrientedEffect>>> sets;
  for (auto& r : f.results) {
    if (!r.effect) continue;
    if (const auto o = orient(*r.effect, f.outcome, r.instrument, v, r.direction))
      sets[o->measure + "|" + o->scale].push_back({&r, *o});
  }
  const std::vector<std::pair<StudyResult*, OrientedEffect>>* best = nullptr;
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
      set_estimate(f, {m->estimate, m->ci_low, m->ci_high, best->front().second.measure, best->front().second.scale});
      for (const auto& [r, o] : *best) r->used_in_estimate = true;
      f.rules.push_back("pooled: DerSimonian-Laird random-effects meta-analysis of " + std::to_string(m->k) +
                        " studies");
    }
  } else if (best && best->size() == 1) {
    const auto& [r, o] = best->front();
    r->used_in_estimate = true;
    f.effect_source = "single";
    set_estimate(f, o);
    f.rules.push_back("single_estimate: one study reports an effect estimate");
  }
  std::set<std::string> counted;
  for (const auto& r : f.results) counted.insert(r.record_id);
  if (f.effect_source.empty()) {
    f.effect_source = "vote_count";
    f.rules.push_back(
        "vote_count: no compatible effect estimates; the direction of each study's result is shown as reported");
  }
  return counted;
}

}  // namespace

std::set<std::string> choose_estimate(Finding& f, const StudiesById& studies, const Vocabulary& v) {
  const StudyResult* review = largest_review(f, studies);
  const std::set<std::string> counted = review ? use_review(f, *review, studies, v) : pool_trials(f, v);
  for (const auto& r : f.results) {
    if (!counted.count(r.record_id)) continue;
    f.n_studies += r.n_studies ? static_cast<int>(*r.n_studies) : 1;
    f.n_participants += r.participants;
  }
  for (const auto& r : f.results) f.record_ids.push_back(r.record_id);
  std::sort(f.record_ids.begin(), f.record_ids.end());
  f.record_ids.erase(std::unique(f.record_ids.begin(), f.record_ids.end()), f.record_ids.end());
  return counted;
}

namespace {

void direction_from_estimate(Finding& f) {
  const double lo = *f.effect_ci_low, hi = *f.effect_ci_high, y = *f.effect;
  const double mid = mid_0_100(f.outcome);
  f.direction = lo > 0 ? "favours_intervention" : hi < 0 ? "favours_comparator" : "no_difference";
  const bool ratio = f.effect_scale == "log";
  const double m = f.effect_measure == "SMD" || ratio ? 1 : (f.effect_scale == "0-100" ? mid : 0);
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
  const std::string scale = f.effect_measure == "SMD" ? "SMD 0.2/0.5/0.8"
                            : ratio                   ? "ratio 1.1/1.25/2"
                                                      : "MID " + fmt(mid) + "/100";
  f.rules.push_back("effect_size: |effect| against the MID (" + scale + ")");
}

void direction_from_votes(Finding& f, const std::set<std::string>& counted) {
  std::map<std::string, int> votes;
  for (const auto& r : f.results)
    if (counted.count(r.record_id) && r.direction != "unclear") ++votes[r.direction];
  if (votes.empty()) {
    f.direction = "unclear";
    f.thin = true;
  } else if (votes.count("conflicting") || (votes.count("favours_intervention") && votes.count("favours_comparator"))) {
    f.direction = "conflicting";
  } else {
    f.direction = std::max_element(votes.begin(), votes.end(), [](const auto& a, const auto& b) {
                    return a.second < b.second;
                  })->first;
    if (votes.size() > 1) f.rules.push_back("vote_majority: studies differ; the majority direction is shown");
  }
  f.effect_size = f.direction == "no_difference" ? "none" : "unknown";
}

}  // namespace

void set_direction(Finding& f, const std::set<std::string>& counted) {
  if (f.effect)
    direction_from_estimate(f);
  else
    direction_from_votes(f, counted);
}

}  // namespace synthesis
}  // namespace evidence
