// libFuzzer harness: the PubMed XML reader (read_pubmed_xml), then what the indexer does with
// each record it returns (annotate, hash, JSON round trip). See fuzz/README.md.
#include <cstdint>
#include <string>

#include "fuzz_common.hpp"

using namespace evidence;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)fuzz::annotator();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = fuzz::as_view(data, size);
  (void)fuzz::no_throw("detect_format", [&] { return detect_format(in); });
  ReadResult r = fuzz::no_throw("read_pubmed_xml", [&] { return read_pubmed_xml(in, "fuzz.xml"); });
  fuzz::check(r.format == InputFormat::pubmed_xml, "read_pubmed_xml", "format is not pubmed_xml");
  for (const auto& p : r.problems)
    fuzz::check(p.file == "fuzz.xml", "read_pubmed_xml", "problem without the file name");
  for (const auto& s : r.studies) {
    const std::string& pmid = s.identifiers.pmid;
    fuzz::check(!pmid.empty() && pmid.size() <= 9 && pmid.find_first_not_of("0123456789") == std::string::npos &&
                    pmid[0] != '0',
                "read_pubmed_xml", "accepted a bad PMID '" + pmid + "'");
    fuzz::check(s.id == "pubmed-" + pmid, "read_pubmed_xml", "id '" + s.id + "' does not follow the PMID");
    fuzz::check(!s.title.empty() && s.title.size() <= 2000 && is_valid_utf8(s.title), "read_pubmed_xml",
                "accepted a bad title");
    fuzz::check(s.year >= 1900 && s.year <= 2100, "read_pubmed_xml", "accepted year " + std::to_string(s.year));
    for (const auto& a : s.abstract)
      fuzz::check(!a.text.empty() && a.text.size() <= 20000 && is_valid_utf8(a.text), "read_pubmed_xml",
                  "accepted a bad abstract section");
    for (const auto& a : s.authors)
      fuzz::check(is_valid_utf8(a), "read_pubmed_xml", "accepted an author name that is not UTF-8");
    fuzz::check(s.identifiers.doi.empty() || s.identifiers.doi.rfind("10.", 0) == 0, "read_pubmed_xml",
                "kept a DOI not starting with 10.");
  }
  fuzz::exercise_studies(r.studies, "indexing a PubMed record");
  return 0;
}
