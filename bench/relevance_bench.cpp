// The relevance benchmark (tests/relevance/README.md): every question of
// tests/relevance/questions.json searched through the library (evidence::search, the call behind
// /api/search, first page of 10), its ranked ids scored against the question's graded judgments.
// Prints one line per question, then nDCG@10, recall@10 and MRR per wording type and overall, and
// how many identifier questions put the record that carries the identifier first.
//
// The judgments are over one fixed document set, corpus/ plus named files of ../shared/data, so
// by default that set is indexed into a temporary directory. Without ../shared/data it skips with
// a message and exit status 0 (a corpus-only figure would compare with nothing). Exit status 0
// whenever the report was produced, whatever it found (it measures; it does not judge); 2 when it
// could not run.
//   relevance_bench                     index the document set into a temporary directory
//   relevance_bench --db DIR            use the index in DIR, building it there first if DIR is absent
//   relevance_bench --json FILE -q      per-question figures to FILE, totals only on stdout
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "evidence/errors.hpp"
#include "evidence/index_run.hpp"
#include "evidence/search.hpp"
#include "relevance_metrics.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
namespace rel = evidence::relevance;

namespace {

constexpr std::size_t cutoff = 10;

// The shared files of the document set, relative to ../shared/data: one per line of
// tests/relevance/document_set.txt (also read by check_ids.py); with corpus/ they make 949 records.
std::vector<std::string> shared_inputs(const fs::path& list) {
  std::ifstream in(list);
  if (!in) throw std::runtime_error("cannot read " + list.string());
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line.front() != '#') out.push_back(line);
  return out;
}
constexpr std::uint64_t expected_records = 949;

// The wording types in the order of the README's tables; a type not listed here follows them.
const std::vector<std::string> type_order = {
    "clinician", "pico", "patient", "misspelt", "identifier", "out_of_vocabulary",
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Removes the temporary index when the run is done.
struct TempIndex {
  fs::path dir;
  ~TempIndex() {
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
  }
};

struct Question {
  std::string id, type, q;
  rel::Judgments judged;
};

std::vector<Question> load_questions(const fs::path& file) {
  std::vector<Question> out;
  for (const json& j : json::parse(read_file(file))) {
    Question q{j.at("id").get<std::string>(), j.at("type").get<std::string>(), j.at("q").get<std::string>(), {}};
    for (const auto& [id, grade] : j.at("relevant").items()) q.judged[id] = grade.get<int>();
    out.push_back(std::move(q));
  }
  return out;
}

struct Outcome {
  const Question* question = nullptr;
  rel::Ranking ranking;
  rel::QuestionScore score;
  std::uint64_t found = 0;
  std::string error;  // the engine refused the question (what /api/search would answer with 400)
};

// The grades of the ranking as one character per rank ("2..1......": '.' not judged relevant).
std::string grade_strip(const Outcome& o) {
  std::string s;
  for (const auto& id : o.ranking) {
    const int g = rel::grade_of(o.question->judged, id);
    s += g > 0 ? static_cast<char>('0' + g) : '.';
  }
  return s;
}

json means_json(const rel::MeanScore& m) {
  return {{"questions", m.questions},
          {"ndcg_10", m.ndcg()},
          {"recall_10", m.recall()},
          {"mrr", m.mrr()},
          {"no_relevant_10", m.missed}};
}

// The weights by name, so that an experiment is a command line anyone can repeat.
evidence::RankingWeights parse_weights(const std::vector<std::string>& args) {
  evidence::RankingWeights w;
  const std::map<std::string, double*> by_name = {{"text", &w.text},
                                                  {"concept_match", &w.concept_match},
                                                  {"comparator_match", &w.comparator_match},
                                                  {"word_match", &w.word_match},
                                                  {"title_word", &w.title_word},
                                                  {"title_concept", &w.title_concept},
                                                  {"outcome_match", &w.outcome_match},
                                                  {"broad_record", &w.broad_record},
                                                  {"per_level", &w.per_level},
                                                  {"per_quality_point", &w.per_quality_point},
                                                  {"curated_results", &w.curated_results}};
  for (const auto& a : args) {
    const auto eq = a.find('=');
    const auto it = eq == std::string::npos ? by_name.end() : by_name.find(a.substr(0, eq));
    if (it == by_name.end()) throw std::runtime_error("--weight " + a + ": expected NAME=VALUE with a known NAME");
    *it->second = std::stod(a.substr(eq + 1));
    std::printf("weight %s = %g\n", it->first.c_str(), *it->second);
  }
  return w;
}

}  // namespace

int main(int argc, char** argv) try {
  const fs::path source = EVIDENCE_SOURCE_DIR;
  std::string db, json_file, shared = (source / "../shared/data").lexically_normal().string(),
                             questions_file = (source / "tests/relevance/questions.json").string(),
                             vocabulary_file = (source / "schema/vocabulary.json").string();
  bool quiet = false, check_targets = false;
  std::vector<std::string> weight_args;
  CLI::App app{"relevance_bench: nDCG@10, recall@10 and MRR of the search over tests/relevance/"};
  app.add_option("--db", db, "use the index in DIR (built there from the document set first when DIR is absent)");
  app.add_option("--shared", shared, "the shared data directory (default: ../shared/data beside the project)");
  app.add_option("--questions", questions_file, "the relevance set");
  app.add_option("--vocabulary", vocabulary_file, "vocabulary");
  app.add_option("--json", json_file, "write every question's figures and the totals to FILE");
  app.add_flag("-q,--quiet", quiet, "print the totals only");
  app.add_flag("--check-targets", check_targets,
               "exit 1 unless issue 16's targets are met (identifiers first; patient and out-of-vocabulary "
               "nDCG@10 at least the clinician's); 77 when the shared data is absent");
  app.add_option("--weight", weight_args,
                 "NAME=VALUE: one ranking weight changed from its default, for experiments (docs/RANKING.md); "
                 "repeatable");
  CLI11_PARSE(app, argc, argv);
  const evidence::RankingWeights weights = parse_weights(weight_args);

  const std::vector<Question> questions = load_questions(questions_file);
  const auto vocabulary = evidence::Vocabulary::load(vocabulary_file);

  TempIndex temp;
  if (db.empty() || !fs::exists(db)) {
    if (!fs::is_directory(shared)) {
      std::printf(
          "skipped: %s is absent; the relevance set is judged over corpus/ plus its files "
          "(tests/relevance/README.md), so no figure is computed\n",
          shared.c_str());
      return check_targets ? 77 : 0;
    }
    evidence::RunOptions opt;
    if (db.empty()) {
      temp.dir = fs::temp_directory_path() / ("relevance-bench-" + std::to_string(::getpid()));
      fs::remove_all(temp.dir);
      opt.db = temp.dir / "index";
    } else {
      opt.db = db;
    }
    opt.vocabulary_file = vocabulary_file;
    opt.inputs.push_back(source / "corpus");
    for (const auto& rel_path : shared_inputs(source / "tests/relevance/document_set.txt")) {
      const fs::path p = fs::path(shared) / rel_path;
      // A partial set would silently lower every figure, so a missing file stops the run.
      if (!fs::exists(p)) throw std::runtime_error("missing input of the document set: " + p.string());
      opt.inputs.push_back(p);
    }
    const evidence::RunReport r = evidence::run_index(opt);
    if (!r.committed) throw std::runtime_error("indexing failed: " + r.to_json().dump());
    std::printf("indexed %zu records from %zu files (%zu read, %zu merged, %zu skipped) into %s\n",
                r.added + r.updated + r.unchanged, r.files, r.records_read, r.merged, r.skipped, opt.db.c_str());
    db = opt.db.string();
  }

  evidence::IndexReader reader(db);
  const std::uint64_t records = reader.doc_count();
  if (records != expected_records)
    std::printf("warning: the index holds %llu records, the judged set %llu; figures are not comparable\n",
                static_cast<unsigned long long>(records), static_cast<unsigned long long>(expected_records));
  // Judged ids missing from the index cannot be found and would count as misses; say so.
  {
    std::set<std::string> judged_ids, missing;
    for (const auto& q : questions)
      for (const auto& [id, g] : q.judged)
        if (g > 0) judged_ids.insert(id);
    for (const auto& id : judged_ids)
      if (!reader.get(id)) missing.insert(id);
    if (!missing.empty()) {
      std::printf("warning: %zu of %zu judged records are not in the index (first: %s)\n", missing.size(),
                  judged_ids.size(), missing.begin()->c_str());
    }
  }

  std::vector<Outcome> outcomes;
  for (const auto& q : questions) {
    Outcome o;
    o.question = &q;
    evidence::SearchRequest req;
    req.q = q.q;
    req.per_page = cutoff;
    // with_summary stays on, as for /api/search: it sets the rescored candidate pool (200, not
    // 100), which can change the first page.
    try {
      const evidence::SearchResponse resp = evidence::search(reader, vocabulary, req, weights);
      o.found = resp.found;
      for (const auto& h : resp.hits) o.ranking.push_back(h.study.id);
    } catch (const evidence::Error& e) {
      // A question the engine refuses scores 0, like one that finds nothing; errors about the
      // index itself end the run.
      const auto code = e.code();
      if (code != evidence::ErrorCode::invalid_argument && code != evidence::ErrorCode::query_too_long &&
          code != evidence::ErrorCode::query_too_complex)
        throw;
      o.error = e.what();
    }
    o.score = rel::score_question(o.ranking, q.judged, cutoff);
    outcomes.push_back(std::move(o));
  }

  std::map<std::string, rel::MeanScore> by_type;
  rel::MeanScore all;
  std::size_t errors = 0;
  for (const auto& o : outcomes) {
    by_type[o.question->type].add(o.score);
    all.add(o.score);
    if (!o.error.empty()) ++errors;
    if (quiet) continue;
    std::printf("%s %-17s nDCG %.3f  recall %.3f  RR %.3f  %-10s", o.question->id.c_str(), o.question->type.c_str(),
                o.score.ndcg, o.score.recall, o.score.reciprocal_rank, grade_strip(o).c_str());
    if (o.question->type == "identifier") std::printf("  first %s", o.score.best_first ? "yes" : "no ");
    std::printf("  \"%s\"", o.question->q.c_str());
    if (!o.error.empty()) std::printf("  error: %s", o.error.c_str());
    std::printf("\n");
  }

  std::vector<std::string> types;
  for (const auto& t : type_order)
    if (by_type.count(t)) types.push_back(t);
  for (const auto& [t, m] : by_type)
    if (std::find(type_order.begin(), type_order.end(), t) == type_order.end()) types.push_back(t);

  std::printf("%s%zu questions over %llu records, first %zu hits each\n\n", quiet ? "" : "\n", all.questions,
              static_cast<unsigned long long>(records), cutoff);
  std::printf(
      "| type | questions | nDCG@10 | recall@10 | MRR | no relevant record in the first 10 |\n"
      "|---|---|---|---|---|---|\n");
  for (const auto& t : types) {
    const auto& m = by_type[t];
    std::printf("| %s | %zu | %.3f | %.3f | %.3f | %zu |\n", t.c_str(), m.questions, m.ndcg(), m.recall(), m.mrr(),
                m.missed);
  }
  std::printf("| **all** | %zu | %.3f | %.3f | %.3f | %zu |\n\n", all.questions, all.ndcg(), all.recall(), all.mrr(),
              all.missed);
  const rel::MeanScore& ids = by_type["identifier"];
  std::printf("identifier questions with the record that carries the identifier first: %zu of %zu\n", ids.best_first,
              ids.questions);
  if (errors > 0) std::printf("questions the engine refused (scored 0): %zu\n", errors);
  const std::vector<std::string> unmet = rel::unmet_targets(by_type);
  std::printf("targets (identifiers first; patient and out-of-vocabulary at least clinician): %s\n",
              unmet.empty() ? "met" : "NOT met");
  for (const auto& u : unmet) std::printf("  %s\n", u.c_str());

  if (!json_file.empty()) {
    json per_question = json::array();
    for (const auto& o : outcomes) {
      json top = json::array();
      for (const auto& id : o.ranking) top.push_back({{"id", id}, {"grade", rel::grade_of(o.question->judged, id)}});
      json j = {{"id", o.question->id},
                {"type", o.question->type},
                {"q", o.question->q},
                {"ndcg_10", o.score.ndcg},
                {"recall_10", o.score.recall},
                {"reciprocal_rank", o.score.reciprocal_rank},
                {"first_relevant_rank", o.score.first_relevant},
                {"found", o.found},
                {"top", top}};
      if (o.question->type == "identifier") j["identifier_first"] = o.score.best_first;
      if (!o.error.empty()) j["error"] = o.error;
      per_question.push_back(std::move(j));
    }
    json by_type_json = json::object();
    for (const auto& t : types) by_type_json[t] = means_json(by_type[t]);
    const json out = {
        {"cutoff", cutoff},          {"records", records},
        {"questions", per_question}, {"by_type", by_type_json},
        {"all", means_json(all)},    {"identifier_first", {{"first", ids.best_first}, {"questions", ids.questions}}}};
    std::ofstream f(json_file);
    f << out.dump(2) << "\n";
    if (!f) throw std::runtime_error("cannot write " + json_file);
  }
  return check_targets && !unmet.empty() ? 1 : 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "relevance_bench: %s\n", e.what());
  return 2;
}
