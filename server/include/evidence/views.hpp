#pragma once
// The JSON bodies of the API, built from core's results: what a client sees of a study, a hit, a
// facet, a search, a summary and a concept. Named functions rather than nlohmann to_json
// overloads: these types are core's, and their to_json (if core ever defines one) belongs there;
// these are the API's views of them. Pure functions; nothing throws except std::bad_alloc.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "evidence/params.hpp"
#include "evidence/search.hpp"
#include "evidence/study.hpp"
#include "evidence/vocabulary.hpp"

namespace evidence {

// A study in brief, as a hit lists it: ids (null when absent), title, year, journal, authors,
// design, evidence level, quality {score, scale, basis, estimated}, intervention, condition and
// outcome concepts, duration, participants, retraction, sources, summary sentences.
nlohmann::json study_brief_json(const Study& study);

// /api/studies/{id}: the whole record with its annotation, the brief, links to PubMed, DOI,
// ClinicalTrials.gov and PMC, and the labels of every concept it names.
nlohmann::json study_page_json(const Study& study, const Vocabulary& vocabulary);

// A search hit: the brief with its rank, score, snippet and the reasons for its rank.
nlohmann::json hit_json(const Hit& hit);

// The facet counts: [{field, counts: [{value, label, count}]}].
nlohmann::json facets_json(const std::vector<std::pair<std::string, std::vector<FacetCount>>>& facets);

// /api/search: the question as understood, counts, the page of hits, facets, the graded summary,
// the audience asked for and the index revision searched.
nlohmann::json search_json(const ApiSearchRequest& request, const SearchResponse& response,
                           const std::string& revision);

// /api/summary: the question as understood, the number of matches and the graded summary.
// `response` must carry a summary (SearchRequest::with_summary).
nlohmann::json summary_json(const SearchRequest& request, const SearchResponse& response);

// A vocabulary concept for autocomplete: id, kind, preferred and plain terms, abbreviations.
nlohmann::json concept_json(const Concept& c);

// /api/export?format=json: the query, the number of studies and the full records.
nlohmann::json export_json(const std::string& query, const std::vector<Study>& studies);
// The same document as text in three parts, for writing it a study at a time: what comes before
// the first study, one study, and what comes after the last (studies are separated by a comma).
std::string export_json_head(const std::string& query, std::size_t count);
std::string export_json_study(const Study& study);
inline constexpr const char* export_json_tail = "]}";

}  // namespace evidence
