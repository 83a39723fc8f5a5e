// The draft benchmark (issue 18): the curators' drafts of the 71 derived back-pain PubMed records
// of ../shared/data/pubmed_xml/derived_from_pmc_jats/, read by the project's PubMed reader,
// annotated as evidence-index annotates them, drafted (evidence/draft.hpp) and validated against
// schema/study.schema.json. Prints how many effects with 95% CIs were found (by measure), how many
// records had at least one, and how many had the number of participants and a follow-up time.
// Whether the effects are right is checked by hand: bench/draft_precision.tsv lists them with a
// verdict, and docs/BENCHMARKS.md gives the figures.
//   draft_bench                        the figures
//   draft_bench --list FILE            also every effect, one per line (TSV), for the hand check
//   draft_bench --drafts DIR           also every draft as DIR/<record id>.json
// Exit status 0 when the figures were produced (and, without ../shared/data, when it skipped with a
// message); 1 when some draft is not valid against the schema; 2 when it could not run.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "evidence/draft.hpp"
#include "evidence/errors.hpp"
#include "evidence/ingest.hpp"
#include "evidence/record_validator.hpp"

namespace fs = std::filesystem;

namespace {

const char* const derived_file =
    "pubmed_xml/derived_from_pmc_jats/backpain_evidence_inference_DERIVED_PubmedArticleSet.xml";

// Tabs and line breaks of a field would break the TSV line.
std::string cell(std::string s) {
  for (auto& c : s)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return s;
}

}  // namespace

int main(int argc, char** argv) try {
  CLI::App app{"draft_bench: drafts of the 71 derived back-pain PubMed records and the numbers they found"};
  std::string input = (fs::path(EVIDENCE_SOURCE_DIR) / "../shared/data" / derived_file).string();
  std::string list_file, drafts_dir;
  app.add_option("--input", input, "a PubmedArticleSet file (default: the 71 derived records in ../shared/data)");
  app.add_option("--list", list_file, "write every effect found (TSV) to this file");
  app.add_option("--drafts", drafts_dir, "write every draft as DIR/<record id>.json");
  CLI11_PARSE(app, argc, argv);
  if (!fs::exists(input)) {
    std::printf("draft_bench: skipped: %s is not present (../shared/data is needed)\n", input.c_str());
    return 0;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const evidence::Vocabulary vocabulary =
      evidence::Vocabulary::load(fs::path(EVIDENCE_SOURCE_DIR) / "schema/vocabulary.json");
  const evidence::RecordValidator validator =
      evidence::RecordValidator::from_file(fs::path(EVIDENCE_SOURCE_DIR) / "schema/study.schema.json", vocabulary);
  const evidence::Annotator annotator(vocabulary);
  evidence::ReadResult read = evidence::read_pubmed_xml(evidence::read_input_file(input), input);

  std::ofstream list;
  if (!list_file.empty()) {
    list.open(list_file);
    list << "record\tpmid\tmeasure\tkind\tvalue\tci_low\tci_high\tas_written\tcontext\tquote\n";
  }
  if (!drafts_dir.empty()) fs::create_directories(drafts_dir);
  std::size_t records = 0, invalid = 0, effects = 0, with_effect = 0, with_n = 0, with_follow_up = 0;
  std::size_t unverified = 0;
  std::map<std::string, std::size_t> by_measure;
  for (auto& s : read.studies) {
    annotator.annotate(s);
    ++records;
    const evidence::AbstractNumbers numbers = evidence::extract_numbers(s.abstract);
    effects += numbers.effects.size();
    if (!numbers.effects.empty()) ++with_effect;
    if (numbers.participants) ++with_n;
    if (!numbers.follow_ups.empty()) ++with_follow_up;
    for (const auto& e : numbers.effects) {
      ++by_measure[e.measure == "other" ? "other (" + e.kind + ")" : e.measure];
      if (list.is_open())
        list << s.id << '\t' << s.identifiers.pmid << '\t' << e.measure << '\t' << cell(e.kind) << '\t' << e.value
             << '\t' << e.ci_low << '\t' << e.ci_high << '\t' << cell(e.as_written) << '\t' << cell(e.context) << '\t'
             << cell(e.quote) << '\n';
    }
    const evidence::Study draft = evidence::make_draft(s, vocabulary);
    unverified += draft.provenance.unverified.size();
    const nlohmann::json j = evidence::study_to_json(draft, false);
    const auto issues = validator.validate(j);
    if (!issues.empty()) {
      ++invalid;
      for (const auto& i : issues)
        std::fprintf(stderr, "%s: not valid: %s: %s\n", draft.id.c_str(), i.pointer.c_str(), i.message.c_str());
    }
    if (!drafts_dir.empty()) std::ofstream(fs::path(drafts_dir) / (draft.id + ".json")) << j.dump(2) << "\n";
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("records: %zu (read problems: %zu); drafts valid against the schema: %zu of %zu\n", records,
              read.problems.size(), records - invalid, records);
  std::printf("effects with 95%% CIs: %zu, in %zu records\n", effects, with_effect);
  for (const auto& [m, n] : by_measure) std::printf("  %s: %zu\n", m.c_str(), n);
  std::printf("participants (n) found: %zu records; a follow-up time found: %zu records\n", with_n, with_follow_up);
  std::printf("unverified fields listed: %zu (%.1f per draft)\n", unverified,
              records ? static_cast<double>(unverified) / static_cast<double>(records) : 0.0);
  std::printf("time: %.2f s\n", secs);
  return invalid == 0 ? 0 : 1;
} catch (const evidence::Error& e) {
  std::fprintf(stderr, "draft_bench: %s (%s)\n", e.what(), evidence::error_code_name(e.code()));
  return 2;
} catch (const std::exception& e) {
  std::fprintf(stderr, "draft_bench: %s\n", e.what());
  return 2;
}
