#include <nlohmann/json.hpp>

#include <algorithm>
#include <string_view>
#include <utility>

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

constexpr std::size_t max_depth = 64;
// Registry limits are 300 (brief) and 600 (official) characters for titles and 5,000 and 32,000
// for the descriptions; far longer values are not registrations but damaged or hostile data.
constexpr std::size_t max_title = 2000, max_description = 100000, kept_description = 20000;

bool is_nct(const std::string& nct) {
  return nct.size() == 11 && nct.rfind("NCT", 0) == 0 && nct.find_first_not_of("0123456789", 3) == std::string::npos;
}

std::string study_label(const json& st, std::size_t index) {
  const std::string nct = str_at(st, {"protocolSection", "identificationModule", "nctId"});
  return is_nct(nct) ? nct : "study " + std::to_string(index);
}

// "2012", "2012-05" or "2012-05-31": the year, or -1 when the text is not such a date.
int date_year(const std::string& d) {
  const auto digits = [&](std::size_t from, std::size_t n) {
    for (std::size_t i = from; i < from + n; ++i)
      if (i >= d.size() || d[i] < '0' || d[i] > '9') return false;
    return true;
  };
  const bool ok = (d.size() == 4 && digits(0, 4)) || (d.size() == 7 && digits(0, 4) && d[4] == '-' && digits(5, 2)) ||
                  (d.size() == 10 && digits(0, 4) && d[4] == '-' && digits(5, 2) && d[7] == '-' && digits(8, 2));
  return ok ? std::stoi(d.substr(0, 4)) : -1;
}

// Arm types of the registry that make an arm a comparator, with the comparator's kind; an arm of
// any other type is an intervention.
const std::pair<std::string_view, ComparatorKind> comparator_arm_types[] = {
    {"PLACEBO_COMPARATOR", ComparatorKind::placebo_sham},
    {"SHAM_COMPARATOR", ComparatorKind::placebo_sham},
    {"NO_INTERVENTION", ComparatorKind::no_treatment},
    {"ACTIVE_COMPARATOR", ComparatorKind::active},
};

// Values of the registry's design fields that name a design, in order of precedence.
struct RegistryDesign {
  bool allocation;  // the value is designInfo.allocation's, else studyType's
  std::string_view value;
  Design design;
};
const RegistryDesign registry_designs[] = {
    {true, "RANDOMIZED", Design::rct},
    {true, "NON_RANDOMIZED", Design::non_randomised_trial},
    {true, "NA", Design::non_randomised_trial},
    {false, "OBSERVATIONAL", Design::cohort},
};

const char* const nct_field = "/protocolSection/identificationModule/nctId";
const char* const enrolment_field = "/protocolSection/designModule/enrollmentInfo/count";

// One study of a document into the study model. Each check reports its problem and returns false
// when the study is skipped; the first problem found is the one reported.
struct StudyReader {
  const json& st;
  const std::string& file;
  ReadResult& out;
  std::string record;  // the study's name in problems

  bool problem(const std::string& field, const std::string& message) {
    out.problems.push_back({file, record, field, message});
    return false;
  }

  // `at`: the reference tokens of the study inside its document (for nesting and encoding problems).
  bool readable(const detail::JsonDocument& doc, const std::vector<std::string>& at) {
    if (!st.is_object() || !st.contains("protocolSection"))
      return problem("", "not a ClinicalTrials.gov study (no protocolSection)");
    for (const auto& deep : doc.too_deep)
      if (deep.size() > at.size() && std::equal(at.begin(), at.end(), deep.begin()))
        return problem(detail::json_pointer(deep, at.size(), 4),
                       "JSON nested more than " + std::to_string(max_depth) + " levels deep; the study is skipped");
    if (doc.invalid_utf8_at != std::string::npos)
      if (std::string pointer; detail::find_replaced_text(st, pointer))
        return problem(pointer,
                       "invalid UTF-8: the text is not UTF-8 (Latin-1 or Windows-1252?); the file's first bad byte is "
                       "at offset " +
                           std::to_string(doc.invalid_utf8_at));
    return true;
  }

  bool read_nct(const std::string& nct, Study& s) {
    if (const json* id = at_path(st, {"protocolSection", "identificationModule", "nctId"});
        id && !id->is_string() && !id->is_null())
      return problem(nct_field, std::string("NCT number must be a string, got a ") + id->type_name());
    if (nct.empty()) return problem(nct_field, "missing NCT number");
    if (!is_nct(nct))
      return problem(nct_field,
                     "NCT number must be NCT followed by 8 digits, got '" + detail::printable(nct, 40) + "'");
    s.id = "ctgov-" + nct;
    s.identifiers.nct = nct;
    return true;
  }

  // The official title, else the brief one.
  bool read_title(Study& s) {
    std::string title_field = "/protocolSection/identificationModule/officialTitle";
    s.title = str_at(st, {"protocolSection", "identificationModule", "officialTitle"});
    if (s.title.empty()) {
      title_field = "/protocolSection/identificationModule/briefTitle";
      s.title = str_at(st, {"protocolSection", "identificationModule", "briefTitle"});
    }
    if (s.title.empty()) return problem("/protocolSection/identificationModule/briefTitle", "missing title");
    if (s.title.size() > max_title)
      return problem(title_field, "title longer than " + std::to_string(max_title) + " bytes");
    return true;
  }

  // The descriptions become the abstract's sections.
  bool read_descriptions(Study& s) {
    for (const auto& [label, key] :
         {std::pair{"Brief summary", "briefSummary"}, std::pair{"Detailed description", "detailedDescription"}}) {
      std::string t = str_at(st, {"protocolSection", "descriptionModule", key});
      if (t.size() > max_description)
        return problem(
            std::string("/protocolSection/descriptionModule/") + key,
            "text longer than " + std::to_string(max_description) + " bytes (" + std::to_string(t.size()) + ")");
      // Long descriptions are kept in part, cut at a character boundary.
      if (t.size() > kept_description) t = detail::truncate_utf8(t, kept_description);
      if (!t.empty()) s.abstract.push_back({label, t});
    }
    for (const auto& f : {s.title, s.abstract_text()})
      if (!is_valid_utf8(f)) return problem("/protocolSection", "invalid UTF-8 in title or description");
    return true;
  }

  // The start date, else the first submission. Registrations without dates (derived pages) are
  // kept; year 0 means unknown.
  bool read_year(Study& s) {
    std::string date_field = "/protocolSection/statusModule/startDateStruct/date";
    std::string date = str_at(st, {"protocolSection", "statusModule", "startDateStruct", "date"});
    if (date.empty()) {
      date_field = "/protocolSection/statusModule/studyFirstSubmitDate";
      date = str_at(st, {"protocolSection", "statusModule", "studyFirstSubmitDate"});
    }
    if (date.empty()) return true;
    const int year = date_year(date);
    if (year < 0)
      return problem(date_field, "date must be YYYY, YYYY-MM or YYYY-MM-DD, got '" + detail::printable(date, 40) + "'");
    if (year < 1900 || year > 2100) return problem(date_field, "implausible year " + std::to_string(year));
    s.year = year;
    return true;
  }

  // The strings of an array at `path` (other values and a missing array give none).
  std::vector<std::string> strings_at(std::initializer_list<const char*> path) const {
    std::vector<std::string> found;
    if (const json* a = at_path(st, path); a && a->is_array())
      for (const auto& v : *a)
        if (v.is_string()) found.push_back(v.get<std::string>());
    return found;
  }

  // The string `key` of each object of an array at `path`.
  std::vector<std::string> member_strings_at(std::initializer_list<const char*> path, const char* key) const {
    std::vector<std::string> found;
    if (const json* a = at_path(st, path); a && a->is_array())
      for (const auto& x : *a)
        if (x.is_object() && x.contains(key) && x[key].is_string()) found.push_back(x[key].get<std::string>());
    return found;
  }

  // Status; condition names, keywords and intervention names as keywords; the MeSH terms the
  // registry derived.
  void read_terms(Study& s) const {
    s.annotation.status = str_at(st, {"protocolSection", "statusModule", "overallStatus"});
    auto& keywords = s.annotation.keywords;
    for (const char* list : {"conditions", "keywords"})
      for (auto& k : strings_at({"protocolSection", "conditionsModule", list})) keywords.push_back(std::move(k));
    for (auto& name : member_strings_at({"protocolSection", "armsInterventionsModule", "interventions"}, "name"))
      keywords.push_back(std::move(name));
    for (const char* browse : {"conditionBrowseModule", "interventionBrowseModule"})
      for (auto& t : member_strings_at({"derivedSection", browse, "meshes"}, "term"))
        s.annotation.mesh_terms.push_back(std::move(t));
  }

  // Arms: the registry's own arm types say which arm is the comparator.
  void read_arms(Study& s) const {
    const json* arms = at_path(st, {"protocolSection", "armsInterventionsModule", "armGroups"});
    if (!arms || !arms->is_array()) return;
    for (const auto& a : *arms) {
      if (!a.is_object()) continue;
      auto text = [&](const char* key) {
        return a.contains(key) && a[key].is_string() ? a[key].get<std::string>() : std::string();
      };
      const std::string type = text("type");
      std::string label = text("label");
      if (a.contains("description") && a["description"].is_string()) label += ": " + text("description");
      label = squash_space(label);
      if (label.empty()) continue;
      if (label.size() > 2000) label = detail::truncate_utf8(label, 2000);
      Arm arm{{}, label, std::nullopt};
      for (const auto& [arm_type, kind] : comparator_arm_types)
        if (type == arm_type) arm.kind = kind;
      if (!arm.kind)
        s.interventions.push_back(arm);
      else
        s.comparators.push_back(arm);
    }
  }

  void read_design(Study& s) const {
    const std::string alloc = str_at(st, {"protocolSection", "designModule", "designInfo", "allocation"});
    const std::string type = str_at(st, {"protocolSection", "designModule", "studyType"});
    for (const auto& row : registry_designs)
      if ((row.allocation ? alloc : type) == row.value) {
        s.design = row.design;
        break;
      }
    if (!alloc.empty() || !type.empty()) s.annotation.origins["design"] = Origin::source_metadata;
  }

  // Enrolment: randomised for a randomised trial, else participants.
  bool read_enrolment(Study& s) {
    const json* n = at_path(st, {"protocolSection", "designModule", "enrollmentInfo", "count"});
    if (!n || n->is_null()) return true;
    if (!n->is_number_integer())
      return problem(enrolment_field, "enrolment must be a whole number, got " + detail::printable(n->dump(), 40));
    if (n->is_number_unsigned() && n->get<std::uint64_t>() > 10000000)
      return problem(enrolment_field, "implausible enrolment " + n->dump());
    const auto count = n->get<std::int64_t>();
    if (count < 0 || count > 10000000)
      return problem(enrolment_field, "implausible enrolment " + std::to_string(count));
    if (s.design == Design::rct)
      s.population.n_randomised = count;
    else
      s.population.n_participants = count;
    s.annotation.origins["sample_size"] = Origin::source_metadata;
    return true;
  }

  // Publication types: the trial's phases, that it is a registration, and whether results are posted.
  void read_publication_types(Study& s) const {
    for (const auto& p : strings_at({"protocolSection", "designModule", "phases"}))
      if (p != "NA") s.publication_types.push_back("Clinical Trial, " + p);
    s.publication_types.push_back("Trial registration");
    if (st.contains("hasResults") && st["hasResults"].is_boolean() && st["hasResults"].get<bool>())
      s.publication_types.push_back("Results posted");
  }
};

// `at`: the reference tokens of the study inside its document (for nesting and encoding problems).
void study(const json& st, std::size_t index, const std::string& file, ReadResult& out, const detail::JsonDocument& doc,
           const std::vector<std::string>& at) {
  const std::string nct = str_at(st, {"protocolSection", "identificationModule", "nctId"});
  const bool unnamed = nct.empty() || nct.find("\xEF\xBF\xBD") != std::string::npos;
  const std::string record = is_nct(nct) ? nct
                             : unnamed   ? "study " + std::to_string(index)
                                         : detail::printable(nct, 40);
  StudyReader r{st, file, out, record};
  Study s;
  if (!r.readable(doc, at) || !r.read_nct(nct, s) || !r.read_title(s) || !r.read_descriptions(s) || !r.read_year(s))
    return;
  r.read_terms(s);
  r.read_arms(s);
  r.read_design(s);
  if (!r.read_enrolment(s)) return;
  r.read_publication_types(s);
  s.provenance.sources.push_back("https://clinicaltrials.gov/study/" + nct);
  s.provenance.notes =
      "Imported from a ClinicalTrials.gov registration; annotations come from the registry fields and the text.";
  s.annotation.sources = {"ctgov"};
  s.annotation.files = {file};
  out.studies.push_back(std::move(s));
}

// The first `count` studies of a list of studies; `prefix`: the list's reference tokens.
void list_studies(const json& list, const std::vector<std::string>& prefix, std::size_t count, const std::string& file,
                  ReadResult& out, const detail::JsonDocument& doc) {
  std::vector<std::string> at = prefix;
  for (std::size_t i = 0; i < count && i < list.size(); ++i) {
    at.push_back(std::to_string(i));
    study(list[i], i + 1, file, out, doc, at);
    at.pop_back();
  }
}

// A syntax error (a truncated download, NaN, a number out of range) stops the parse. The studies
// completed before it are kept; the one it is in is reported with the field.
void broken_document(const detail::JsonDocument& doc, const json* list, const std::vector<std::string>& prefix,
                     const std::string& file, ReadResult& out) {
  const json& j = doc.root;
  const auto& path = doc.error_path;
  if (list && path.size() > prefix.size() && std::equal(prefix.begin(), prefix.end(), path.begin())) {
    const std::size_t k = std::stoul(path[prefix.size()]);
    list_studies(*list, prefix, k, file, out, doc);
    const std::string label = k < list->size() ? study_label((*list)[k], k + 1) : "study " + std::to_string(k + 1);
    out.problems.push_back(
        {file, label, detail::json_pointer(path, prefix.size() + 1), doc.error + "; the rest of the file is not read"});
  } else if (!list && j.is_object() && j.contains("protocolSection") && !path.empty()) {
    out.problems.push_back({file, study_label(j, 1), detail::json_pointer(path), doc.error});
  } else {
    out.problems.push_back({file, "", detail::json_pointer(path), doc.error});
  }
}

}  // namespace

ReadResult read_ctgov_json(std::string_view content, const std::string& file) {
  ReadResult out;
  out.format = InputFormat::ctgov_json;
  const detail::JsonDocument doc = detail::parse_json(content, max_depth);
  if (doc.invalid_utf8_at != std::string::npos && !doc.utf8_locatable) {
    out.problems.push_back({file, "", "", "invalid UTF-8 at byte " + std::to_string(doc.invalid_utf8_at)});
    return out;
  }
  const json& j = doc.root;
  // Where the studies are: a /studies page, a bare array of studies, or one study.
  const json* list = nullptr;
  std::vector<std::string> prefix;
  if (j.is_object() && j.contains("studies") && j["studies"].is_array()) {
    list = &j["studies"];
    prefix = {"studies"};
  } else if (j.is_array()) {
    list = &j;
  }
  if (!doc.error.empty()) {
    broken_document(doc, list, prefix, file, out);
  } else if (list) {
    list_studies(*list, prefix, list->size(), file, out, doc);
  } else if (j.is_object() && j.contains("protocolSection")) {
    study(j, 1, file, out, doc, {});
  } else {
    out.problems.push_back(
        {file, "", "", "not a ClinicalTrials.gov API v2 document (no studies array or protocolSection)"});
  }
  return out;
}

}  // namespace evidence
