#include "evidence/index.hpp"

#include <xapian.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <unistd.h>

#include "evidence/appraisal.hpp"
#include "evidence/fields.hpp"
#include "evidence/text.hpp"
#include "index_internal.hpp"
#include "packed_values.hpp"
#include "study_codec.hpp"

namespace evidence {

namespace fs = std::filesystem;
using nlohmann::json;

[[noreturn]] void rethrow_xapian(const Xapian::Error& e, const std::string& what) {
  // Xapian::Error is not polymorphic: its type name is the stable way to tell errors apart.
  const std::string type = e.get_type();
  // The system's reason (ENOSPC, EFBIG, EACCES...) is what tells a maintainer what to fix.
  const char* reason = e.get_error_string();
  const std::string msg =
      what + ": " + type + ": " + e.get_msg() + (reason && *reason ? std::string(" (") + reason + ")" : "");
  if (type == "DatabaseLockError")
    throw Error(ErrorCode::index_locked,
                what + ": the index is locked by another indexer; wait for it to finish and try again");
  if (type == "DatabaseCorruptError") throw Error(ErrorCode::index_corrupt, msg);
  if (type == "DatabaseNotFoundError" || type == "DatabaseOpeningError" || type == "DatabaseVersionError")
    throw Error(ErrorCode::index_unavailable, msg);
  if (type == "DatabaseError" || type == "DatabaseModifiedError" || type == "DatabaseClosedError" ||
      type == "DatabaseCreateError")
    throw Error(ErrorCode::io_error, msg);
  if (type == "QueryParserError" || type == "InvalidArgumentError") throw Error(ErrorCode::invalid_argument, msg);
  throw Error(ErrorCode::internal, msg);
}

[[noreturn]] void rethrow_xapian_reading(const Xapian::Error& e, const std::string& what) {
  const std::string type = e.get_type();
  if (type == "QueryParserError" || type == "DatabaseCorruptError") rethrow_xapian(e, what);
  const char* reason = e.get_error_string();
  throw Error(ErrorCode::index_unavailable,
              what + ": " + type + ": " + e.get_msg() + (reason && *reason ? std::string(" (") + reason + ")" : ""));
}

namespace {

// Directories a writer has created and not yet made live (a rebuild's generation, its parts, the
// merge), per writer. Only the terminate handler below reads it: when libxapian ends the process
// in the middle of a commit, these are removed so that a full disk is not left fuller.
std::mutex unfinished_mutex;
std::map<const void*, std::vector<fs::path>> unfinished_dirs;

void note_unfinished(const void* writer, const fs::path& dir) {
  const std::lock_guard<std::mutex> lock(unfinished_mutex);
  unfinished_dirs[writer].push_back(dir);
}

void forget_unfinished(const void* writer) {
  const std::lock_guard<std::mutex> lock(unfinished_mutex);
  unfinished_dirs.erase(writer);
}

std::terminate_handler default_terminate = nullptr;
const char* terminating_program = "evidence";

[[noreturn]] void terminate_after_failed_write() {
  if (const std::exception_ptr current = std::current_exception()) {
    try {
      std::rethrow_exception(current);
    } catch (const Xapian::Error& e) {
      // A terminate may interrupt anything, so the registry is taken only if it is free.
      std::size_t removed = 0;
      if (unfinished_mutex.try_lock()) {
        std::error_code ec;
        for (const auto& [writer, dirs] : unfinished_dirs)
          for (const auto& dir : dirs) removed += fs::remove_all(dir, ec) > 0 ? 1U : 0U;
        unfinished_mutex.unlock();
      }
      try {
        rethrow_xapian(e, "writing the index failed inside libxapian");
      } catch (const Error& mapped) {
        std::fprintf(stderr, "%s: %s (%s); the index is as it was at its last commit", terminating_program,
                     mapped.what(), error_code_name(mapped.code()));
        if (removed > 0) std::fprintf(stderr, "; the run's %zu unfinished directories were removed", removed);
        std::fputc('\n', stderr);
      }
      std::fflush(stderr);
      _exit(2);
    } catch (...) {}
  }
  if (default_terminate) default_terminate();
  std::abort();
}

}  // namespace

void exit_on_failed_index_write(const char* program) {
  terminating_program = program;
  const std::terminate_handler previous = std::set_terminate(terminate_after_failed_write);
  if (previous != terminate_after_failed_write) default_terminate = previous;
}

namespace {

constexpr const char* stub_name = "XAPIANDB";

std::string read_stub_target(const fs::path& dir) {
  std::ifstream in(dir / stub_name);
  std::string backend, target;
  if (in >> backend >> target) return target;
  return {};
}

// A stub naming a shard served by xapian-tcpsrv: such a shard cannot run our own match spy.
bool stub_names_remote(const fs::path& dir) {
  std::ifstream in(dir / stub_name);
  std::string line;
  while (std::getline(in, line)) {
    const auto start = line.find_first_not_of(" \t");
    if (start != std::string::npos && line.compare(start, 6, "remote") == 0) return true;
  }
  return false;
}

// Throws when an index holding records was written in an older format than this program reads.
void check_index_format(const Xapian::Database& db, const fs::path& dir) {
  if (db.get_doccount() == 0) return;
  const std::string format = db.get_metadata(std::string(fields::meta_format));
  if (format == fields::index_format) return;
  const bool packed = db.get_metadata(std::string(fields::meta_packed_facets)) == "1";
  throw Error(ErrorCode::index_unavailable, "the index at " + dir.string() + " has index format " +
                                                (!format.empty() ? format
                                                 : packed        ? "2"
                                                                 : "1") +
                                                "; this version reads format " + std::string(fields::index_format) +
                                                ": rebuild it with evidence-index --rebuild");
}

// Writes the stub through a temporary file and rename(), which is atomic on POSIX, so a reader
// sees either the old generation or the new one, never a torn file.
void write_stub(const fs::path& dir, const std::string& generation) {
  const fs::path tmp = dir / (std::string(stub_name) + ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "glass " << generation << "\n";
    out.flush();
    if (!out) throw Error(ErrorCode::io_error, "cannot write " + tmp.string());
  }
  std::FILE* f = std::fopen(tmp.c_str(), "r");
  if (f) {
    ::fsync(fileno(f));
    std::fclose(f);
  }
  std::error_code ec;
  fs::rename(tmp, dir / stub_name, ec);
  if (ec) throw Error(ErrorCode::io_error, "cannot replace " + (dir / stub_name).string() + ": " + ec.message());
}

int generation_number(const std::string& gen) {
  if (gen.rfind("gen-", 0) != 0 || gen.size() == 4) return 0;
  for (std::size_t i = 4; i < gen.size(); ++i)
    if (gen[i] < '0' || gen[i] > '9') return 0;  // gen-3.part-0, gen-3.merged: not generations
  try {
    return std::stoi(gen.substr(4));
  } catch (...) {
    return 0;
  }
}

// The generations on disk (gen-N directories), by number.
std::vector<int> generations_on_disk(const fs::path& dir) {
  std::vector<int> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    if (const int n = generation_number(it->path().filename().string()); n > 0 && it->is_directory()) out.push_back(n);
  std::sort(out.begin(), out.end());
  return out;
}

int highest_generation(const fs::path& dir) {
  const auto all = generations_on_disk(dir);
  return all.empty() ? 0 : all.back();
}

// After a swap: the new generation and the one it replaced stay (the latter for a rollback);
// older generations and leftovers of interrupted runs (gen-N.part-K, gen-N.merged) go. The
// caller holds the write lock, so nothing else is writing any of them.
void remove_other_generations(const fs::path& dir, const std::string& live, const std::string& previous) {
  std::vector<fs::path> doomed;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind("gen-", 0) == 0 && name != live && name != previous) doomed.push_back(it->path());
  }
  for (const auto& p : doomed) fs::remove_all(p, ec);
}

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

}  // namespace

namespace {
std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t h = 1469598103934665603ULL;
  for (char ch : text) {
    h ^= static_cast<unsigned char>(ch);
    h *= 1099511628211ULL;
  }
  return h;
}
}  // namespace

std::uint64_t content_hash(const Study& s) {
  json j = study_to_json(s, true);
  j["annotation"].erase("files");
  return fnv1a(j.dump());
}

struct PreparedDocument::Impl {
  std::string id;
  std::string hash;
  Xapian::Document doc;
  std::vector<std::string> spelling;  // words offered to "did you mean"
  std::set<std::string> finding_keys;
};

PreparedDocument::PreparedDocument() = default;
PreparedDocument::~PreparedDocument() = default;
PreparedDocument::PreparedDocument(PreparedDocument&&) noexcept = default;
PreparedDocument& PreparedDocument::operator=(PreparedDocument&&) noexcept = default;
const std::string& PreparedDocument::id() const { return impl_->id; }

struct DocumentBuilder::Impl {
  const Vocabulary* vocabulary = nullptr;
  // Each builder owns its own stemmer and term generator: Xapian handles are reference counted
  // without atomics, so they must not be shared between threads.
  Xapian::TermGenerator tg;
};

struct IndexWriter::Impl {
  fs::path dir;
  fs::path live;               // generation written to
  std::string new_generation;  // set when rebuilding, and by a first run until it commits
  bool first_run = false;      // no stub yet: commit() writes it and the writer goes on in place
  Xapian::WritableDatabase db;
  Xapian::WritableDatabase old_lock;  // during a rebuild: holds the live generation's lock
  const Vocabulary* vocabulary = nullptr;
  bool in_transaction = false;
  std::unique_ptr<DocumentBuilder> builder;
  std::set<std::string> touched_keys;
  std::vector<Xapian::WritableDatabase> parts;  // see open_parts()
  std::vector<fs::path> part_paths;
  void merge_parts();
};

namespace {

// ---- The field tables -----------------------------------------------------------------------
// What a document holds, one row per field: build() walks the tables, so adding a field is
// adding a row (and its prefix or slot in fields.hpp). Terms and values are sets in Xapian, so
// the order of the rows does not matter; only the free text (positions) has an order.

using Words = std::vector<std::string>;

std::string first_word_of(const std::string& name) {
  const auto words = split_words(normalise(name));
  return words.empty() ? std::string() : words.front();
}

// Boolean terms: the values (without the prefix) a record has for a prefix; empty values are
// not indexed.
struct TermField {
  std::string_view prefix;
  Words (*values)(const Study&);
};

const TermField term_fields[] = {
    {fields::author,
     [](const Study& s) {
       Words w;
       for (const auto& a : s.authors) w.push_back(first_word_of(a));
       return w;
     }},
    {fields::id_term, [](const Study& s) { return Words{s.id}; }},
    {fields::pmid, [](const Study& s) { return Words{s.identifiers.pmid}; }},
    {fields::doi, [](const Study& s) { return Words{lower(s.identifiers.doi)}; }},
    {fields::nct, [](const Study& s) { return Words{lower(s.identifiers.nct)}; }},
    {fields::pmcid, [](const Study& s) { return Words{lower(s.identifiers.pmcid)}; }},
    {fields::comparator,
     [](const Study& s) {
       Words w;
       for (const auto& a : s.comparators)
         if (a.kind) w.push_back(std::string("kind:") + comparator_kind_name(*a.kind));
       return w;
     }},
    // A review that pools is also found as a meta-analysis.
    {fields::design,
     [](const Study& s) {
       Words w{design_name(s.design)};
       if (s.design == Design::systematic_review && s.meta_analysis) w.push_back("meta_analysis");
       return w;
     }},
    {fields::year, [](const Study& s) { return Words{s.year > 0 ? std::to_string(s.year) : std::string()}; }},
    {fields::duration, [](const Study& s) { return Words{s.population.duration}; }},
    {fields::source, [](const Study& s) { return s.annotation.sources; }},
    {fields::level, [](const Study& s) { return Words{std::to_string(evidence_level(s))}; }},
    {fields::quality_band, [](const Study& s) { return Words{quality_band_of(s.annotation.quality_score)}; }},
    {fields::flag,
     [](const Study& s) {
       Words w;
       if (s.retracted) w.push_back("retracted");
       for (const auto& o : s.outcomes)
         if (o.effect) w.push_back("has_effect");
       return w;
     }},
};

// Single-valued slots; std::nullopt leaves the slot empty.
struct ValueField {
  unsigned slot;
  std::optional<std::string> (*value)(const Study&);
};

const ValueField value_fields[] = {
    {fields::slot_year,
     [](const Study& s) -> std::optional<std::string> { return Xapian::sortable_serialise(s.year); }},
    {fields::slot_design, [](const Study& s) -> std::optional<std::string> { return design_name(s.design); }},
    {fields::slot_level,
     [](const Study& s) -> std::optional<std::string> { return Xapian::sortable_serialise(evidence_level(s)); }},
    {fields::slot_level_label,
     [](const Study& s) -> std::optional<std::string> { return std::to_string(evidence_level(s)); }},
    {fields::slot_year_label, [](const Study& s) -> std::optional<std::string> { return std::to_string(s.year); }},
    {fields::slot_quality,
     [](const Study& s) -> std::optional<std::string> {
       if (s.annotation.quality_score < 0) return std::nullopt;
       return Xapian::sortable_serialise(s.annotation.quality_score);
     }},
    {fields::slot_sample_size,
     [](const Study& s) -> std::optional<std::string> {
       return Xapian::sortable_serialise(static_cast<double>(s.participants()));
     }},
    {fields::slot_quality_band,
     [](const Study& s) -> std::optional<std::string> { return quality_band_of(s.annotation.quality_score); }},
    {fields::slot_rank_features,
     [](const Study& s) -> std::optional<std::string> { return serialise_rank_features(rank_features_of(s)); }},
    {fields::slot_synthesis, [](const Study& s) -> std::optional<std::string> { return synthesis_record(s); }},
};

// The positional text: title, abstract, MeSH headings and keywords; for curated records, which
// have no abstract, their summaries and result sentences.
void index_text(Xapian::TermGenerator& gen, const Study& s) {
  gen.index_text(s.title, fields::title_weight);
  gen.index_text(s.title, 1, std::string(fields::title));
  gen.increase_termpos();
  gen.index_text(s.abstract_text());
  gen.increase_termpos();
  // MeSH words rank through the unprefixed text only; a "K" copy of them (fields.hpp) was
  // written and never queried.
  for (const auto& m : s.annotation.mesh_terms) {
    gen.index_text(m, fields::mesh_weight);
    gen.increase_termpos();
  }
  for (const auto& k : s.annotation.keywords) {
    gen.index_text(k, fields::mesh_weight);
    gen.increase_termpos();
  }
  if (!s.abstract.empty()) return;
  gen.index_text(s.summary.clinician);
  gen.increase_termpos();
  for (const auto& o : s.outcomes) {
    gen.index_text(o.result_text);
    gen.increase_termpos();
  }
  for (const auto& a : s.interventions) {
    gen.index_text(a.label);
    gen.increase_termpos();
  }
}

void add_concepts(Xapian::Document& doc, std::string_view prefix, const std::vector<std::string>& ids,
                  const Vocabulary& v, std::set<std::string>& direct) {
  for (const auto& id : ids) {
    direct.insert(id);
    for (const auto& a : v.ancestors(id)) doc.add_boolean_term(std::string(prefix) + a);
  }
}

// The concept terms (each concept and its ancestors) and the facet slots of the directly
// annotated concepts: positional slots for remote shards and the packed slot, holding exactly
// the same values so local and remote counting agree.
void add_concept_fields(Xapian::Document& doc, const Study& s, const Vocabulary& v) {
  std::set<std::string> interventions, conditions, outcomes, comparators;
  for (const auto& a : s.interventions) add_concepts(doc, fields::intervention, a.concepts, v, interventions);
  for (const auto& a : s.comparators) add_concepts(doc, fields::comparator, a.concepts, v, comparators);
  for (const auto& o : s.outcomes) {
    add_concepts(doc, fields::outcome, {o.domain}, v, outcomes);
    add_concepts(doc, fields::intervention, o.intervention, v, interventions);
    add_concepts(doc, fields::comparator, o.comparator, v, comparators);
  }
  add_concepts(doc, fields::condition, s.population.conditions, v, conditions);
  auto positional = [&](unsigned first_slot, const std::set<std::string>& values) {
    std::vector<std::string> kept;
    for (const auto& value : values)
      if (kept.size() < fields::facet_positions) {
        doc.add_value(first_slot + static_cast<unsigned>(kept.size()), value);
        kept.push_back(value);
      }
    return kept;
  };
  const auto facet_i = positional(fields::slot_interventions, interventions);
  const auto facet_c = positional(fields::slot_conditions, conditions);
  const auto facet_o = positional(fields::slot_outcomes, outcomes);
  doc.add_value(fields::slot_facets,
                serialise_facets(design_name(s.design), quality_band_of(s.annotation.quality_score), evidence_level(s),
                                 s.year, facet_i, facet_c, facet_o));
}

// "Did you mean" suggests words of the vocabulary (written once per run, see write_synonyms),
// MeSH headings and keywords. Title and abstract words made the spelling table the largest
// cost of indexing (40% of a 10k-record run: every new word rewrites its n-gram lists).
std::vector<std::string> spelling_words(const Study& s) {
  std::string words;
  for (const auto& m : s.annotation.mesh_terms) words += " " + m;
  for (const auto& k : s.annotation.keywords) words += " " + k;
  std::vector<std::string> out;
  for (auto& w : split_words(normalise(words)))
    if (w.size() > 2 && w.size() < 40 && !std::isdigit(static_cast<unsigned char>(w[0]))) out.push_back(std::move(w));
  return out;
}

}  // namespace

DocumentBuilder::DocumentBuilder(const Vocabulary& vocabulary) : impl_(std::make_unique<Impl>()) {
  impl_->vocabulary = &vocabulary;
  try {
    impl_->tg.set_stemmer(Xapian::Stem("english"));
    impl_->tg.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
  } catch (const Xapian::Error& e) {
    rethrow_xapian(e, "setting up the term generator");
  }
}

DocumentBuilder::~DocumentBuilder() = default;

PreparedDocument DocumentBuilder::build(const Study& s) try {
  PreparedDocument out;
  out.impl_ = std::make_unique<PreparedDocument::Impl>();
  PreparedDocument::Impl& p = *out.impl_;
  p.id = s.id;
  Xapian::Document& doc = p.doc;
  impl_->tg.set_document(doc);
  index_text(impl_->tg, s);
  for (const TermField& field : term_fields)
    for (const auto& value : field.values(s))
      if (!value.empty()) doc.add_boolean_term(std::string(field.prefix) + value);
  for (const ValueField& field : value_fields)
    if (auto value = field.value(s)) doc.add_value(field.slot, std::move(*value));
  add_concept_fields(doc, s, *impl_->vocabulary);
  // Each result that reports something, under its finding key (the writer reports the keys it
  // touched). Xapian terms are limited to 245 bytes; a longer key cannot be a vocabulary concept.
  for (const auto& o : s.outcomes) {
    if (!reports_result(o) || o.intervention.empty()) continue;
    if (std::string key = finding_key_of(o); key.size() < 200) {
      doc.add_boolean_term(std::string(fields::finding_key) + key);
      p.finding_keys.insert(std::move(key));
    }
  }
  doc.set_data(encode_study(s));
  p.hash = std::to_string(content_hash(s));
  doc.add_value(fields::slot_content_hash, p.hash);
  p.spelling = spelling_words(s);
  return out;
} catch (const Xapian::Error& e) {
  rethrow_xapian(e, "building the document of record " + s.id);
}

IndexWriter::IndexWriter(const fs::path& dir, const Vocabulary& vocabulary, bool rebuild)
    : IndexWriter(dir, vocabulary, rebuild ? WriteMode::rebuild : WriteMode::in_place) {}

IndexWriter::IndexWriter(const fs::path& dir, const Vocabulary& vocabulary, WriteMode mode)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.dir = dir;
  m.vocabulary = &vocabulary;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(ErrorCode::io_error, "cannot create index directory " + dir.string() + ": " + ec.message());
  try {
    std::string current = read_stub_target(dir);
    if (current.empty()) {
      if (fs::exists(dir / "iamglass"))
        throw Error(ErrorCode::index_unavailable,
                    dir.string() + " is a bare Xapian database, not an evidence index directory");
      // First run: generation 1 is written like a rebuild's, and the stub that makes it visible
      // is written only by commit(), so no reader ever sees an empty index before the run's
      // records (a leftover of an interrupted first run is overwritten; a concurrent first run
      // holds gen-1's lock and this one fails with index_locked).
      m.first_run = true;
      m.new_generation = "gen-1";
      m.live = dir / m.new_generation;
      m.db = Xapian::WritableDatabase(m.live.string(), Xapian::DB_CREATE_OR_OVERWRITE);
      note_unfinished(&m, m.live);  // only now: before, gen-1 may be another first run's
    } else if (mode != WriteMode::in_place) {
      // Hold the live generation's lock so no incremental run writes to it during the rebuild.
      m.old_lock = Xapian::WritableDatabase((dir / current).string(), Xapian::DB_OPEN);
      // A number never used in this directory: after a rollback the generation left behind still
      // holds the next one, and a reused name would let a server take cached answers of that
      // generation for this one (caches are keyed by revision, "gen-N:R").
      m.new_generation = "gen-" + std::to_string(std::max(highest_generation(dir), generation_number(current)) + 1);
      m.live = dir / m.new_generation;
      note_unfinished(&m, m.live);  // the live generation's lock is held: the name is this run's
      if (mode == WriteMode::keep_previous) {
        // A copy of the live generation, metadata, spelling and synonyms included (as
        // xapian-compact makes it); the run's changes go into the copy.
        Xapian::Database((dir / current).string()).compact(m.live.string());
        m.db = Xapian::WritableDatabase(m.live.string(), Xapian::DB_OPEN);
      } else {
        m.db = Xapian::WritableDatabase(m.live.string(), Xapian::DB_CREATE_OR_OVERWRITE);
      }
    } else {
      m.live = dir / current;
      m.db = Xapian::WritableDatabase(m.live.string(), Xapian::DB_CREATE_OR_OPEN);
    }
    m.builder = std::make_unique<DocumentBuilder>(vocabulary);
    m.db.begin_transaction(true);
    m.in_transaction = true;
    // Written from empty, every document of this generation has the current format; an older
    // index is not updated in place, where old and new documents would mix.
    if (m.db.get_doccount() == 0)
      m.db.set_metadata(std::string(fields::meta_format), std::string(fields::index_format));
    else
      check_index_format(m.db, dir);
  } catch (const Xapian::Error& e) {
    forget_unfinished(&m);
    rethrow_xapian(e, "opening index " + dir.string() + " for writing");
  } catch (...) {
    forget_unfinished(&m);
    throw;
  }
}

IndexWriter::~IndexWriter() {
  try {
    cancel();
  } catch (...) {
    // A destructor cannot report; the uncommitted transaction is discarded by Xapian anyway.
  }
  forget_unfinished(impl_.get());
}

Change IndexWriter::put(const Study& s) { return put(impl_->builder->build(s)); }

namespace {
void collect_finding_keys(const Xapian::Document& d, std::set<std::string>& into) {
  const std::string prefix(fields::finding_key);
  for (auto t = d.termlist_begin(); t != d.termlist_end(); ++t) {
    t.skip_to(prefix);
    if (t == d.termlist_end()) break;
    const std::string term = *t;
    if (term.rfind(prefix, 0) != 0) break;
    into.insert(term.substr(prefix.size()));
  }
}
}  // namespace

Change IndexWriter::put(PreparedDocument&& prepared) {
  Impl& m = *impl_;
  PreparedDocument::Impl& p = *prepared.impl_;
  try {
    const std::string idterm = std::string(fields::id_term) + p.id;
    Xapian::PostingIterator it = m.db.postlist_begin(idterm);
    Change change = Change::added;
    if (it != m.db.postlist_end(idterm)) {
      const Xapian::Document old = m.db.get_document(*it);
      if (old.get_value(fields::slot_content_hash) == p.hash) return Change::unchanged;
      collect_finding_keys(old, m.touched_keys);
      change = Change::updated;
    }
    m.touched_keys.insert(p.finding_keys.begin(), p.finding_keys.end());
    m.db.replace_document(idterm, p.doc);
    for (const auto& w : p.spelling) m.db.add_spelling(w);
    return change;
  } catch (const Xapian::Error& e) {
    rethrow_xapian(e, "indexing record " + p.id);
  }
}

void IndexWriter::open_parts(unsigned count) {
  Impl& m = *impl_;
  try {
    if (m.db.get_doccount() != 0) throw Error(ErrorCode::invalid_argument, "parallel parts are only for a fresh index");
    for (unsigned k = 0; k < count; ++k) {
      const fs::path path = m.live.string() + ".part-" + std::to_string(k);
      std::error_code ec;
      fs::remove_all(path, ec);  // leftover of an interrupted run
      note_unfinished(&m, path);
      m.parts.emplace_back(path.string(), Xapian::DB_CREATE_OR_OVERWRITE);
      m.part_paths.push_back(path);
      // A part is written inside a transaction so that close() on a cancelled run discards it:
      // outside one, close() commits, and libxapian 1.4 terminates the process when that commit
      // meets a full disk (docs/RELIABILITY.md). Glass still flushes a transaction's postings to
      // the tables every 10,000 changes, so memory stays bounded.
      m.parts.back().begin_transaction(true);
    }
  } catch (const Xapian::Error& e) {
    rethrow_xapian(e, "creating index parts in " + m.dir.string());
  }
}

void IndexWriter::put_to_part(unsigned part, PreparedDocument&& prepared) {
  Impl& m = *impl_;
  PreparedDocument::Impl& p = *prepared.impl_;
  try {
    Xapian::WritableDatabase& db = m.parts.at(part);
    db.add_document(p.doc);
    for (const auto& w : p.spelling) db.add_spelling(w);
  } catch (const Xapian::Error& e) {
    rethrow_xapian(e, "indexing record " + p.id);
  }
}

// Merges the live generation (metadata, synonyms, records written one by one) and the parts into
// a new database beside it, then puts that in its place. Runs before the stub names the
// generation (a rebuild or a first run), so no reader sees a half.
void IndexWriter::Impl::merge_parts() {
  for (auto& part : parts) {
    part.commit_transaction();
    part.close();
  }
  db.close();
  Xapian::Database all(live.string());
  for (const auto& p : part_paths) all.add_database(Xapian::Database(p.string()));
  const fs::path merged = live.string() + ".merged";
  note_unfinished(this, merged);
  std::error_code ec;
  fs::remove_all(merged, ec);
  all.compact(merged.string(), Xapian::DBCOMPACT_MULTIPASS);
  all.close();
  fs::remove_all(live, ec);
  fs::rename(merged, live, ec);
  if (ec)
    throw Error(ErrorCode::io_error,
                "cannot move the merged index into place at " + live.string() + ": " + ec.message());
  for (const auto& p : part_paths) fs::remove_all(p, ec);
  parts.clear();
  part_paths.clear();
  db = Xapian::WritableDatabase(live.string(), Xapian::DB_OPEN);
}

const std::set<std::string>& IndexWriter::touched_finding_keys() const { return impl_->touched_keys; }

Study decode_synthesis_form(const Xapian::Document& doc) {
  const std::string part = doc.get_value(fields::slot_synthesis);
  if (part.empty()) return decode_stored_study(doc.get_data());
  return decode_stored_study(part);
}

std::vector<Study> IndexWriter::studies_with_findings(const std::set<std::string>* keys) const {
  std::vector<Study> out;
  try {
    const std::string prefix(fields::finding_key);
    std::vector<Xapian::Query> terms;
    if (keys) {
      for (const auto& k : *keys) terms.emplace_back(prefix + k);
    } else {
      for (auto t = impl_->db.allterms_begin(prefix); t != impl_->db.allterms_end(prefix); ++t) terms.emplace_back(*t);
    }
    if (terms.empty()) return out;
    Xapian::Enquire enquire(impl_->db);
    enquire.set_query(Xapian::Query(Xapian::Query::OP_OR, terms.begin(), terms.end()));
    enquire.set_weighting_scheme(Xapian::BoolWeight());
    enquire.set_docid_order(Xapian::Enquire::ASCENDING);
    const Xapian::MSet mset = enquire.get_mset(0, impl_->db.get_doccount());
    out.reserve(mset.size());
    // Not the whole document data: at a million records, inflating it for every record was half
    // of a 1% re-index (docs/BENCHMARKS.md).
    for (auto it = mset.begin(); it != mset.end(); ++it) out.push_back(decode_synthesis_form(it.get_document()));
  } catch (const Xapian::Error& e) {
    rethrow_xapian(e, "reading the records behind graded findings");
  }
  return out;
}

bool IndexWriter::remove(const std::string& id) {
  try {
    const std::string idterm = std::string(fields::id_term) + id;
    Xapian::PostingIterator it = impl_->db.postlist_begin(idterm);
    if (it == impl_->db.postlist_end(idterm)) return false;
    collect_finding_keys(impl_->db.get_document(*it), impl_->touched_keys);
    impl_->db.delete_document(idterm);
    return true;
  } catch (const Xapian::Error& e) {
    rethrow_xapian(e, "deleting record " + id);
  }
}

std::optional<Study> IndexWriter::get(const std::string& id) const {
  try {
    const std::string idterm = std::string(fields::id_term) + id;
    Xapian::PostingIterator p = impl_->db.postlist_begin(idterm);
    if (p == impl_->db.postlist_end(idterm)) return std::nullopt;
    return decode_stored_study(impl_->db.get_document(*p).get_data());
  } catch (const Xapian::Error& e) {
    rethrow_xapian(e, "reading record " + id);
  }
}

std::optional<std::string> IndexWriter::find_by_identifier(const std::string& kind, const std::string& value) const {
  const std::string_view prefix = fields::identifier_prefix(kind);
  if (prefix.empty()) throw Error(ErrorCode::invalid_argument, "unknown identifier kind " + kind);
  try {
    const std::string term = std::string(prefix) + (kind == "pmid" ? value : lower(value));
    Xapian::PostingIterator p = impl_->db.postlist_begin(term);
    if (p == impl_->db.postlist_end(term)) return std::nullopt;
    Xapian::Document d = impl_->db.get_document(*p);
    for (auto t = d.termlist_begin(); t != d.termlist_end(); ++t) {
      const std::string s = *t;
      if (s.size() > 1 && s[0] == 'Q') return s.substr(1);
    }
    return std::nullopt;
  } catch (const Xapian::Error& e) {
    rethrow_xapian(e, "looking up " + kind + " " + value);
  }
}

std::vector<std::string> IndexWriter::all_ids() const {
  std::vector<std::string> ids;
  try {
    const std::string q(fields::id_term);
    for (auto t = impl_->db.allterms_begin(q); t != impl_->db.allterms_end(q); ++t)
      ids.push_back((*t).substr(q.size()));
  } catch (const Xapian::Error& e) {
    rethrow_xapian(e, "listing records");
  }
  return ids;
}

std::uint64_t IndexWriter::doc_count() const { return impl_->db.get_doccount(); }

std::vector<Study> IndexWriter::all_studies() const {
  std::vector<Study> out;
  try {
    for (auto it = impl_->db.postlist_begin(""); it != impl_->db.postlist_end(""); ++it)
      out.push_back(decode_stored_study(impl_->db.get_document(*it).get_data()));
  } catch (const Xapian::Error& e) {
    rethrow_xapian(e, "reading all records");
  }
  return out;
}

void IndexWriter::set_metadata(const std::string& key, const std::string& value) {
  try {
    impl_->db.set_metadata(key, value);
  } catch (const Xapian::Error& e) {
    rethrow_xapian(e, "writing metadata " + key);
  }
}

std::string IndexWriter::metadata(const std::string& key) const {
  try {
    return impl_->db.get_metadata(key);
  } catch (const Xapian::Error& e) {
    rethrow_xapian(e, "reading metadata " + key);
  }
}

void IndexWriter::write_synonyms(const Vocabulary& v) {
  try {
    for (const auto& c : v.concepts()) {
      const auto forms = v.terms(c.id);
      for (const auto& form : forms)
        for (const auto& w : split_words(form))
          if (w.size() > 2) impl_->db.add_spelling(w);
      for (const auto& key : forms) {
        impl_->db.clear_synonyms(key);
        for (const auto& other : forms)
          if (other != key && other.find(' ') == std::string::npos) impl_->db.add_synonym(key, other);
      }
    }
  } catch (const Xapian::Error& e) {
    rethrow_xapian(e, "writing synonyms");
  }
}

void IndexWriter::commit() {
  Impl& m = *impl_;
  try {
    if (m.in_transaction) {
      m.db.commit_transaction();
      m.in_transaction = false;
    }
    m.db.commit();
    if (!m.parts.empty()) m.merge_parts();
    if (!m.new_generation.empty()) {
      const std::string old = read_stub_target(m.dir);
      if (!m.first_run) m.db.close();
      forget_unfinished(&m);  // from the stub on, the generation is the live index
      write_stub(m.dir, m.new_generation);
      m.old_lock.close();
      // Readers that still have the old generation open keep their open files; new ones follow
      // the stub. The old generation stays as the previous one, for a rollback.
      remove_other_generations(m.dir, m.new_generation, old);
      m.new_generation.clear();
      if (m.first_run) {  // from now on an ordinary writer of the live generation
        m.first_run = false;
        m.db.begin_transaction(true);
        m.in_transaction = true;
      }
    } else {
      m.db.begin_transaction(true);
      m.in_transaction = true;
    }
  } catch (const Xapian::Error& e) {
    rethrow_xapian(e, "committing index " + m.dir.string());
  }
}

void IndexWriter::cancel() {
  Impl& m = *impl_;
  try {
    if (m.in_transaction) {
      m.db.cancel_transaction();
      m.in_transaction = false;
    }
    std::error_code ec;
    for (auto& part : m.parts) part.close();
    for (const auto& p : m.part_paths) fs::remove_all(p, ec);
    m.parts.clear();
    m.part_paths.clear();
    if (!m.new_generation.empty()) {
      m.db.close();
      fs::remove_all(m.live.string() + ".merged", ec);  // a merge that failed part way
      fs::remove_all(m.dir / m.new_generation, ec);
      m.new_generation.clear();
    }
    forget_unfinished(&m);
  } catch (const Xapian::Error& e) {
    rethrow_xapian(e, "cancelling changes to " + m.dir.string());
  }
}

const fs::path& IndexWriter::live_generation() const { return impl_->live; }

// ---------------------------------------------------------------------------------------------

void IndexReader::Impl::open() {
  if (!fs::exists(dir / stub_name))
    throw Error(ErrorCode::index_unavailable, "no index at " + dir.string() + " (run evidence-index first)");
  try {
    term_exists.clear();
    generation = read_stub_target(dir);
    db = Xapian::Database(dir.string());
    // Xapian opens a stub naming no database (an empty or truncated XAPIANDB) as an empty index
    // that answers every question with nothing: that is no index.
    if (db.size() == 0)
      throw Error(ErrorCode::index_unavailable, "the stub " + (dir / stub_name).string() + " names no database");
    check_index_format(db, dir);
    remote = stub_names_remote(dir);
  } catch (const Xapian::Error& e) {
    rethrow_xapian_reading(e, "opening index " + dir.string());
  }
}

IndexReader::IndexReader(const fs::path& dir) : impl_(std::make_unique<Impl>()) {
  impl_->dir = dir;
  impl_->open();
}

IndexReader::~IndexReader() = default;
IndexReader::IndexReader(IndexReader&&) noexcept = default;

bool IndexReader::refresh() {
  Impl& m = *impl_;
  const std::string before = revision();
  // A swapped stub means a rebuilt generation: open it afresh rather than reopen() the old one.
  if (read_stub_target(m.dir) != m.generation) {
    m.open();
    return true;
  }
  try {
    m.db.reopen();
  } catch (const Xapian::Error& e) {
    m.open();  // e.g. the old generation vanished between the check and the reopen
  }
  const bool changed = revision() != before;
  if (changed) m.term_exists.clear();
  return changed;
}

std::string IndexReader::Impl::revision() {
  try {
    return generation + ":" + std::to_string(db.get_revision());
  } catch (const Xapian::InvalidOperationError&) {
    // A stub naming several shards has no single revision. Document count, last docid and
    // total length change with every commit that adds, removes or rewrites a record, so
    // together they stand in for one (for ETags and the change check in refresh()).
    return "shards:" + std::to_string(db.get_doccount()) + "-" + std::to_string(db.get_lastdocid()) + "-" +
           std::to_string(db.get_total_length()) + "-" + std::to_string(std::hash<std::string>{}(db.get_uuid()));
  }
}

std::shared_ptr<const DocColumns> IndexReader::Impl::columns() {
  // Over several shards Xapian 1.4 hands a match spy each shard's own docids (shard by shard,
  // not in global docid order), so the arrays, indexed by global docid, cannot serve it; a
  // local multi-shard stub counts facets from slot 12 per document instead.
  if (remote || db.size() != 1) return nullptr;
  const std::string rev = revision();
  if (rev != columns_revision_) {
    columns_ = shared_columns(fs::absolute(dir).lexically_normal().string(), rev, db);
    columns_revision_ = rev;
  }
  return columns_;
}

std::string IndexReader::revision() const {
  try {
    return impl_->revision();
  } catch (const Xapian::Error& e) {
    rethrow_xapian_reading(e, "reading index revision");
  }
}

std::uint64_t IndexReader::doc_count() const {
  return with_reopen_retry(*impl_, "counting documents",
                           [](Xapian::Database& db) { return std::uint64_t{db.get_doccount()}; });
}

std::optional<Study> IndexReader::get(const std::string& id) const {
  return with_reopen_retry(*impl_, "reading record " + id, [&](Xapian::Database& db) -> std::optional<Study> {
    const std::string idterm = std::string(fields::id_term) + id;
    Xapian::PostingIterator p = db.postlist_begin(idterm);
    if (p == db.postlist_end(idterm)) return std::nullopt;
    return decode_stored_study(db.get_document(*p).get_data());
  });
}

std::optional<Study> IndexReader::find_by_identifier(const std::string& kind, const std::string& value) const {
  const std::string_view prefix = fields::identifier_prefix(kind);
  if (prefix.empty()) throw Error(ErrorCode::invalid_argument, "unknown identifier kind " + kind);
  const std::string term = std::string(prefix) + (kind == "pmid" ? value : lower(value));
  return with_reopen_retry(*impl_, "looking up " + kind + " " + value,
                           [&](Xapian::Database& db) -> std::optional<Study> {
                             Xapian::PostingIterator p = db.postlist_begin(term);
                             if (p == db.postlist_end(term)) return std::nullopt;
                             return decode_stored_study(db.get_document(*p).get_data());
                           });
}

std::vector<Study> IndexReader::all_studies() const {
  return with_reopen_retry(*impl_, "reading all records", [&](Xapian::Database& db) {
    std::vector<Study> out;
    for (auto it = db.postlist_begin(""); it != db.postlist_end(""); ++it)
      out.push_back(decode_stored_study(db.get_document(*it).get_data()));
    return out;
  });
}

std::string IndexReader::metadata(const std::string& key) const {
  return with_reopen_retry(*impl_, "reading metadata", [&](Xapian::Database& db) { return db.get_metadata(key); });
}

std::vector<IndexChanges> IndexReader::change_log() const {
  return parse_change_log(metadata(std::string(fields::meta_changes)));
}

Rollback rollback_generation(const fs::path& dir) {
  if (!fs::exists(dir / stub_name))
    throw Error(ErrorCode::index_unavailable, "no index at " + dir.string() + " (run evidence-index first)");
  const std::string current = read_stub_target(dir);
  const int number = generation_number(current);
  if (number == 0 || stub_names_remote(dir))
    throw Error(ErrorCode::index_unavailable,
                dir.string() + " names no local generation (a stub of shards cannot be rolled back)");
  try {
    // The writer's lock on the live generation: no indexer run can be writing while the stub moves.
    Xapian::WritableDatabase lock((dir / current).string(), Xapian::DB_OPEN);
    int previous = 0;
    for (const int n : generations_on_disk(dir))
      if (n < number && fs::exists(dir / ("gen-" + std::to_string(n)) / "iamglass")) previous = n;
    if (previous == 0)
      throw Error(ErrorCode::not_found, "no previous generation of " + dir.string() +
                                            " to roll back to (one is kept by --rebuild and --keep-previous runs)");
    const std::string to = "gen-" + std::to_string(previous);
    // Refuse a generation readers could not open, before they are pointed at it.
    check_index_format(Xapian::Database((dir / to).string()), dir);
    write_stub(dir, to);
    return {current, to};
  } catch (const Xapian::Error& e) {
    rethrow_xapian(e, "rolling back index " + dir.string());
  }
}

std::vector<std::pair<std::string, std::uint64_t>> IndexReader::term_counts(const std::string& prefix) const {
  return with_reopen_retry(*impl_, "counting terms", [&](Xapian::Database& db) {
    std::vector<std::pair<std::string, std::uint64_t>> out;
    for (auto t = db.allterms_begin(prefix); t != db.allterms_end(prefix); ++t) {
      const std::string term = *t;
      // Values are lower case, so a capital right after the prefix belongs to a longer prefix
      // ("XD" design vs "XDOI" identifiers).
      if (term.size() > prefix.size() && term[prefix.size()] >= 'A' && term[prefix.size()] <= 'Z') continue;
      out.emplace_back(term.substr(prefix.size()), t.get_termfreq());
    }
    return out;
  });
}

std::string IndexReader::spelling_suggestion(const std::string& word) const {
  return with_reopen_retry(*impl_, "spelling", [&](Xapian::Database& db) { return db.get_spelling_suggestion(word); });
}

}  // namespace evidence
