#include "evidence/exports.hpp"

#include "evidence/appraisal.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace evidence {

using nlohmann::json;

namespace {

// A line break inside a value would end the line early and could start a tag of its own
// (an abstract's paragraphs): breaks become spaces.
std::string ris_line(const char* tag, const std::string& value) {
  if (value.empty()) return "";
  std::string line = std::string(tag) + "  - " + value;
  for (char& c : line)
    if (c == '\r' || c == '\n') c = ' ';
  return line + "\r\n";
}

const char* ris_type(const Study& s) { return s.design == Design::guideline ? "GOVDOC" : "JOUR"; }

std::string bib_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '{' || c == '}' || c == '\\' || c == '%' || c == '&' || c == '$' || c == '#' || c == '_') out += '\\';
    out += c;
  }
  return out;
}

std::string csv_field(const std::string& s) {
  std::string v = s;
  // A cell starting with = + - @ would run as a formula in a spreadsheet.
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')) v = "'" + v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"')
      out += "\"\"";
    else
      out += c;
  }
  return out + "\"";
}

// Reference managers show the keyword as written, so the design is spelled out: appraisal's
// label in lower case ("randomised trial", "cohort study").
std::string design_text(Design d) {
  std::string text = design_label(d);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

std::string joined(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

}  // namespace

std::string ris_record(const Study& s) {
  std::string out;
  out += ris_line("TY", ris_type(s));
  out += ris_line("TI", s.title);
  for (const auto& a : s.authors) out += ris_line("AU", a);
  out += ris_line("PY", s.year > 0 ? std::to_string(s.year) : "");
  out += ris_line("JO", s.journal);
  out += ris_line("DO", s.identifiers.doi);
  if (!s.identifiers.pmid.empty()) out += ris_line("AN", "PMID:" + s.identifiers.pmid);
  if (!s.identifiers.nct.empty()) out += ris_line("AN", s.identifiers.nct);
  // AB is the paper's abstract, as a reference manager shows it; our own summary is a note
  // that says whose it is, so it is never taken for the authors' words.
  out += ris_line("AB", s.abstract_text());
  out += ris_line("KW", design_text(s.design));
  out += ris_line("N1", "backpain-evidence id " + s.id);
  if (!s.summary.clinician.empty()) out += ris_line("N1", "backpain-evidence summary: " + s.summary.clinician);
  if (!s.identifiers.pmid.empty()) out += ris_line("UR", "https://pubmed.ncbi.nlm.nih.gov/" + s.identifiers.pmid + "/");
  out += "ER  - \r\n\r\n";
  return out;
}

std::string to_ris(const std::vector<Study>& studies) {
  std::string out;
  for (const auto& s : studies) out += ris_record(s);
  return out;
}

std::string bibtex_record(const Study& s) {
  std::string out;
  std::string key;
  for (char c : s.id)
    if (std::isalnum(static_cast<unsigned char>(c))) key += c;
  out += "@article{" + key + ",\n";
  out += "  title = {" + bib_escape(s.title) + "},\n";
  if (!s.authors.empty()) {
    std::string a;
    for (const auto& x : s.authors) a += (a.empty() ? "" : " and ") + bib_escape(x);
    if (!s.authors_complete) a += " and others";
    out += "  author = {" + a + "},\n";
  }
  if (!s.journal.empty()) out += "  journal = {" + bib_escape(s.journal) + "},\n";
  if (s.year > 0) out += "  year = {" + std::to_string(s.year) + "},\n";
  if (!s.identifiers.doi.empty()) out += "  doi = {" + bib_escape(s.identifiers.doi) + "},\n";
  if (!s.identifiers.pmid.empty()) out += "  pmid = {" + s.identifiers.pmid + "},\n";
  if (!s.abstract.empty()) out += "  abstract = {" + bib_escape(s.abstract_text()) + "},\n";
  out += "  note = {" + bib_escape(design_text(s.design)) + "; backpain-evidence " + bib_escape(s.id) + "}\n}\n\n";
  return out;
}

std::string to_bibtex(const std::vector<Study>& studies) {
  std::string out;
  for (const auto& s : studies) out += bibtex_record(s);
  return out;
}

std::string csv_header() {
  return "id,title,authors,year,journal,design,pmid,doi,nct,quality,quality_basis,interventions,conditions\r\n";
}

std::string csv_row(const Study& s) {
  std::string out;
  std::vector<std::string> intervention_concepts;
  for (const auto& a : s.interventions)
    intervention_concepts.insert(intervention_concepts.end(), a.concepts.begin(), a.concepts.end());
  char quality[32] = "";
  if (s.annotation.quality_score >= 0) std::snprintf(quality, sizeof quality, "%.0f", s.annotation.quality_score);
  const std::string year = s.year > 0 ? std::to_string(s.year) : std::string();
  for (const auto& f :
       {s.id, s.title, joined(s.authors, "; "), year, s.journal, std::string(design_name(s.design)), s.identifiers.pmid,
        s.identifiers.doi, s.identifiers.nct, std::string(quality), s.annotation.quality_basis,
        joined(intervention_concepts, "; "), joined(s.population.conditions, "; ")})
    out += csv_field(f) + ",";
  out.back() = '\r';
  out += "\n";
  return out;
}

std::string to_csv(const std::vector<Study>& studies) {
  std::string out = csv_header();
  for (const auto& s : studies) out += csv_row(s);
  return out;
}

// ---------------------------------------------------------------------------------------------
// FHIR R5 Evidence (EBM-on-FHIR)

namespace {

// A CodeableConcept with one coding from an HL7 terminology code system.
json codeable(const char* code_system, const std::string& code) {
  const json coding = {{"system", std::string("http://terminology.hl7.org/CodeSystem/") + code_system}, {"code", code}};
  return {{"coding", json::array({coding})}};
}

json variable(const std::string& description, const char* role) {
  return {{"description", description}, {"variableRole", codeable("variable-role", role)}};
}

// Our GRADE domains to FHIR's certainty-type codes.
const char* certainty_type(const std::string& domain) {
  if (domain == "risk_of_bias") return "RiskOfBias";
  if (domain == "inconsistency") return "Inconsistency";
  if (domain == "indirectness") return "Indirectness";
  if (domain == "imprecision") return "Imprecision";
  if (domain == "publication_bias") return "PublicationBias";
  return "Overall";
}

// FHIR's certainty-rating codes spell our levels with a hyphen ("very-low").
std::string fhir_rating(CertaintyLevel level) {
  std::string code = certainty_level_name(level);
  std::replace(code.begin(), code.end(), '_', '-');
  return code;
}

json certainty(const Finding& f) {
  json c = {{"description", "Overall certainty (backpain-evidence GRADE-style rules)"},
            {"type", codeable("certainty-type", "Overall")},
            {"rating", codeable("certainty-rating", fhir_rating(f.certainty))}};
  for (const auto& d : f.downgrades)
    c["subcomponent"].push_back(
        {{"description", d.reason},
         {"type", codeable("certainty-type", certainty_type(d.domain))},
         {"rating", codeable("certainty-rating", d.levels >= 2 ? "very-serious-concern" : "serious-concern")}});
  return c;
}

// The effect shown for the finding; call only when it has one.
json statistic(const Finding& f) {
  const json range = {{"low", {{"value", *f.effect_ci_low}}}, {"high", {{"value", *f.effect_ci_high}}}};
  const json interval = {{"type", {{"text", "95% confidence interval"}}}, {"level", 0.95}, {"range", range}};
  return {{"description", f.effect_text},
          {"statisticType", {{"text", f.effect_measure}}},
          {"quantity", {{"value", *f.effect}}},
          {"sampleSize", {{"numberOfStudies", f.n_studies}, {"numberOfParticipants", f.n_participants}}},
          {"attributeEstimate", json::array({interval})}};
}

json evidence_resource(const Finding& f, std::size_t number) {
  const json variables = json::array({
      variable(f.population_label.empty() ? "back pain" : f.population_label, "population"),
      variable(f.intervention_label, "exposure"),
      variable(f.comparator_label, "referenceExposure"),
      variable(f.outcome_label + " (" + f.time_point + " term)", "measuredVariable"),
  });
  json ev = {{"resourceType", "Evidence"},
             {"id", "finding-" + std::to_string(number)},
             {"status", "active"},
             {"title", f.clinician_sentence},
             {"description", f.patient_sentence},
             {"variableDefinition", variables},
             {"certainty", json::array({certainty(f)})},
             {"relatesTo", json::array()}};
  if (f.effect) ev["statistic"] = json::array({statistic(f)});
  for (const auto& id : f.record_ids)
    ev["relatesTo"].push_back({{"type", "derived-from"}, {"targetReference", {{"display", id}}}});
  return ev;
}

}  // namespace

json to_fhir_evidence(const EvidenceSummary& summary, const std::string& query) {
  json entries = json::array();
  std::size_t n = 0;
  for (const auto& f : summary.findings) {
    ++n;
    entries.push_back(
        {{"fullUrl", "urn:backpain-evidence:finding-" + std::to_string(n)}, {"resource", evidence_resource(f, n)}});
  }
  const json tag = {{"code", "query"}, {"display", query}};
  return {
      {"resourceType", "Bundle"}, {"type", "collection"}, {"meta", {{"tag", json::array({tag})}}}, {"entry", entries}};
}

}  // namespace evidence
