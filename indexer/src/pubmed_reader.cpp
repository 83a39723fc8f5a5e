#include <pugixml.hpp>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <sstream>

#include "evidence/ingest.hpp"
#include "evidence/text.hpp"

namespace evidence {

namespace {

// The whole text of an element, inline markup (<i>, <sup>, <b>) included; child_value() would
// return only the first text run.
std::string all_text(const pugi::xml_node& n) {
  std::string out;
  for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata)
      out += c.value();
    else if (c.type() == pugi::node_element)
      out += all_text(c);
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

constexpr std::size_t max_depth = 64;  // element nesting inside one PubmedArticle

bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }

// Calls f(name) for every entity reference "&name;" in s that is not one of XML's five.
template <typename F>
void for_each_entity_reference(std::string_view s, F&& f) {
  for (std::size_t i = s.find('&'); i != std::string_view::npos; i = s.find('&', i + 1)) {
    std::size_t j = i + 1;
    if (j >= s.size() || !is_name_start(s[j])) continue;
    while (j < s.size() && is_name_char(s[j]) && j - i < 100) ++j;
    if (j >= s.size() || s[j] != ';') continue;
    const std::string_view name = s.substr(i + 1, j - i - 1);
    if (name == "lt" || name == "gt" || name == "amp" || name == "apos" || name == "quot") continue;
    if (!f(name)) return;
  }
}

// pugixml decodes a numeric character reference to any code point, "&#0;" included, and a NUL
// then ends the text it is in (a title cut short without a word). Such references (to characters
// XML 1.0 does not allow) are rewritten, before parsing, to an entity reference pugixml keeps as
// it is, "&evidence-illegal-char-xHEX;", which Reader::value_problem() reports with its record
// and field. Returns the rewritten text, or nothing when there was no such reference.
constexpr std::string_view illegal_char_mark = "evidence-illegal-char-x";

bool xml_allows(unsigned long cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
         (cp >= 0x10000 && cp <= 0x10FFFF);
}

std::optional<std::string> mark_illegal_character_references(std::string_view s) {
  std::optional<std::string> out;
  std::size_t copied = 0;
  for (std::size_t i = s.find("&#"); i != std::string_view::npos; i = s.find("&#", i + 2)) {
    std::size_t j = i + 2;
    const bool hex = j < s.size() && (s[j] == 'x' || s[j] == 'X');
    if (hex) ++j;
    const std::size_t digits = j;
    unsigned long cp = 0;
    while (j < s.size() && j - digits < 8 && std::isxdigit(static_cast<unsigned char>(s[j])) &&
           (hex || std::isdigit(static_cast<unsigned char>(s[j])))) {
      const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(s[j])));
      cp = cp * (hex ? 16 : 10) + static_cast<unsigned long>(c <= '9' ? c - '0' : c - 'a' + 10);
      ++j;
    }
    if (j == digits || j >= s.size() || s[j] != ';' || xml_allows(cp)) continue;
    if (!out) out.emplace();
    out->append(s.substr(copied, i - copied));
    std::ostringstream mark;
    mark << '&' << illegal_char_mark << std::hex << std::uppercase << cp << ';';
    out->append(mark.str());
    copied = j + 1;
  }
  if (out) out->append(s.substr(copied));
  return out;
}

// The encoding named by the XML declaration, or "" when there is none.
std::string declared_encoding(std::string_view content) {
  if (content.substr(0, 3) == "\xEF\xBB\xBF") content.remove_prefix(3);
  const auto start = content.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || content.substr(start, 5) != "<?xml") return "";
  const auto close = content.find("?>", start);
  if (close == std::string_view::npos) return "";
  const std::string_view decl = content.substr(start, close - start);
  auto pos = decl.find("encoding");
  if (pos == std::string_view::npos) return "";
  pos = decl.find_first_of("\"'", pos);
  if (pos == std::string_view::npos) return "";
  const auto end = decl.find(decl[pos], pos + 1);
  if (end == std::string_view::npos) return "";
  return std::string(decl.substr(pos + 1, end - pos - 1));
}

struct Reader {
  const std::string& file;
  ReadResult& out;
  // Names of the entity references in the raw text other than XML's five. pugixml never reads a
  // DTD, so such a reference (billion laughs, SYSTEM "file:///etc/passwd") stays unexpanded in
  // the text; a record that holds one is refused rather than indexed with "&xxe;" in it.
  std::vector<std::string> entities = {};

  void problem(const std::string& record, const std::string& field, const std::string& message) {
    out.problems.push_back(
        {file, detail::printable(record, 100), detail::printable(field, 200), detail::printable(message, 500)});
  }

  // A problem that skips the record: reports it and returns false.
  bool refuse(const std::string& record, const std::string& field, const std::string& message) {
    problem(record, field, message);
    return false;
  }

  // Why a value of a record cannot be indexed (not UTF-8, an unexpanded entity), or "".
  std::string value_problem(std::string_view value) const {
    if (const auto bad = first_invalid_utf8(value); bad != std::string_view::npos)
      return "invalid UTF-8 at byte " + std::to_string(bad) + " of the field";
    if (const auto at = value.find(illegal_char_mark); at != std::string_view::npos && at > 0 && value[at - 1] == '&') {
      const std::string_view rest = value.substr(at + illegal_char_mark.size());
      const std::string hex(rest.substr(0, rest.find(';')));
      return "character reference to U+" + std::string(hex.size() < 4 ? 4 - hex.size() : 0, '0') + hex +
             ", a character XML does not allow (a NUL would cut the text short); the record is skipped";
    }
    if (entities.empty()) return "";
    std::string found;
    for_each_entity_reference(value, [&](std::string_view name) {
      if (std::find(entities.begin(), entities.end(), name) == entities.end()) return true;
      found = name;
      return false;
    });
    if (found.empty()) return "";
    return "entity reference &" + found +
           "; is not expanded: entities declared in a DTD (internal, or external such as SYSTEM \"file:///...\") are "
           "never read";
  }

  // Walks every element, attribute and text of a record (without recursion, so no nesting can
  // exhaust the stack) and refuses the record at the first value that cannot be indexed safely.
  bool scan(const pugi::xml_node& pa, const std::string& record) {
    std::vector<std::string> names;  // element names from pa's child down to the current element
    auto field = [&](std::size_t levels) {
      std::string f;
      std::size_t from = !names.empty() && names[0] == "MedlineCitation" && names.size() > 1 ? 1 : 0;
      for (std::size_t i = from; i < names.size() && i < from + levels; ++i) f += (f.empty() ? "" : "/") + names[i];
      return f;
    };
    std::size_t depth = 1;
    pugi::xml_node cur = pa.first_child();
    while (cur) {
      if (cur.type() == pugi::node_element) {
        names.resize(depth - 1);
        names.emplace_back(cur.name());
        if (depth > max_depth) {
          problem(record, field(2), "elements nested more than " + std::to_string(max_depth) + " levels deep");
          return false;
        }
        for (pugi::xml_attribute a : cur.attributes())
          if (const std::string why = value_problem(a.value()); !why.empty()) {
            problem(record, field(max_depth) + "/@" + a.name(), why);
            return false;
          }
        if (cur.first_child()) {
          cur = cur.first_child();
          ++depth;
          continue;
        }
      } else if (cur.type() == pugi::node_pcdata || cur.type() == pugi::node_cdata) {
        if (const std::string why = value_problem(cur.value()); !why.empty()) {
          names.resize(depth - 1);
          problem(record, field(max_depth), why);
          return false;
        }
      }
      while (cur && !cur.next_sibling()) {
        cur = cur.parent();
        if (cur == pa) return true;
        --depth;
      }
      if (cur) cur = cur.next_sibling();
    }
    return true;
  }

  // Returns false (with a problem recorded) when a text field is not valid UTF-8.
  bool check_utf8(const std::string& record, const std::string& field, const std::string& value) {
    const auto bad = first_invalid_utf8(value);
    if (bad == std::string::npos) return true;
    return refuse(record, field, "invalid UTF-8 at byte " + std::to_string(bad) + " of the field");
  }

  bool valid_pmid(const std::string& pmid) const {
    return !pmid.empty() && pmid.find_first_not_of("0123456789") == std::string::npos && pmid.size() <= 9 &&
           pmid[0] != '0';
  }

  // The article title, else the title in the original language.
  bool read_title(const std::string& record, const pugi::xml_node& art, Study& s) {
    s.title = clean(art.child("ArticleTitle"));
    if (s.title.empty()) s.title = clean(art.child("VernacularTitle"));
    if (s.title.empty()) return refuse(record, "Article/ArticleTitle", "missing title");
    if (s.title.size() > 2000) return refuse(record, "Article/ArticleTitle", "title longer than 2000 characters");
    return check_utf8(record, "Article/ArticleTitle", s.title);
  }

  bool read_abstract(const std::string& record, const pugi::xml_node& art, Study& s) {
    for (pugi::xml_node t : art.child("Abstract").children("AbstractText")) {
      AbstractSection sec{squash_space(t.attribute("Label").as_string()), clean(t)};
      if (sec.text.empty()) continue;
      if (sec.text.size() > 20000)
        return refuse(record, "Article/Abstract/AbstractText", "abstract section longer than 20000 characters");
      if (!check_utf8(record, "Article/Abstract/AbstractText", sec.text)) return false;
      s.abstract.push_back(std::move(sec));
    }
    return true;
  }

  // The journal, the year (the issue's, else the electronic publication's) and the citation.
  bool read_journal(const std::string& record, const pugi::xml_node& art, Study& s) {
    const pugi::xml_node journal = art.child("Journal");
    s.journal = clean(journal.child("ISOAbbreviation"));
    if (s.journal.empty()) s.journal = clean(journal.child("Title"));
    const pugi::xml_node ji = journal.child("JournalIssue");
    const pugi::xml_node pubdate = ji.child("PubDate");
    if (pubdate.child("Year")) {
      const std::string y = clean(pubdate.child("Year"));
      if (y.size() != 4 || y.find_first_not_of("0123456789") != std::string::npos)
        return refuse(record, "Article/Journal/JournalIssue/PubDate/Year",
                      "year must be 4 digits, got '" + detail::printable(y, 40) + "'");
      s.year = std::stoi(y);
    } else {
      s.year = parse_year(clean(pubdate.child("MedlineDate")));
    }
    if (s.year == 0) s.year = art.child("ArticleDate").child("Year").text().as_int();
    if (s.year == 0) return refuse(record, "Article/Journal/JournalIssue/PubDate", "missing publication year");
    if (s.year < 1900 || s.year > 2100)
      return refuse(record, "Article/Journal/JournalIssue/PubDate/Year", "implausible year " + std::to_string(s.year));
    std::string cit = s.journal + " " + std::to_string(s.year);
    if (ji.child("Volume")) cit += ";" + clean(ji.child("Volume"));
    if (ji.child("Issue")) cit += "(" + clean(ji.child("Issue")) + ")";
    if (art.child("Pagination").child("MedlinePgn")) cit += ":" + clean(art.child("Pagination").child("MedlinePgn"));
    s.citation = squash_space(cit);
    return true;
  }

  static void read_authors(const pugi::xml_node& art, Study& s) {
    for (pugi::xml_node a : art.child("AuthorList").children("Author")) {
      std::string name = clean(a.child("LastName"));
      if (name.empty()) name = clean(a.child("CollectiveName"));
      const std::string ini = clean(a.child("Initials"));
      if (!ini.empty()) name += " " + ini;
      if (!name.empty()) s.authors.push_back(name);
    }
  }

  // DOI and PMC id; a DOI that is not one is reported and left out (the record is still read).
  void read_identifiers(const std::string& record, const pugi::xml_node& pa, const pugi::xml_node& art, Study& s) {
    for (pugi::xml_node e : art.children("ELocationID"))
      if (std::strcmp(e.attribute("EIdType").as_string(), "doi") == 0) s.identifiers.doi = clean(e);
    for (pugi::xml_node id : pa.child("PubmedData").child("ArticleIdList").children("ArticleId")) {
      const std::string type = id.attribute("IdType").as_string();
      if (type == "doi" && s.identifiers.doi.empty()) s.identifiers.doi = clean(id);
      if (type == "pmc") s.identifiers.pmcid = clean(id);
    }
    if (!s.identifiers.doi.empty() && s.identifiers.doi.rfind("10.", 0) != 0) {
      problem(record, "ArticleId[@IdType=doi]",
              "ignored a DOI that does not start with 10.: '" + detail::printable(s.identifiers.doi, 60) + "'");
      s.identifiers.doi.clear();
    }
    if (!s.identifiers.pmcid.empty() && s.identifiers.pmcid.rfind("PMC", 0) != 0)
      s.identifiers.pmcid = "PMC" + s.identifiers.pmcid;
    // Secondary identifiers: registry numbers such as ClinicalTrials.gov ids.
    for (pugi::xml_node db : art.child("DataBankList").children("DataBank"))
      if (clean(db.child("DataBankName")) == "ClinicalTrials.gov")
        for (pugi::xml_node an : db.child("AccessionNumberList").children("AccessionNumber")) {
          const std::string nct = clean(an);
          if (nct.size() == 11 && nct.rfind("NCT", 0) == 0) s.identifiers.nct = nct;
        }
  }

  // MeSH headings (each also with its qualifiers, "Heading/Qualifier") and keywords.
  static void read_subjects(const pugi::xml_node& mc, Study& s) {
    for (pugi::xml_node mh : mc.child("MeshHeadingList").children("MeshHeading")) {
      const std::string desc = clean(mh.child("DescriptorName"));
      if (desc.empty()) continue;
      s.annotation.mesh_terms.push_back(desc);
      for (pugi::xml_node q : mh.children("QualifierName")) s.annotation.mesh_terms.push_back(desc + "/" + clean(q));
    }
    for (pugi::xml_node kl : mc.children("KeywordList"))
      for (pugi::xml_node k : kl.children("Keyword")) s.annotation.keywords.push_back(clean(k));
  }

  // Retracted: a retraction notice links to it, or its publication type says so.
  static bool retracted(const pugi::xml_node& mc, const Study& s) {
    for (pugi::xml_node cc : mc.child("CommentsCorrectionsList").children("CommentsCorrections"))
      if (std::strcmp(cc.attribute("RefType").as_string(), "RetractionIn") == 0) return true;
    const auto& types = s.publication_types;
    return std::find(types.begin(), types.end(), "Retracted Publication") != types.end();
  }

  void article(const pugi::xml_node& pa, std::size_t index) {
    const pugi::xml_node mc = pa.child("MedlineCitation");
    const std::string pmid = squash_space(mc.child("PMID").text().as_string());
    const std::string record = pmid.empty() ? "record " + std::to_string(index) : "PMID " + pmid;
    if (pmid.empty()) return problem(record, "MedlineCitation/PMID", "missing PMID");
    if (!valid_pmid(pmid))
      return problem(record, "MedlineCitation/PMID",
                     "PMID must be 1 to 9 digits, got '" + detail::printable(pmid, 40) + "'");
    if (!scan(pa, record)) return;
    const pugi::xml_node art = mc.child("Article");
    Study s;
    s.id = "pubmed-" + pmid;
    s.identifiers.pmid = pmid;
    if (!read_title(record, art, s) || !read_abstract(record, art, s) || !read_journal(record, art, s)) return;
    read_authors(art, s);
    const std::string lang = clean(art.child("Language"));
    if (lang.size() == 3) s.language = lang;
    for (pugi::xml_node t : art.child("PublicationTypeList").children("PublicationType"))
      s.publication_types.push_back(clean(t));
    read_identifiers(record, pa, art, s);
    read_subjects(mc, s);
    if (retracted(mc, s)) s.retracted = true;
    s.provenance.sources.push_back("https://pubmed.ncbi.nlm.nih.gov/" + pmid + "/");
    const bool from_pmc = std::strcmp(mc.attribute("Status").as_string(), "PMC-DERIVED") == 0;
    s.provenance.notes = from_pmc ? "Converted from PMC full text (not an NCBI export); annotations are extracted "
                                    "from the text."
                                  : "Imported from a PubMed export; annotations are extracted from the text.";
    s.annotation.sources = {"pubmed"};
    s.annotation.files = {file};
    out.studies.push_back(std::move(s));
  }

  void deleted(const pugi::xml_node& delete_citation) {
    for (pugi::xml_node p : delete_citation.children("PMID")) {
      const std::string pmid = squash_space(p.text().as_string());
      if (valid_pmid(pmid))
        out.deleted_pmids.push_back(pmid);
      else
        problem("DeleteCitation", "DeleteCitation/PMID",
                "PMID must be 1 to 9 digits, got '" + detail::printable(pmid, 40) + "'; not deleted");
    }
  }

  void document(const pugi::xml_node& root) {
    std::size_t index = 0;
    for (pugi::xml_node n : root.children()) {
      if (std::strcmp(n.name(), "PubmedArticle") == 0) {
        article(n, ++index);
      } else if (std::strcmp(n.name(), "DeleteCitation") == 0) {
        deleted(n);
      } else if (std::strcmp(n.name(), "PubmedBookArticle") == 0) {
        ++index;
        problem("record " + std::to_string(index), "PubmedBookArticle", "book records are not supported; skipped");
      }
    }
  }

  // A malformed file still yields its well-formed records: each <PubmedArticle> is parsed on its own.
  void articles_one_by_one(std::string_view content) {
    const std::string_view open = "<PubmedArticle>", close = "</PubmedArticle>";
    std::size_t index = 0, pos = 0;
    while ((pos = content.find(open, pos)) != std::string_view::npos) {
      const std::size_t end = content.find(close, pos);
      const std::size_t next = content.find(open, pos + open.size());
      const std::string record = "record " + std::to_string(++index);
      if (end == std::string_view::npos || (next != std::string_view::npos && next < end)) {
        out.problems.push_back({file, record, "PubmedArticle", "record is truncated or not closed; skipped"});
        if (next == std::string_view::npos) break;
        pos = next;
        continue;
      }
      const std::string_view chunk = content.substr(pos, end + close.size() - pos);
      pugi::xml_document one;
      const auto parsed = one.load_buffer(chunk.data(), chunk.size(), pugi::parse_default, pugi::encoding_utf8);
      if (parsed) {
        article(one.child("PubmedArticle"), index);
      } else {
        out.problems.push_back(
            {file, record, "PubmedArticle", std::string("malformed XML in this record: ") + parsed.description()});
      }
      pos = end + close.size();
    }
  }
};

// Why the encoding the XML declaration names cannot be read (only UTF-8 and its ASCII subset
// can), or "".
std::string encoding_problem(std::string_view content) {
  const std::string enc = declared_encoding(content);
  std::string lower = enc;
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (enc.empty() || lower == "utf-8" || lower == "utf8" || lower == "us-ascii" || lower == "ascii") return "";
  return "the XML declaration names encoding \"" + enc +
         "\"; only UTF-8 is accepted (convert it first, e.g. iconv -f " + enc +
         " -t UTF-8, and change the declaration)";
}

// Names of the entity references after the DTD (references inside the DTD only declare
// entities), at most 1000.
std::vector<std::string> entity_references(std::string_view content) {
  std::vector<std::string> names;
  if (const auto first = content.find("<PubmedArticle"); first != std::string_view::npos) content.remove_prefix(first);
  for_each_entity_reference(content, [&](std::string_view name) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.emplace_back(name);
    return names.size() < 1000;
  });
  return names;
}

}  // namespace

ReadResult read_pubmed_xml(std::string_view content, const std::string& file) {
  ReadResult out;
  out.format = InputFormat::pubmed_xml;
  Reader reader{file, out};
  if (const std::string why = encoding_problem(content); !why.empty()) {
    reader.problem("", "", why);
    return out;
  }
  const std::optional<std::string> marked = mark_illegal_character_references(content);
  if (marked) content = *marked;
  reader.entities = entity_references(content);
  pugi::xml_document doc;
  // parse_default does not load external entities or expand DTD-declared ones, so entity
  // expansion attacks and external entity references cannot reach the file system.
  const pugi::xml_parse_result res =
      doc.load_buffer(content.data(), content.size(), pugi::parse_default, pugi::encoding_utf8);
  if (res) {
    pugi::xml_node root = doc.child("PubmedArticleSet");
    if (!root) root = doc;
    reader.document(root);
    return out;
  }
  out.problems.push_back({file, "", "",
                          std::string("malformed XML at byte ") + std::to_string(res.offset) + ": " +
                              res.description() + "; reading the well-formed records one by one"});
  reader.articles_one_by_one(content);
  return out;
}

}  // namespace evidence
