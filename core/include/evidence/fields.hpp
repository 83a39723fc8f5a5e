#pragma once
// The one registry of Xapian term prefixes and value slots (docs/FIELDS.md mirrors this table).
// Prefixes follow Omega's conventions: single capitals for standard fields, X... for our own.
#include <string_view>

namespace evidence::fields {

// Term prefixes.
inline constexpr std::string_view id_term = "Q";  // unique id: Q<id>
inline constexpr std::string_view title = "S";    // title words (positional)
inline constexpr std::string_view author = "A";   // author surnames
// "K" (MeSH heading words) is retired: written until 2026-12-04, never queried, and still on
// the records of older indexes until they are rewritten; not to be reused.
inline constexpr std::string_view pmid = "XPMID";  // boolean: identifier values, lower case
inline constexpr std::string_view doi = "XDOI";
inline constexpr std::string_view nct = "XNCT";
inline constexpr std::string_view pmcid = "XPMC";
inline constexpr std::string_view intervention = "XI";  // boolean: concept and its ancestors
inline constexpr std::string_view comparator = "XCMP";  // boolean: comparator concepts and kinds
inline constexpr std::string_view condition = "XC";     // boolean: concept and its ancestors
inline constexpr std::string_view outcome = "XO";       // boolean: outcome domain and ancestors
inline constexpr std::string_view design = "XD";        // boolean: design enum value
inline constexpr std::string_view year = "XY";          // boolean: four-digit year
inline constexpr std::string_view duration = "XDUR";    // boolean: acute, subacute, chronic, mixed, unspecified
inline constexpr std::string_view source = "XSRC";      // boolean: curated, pubmed, ctgov
inline constexpr std::string_view quality_band = "XQ";  // boolean: high, moderate, low, unknown
inline constexpr std::string_view level = "XL";         // boolean: evidence level 1..5
inline constexpr std::string_view finding_key =
    "XK";  // boolean: intervention|comparator kind|outcome|time point of each result
inline constexpr std::string_view flag = "XF";  // boolean: retracted, has_results, has_effect

// The prefix of an identifier kind ("pmid", "doi", "nct", "pmcid"); empty for any other. Values
// are indexed lower case, PMIDs as digits.
constexpr std::string_view identifier_prefix(std::string_view kind) {
  return kind == "pmid" ? pmid : kind == "doi" ? doi : kind == "nct" ? nct : kind == "pmcid" ? pmcid : "";
}

// Value slots.
inline constexpr unsigned slot_year = 0;         // sortable_serialise(year)
inline constexpr unsigned slot_design = 1;       // design enum value
inline constexpr unsigned slot_level = 2;        // sortable_serialise(evidence level 1..5)
inline constexpr unsigned slot_quality = 3;      // sortable_serialise(quality 0..10), absent when unknown
inline constexpr unsigned slot_sample_size = 4;  // sortable_serialise(participants)
// Slots 5-7 held '\n'-joined concept lists counted by a custom match spy; a remote shard
// (xapian-tcpsrv) can only run Xapian's own spies, so each value now has a slot of its own.
inline constexpr unsigned facet_positions = 8;      // values kept per multi-valued facet
inline constexpr unsigned slot_interventions = 20;  // 20-27: directly annotated interventions, one per slot
inline constexpr unsigned slot_conditions = 30;     // 30-37: conditions
inline constexpr unsigned slot_outcomes = 40;       // 40-47: outcome domains
inline constexpr unsigned slot_quality_band = 8;    // high, moderate, low, unknown
inline constexpr unsigned slot_content_hash = 9;    // hash of the record's content (incremental re-index)
inline constexpr unsigned slot_level_label = 10;    // evidence level as text "1".."5" (facets)
inline constexpr unsigned slot_year_label = 11;     // year as text (facets)
// Every facet value of the record in one slot ("d<design>\n", "i<concept>\n", ...), counted by
// one custom match spy on local indexes; the slots above serve remote shards (see search.cpp).
inline constexpr unsigned slot_facets = 12;
// What ranking needs of a record (design, level, quality, flags, concept ids) in a compact
// text form, so rescoring the candidate pool reads one value instead of the stored JSON.
inline constexpr unsigned slot_rank_features = 13;
// The stored record without its abstract, MeSH headings and keywords, for records a graded summary
// can use (can_report): what the summary decodes. Xapian compresses document data with zlib and
// value slots not, and inflating the candidates' records was most of a summary's time. An index
// written before this slot existed has it on no document; the summary then reads the data.
inline constexpr unsigned slot_synthesis = 14;

// Title words count this many times more than abstract words (wdf increment).
inline constexpr unsigned title_weight = 3;
inline constexpr unsigned mesh_weight = 2;

// Index metadata keys.
inline constexpr std::string_view meta_schema = "evidence:schema";
inline constexpr std::string_view meta_built_at = "evidence:built_at";
inline constexpr std::string_view meta_vocabulary = "evidence:vocabulary_version";
inline constexpr std::string_view meta_findings = "evidence:findings";  // JSON snapshot for change reports
inline constexpr std::string_view meta_snapshot_version = "evidence:findings_version";
// What the last runs changed, a JSON array (change_log.hpp); read by the feed.
inline constexpr std::string_view meta_changes = "evidence:changes";
// The index format, written when a generation is written from empty. Format 3: every document
// carries slot_facets and slot_rank_features and a binary stored record (study_codec, whose
// results carry their own population, follow-up, add-on and analysis). An index of an earlier
// format cannot be read or updated: rebuild it with --rebuild.
inline constexpr std::string_view meta_format = "evidence:format";
inline constexpr std::string_view index_format = "3";
// What the first indexes of format 2 wrote instead of meta_format (reported as format 2).
inline constexpr std::string_view meta_packed_facets = "evidence:packed_facets";

// Version 2: per-result population, follow_up_weeks, add_on and analysis; same_trial_as and
// supersedes.
inline constexpr std::string_view schema_version = "2";

}  // namespace evidence::fields
