#include <nlohmann/json.hpp>

#include "evidence/ingest.hpp"
#include "evidence/text.hpp"

namespace evidence {

using nlohmann::json;

namespace {

const json* at_path(const json& j, std::initializer_list<const char*> path) {
  const json* cur = &j;
  for (const char* k : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(k);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

std::string str_at(const json& j, std::initializer_list<const char*> path) {
  const json* v = at_path(j, path);
  return v && v->is_string() ? squash_space(v->get<std::string>()) : std::string();
}

void study(const json& st, std::size_t index, const std::string& file, ReadResult& out) {
  const std::string nct = str_at(st, {"protocolSection", "identificationModule", "nctId"});
  const std::string record = nct.empty() ? "study " + std::to_string(index) : nct;
  auto problem = [&](const std::string& field, const std::string& msg) { out.problems.push_back({file, record, field, msg}); };
  if (!st.is_object() || !st.contains("protocolSection")) return problem("", "not a ClinicalTrials.gov study (no protocolSection)");
  if (nct.empty()) return problem("/protocolSection/identificationModule/nctId", "missing NCT number");
  if (nct.size() != 11 || nct.rfind("NCT", 0) != 0 || nct.substr(3).find_first_not_of("0123456789") != std::string::npos)
    return problem("/protocolSection/identificationModule/nctId", "NCT number must be NCT followed by 8 digits, got '" + nct.substr(0, 40) + "'");
  Study s;
  s.id = "ctgov-" + nct;
  s.identifiers.nct = nct;
  s.title = str_at(st, {"protocolSection", "identificationModule", "officialTitle"});
  if (s.title.empty()) s.title = str_at(st, {"protocolSection", "identificationModule", "briefTitle"});
  if (s.title.empty()) return problem("/protocolSection/identificationModule/briefTitle", "missing title");
  for (const auto& [label, key] : {std::pair{"Brief summary", "briefSummary"}, std::pair{"Detailed description", "detailedDescription"}}) {
    std::string t = str_at(st, {"protocolSection", "descriptionModule", key});
    if (t.size() > 20000) t = t.substr(0, 20000);
    if (!t.empty()) s.abstract.push_back({label, t});
  }
  for (const auto& f : {s.title, s.abstract_text()})
    if (!is_valid_utf8(f)) return problem("/protocolSection", "invalid UTF-8 in title or description");
  std::string date = str_at(st, {"protocolSection", "statusModule", "startDateStruct", "date"});
  if (date.empty()) date = str_at(st, {"protocolSection", "statusModule", "studyFirstSubmitDate"});
  if (date.size() >= 4) s.year = std::atoi(date.substr(0, 4).c_str());
  if (s.year == 0) s.year = 0;  // registrations without dates (derived pages) are kept; year 0 means unknown
  s.annotation.status = str_at(st, {"protocolSection", "statusModule", "overallStatus"});
  if (const json* conds = at_path(st, {"protocolSection", "conditionsModule", "conditions"}); conds && conds->is_array())
    for (const auto& c : *conds)
      if (c.is_string()) s.annotation.keywords.push_back(c.get<std::string>());
  if (const json* kws = at_path(st, {"protocolSection", "conditionsModule", "keywords"}); kws && kws->is_array())
    for (const auto& c : *kws)
      if (c.is_string()) s.annotation.keywords.push_back(c.get<std::string>());
  for (const char* browse : {"conditionBrowseModule", "interventionBrowseModule"})
    if (const json* m = at_path(st, {"derivedSection", browse, "meshes"}); m && m->is_array())
      for (const auto& x : *m)
        if (x.is_object() && x.contains("term") && x["term"].is_string()) s.annotation.mesh_terms.push_back(x["term"].get<std::string>());
  // Arms: the registry's own arm types say which arm is the comparator.
  if (const json* arms = at_path(st, {"protocolSection", "armsInterventionsModule", "armGroups"}); arms && arms->is_array()) {
    for (const auto& a : *arms) {
      if (!a.is_object()) continue;
      const std::string type = a.value("type", "");
      std::string label = a.value("label", "");
      if (a.contains("description") && a["description"].is_string()) label += ": " + a["description"].get<std::string>();
      label = squash_space(label);
      if (label.empty()) continue;
      if (label.size() > 2000) label = label.substr(0, 2000);
      Arm arm{{}, label, ""};
      if (type == "PLACEBO_COMPARATOR" || type == "SHAM_COMPARATOR") arm.kind = "placebo_sham";
      else if (type == "NO_INTERVENTION") arm.kind = "no_treatment";
      else if (type == "ACTIVE_COMPARATOR") arm.kind = "active";
      if (arm.kind.empty()) s.interventions.push_back(arm);
      else s.comparators.push_back(arm);
    }
  }
  if (const json* ivs = at_path(st, {"protocolSection", "armsInterventionsModule", "interventions"}); ivs && ivs->is_array())
    for (const auto& iv : *ivs)
      if (iv.is_object() && iv.contains("name") && iv["name"].is_string())
        s.annotation.keywords.push_back(iv["name"].get<std::string>());
  const std::string alloc = str_at(st, {"protocolSection", "designModule", "designInfo", "allocation"});
  const std::string type = str_at(st, {"protocolSection", "designModule", "studyType"});
  if (alloc == "RANDOMIZED") s.design = "rct";
  else if (alloc == "NON_RANDOMIZED" || alloc == "NA") s.design = "non_randomised_trial";
  else if (type == "OBSERVATIONAL") s.design = "cohort";
  if (!alloc.empty() || !type.empty()) s.annotation.origins["design"] = Origin::source_metadata;
  if (const json* n = at_path(st, {"protocolSection", "designModule", "enrollmentInfo", "count"}); n && n->is_number_integer()) {
    const auto count = n->get<std::int64_t>();
    if (count < 0 || count > 10000000) return problem("/protocolSection/designModule/enrollmentInfo/count", "implausible enrolment " + std::to_string(count));
    if (s.design == "rct") s.population.n_randomised = count;
    else s.population.n_participants = count;
    s.annotation.origins["sample_size"] = Origin::source_metadata;
  }
  if (const json* phases = at_path(st, {"protocolSection", "designModule", "phases"}); phases && phases->is_array())
    for (const auto& p : *phases)
      if (p.is_string() && p.get<std::string>() != "NA") s.publication_types.push_back("Clinical Trial, " + p.get<std::string>());
  s.publication_types.push_back("Trial registration");
  if (st.value("hasResults", false)) s.publication_types.push_back("Results posted");
  s.provenance.sources.push_back("https://clinicaltrials.gov/study/" + nct);
  s.provenance.notes = "Imported from a ClinicalTrials.gov registration; annotations come from the registry fields and the text.";
  s.annotation.sources = {"ctgov"};
  s.annotation.files = {file};
  out.studies.push_back(std::move(s));
}

}  // namespace

ReadResult read_ctgov_json(std::string_view content, const std::string& file) {
  ReadResult out;
  out.format = InputFormat::ctgov_json;
  json j;
  try {
    j = json::parse(content.begin(), content.end());
  } catch (const json::parse_error& e) {
    out.problems.push_back({file, "", "", std::string("malformed JSON: ") + e.what()});
    return out;
  }
  if (j.is_object() && j.contains("studies") && j["studies"].is_array()) {
    std::size_t i = 0;
    for (const auto& st : j["studies"]) study(st, ++i, file, out);
  } else if (j.is_object() && j.contains("protocolSection")) {
    study(j, 1, file, out);
  } else if (j.is_array()) {
    std::size_t i = 0;
    for (const auto& st : j) study(st, ++i, file, out);
  } else {
    out.problems.push_back({file, "", "", "not a ClinicalTrials.gov API v2 document (no studies array or protocolSection)"});
  }
  return out;
}

}  // namespace evidence
