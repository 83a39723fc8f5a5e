#include <pugixml.hpp>

#include <cstring>

#include "evidence/ingest.hpp"
#include "evidence/text.hpp"

namespace evidence {

namespace {

// The whole text of an element, inline markup (<i>, <sup>, <b>) included; child_value() would
// return only the first text run.
std::string all_text(const pugi::xml_node& n) {
  std::string out;
  for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) out += c.value();
    else if (c.type() == pugi::node_element) out += all_text(c);
  }
  return out;
}

std::string clean(const pugi::xml_node& n) { return squash_space(all_text(n)); }

int parse_year(const std::string& s) {
  for (std::size_t i = 0; i + 4 <= s.size(); ++i) {
    bool digits = true;
    for (std::size_t k = 0; k < 4; ++k) digits = digits && s[i + k] >= '0' && s[i + k] <= '9';
    if (digits) return std::stoi(s.substr(i, 4));
  }
  return 0;
}

struct Reader {
  const std::string& file;
  ReadResult& out;

  void problem(const std::string& record, const std::string& field, const std::string& message) {
    out.problems.push_back({file, record, field, message});
  }

  // Returns false (with a problem recorded) when a text field is not valid UTF-8.
  bool check_utf8(const std::string& record, const std::string& field, const std::string& value) {
    const auto bad = first_invalid_utf8(value);
    if (bad == std::string::npos) return true;
    problem(record, field, "invalid UTF-8 at byte " + std::to_string(bad) + " of the field");
    return false;
  }

  void article(const pugi::xml_node& pa, std::size_t index) {
    const pugi::xml_node mc = pa.child("MedlineCitation");
    const std::string pmid = squash_space(mc.child("PMID").text().as_string());
    const std::string record = pmid.empty() ? "record " + std::to_string(index) : "PMID " + pmid;
    if (pmid.empty()) return problem(record, "MedlineCitation/PMID", "missing PMID");
    if (pmid.find_first_not_of("0123456789") != std::string::npos || pmid.size() > 9 || pmid[0] == '0')
      return problem(record, "MedlineCitation/PMID", "PMID must be 1 to 9 digits, got '" + pmid.substr(0, 40) + "'");
    const pugi::xml_node art = mc.child("Article");
    Study s;
    s.id = "pubmed-" + pmid;
    s.identifiers.pmid = pmid;
    s.title = clean(art.child("ArticleTitle"));
    if (s.title.empty()) s.title = clean(art.child("VernacularTitle"));
    if (s.title.empty()) return problem(record, "Article/ArticleTitle", "missing title");
    if (s.title.size() > 2000) return problem(record, "Article/ArticleTitle", "title longer than 2000 characters");
    if (!check_utf8(record, "Article/ArticleTitle", s.title)) return;
    for (pugi::xml_node t : art.child("Abstract").children("AbstractText")) {
      AbstractSection sec{squash_space(t.attribute("Label").as_string()), clean(t)};
      if (sec.text.empty()) continue;
      if (sec.text.size() > 20000) return problem(record, "Article/Abstract/AbstractText", "abstract section longer than 20000 characters");
      if (!check_utf8(record, "Article/Abstract/AbstractText", sec.text)) return;
      s.abstract.push_back(std::move(sec));
    }
    const pugi::xml_node journal = art.child("Journal");
    s.journal = clean(journal.child("ISOAbbreviation"));
    if (s.journal.empty()) s.journal = clean(journal.child("Title"));
    const pugi::xml_node pubdate = journal.child("JournalIssue").child("PubDate");
    s.year = pubdate.child("Year") ? pubdate.child("Year").text().as_int() : parse_year(clean(pubdate.child("MedlineDate")));
    if (s.year == 0) s.year = art.child("ArticleDate").child("Year").text().as_int();
    if (s.year == 0) return problem(record, "Article/Journal/JournalIssue/PubDate", "missing publication year");
    if (s.year < 1900 || s.year > 2100) return problem(record, "Article/Journal/JournalIssue/PubDate/Year", "implausible year " + std::to_string(s.year));
    {
      std::string cit = s.journal;
      const pugi::xml_node ji = journal.child("JournalIssue");
      cit += " " + std::to_string(s.year);
      if (ji.child("Volume")) cit += ";" + clean(ji.child("Volume"));
      if (ji.child("Issue")) cit += "(" + clean(ji.child("Issue")) + ")";
      if (art.child("Pagination").child("MedlinePgn")) cit += ":" + clean(art.child("Pagination").child("MedlinePgn"));
      s.citation = squash_space(cit);
    }
    for (pugi::xml_node a : art.child("AuthorList").children("Author")) {
      std::string name = clean(a.child("LastName"));
      if (name.empty()) name = clean(a.child("CollectiveName"));
      const std::string ini = clean(a.child("Initials"));
      if (!ini.empty()) name += " " + ini;
      if (!name.empty() && is_valid_utf8(name)) s.authors.push_back(name);
    }
    const std::string lang = clean(art.child("Language"));
    if (lang.size() == 3) s.language = lang;
    for (pugi::xml_node t : art.child("PublicationTypeList").children("PublicationType")) s.publication_types.push_back(clean(t));
    for (pugi::xml_node e : art.children("ELocationID"))
      if (std::strcmp(e.attribute("EIdType").as_string(), "doi") == 0) s.identifiers.doi = clean(e);
    for (pugi::xml_node id : pa.child("PubmedData").child("ArticleIdList").children("ArticleId")) {
      const std::string type = id.attribute("IdType").as_string();
      if (type == "doi" && s.identifiers.doi.empty()) s.identifiers.doi = clean(id);
      if (type == "pmc") s.identifiers.pmcid = clean(id);
    }
    if (!s.identifiers.doi.empty() && s.identifiers.doi.rfind("10.", 0) != 0) {
      problem(record, "ArticleId[@IdType=doi]", "ignored a DOI that does not start with 10.: '" + s.identifiers.doi.substr(0, 60) + "'");
      s.identifiers.doi.clear();
    }
    if (!s.identifiers.pmcid.empty() && s.identifiers.pmcid.rfind("PMC", 0) != 0) s.identifiers.pmcid = "PMC" + s.identifiers.pmcid;
    for (pugi::xml_node mh : mc.child("MeshHeadingList").children("MeshHeading")) {
      const std::string desc = clean(mh.child("DescriptorName"));
      if (desc.empty()) continue;
      s.annotation.mesh_terms.push_back(desc);
      for (pugi::xml_node q : mh.children("QualifierName")) s.annotation.mesh_terms.push_back(desc + "/" + clean(q));
    }
    for (pugi::xml_node kl : mc.children("KeywordList"))
      for (pugi::xml_node k : kl.children("Keyword")) s.annotation.keywords.push_back(clean(k));
    for (pugi::xml_node cc : mc.child("CommentsCorrectionsList").children("CommentsCorrections")) {
      const std::string type = cc.attribute("RefType").as_string();
      if (type == "RetractionIn") s.retracted = true;
    }
    for (const auto& t : s.publication_types)
      if (t == "Retracted Publication") s.retracted = true;
    // Secondary identifiers: registry numbers such as ClinicalTrials.gov ids.
    for (pugi::xml_node db : art.child("DataBankList").children("DataBank"))
      if (clean(db.child("DataBankName")) == "ClinicalTrials.gov")
        for (pugi::xml_node an : db.child("AccessionNumberList").children("AccessionNumber")) {
          const std::string nct = clean(an);
          if (nct.size() == 11 && nct.rfind("NCT", 0) == 0) s.identifiers.nct = nct;
        }
    s.provenance.sources.push_back("https://pubmed.ncbi.nlm.nih.gov/" + pmid + "/");
    s.provenance.notes = std::strcmp(mc.attribute("Status").as_string(), "PMC-DERIVED") == 0
                             ? "Converted from PMC full text (not an NCBI export); annotations are extracted from the text."
                             : "Imported from a PubMed export; annotations are extracted from the text.";
    s.annotation.sources = {"pubmed"};
    s.annotation.files = {file};
    out.studies.push_back(std::move(s));
  }

  void document(const pugi::xml_node& root, std::size_t& index) {
    for (pugi::xml_node n : root.children()) {
      if (std::strcmp(n.name(), "PubmedArticle") == 0) article(n, ++index);
      else if (std::strcmp(n.name(), "DeleteCitation") == 0)
        for (pugi::xml_node p : n.children("PMID")) out.deleted_pmids.push_back(squash_space(p.text().as_string()));
      else if (std::strcmp(n.name(), "PubmedBookArticle") == 0) {
        ++index;
        problem("record " + std::to_string(index), "PubmedBookArticle", "book records are not supported; skipped");
      }
    }
  }
};

}  // namespace

ReadResult read_pubmed_xml(std::string_view content, const std::string& file) {
  ReadResult out;
  out.format = InputFormat::pubmed_xml;
  Reader reader{file, out};
  pugi::xml_document doc;
  // parse_default does not load external entities or expand DTD-declared ones, so entity
  // expansion attacks and external entity references cannot reach the file system.
  const pugi::xml_parse_result res = doc.load_buffer(content.data(), content.size(), pugi::parse_default, pugi::encoding_utf8);
  std::size_t index = 0;
  if (res) {
    pugi::xml_node root = doc.child("PubmedArticleSet");
    if (!root) root = doc;
    reader.document(root, index);
    return out;
  }
  // A malformed file still yields its well-formed records: parse each <PubmedArticle> on its own.
  out.problems.push_back({file, "", "", std::string("malformed XML at byte ") + std::to_string(res.offset) + ": " + res.description() +
                                           "; reading the well-formed records one by one"});
  const std::string_view open = "<PubmedArticle>", close = "</PubmedArticle>";
  std::size_t pos = 0;
  while ((pos = content.find(open, pos)) != std::string_view::npos) {
    const std::size_t end = content.find(close, pos);
    const std::size_t next = content.find(open, pos + open.size());
    ++index;
    if (end == std::string_view::npos || (next != std::string_view::npos && next < end)) {
      out.problems.push_back({file, "record " + std::to_string(index), "PubmedArticle", "record is truncated or not closed; skipped"});
      if (next == std::string_view::npos) break;
      pos = next;
      continue;
    }
    const std::string_view chunk = content.substr(pos, end + close.size() - pos);
    pugi::xml_document one;
    const auto r1 = one.load_buffer(chunk.data(), chunk.size(), pugi::parse_default, pugi::encoding_utf8);
    if (r1) {
      std::size_t before = out.studies.size() + out.problems.size();
      reader.article(one.child("PubmedArticle"), index);
      (void)before;
    } else {
      out.problems.push_back({file, "record " + std::to_string(index), "PubmedArticle",
                              std::string("malformed XML in this record: ") + r1.description()});
    }
    pos = end + close.size();
  }
  return out;
}

}  // namespace evidence
