#pragma once
// Private to the core library: the stored form of a study in the index (the document data).
//
// Why not the JSON rendering: a search decodes the stored record of every hit on the page and
// of every record the graded summary uses (up to 200). Parsing 4 KB of JSON into nlohmann's DOM
// and mapping it to a Study took about 200 microseconds a record, most of a summary's time;
// this length-prefixed binary form decodes in a few. The content hash is still taken over the
// JSON rendering (index.cpp), so the storage format does not change what counts as a change.
//
// decode_stored_study() throws Error(index_corrupt) on data it cannot decode (records stored as
// JSON belong to index format 1, which is refused when the index is opened).
#include <optional>
#include <string>
#include <string_view>

#include "evidence/study.hpp"

namespace evidence {

std::string encode_study(const Study& s);
Study decode_stored_study(std::string_view data);

// What a graded summary reads of a record (fields::slot_synthesis): the stored form without the
// abstract, MeSH headings and keywords, which synthesis never reads; nullopt for a record a
// summary cannot use (can_report).
std::optional<std::string> synthesis_record(const Study& s);

}  // namespace evidence
