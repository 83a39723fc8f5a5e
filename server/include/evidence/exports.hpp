#pragma once
// The download formats of /api/export: reference-manager files of the matching studies (RIS,
// BibTeX, CSV) and the graded findings as HL7 FHIR R5 Evidence resources. Pure functions of
// their input; none of them throws except std::bad_alloc.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "evidence/study.hpp"
#include "evidence/synthesis.hpp"

namespace evidence {

// RIS (EndNote, Zotero, Mendeley): one record per study, lines "TAG  - value" ending in CRLF;
// empty fields are left out, line breaks in a value become spaces. Guidelines are typed GOVDOC,
// everything else JOUR. AB is the paper's abstract (absent when the record has none); our summary
// is a note ("backpain-evidence summary: ...").
std::string to_ris(const std::vector<Study>& studies);
std::string ris_record(const Study& study);  // one study's record, as to_ris() writes it

// BibTeX: one @article per study, keyed by the study id without punctuation; TeX specials are
// escaped; an author list marked incomplete ends in "and others"; the abstract when the record has
// one.
std::string to_bibtex(const std::vector<Study>& studies);
std::string bibtex_record(const Study& study);  // one study's entry, as to_bibtex() writes it

// CSV (RFC 4180, CRLF): a header row, then one row per study, every cell quoted. A cell that
// starts with = + - @ is prefixed with ' so that a spreadsheet does not run it as a formula.
std::string to_csv(const std::vector<Study>& studies);
std::string csv_header();                 // the header row of to_csv()
std::string csv_row(const Study& study);  // one study's row

// A FHIR collection Bundle with one Evidence resource per finding of the summary (population,
// exposure, reference exposure, measured variable; GRADE certainty with its downgrades; the
// pooled effect with its 95% CI when there is one). `query` is recorded as a meta tag.
nlohmann::json to_fhir_evidence(const EvidenceSummary& summary, const std::string& query);

}  // namespace evidence
