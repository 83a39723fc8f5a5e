#include "evidence/views.hpp"

#include <set>

#include "evidence/appraisal.hpp"

namespace evidence {

using nlohmann::json;

namespace {

json or_null(const std::string& value) { return value.empty() ? json() : json(value); }

json quality_json(const Study& s) {
  return {{"score", s.annotation.quality_score >= 0 ? json(s.annotation.quality_score) : json()},
          {"scale", s.quality.pedro ? "PEDro 0-10" : "0-10"},
          {"basis", s.annotation.quality_basis},
          {"estimated", s.annotation.quality_estimated},
          {"band", quality_band_of(s.annotation.quality_score)}};
}

// Outcome domains in the order the record names them, each once.
json outcome_domains(const Study& s) {
  json out = json::array();
  std::set<std::string> seen;
  for (const auto& o : s.outcomes)
    if (seen.insert(o.domain).second) out.push_back(o.domain);
  return out;
}

json links_json(const Identifiers& ids) {
  json links = json::object();
  if (!ids.pmid.empty()) links["pubmed"] = "https://pubmed.ncbi.nlm.nih.gov/" + ids.pmid + "/";
  if (!ids.doi.empty()) links["doi"] = "https://doi.org/" + ids.doi;
  if (!ids.nct.empty()) links["clinicaltrials_gov"] = "https://clinicaltrials.gov/study/" + ids.nct;
  if (!ids.pmcid.empty()) links["pmc"] = "https://pmc.ncbi.nlm.nih.gov/articles/" + ids.pmcid + "/";
  return links;
}

// The preferred and plain label of every concept the study names, so that the page can show
// words rather than ids.
json concept_labels(const Study& s, const Vocabulary& vocabulary) {
  json labels = json::object();
  auto label = [&](const std::string& id) {
    if (const Concept* c = vocabulary.find(id)) labels[id] = {{"preferred", c->preferred}, {"plain", c->plain}};
  };
  for (const auto& a : s.interventions)
    for (const auto& c : a.concepts) label(c);
  for (const auto& a : s.comparators)
    for (const auto& c : a.concepts) label(c);
  for (const auto& c : s.population.conditions) label(c);
  for (const auto& o : s.outcomes) {
    label(o.domain);
    if (!o.instrument.empty()) label(o.instrument);
  }
  return labels;
}

}  // namespace

json study_brief_json(const Study& s) {
  const json ids = {{"pmid", or_null(s.identifiers.pmid)},
                    {"doi", or_null(s.identifiers.doi)},
                    {"nct", or_null(s.identifiers.nct)},
                    {"pmcid", or_null(s.identifiers.pmcid)}};
  json interventions = json::array();
  for (const auto& a : s.interventions)
    for (const auto& c : a.concepts) interventions.push_back(c);
  return {{"id", s.id},
          {"identifiers", ids},
          {"title", s.title},
          {"year", s.year > 0 ? json(s.year) : json()},
          {"journal", s.journal},
          {"authors", s.authors},
          {"design", s.design},
          {"meta_analysis", s.meta_analysis},
          {"evidence_level", s.annotation.evidence_level},
          {"quality", quality_json(s)},
          {"interventions", interventions},
          {"conditions", s.population.conditions},
          {"outcomes", outcome_domains(s)},
          {"duration", s.population.duration},
          {"participants", s.participants() > 0 ? json(s.participants()) : json()},
          {"retracted", s.retracted},
          {"sources", s.annotation.sources},
          {"summary", {{"clinician", s.summary.clinician}, {"plain", s.summary.plain}}}};
}

json study_page_json(const Study& s, const Vocabulary& vocabulary) {
  json j = study_to_json(s, true);
  j["brief"] = study_brief_json(s);
  j["links"] = links_json(s.identifiers);
  j["concept_labels"] = concept_labels(s, vocabulary);
  return j;
}

json hit_json(const Hit& h) {
  json j = study_brief_json(h.study);
  j["rank"] = h.rank;
  j["score"] = h.score;
  j["snippet"] = h.snippet;
  j["why"] = h.why;
  return j;
}

json facets_json(const std::vector<std::pair<std::string, std::vector<FacetCount>>>& facets) {
  json out = json::array();
  for (const auto& [field, counts] : facets) {
    json cs = json::array();
    for (const auto& c : counts) cs.push_back({{"value", c.value}, {"label", c.label}, {"count", c.count}});
    out.push_back({{"field", field}, {"counts", cs}});
  }
  return out;
}

json search_json(const ApiSearchRequest& request, const SearchResponse& sr, const std::string& revision) {
  json hits = json::array();
  for (const auto& h : sr.hits) hits.push_back(hit_json(h));
  const json query = {{"text", request.search.q},
                      {"parsed", sr.question.to_json()},
                      {"did_you_mean", or_null(sr.did_you_mean)},
                      {"treatments_relaxed", sr.treatments_relaxed}};
  return {{"query", query},
          {"found", sr.found},
          {"found_exact", sr.found_exact},
          {"facet_counts_exact", sr.facets_exact},
          {"page", sr.page},
          {"per_page", sr.per_page},
          {"search_time_ms", sr.search_time_ms},
          {"hits", hits},
          {"facet_counts", facets_json(sr.facets)},
          {"summary", sr.summary ? sr.summary->to_json() : json()},
          {"audience", audience_name(request.audience)},
          {"index_revision", revision}};
}

json summary_json(const SearchRequest& request, const SearchResponse& sr) {
  return {{"query", {{"text", request.q}, {"parsed", sr.question.to_json()}}},
          {"found", sr.found},
          {"summary", sr.summary->to_json()},
          {"search_time_ms", sr.search_time_ms}};
}

json concept_json(const Concept& c) {
  return {{"id", c.id},
          {"kind", c.kind},
          {"preferred", c.preferred},
          {"plain", c.plain},
          {"abbreviations", c.abbreviations}};
}

json export_json(const std::string& query, const std::vector<Study>& studies) {
  json records = json::array();
  for (const auto& s : studies) records.push_back(study_to_json(s, true));
  return {{"query", query}, {"count", studies.size()}, {"studies", records}};
}

// Keys in the order nlohmann::json writes an object's (sorted), so that the text is the one
// export_json() gives.
std::string export_json_head(const std::string& query, std::size_t count) {
  std::string head = json{{"count", count}, {"query", query}}.dump(-1, ' ', false, json::error_handler_t::replace);
  head.pop_back();
  return head + ",\"studies\":[";
}

std::string export_json_study(const Study& study) {
  return study_to_json(study, true).dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace evidence
