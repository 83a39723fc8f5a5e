#include "evidence/record_validator.hpp"

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include <cmath>
#include <fstream>

#include "evidence/appraisal.hpp"
#include "evidence/errors.hpp"
#include "evidence/text.hpp"

namespace evidence {

using nlohmann::json;

struct RecordValidator::Impl {
  valijson::Schema schema;
  const Vocabulary* vocabulary = nullptr;
};

RecordValidator::RecordValidator(const json& schema, const Vocabulary& vocabulary) : impl_(std::make_unique<Impl>()) {
  impl_->vocabulary = &vocabulary;
  try {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(schema);
    parser.populateSchema(adapter, impl_->schema);
  } catch (const std::exception& e) {
    throw Error(ErrorCode::invalid_argument, std::string("study schema is unusable: ") + e.what());
  }
}

RecordValidator::~RecordValidator() = default;
RecordValidator::RecordValidator(RecordValidator&&) noexcept = default;
RecordValidator& RecordValidator::operator=(RecordValidator&&) noexcept = default;

RecordValidator RecordValidator::from_file(const std::filesystem::path& schema_file, const Vocabulary& vocabulary) {
  std::ifstream in(schema_file);
  if (!in) throw Error(ErrorCode::io_error, "cannot read schema file " + schema_file.string());
  try {
    return RecordValidator(json::parse(in), vocabulary);
  } catch (const json::exception& e) {
    throw Error(ErrorCode::invalid_argument, schema_file.string() + ": not valid JSON: " + e.what());
  }
}

std::string context_to_pointer(const std::vector<std::string>& context) {
  std::string ptr;
  for (const auto& c : context) {
    if (c == "<root>") continue;
    std::string part = c;
    if (part.size() >= 2 && part.front() == '[' && part.back() == ']') part = part.substr(1, part.size() - 2);
    if (part.size() >= 2 && part.front() == '"' && part.back() == '"') part = part.substr(1, part.size() - 2);
    ptr += '/';
    append_pointer_token(part, ptr);
  }
  return ptr;
}

namespace {

void check_concept(const Vocabulary& v, const json& value, const std::string& ptr,
                   std::initializer_list<const char*> kinds, std::vector<ValidationIssue>& out) {
  if (!value.is_string()) return;
  const std::string id = value.get<std::string>();
  const Concept* c = v.find(id);
  if (!c) {
    out.push_back({ptr, "unknown concept '" + id + "' (not in the vocabulary)"});
    return;
  }
  for (const char* k : kinds)
    if (c->kind == k) return;
  std::string expected;
  for (const char* k : kinds) expected += (expected.empty() ? "" : " or ") + std::string(k);
  out.push_back({ptr, "concept '" + id + "' is a " + c->kind + ", expected " + expected});
}

void check_list(const Vocabulary& v, const json& parent, const char* key, const std::string& ptr,
                std::initializer_list<const char*> kinds, std::vector<ValidationIssue>& out) {
  auto it = parent.find(key);
  if (it == parent.end() || !it->is_array()) return;
  for (std::size_t i = 0; i < it->size(); ++i)
    check_concept(v, (*it)[i], ptr + "/" + key + "/" + std::to_string(i), kinds, out);
}

}  // namespace

namespace {

// An effect's numbers: a CI in order around its estimate, ratios positive, a scale that is one,
// every number finite.
void check_effect(const json& e, const std::string& p, std::vector<ValidationIssue>& out) {
  const auto num = [&](const char* k) -> const json* {
    auto it = e.find(k);
    return it != e.end() && it->is_number() ? &*it : nullptr;
  };
  const json* val = num("value");
  const json* lo = num("ci_low");
  const json* hi = num("ci_high");
  if (lo && hi && lo->get<double>() > hi->get<double>())
    out.push_back({p + "/effect/ci_low", "confidence interval is inverted (ci_low > ci_high)"});
  else if (val && lo && hi && (val->get<double>() < lo->get<double>() || val->get<double>() > hi->get<double>()))
    out.push_back({p + "/effect/value", "estimate lies outside its own confidence interval"});
  const std::string measure =
      e.contains("measure") && e["measure"].is_string() ? e["measure"].get<std::string>() : std::string();
  const bool ratio = measure == "RR" || measure == "OR" || measure == "HR";
  if (val && ratio && val->get<double>() <= 0)
    out.push_back({p + "/effect/value", "a ratio measure (" + measure + ") must be positive"});
  else if (lo && ratio && lo->get<double>() <= 0)
    out.push_back(
        {p + "/effect/ci_low", "the confidence interval of a ratio measure (" + measure + ") must be positive"});
  const json* smin = num("scale_min");
  const json* smax = num("scale_max");
  if (smin && smax && smin->get<double>() >= smax->get<double>())
    out.push_back({p + "/effect/scale_max", "scale_max must be greater than scale_min"});
  // JSON text cannot hold NaN or infinity, but a record built in code can.
  for (const char* k : {"value", "ci_low", "ci_high", "scale_min", "scale_max"})
    if (const json* x = num(k); x && !std::isfinite(x->get<double>()))
      out.push_back({p + "/effect/" + k, std::string(k) + " must be a finite number"});
}

// One outcome (at pointer p): its concepts, its time point against its follow-up, its effect.
void check_outcome(const Vocabulary& v, const json& o, const std::string& p, std::vector<ValidationIssue>& out) {
  if (auto d = o.find("domain"); d != o.end()) check_concept(v, *d, p + "/domain", {"outcome"}, out);
  if (auto d = o.find("instrument"); d != o.end()) check_concept(v, *d, p + "/instrument", {"instrument"}, out);
  check_list(v, o, "intervention", p, {"intervention"}, out);
  check_list(v, o, "comparator", p, {"intervention", "comparator"}, out);
  check_list(v, o, "add_on", p, {"intervention"}, out);
  if (auto pop = o.find("population"); pop != o.end() && pop->is_object())
    check_list(v, *pop, "conditions", p + "/population", {"condition"}, out);
  // One rule files a follow-up under its time point, so "3 months" and "12 weeks" land together.
  if (auto w = o.find("follow_up_weeks"); w != o.end() && w->is_number())
    if (auto t = o.find("time_point"); t != o.end() && t->is_string()) {
      const std::string bucket = time_point_of_weeks(w->get<double>());
      if (t->get<std::string>() != bucket)
        out.push_back({p + "/time_point", "a follow-up of " + w->dump() + " weeks is time point '" + bucket +
                                              "', not '" + t->get<std::string>() + "'"});
    }
  if (auto e = o.find("effect"); e != o.end() && e->is_object()) check_effect(*e, p, out);
}

// PEDro item 1 (eligibility) is not scored; items 2-11 are, and their count is the score.
void check_pedro(const json& r, std::vector<ValidationIssue>& out) {
  auto q = r.find("quality");
  if (q == r.end() || !q->is_object()) return;
  auto p = q->find("pedro");
  if (p == q->end() || !p->is_object()) return;
  auto items = p->find("items");
  if (items == p->end() || !items->is_array() || !p->contains("score") || !(*p)["score"].is_number_integer()) return;
  int yes = 0;
  for (std::size_t i = 1; i < items->size(); ++i) yes += (*items)[i].is_boolean() && (*items)[i].get<bool>() ? 1 : 0;
  if (yes != (*p)["score"].get<int>())
    out.push_back({"/quality/pedro/score", "PEDro score " + std::to_string((*p)["score"].get<int>()) +
                                               " does not equal the number of items 2-11 met (" + std::to_string(yes) +
                                               ")"});
}

}  // namespace

std::vector<ValidationIssue> RecordValidator::check_concepts_and_sanity(const json& r) const {
  std::vector<ValidationIssue> out;
  if (!r.is_object()) return out;
  const Vocabulary& v = *impl_->vocabulary;
  if (auto pop = r.find("population"); pop != r.end() && pop->is_object())
    check_list(v, *pop, "conditions", "/population", {"condition"}, out);
  for (const char* arms : {"interventions", "comparators"}) {
    auto it = r.find(arms);
    if (it == r.end() || !it->is_array()) continue;
    for (std::size_t i = 0; i < it->size(); ++i)
      if ((*it)[i].is_object())
        check_list(v, (*it)[i], "concepts", std::string("/") + arms + "/" + std::to_string(i),
                   {"intervention", "comparator"}, out);
  }
  if (auto outs = r.find("outcomes"); outs != r.end() && outs->is_array())
    for (std::size_t i = 0; i < outs->size(); ++i)
      if ((*outs)[i].is_object()) check_outcome(v, (*outs)[i], "/outcomes/" + std::to_string(i), out);
  const std::string id = r.contains("id") && r["id"].is_string() ? r["id"].get<std::string>() : std::string();
  for (const char* links : {"same_trial_as", "supersedes", "included_record_ids"})
    if (auto it = r.find(links); it != r.end() && it->is_array())
      for (std::size_t i = 0; i < it->size(); ++i)
        if ((*it)[i] == id)
          out.push_back({std::string("/") + links + "/" + std::to_string(i), "a record cannot name itself here"});
  check_pedro(r, out);
  return out;
}

std::vector<ValidationIssue> RecordValidator::validate(const json& record) const {
  std::vector<ValidationIssue> out;
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter adapter(record);
  if (!validator.validate(impl_->schema, adapter, &results)) {
    valijson::ValidationResults::Error err;
    // valijson reports the failing leaf and then each enclosing schema; keep the leaves, which
    // name the field, and drop the generic "failed to validate against schema" wrappers.
    std::vector<ValidationIssue> all;
    while (results.popError(err)) all.push_back({context_to_pointer(err.context), err.description});
    for (const auto& issue : all) {
      bool wrapper =
          issue.message.find("Failed to validate against schema associated with property") != std::string::npos ||
          issue.message.find("Failed to validate item #") != std::string::npos ||
          issue.message.find("Failed to validate against child schema") != std::string::npos;
      if (!wrapper) out.push_back(issue);
    }
    if (out.empty()) out = all;
  }
  auto more = check_concepts_and_sanity(record);
  out.insert(out.end(), more.begin(), more.end());
  return out;
}

}  // namespace evidence
