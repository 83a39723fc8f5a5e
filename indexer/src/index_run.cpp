#include "evidence/index_run.hpp"

#include <algorithm>
#include <atomic>
#include <deque>
#include <exception>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "evidence/data_dir.hpp"
#include "evidence/errors.hpp"
#include "evidence/fields.hpp"
#include "evidence/appraisal.hpp"
#include "evidence/index.hpp"
#include "evidence/synthesis.hpp"

namespace evidence {

namespace fs = std::filesystem;
using nlohmann::json;

json RunReport::to_json() const {
  json problems_j = json::array();
  for (const auto& p : problems)
    problems_j.push_back({{"file", p.file}, {"record", p.record}, {"field", p.field}, {"message", p.message}});
  json cov = json::object();
  for (const auto& [src, c] : coverage)
    cov[src] = {{"records", c.records},    {"with_intervention", c.intervention}, {"with_condition", c.condition},
                {"with_design", c.design}, {"with_outcome", c.outcome},           {"with_direction", c.direction}};
  json conclusions_j = json::array();
  for (const auto& c : changed_conclusions)
    conclusions_j.push_back({{"finding", c.key},
                             {"before", c.before},
                             {"after", c.after},
                             {"before_sentence", c.before_sentence},
                             {"after_sentence", c.after_sentence}});
  return {{"files", files},
          {"records_read", records_read},
          {"added", added},
          {"updated", updated},
          {"unchanged", unchanged},
          {"deleted", deleted},
          {"skipped", skipped},
          {"merged", merged},
          {"committed", committed},
          {"seconds", seconds},
          {"by_format", by_format},
          {"retracted", retracted},
          {"problems", problems_j},
          {"changed_conclusions", conclusions_j},
          {"change_log_entry", changes.number > 0 ? evidence::to_json(changes) : json(nullptr)},
          {"revision_before", revision_before},
          {"revision_after", revision_after},
          {"exit_code", exit_code()},
          {"annotation_coverage", cov},
          {"threads", threads},
          {"other_shard", other_shard},
          {"timings", timings}};
}

int RunReport::exit_code() const {
  if (!committed) return 2;
  return skipped > 0 ? 1 : 0;
}

namespace {
bool is_record_file_name(const fs::path& p) {
  std::string ext = p.extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".json" || ext == ".jsonl" || ext == ".ndjson" || ext == ".xml" || ext == ".gz";
}
}  // namespace

std::vector<InputFile> collect_inputs(const std::vector<fs::path>& paths, std::vector<RecordProblem>& unreadable) {
  std::vector<InputFile> files;
  const auto cannot_read = [&](const fs::path& dir, const std::error_code& ec) {
    unreadable.push_back(
        {dir.string(), "", "", "cannot read directory: " + ec.message() + "; its records are not indexed"});
  };
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<InputFile> found;
      auto it = fs::recursive_directory_iterator(p, ec);
      if (ec) cannot_read(p, ec);
      for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().string();
        std::error_code type_ec;
        const bool is_dir = it->is_directory(type_ec);
        if (!name.empty() && name[0] == '.') {
          if (is_dir) it.disable_recursion_pending();
          continue;
        }
        if (is_dir) {
          // Tried before the walk descends: a directory it cannot open would end the walk.
          std::error_code open_ec;
          fs::directory_iterator probe(it->path(), open_ec);
          if (open_ec) {
            cannot_read(it->path(), open_ec);
            it.disable_recursion_pending();
          }
          continue;
        }
        // Inside directories only record-like files are read (README, LICENSE and scripts
        // sit beside exports); a file named explicitly is always read.
        if (it->is_regular_file(type_ec) && is_record_file_name(it->path()))
          found.push_back({it->path(), it->path().lexically_relative(p).generic_string()});
      }
      if (ec) cannot_read(p, ec);
      std::sort(found.begin(), found.end(), [](const InputFile& a, const InputFile& b) { return a.path < b.path; });
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(p, ec)) {
      files.push_back({p, p.filename().string()});
    } else {
      throw Error(ErrorCode::invalid_argument,
                  "input path does not exist or is not a file or directory: " + p.string());
    }
  }
  return files;
}

std::vector<fs::path> collect_input_files(const std::vector<fs::path>& paths) {
  std::vector<RecordProblem> unreadable;
  std::vector<fs::path> out;
  for (auto& f : collect_inputs(paths, unreadable)) out.push_back(std::move(f.path));
  return out;
}

namespace {

int source_rank(const Study& s) {
  const auto& src = s.annotation.sources;
  if (std::find(src.begin(), src.end(), "curated") != src.end()) return 0;
  if (std::find(src.begin(), src.end(), "pubmed") != src.end()) return 1;
  return 2;
}

template <typename T>
void fill(T& into, const T& from) {
  if (into.empty()) into = from;
}

}  // namespace

void merge_study(Study& into, const Study& from) {
  fill(into.identifiers.pmid, from.identifiers.pmid);
  fill(into.identifiers.doi, from.identifiers.doi);
  fill(into.identifiers.nct, from.identifiers.nct);
  fill(into.identifiers.pmcid, from.identifiers.pmcid);
  for (const auto& o : from.identifiers.other)
    if (std::find(into.identifiers.other.begin(), into.identifiers.other.end(), o) == into.identifiers.other.end())
      into.identifiers.other.push_back(o);
  if (!into.authors_complete && from.authors.size() > into.authors.size()) {
    into.authors = from.authors;
    into.authors_complete = from.authors_complete;
  }
  fill(into.journal, from.journal);
  fill(into.language, from.language);
  fill(into.publication_types, from.publication_types);
  fill(into.abstract, from.abstract);
  if (from.retracted) into.retracted = true;
  auto& a = into.annotation;
  fill(a.mesh_terms, from.annotation.mesh_terms);
  fill(a.keywords, from.annotation.keywords);
  fill(a.status, from.annotation.status);
  for (const auto& s : from.annotation.sources)
    if (std::find(a.sources.begin(), a.sources.end(), s) == a.sources.end()) a.sources.push_back(s);
  for (const auto& f : from.annotation.files)
    if (std::find(a.files.begin(), a.files.end(), f) == a.files.end()) a.files.push_back(f);
  for (const auto& s : from.provenance.sources)
    if (std::find(into.provenance.sources.begin(), into.provenance.sources.end(), s) == into.provenance.sources.end())
      into.provenance.sources.push_back(s);
}

namespace {

// Runs f(i, worker) for i in [0, n) on `threads` threads (the caller's included); the first
// exception thrown by any call is rethrown here after every thread has stopped.
template <typename F>
void parallel_for(std::size_t n, unsigned threads, F&& f) {
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto work = [&](unsigned worker) {
    for (std::size_t i = next++; i < n; i = next++) {
      try {
        f(i, worker);
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        next = n;
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned w = 1; w < threads && w < n; ++w) pool.emplace_back(work, w);
  work(0);
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// The identifiers that make two records one study, by the kind the index names them; empty ones
// are left out.
std::vector<std::pair<const char*, std::string>> study_identifiers(const Study& s) {
  std::vector<std::pair<const char*, std::string>> ids;
  for (const auto& [kind, value] : {std::pair{"pmid", s.identifiers.pmid}, std::pair{"doi", s.identifiers.doi},
                                    std::pair{"nct", s.identifiers.nct}})
    if (!value.empty()) ids.emplace_back(kind, value);
  return ids;
}

std::vector<std::string> identifier_keys(const Study& s) {
  std::vector<std::string> keys;
  for (const auto& [kind, value] : study_identifiers(s)) {
    std::string key = std::string(kind) + ":" + value;
    for (auto& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    keys.push_back(std::move(key));
  }
  return keys;
}

void count_coverage(RunReport& rep, const Study& s) {
  auto& c = rep.coverage[s.annotation.sources.empty() ? "unknown" : s.annotation.sources.front()];
  ++c.records;
  bool any_i = false, any_dir = false;
  for (const auto& a : s.interventions) any_i = any_i || !a.concepts.empty();
  for (const auto& o : s.outcomes) any_dir = any_dir || o.direction != Direction::unclear;
  c.intervention += any_i ? 1u : 0u;
  c.condition += s.population.conditions.empty() ? 0u : 1u;
  c.design += s.design == Design::other ? 0u : 1u;
  c.outcome += s.outcomes.empty() ? 0u : 1u;
  c.direction += any_dir ? 1u : 0u;
}

// Below this many records one writer is as fast as merging parts.
constexpr std::size_t parallel_threshold = 2000;

// Version of the findings snapshot and its XK terms; an index without it gets a full recount.
// Version 3: each finding's conclusion and its clinician sentence (version 2: the conclusion alone).
constexpr const char* snapshot_version = "3";

Vocabulary load_vocabulary(const RunOptions& opt) {
  const fs::path file = opt.vocabulary_file.empty() ? data_dir() / "schema/vocabulary.json" : opt.vocabulary_file;
  Vocabulary vocabulary = Vocabulary::load(file);
  if (auto problems = vocabulary.check(); !problems.empty())
    throw Error(ErrorCode::invalid_argument, "the vocabulary is inconsistent: " + problems.front());
  return vocabulary;
}

RecordValidator load_validator(const RunOptions& opt, const Vocabulary& vocabulary) {
  const fs::path file = opt.schema_file.empty() ? data_dir() / "schema/study.schema.json" : opt.schema_file;
  return RecordValidator::from_file(file, vocabulary);
}

// Everything read in one run, and what became of each record before it is written.
struct Batch {
  std::vector<Study> studies;
  std::vector<std::string> deletions;        // PMIDs of PubMed DeleteCitation entries
  std::vector<bool> absorbed;                // merged into another record of the batch
  std::vector<bool> elsewhere;               // left to another shard of a partitioned build
  std::map<std::string, std::string> paths;  // a record's file name as shown -> the path as given
};

struct FileResult {
  std::optional<RecordProblem> unreadable;
  ReadResult read;
};

std::vector<FileResult> read_files(const std::vector<InputFile>& files, unsigned threads,
                                   const RecordValidator& validator, std::size_t max_input_bytes) {
  std::vector<FileResult> results(files.size());
  parallel_for(files.size(), threads, [&](std::size_t i, unsigned) {
    std::string content;
    try {
      content = read_input_file(files[i].path, max_input_bytes);
    } catch (const Error& e) {
      results[i].unreadable = RecordProblem{files[i].path.string(), "", "", e.what()};
      return;
    }
    // Problems name the file as given, for the maintainer; records carry only its shown name.
    results[i].read = read_records(content, files[i].path.string(), validator);
    for (Study& s : results[i].read.studies) s.annotation.files = {files[i].shown_as};
  });
  return results;
}

// The files' records and problems in file order, so that a run is deterministic.
Batch gather(std::vector<FileResult>&& results, RunReport& rep) {
  Batch batch;
  for (auto& fr : results) {
    if (fr.unreadable) {
      rep.problems.push_back(std::move(*fr.unreadable));
      ++rep.skipped;
      continue;
    }
    ReadResult& r = fr.read;
    ++rep.by_format[format_name(r.format)];
    rep.records_read += r.studies.size();
    for (auto& p : r.problems) {
      // Problems that name a record mean that record was skipped; file-level notes about
      // malformed XML are followed by per-record results.
      if (!p.record.empty() || r.studies.empty()) ++rep.skipped;
      rep.problems.push_back(std::move(p));
    }
    for (auto& s : r.studies) batch.studies.push_back(std::move(s));
    batch.deletions.insert(batch.deletions.end(), r.deleted_pmids.begin(), r.deleted_pmids.end());
  }
  return batch;
}

// Everything is read first so that records can be merged across files and sources; files are
// parsed in parallel. The files' own results are freed before the records are sorted.
Batch read_inputs(const std::vector<fs::path>& inputs, unsigned threads, const RecordValidator& validator,
                  std::size_t max_input_bytes, RunReport& rep) {
  std::vector<RecordProblem> unreadable;
  const auto files = collect_inputs(inputs, unreadable);
  rep.files = files.size();
  for (auto& p : unreadable) {
    rep.problems.push_back(std::move(p));
    ++rep.skipped;
  }
  Batch batch = gather(read_files(files, threads, validator, max_input_bytes), rep);
  for (const auto& f : files) batch.paths.emplace(f.shown_as, f.path.string());
  // Curated records first, so PubMed and CT.gov copies of the same study merge into them.
  std::stable_sort(batch.studies.begin(), batch.studies.end(),
                   [](const Study& a, const Study& b) { return source_rank(a) < source_rank(b); });
  return batch;
}

struct PreviousIndex {
  std::string findings, snapshot_version;  // "" on a first run
  std::vector<IndexChanges> change_log;    // carried into a rebuilt generation
};

// The previous conclusions, for the change report; absent on a first run.
PreviousIndex read_previous_index(const fs::path& db, RunReport& rep) {
  PreviousIndex previous;
  try {
    IndexReader before(db);
    rep.revision_before = before.revision();
    previous.findings = before.metadata(std::string(fields::meta_findings));
    previous.snapshot_version = before.metadata(std::string(fields::meta_snapshot_version));
    previous.change_log = before.change_log();
  } catch (const Error&) {}
  return previous;
}

// The same study from several sources in this batch is merged in memory first (into the
// highest-ranked copy), so it is written once and an unchanged merge is reported as unchanged.
void merge_batch_twins(Batch& batch, RunReport& rep) {
  auto& studies = batch.studies;
  batch.absorbed.assign(studies.size(), false);
  std::unordered_map<std::string, std::size_t> first_with;
  for (std::size_t i = 0; i < studies.size(); ++i) {
    std::optional<std::size_t> into;
    const auto keys = identifier_keys(studies[i]);
    for (const auto& key : keys)
      if (auto it = first_with.find(key); it != first_with.end() && studies[it->second].id != studies[i].id)
        into = it->second;
    if (into) {
      merge_study(studies[*into], studies[i]);
      batch.absorbed[i] = true;
      ++rep.merged;
      continue;
    }
    for (const auto& key : keys) first_with.emplace(key, i);
  }
}

// A shard keeps the records whose id hashes to it; merging came first, so twins from other
// sources land in the shard of the record they were merged into.
void leave_to_other_shards(Batch& batch, const RunOptions& opt, RunReport& rep) {
  batch.elsewhere.assign(batch.studies.size(), false);
  if (opt.shard_count <= 1) return;
  for (std::size_t i = 0; i < batch.studies.size(); ++i)
    if (!batch.absorbed[i] && shard_of(batch.studies[i].id, opt.shard_count) != opt.shard_index) {
      batch.elsewhere[i] = true;
      ++rep.other_shard;
    }
}

// Annotates the batch's records, builds their documents and hands them to the index writer;
// counts what happened in the report and keeps the records written for the findings snapshot.
class BatchWriter {
 public:
  BatchWriter(Batch& batch, IndexWriter& writer, const Vocabulary& vocabulary, const Annotator& annotator,
              const RunOptions& opt, unsigned threads, RunReport& rep)
      : batch_(batch), writer_(writer), annotator_(annotator), opt_(opt), threads_(threads), rep_(rep) {
    for (unsigned w = 0; w < threads; ++w) builders_.push_back(std::make_unique<DocumentBuilder>(vocabulary));
  }

  // A fresh index with many records is written by every thread, each into a part of its own
  // that the writer merges at commit: Xapian's inversion, not our annotation, is most of the
  // cost, and one writer thread kept the other core idle.
  void write(bool starts_empty) {
    // A fresh index cannot tell a reader which records are new to it: every record is.
    list_ids_ = !starts_empty;
    if (starts_empty && threads_ > 1 && batch_.studies.size() >= parallel_threshold)
      write_in_parts();
    else
      write_in_blocks();
  }

  // Records written (or merged into an indexed twin) in this run, in input order.
  const std::vector<const Study*>& written() const { return written_; }

 private:
  using Block = std::vector<std::optional<PreparedDocument>>;
  static constexpr std::size_t block_size = 512;

  void write_in_parts();
  void write_in_blocks();
  Block prepare(std::size_t begin);
  void write_one(std::size_t idx, std::optional<PreparedDocument>& document);
  bool merge_into_indexed_twin(Study& s, bool& rebuilt);
  bool first_with_id(const Study& s);

  Batch& batch_;
  IndexWriter& writer_;
  const Annotator& annotator_;
  const RunOptions& opt_;
  const unsigned threads_;
  RunReport& rep_;
  std::vector<std::unique_ptr<DocumentBuilder>> builders_;  // one per thread
  std::set<std::string> seen_ids_;
  std::vector<const Study*> written_;
  std::deque<Study> merged_copies_;  // indexed twins with a record of this run merged in
  bool list_ids_ = false;            // record the ids of changed records in rep_.changes
};

// True for the first record with its id in this run; a later one is reported and skipped.
bool BatchWriter::first_with_id(const Study& s) {
  if (seen_ids_.insert(s.id).second) return true;
  std::string file = s.annotation.files.empty() ? "" : s.annotation.files.front();
  if (const auto given = batch_.paths.find(file); given != batch_.paths.end()) file = given->second;
  rep_.problems.push_back({file, s.id, "/id", "duplicate id in this run; the first record with this id was kept"});
  ++rep_.skipped;
  return false;
}

// Ids decide up front which record is written (the index is empty, so there are no twins in it
// to merge with); then the threads annotate, build and write their share.
void BatchWriter::write_in_parts() {
  const auto& studies = batch_.studies;
  std::vector<char> write(studies.size(), 0);
  for (std::size_t idx = 0; idx < studies.size(); ++idx)
    if (!batch_.elsewhere[idx] && !batch_.absorbed[idx] && first_with_id(studies[idx])) write[idx] = 1;
  writer_.open_parts(threads_);
  std::atomic<std::size_t> progress{0};
  std::mutex progress_mutex;
  parallel_for(studies.size(), threads_, [&](std::size_t idx, unsigned worker) {
    if (!batch_.elsewhere[idx]) {
      annotator_.annotate(batch_.studies[idx]);
      if (write[idx]) writer_.put_to_part(worker, builders_[worker]->build(studies[idx]));
    }
    const std::size_t n = ++progress;
    if (opt_.progress && (n % 256 == 0 || n == studies.size())) {
      std::lock_guard<std::mutex> lock(progress_mutex);
      opt_.progress(n, studies.size());
    }
  });
  for (std::size_t idx = 0; idx < studies.size(); ++idx) {
    const Study& s = studies[idx];
    if (batch_.elsewhere[idx]) continue;
    count_coverage(rep_, s);
    if (!write[idx]) continue;
    if (s.retracted) rep_.retracted.push_back(s.id);
    ++rep_.added;
    written_.push_back(&s);
  }
}

// Annotation and document building (most of the work) run on worker threads a block ahead of
// the single Xapian writer, which gets the prepared documents in input order.
void BatchWriter::write_in_blocks() {
  const std::size_t n = batch_.studies.size();
  std::future<Block> next;
  if (n > 0) next = std::async(std::launch::async, &BatchWriter::prepare, this, 0);
  for (std::size_t begin = 0; begin < n; begin += block_size) {
    Block block = next.get();
    if (begin + block_size < n) next = std::async(std::launch::async, &BatchWriter::prepare, this, begin + block_size);
    for (std::size_t k = 0; k < block.size(); ++k) write_one(begin + k, block[k]);
  }
}

BatchWriter::Block BatchWriter::prepare(std::size_t begin) {
  const std::size_t end = std::min(batch_.studies.size(), begin + block_size);
  Block block(end - begin);
  parallel_for(end - begin, threads_, [&](std::size_t k, unsigned worker) {
    const std::size_t idx = begin + k;
    if (batch_.elsewhere[idx]) return;
    annotator_.annotate(batch_.studies[idx]);
    if (!batch_.absorbed[idx]) block[k] = builders_[worker]->build(batch_.studies[idx]);
  });
  return block;
}

void BatchWriter::write_one(std::size_t idx, std::optional<PreparedDocument>& document) {
  Study& s = batch_.studies[idx];
  if (opt_.progress) opt_.progress(idx + 1, batch_.studies.size());
  if (batch_.elsewhere[idx]) return;
  count_coverage(rep_, s);
  if (batch_.absorbed[idx]) return;  // merged into another record of this batch
  bool rebuilt = false;
  if (merge_into_indexed_twin(s, rebuilt)) return;
  if (!first_with_id(s)) return;
  if (s.retracted) rep_.retracted.push_back(s.id);
  const Change change = rebuilt ? writer_.put(s) : writer_.put(std::move(*document));
  switch (change) {
    case Change::added: ++rep_.added; break;
    case Change::updated: ++rep_.updated; break;
    case Change::unchanged: ++rep_.unchanged; break;
  }
  if (list_ids_ && change != Change::unchanged) {
    (change == Change::added ? rep_.changes.added : rep_.changes.updated).push_back(s.id);
    if (s.retracted) rep_.changes.retracted.push_back(s.id);
  }
  written_.push_back(&s);
}

// The same study already in the index from another source (same PMID, DOI or NCT id) is merged,
// not shown twice; the writer sees this run's uncommitted records too. True when s went into the
// indexed record; `rebuilt` when s outranks it and took it over (s must then be built anew).
bool BatchWriter::merge_into_indexed_twin(Study& s, bool& rebuilt) {
  std::optional<std::string> twin;
  for (const auto& [kind, value] : study_identifiers(s)) {
    if (auto found = writer_.find_by_identifier(kind, value); found && *found != s.id) {
      twin = found;
      break;
    }
  }
  if (!twin) return false;
  std::optional<Study> existing = writer_.get(*twin);
  if (!existing) return false;
  if (source_rank(*existing) <= source_rank(s)) {
    merge_study(*existing, s);
    annotator_.annotate(*existing);
    if (writer_.put(*existing) != Change::unchanged) {
      ++rep_.merged;
      // For a follower the indexed record changed (e.g. PubMed now says it was retracted).
      if (list_ids_) {
        rep_.changes.updated.push_back(existing->id);
        if (existing->retracted) rep_.changes.retracted.push_back(existing->id);
      }
    } else {
      ++rep_.unchanged;
    }
    seen_ids_.insert(existing->id);
    merged_copies_.push_back(std::move(*existing));
    written_.push_back(&merged_copies_.back());
    return true;
  }
  // The new record outranks the indexed one (a curated record arriving after its PubMed copy):
  // it takes over, and the old copy is removed.
  merge_study(s, *existing);
  writer_.remove(*twin);
  if (list_ids_) rep_.changes.deleted.push_back(*twin);  // its id is gone; s carries the study now
  rebuilt = true;
  ++rep_.merged;
  return false;
}

// Ids of the records removed by PubMed DeleteCitation entries.
std::set<std::string> delete_citations(IndexWriter& writer, const std::vector<std::string>& pmids, RunReport& rep) {
  std::set<std::string> deleted_ids;
  for (const auto& pmid : pmids) {
    if (writer.remove("pubmed-" + pmid)) {
      ++rep.deleted;
      deleted_ids.insert("pubmed-" + pmid);
    }
  }
  return deleted_ids;
}

void write_index_metadata(IndexWriter& writer, const Vocabulary& vocabulary) {
  writer.write_synonyms(vocabulary);
  writer.set_metadata(std::string(fields::meta_schema), "1");
  writer.set_metadata(std::string(fields::meta_vocabulary), vocabulary.version());
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  writer.set_metadata(std::string(fields::meta_built_at), buf);
}

json parse_snapshot(const std::string& text) {
  if (text.empty()) return json::object();
  try {
    return json::parse(text);
  } catch (const json::exception&) {
    return json::object();  // an unreadable snapshot only means every conclusion is reported as new
  }
}

// A finding depends only on the records that report on its key, so an incremental run recounts
// just the keys its records touched and keeps the rest of the previous snapshot.
// A finding's key is the four parts the index's terms name (intervention|comparator kind|
// outcome|time point) and then the population studied; the population is not a term.
bool is_touched(const std::string& finding, const std::set<std::string>& touched) {
  std::size_t cut = std::string::npos, from = 0;
  for (int bar = 0; bar < 4; ++bar) {
    cut = finding.find('|', from);
    if (cut == std::string::npos) break;
    from = cut + 1;
  }
  return touched.count(cut == std::string::npos ? finding : finding.substr(0, cut)) > 0;
}

json recount_touched(const IndexWriter& writer, const json& before, const Vocabulary& vocabulary) {
  const std::set<std::string>& only = writer.touched_finding_keys();
  const json recounted =
      only.empty() ? json::object() : findings_snapshot(writer.studies_with_findings(&only), vocabulary);
  json now = json::object();
  for (const auto& [k, v] : before.items())
    if (!is_touched(k, only)) now[k] = v;
  for (const auto& [k, v] : recounted.items())
    if (is_touched(k, only)) now[k] = v;
  return now;
}

// A snapshot entry is {"conclusion", "clinician"}; version 2 kept the conclusion alone, as a
// string. A change is judged by the conclusion: a sentence that only counts one more trial is not
// a changed conclusion.
std::string snapshot_member(const json& entry, const char* member) {
  if (entry.is_string()) return std::string(member) == "conclusion" ? entry.get<std::string>() : "";
  if (!entry.is_object()) return "";
  const auto it = entry.find(member);
  return it != entry.end() && it->is_string() ? it->get<std::string>() : "";
}

void report_changed_conclusions(const json& before, const json& now, RunReport& rep) {
  for (const auto& [k, v] : now.items()) {
    const json& was = before.contains(k) ? before[k] : json(nullptr);
    if (snapshot_member(was, "conclusion") != snapshot_member(v, "conclusion"))
      rep.changed_conclusions.push_back({k, snapshot_member(was, "conclusion"), snapshot_member(v, "conclusion"),
                                         snapshot_member(was, "clinician"), snapshot_member(v, "clinician")});
  }
  for (const auto& [k, v] : before.items())
    if (!now.contains(k))
      rep.changed_conclusions.push_back({k, snapshot_member(v, "conclusion"), "", snapshot_member(v, "clinician"), ""});
}

// Compares the graded conclusions with those of the previous index; the new snapshot is
// committed in the same transaction as the records.
void update_findings(IndexWriter& writer, const Vocabulary& vocabulary, const PreviousIndex& previous,
                     bool starts_empty, const std::vector<const Study*>& written,
                     const std::set<std::string>& deleted_ids, RunReport& rep) {
  const json before = parse_snapshot(previous.findings);
  json now;
  if (starts_empty) {
    // Only records with a reportable result can be part of a finding (synthesise() skips the
    // rest), and they are read where the batch holds them: at a million records a copy of them
    // all doubled the run's memory, and a copy of the reportable ones still added a tenth (100k
    // rebuild: 2.31 -> 2.10 GB peak without it; docs/BENCHMARKS.md).
    std::vector<const Study*> fresh;
    for (const Study* s : written)
      if (!deleted_ids.count(s->id) && can_report(*s)) fresh.push_back(s);
    now = findings_snapshot(fresh, vocabulary);
  } else if (previous.snapshot_version != snapshot_version || !before.is_object()) {
    now = findings_snapshot(writer.all_studies(), vocabulary);
  } else {
    now = recount_touched(writer, before, vocabulary);
  }
  report_changed_conclusions(before, now, rep);
  writer.set_metadata(std::string(fields::meta_findings), now.dump());
  writer.set_metadata(std::string(fields::meta_snapshot_version), snapshot_version);
}

// The run's entry in the index's change log, committed with the records it describes. The log of
// the previous index is written whole, so a rebuilt generation carries it on.
void record_changes(IndexWriter& writer, const PreviousIndex& previous, bool fresh,
                    const std::set<std::string>& deleted_ids, RunReport& rep) {
  IndexChanges& c = rep.changes;
  c.fresh = fresh;
  if (fresh) {
    c.added.clear();
    c.updated.clear();
    c.deleted.clear();
    c.retracted.clear();
  } else {
    c.deleted.insert(c.deleted.end(), deleted_ids.begin(), deleted_ids.end());
  }
  c.added_count = fresh ? rep.added : c.added.size();
  c.updated_count = fresh ? rep.updated : c.updated.size();
  c.deleted_count = fresh ? rep.deleted : c.deleted.size();
  c.retracted_count = fresh ? rep.retracted.size() : c.retracted.size();
  c.conclusions = rep.changed_conclusions;
  std::vector<IndexChanges> log = previous.change_log;
  // A run that changed nothing (the daily update on a quiet day) would only push history out.
  if (c.added_count + c.updated_count + c.deleted_count + c.retracted_count > 0 || !c.conclusions.empty()) {
    log = append_changes(std::move(log), c);
    c = log.back();
  }
  writer.set_metadata(std::string(fields::meta_changes), dump_change_log(log));
}

}  // namespace

std::size_t shard_of(const std::string& id, std::size_t shard_count) {
  if (shard_count <= 1) return 0;
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a: stable across platforms and releases
  for (char ch : id) {
    h ^= static_cast<unsigned char>(ch);
    h *= 1099511628211ULL;
  }
  return static_cast<std::size_t>(h % shard_count);
}

RunReport run_index(const RunOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  RunReport rep;
  if (opt.shard_count == 0 || opt.shard_index >= opt.shard_count)
    throw Error(ErrorCode::invalid_argument, "shard must be i/n with 0 <= i < n");
  const unsigned threads = opt.threads > 0 ? opt.threads : std::max(1u, std::thread::hardware_concurrency());
  rep.threads = threads;
  const Vocabulary vocabulary = load_vocabulary(opt);
  const RecordValidator validator = load_validator(opt, vocabulary);
  const Annotator annotator(vocabulary);

  auto phase = std::chrono::steady_clock::now();
  Batch batch = read_inputs(opt.inputs, threads, validator, opt.max_input_bytes, rep);
  rep.timings["read"] = since(phase);
  if (opt.strict && rep.skipped > 0) {
    rep.seconds = since(t0);
    return rep;  // committed=false: strict mode fails the whole run
  }
  const PreviousIndex previous = read_previous_index(opt.db, rep);

  phase = std::chrono::steady_clock::now();
  merge_batch_twins(batch, rep);
  leave_to_other_shards(batch, opt, rep);
  rep.timings["merge"] = since(phase);

  phase = std::chrono::steady_clock::now();
  IndexWriter writer(opt.db, vocabulary,
                     opt.rebuild         ? WriteMode::rebuild
                     : opt.keep_previous ? WriteMode::keep_previous
                                         : WriteMode::in_place);
  const bool starts_empty = opt.rebuild || writer.doc_count() == 0;
  BatchWriter batch_writer(batch, writer, vocabulary, annotator, opt, threads, rep);
  batch_writer.write(starts_empty);
  const std::set<std::string> deleted_ids = delete_citations(writer, batch.deletions, rep);
  write_index_metadata(writer, vocabulary);
  rep.timings["index"] = since(phase);

  phase = std::chrono::steady_clock::now();
  update_findings(writer, vocabulary, previous, starts_empty, batch_writer.written(), deleted_ids, rep);
  record_changes(writer, previous, starts_empty, deleted_ids, rep);
  rep.timings["findings"] = since(phase);

  // A record refused while writing (a second record with an id of this run) fails a strict run
  // too: nothing is committed.
  if (opt.strict && rep.skipped > 0) {
    writer.cancel();
    rep.seconds = since(t0);
    return rep;
  }
  phase = std::chrono::steady_clock::now();
  writer.commit();
  rep.committed = true;
  rep.timings["commit"] = since(phase);
  try {
    rep.revision_after = IndexReader(opt.db).revision();
  } catch (const Error&) {}
  rep.seconds = since(t0);
  return rep;
}

}  // namespace evidence
