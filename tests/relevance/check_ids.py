#!/usr/bin/env python3
"""Checks tests/relevance/questions.json against the document set it was judged on.

Every judged id must name a record the indexer writes for the document set listed in
README.md: a curated record of corpus/ (its "id"), a PubMed record of the shared files
("pubmed-<PMID>") or a ClinicalTrials.gov record ("ctgov-<NCT>"). A shared record that the
indexer merges into another one (same PMID, DOI or NCT id; curated records absorb PubMed and
CT.gov copies, PubMed records absorb CT.gov copies) is not a document of its own, so judging it
is an error: judge the id it is merged into.

Also checks the question fields and prints the counts per wording type.

Usage: python3 tests/relevance/check_ids.py [--shared DIR]
  DIR defaults to $EVIDENCE_SHARED_DATA, else ../shared/data beside the project root.
  Without the shared data the shared ids are reported as unchecked (exit 0), as the project's
  other tests skip when ../shared is absent.
Exit status: 0 when every check passes, 1 otherwise. Python 3 standard library only.
"""

import argparse
import collections
import glob
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# The shared files the indexer reads as records (document_set.txt, the one list of them), in the
# order the indexer sorts them. Everything else under ../shared/data is not PubmedArticleSet XML
# or ClinicalTrials.gov API v2 JSON and yields no record.
def document_set():
    with open(os.path.join(HERE, "document_set.txt"), encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


PUBMED_FILES = [p for p in document_set() if p.startswith("pubmed_xml/")]
CTGOV_FILES = [p for p in document_set() if p.startswith("clinicaltrials_gov/")]

TYPES = ["clinician", "pico", "patient", "misspelt", "identifier", "out_of_vocabulary"]
MIN_PER_TYPE = 15
MIN_QUESTIONS = 110


def text(el):
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def curated_records():
    recs = []
    for path in sorted(glob.glob(os.path.join(ROOT, "corpus", "*.json"))):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        for r in data if isinstance(data, list) else [data]:
            ids = r.get("identifiers") or {}
            recs.append((r["id"], {k: ids.get(k, "") for k in ("pmid", "doi", "nct")}))
    return recs


def pubmed_records(shared):
    recs = []
    for rel in PUBMED_FILES:
        root = ET.parse(os.path.join(shared, rel)).getroot()
        for pa in root.iter("PubmedArticle"):
            mc = pa.find("MedlineCitation")
            pmid = text(mc.find("PMID"))
            # The indexer skips a record without a valid PMID or without a title.
            if not re.fullmatch(r"[1-9][0-9]{0,8}", pmid):
                continue
            art = mc.find("Article")
            if not text(art.find("ArticleTitle")) and not text(art.find("VernacularTitle")):
                continue
            doi = ""
            for e in art.findall("ELocationID"):
                if e.get("EIdType") == "doi":
                    doi = text(e)
            if not doi:
                for a in pa.findall("PubmedData/ArticleIdList/ArticleId"):
                    if a.get("IdType") == "doi":
                        doi = text(a)
                        break
            if not doi.startswith("10."):
                doi = ""
            nct = ""
            for db in art.findall("DataBankList/DataBank"):
                if text(db.find("DataBankName")) == "ClinicalTrials.gov":
                    for an in db.findall("AccessionNumberList/AccessionNumber"):
                        if re.fullmatch(r"NCT[0-9]{8}", text(an)):
                            nct = text(an)
            recs.append(("pubmed-" + pmid, {"pmid": pmid, "doi": doi, "nct": nct}))
    return recs


def ctgov_records(shared):
    recs = []
    for rel in CTGOV_FILES:
        with open(os.path.join(shared, rel), encoding="utf-8") as f:
            data = json.load(f)
        studies = data["studies"] if isinstance(data, dict) else data
        for st in studies:
            idm = st.get("protocolSection", {}).get("identificationModule", {})
            nct = (idm.get("nctId") or "").strip()
            if not re.fullmatch(r"NCT[0-9]{8}", nct):
                continue
            if not (idm.get("officialTitle") or idm.get("briefTitle")):
                continue
            recs.append(("ctgov-" + nct, {"pmid": "", "doi": "", "nct": nct}))
    return recs


def merge(records):
    """Indexed ids and absorbed ids, as the indexer merges by PMID, DOI or NCT id."""
    owner, indexed, absorbed = {}, [], {}
    for rid, ids in records:  # curated first, then PubMed, then CT.gov
        keys = [(k + ":" + v).lower() for k, v in ids.items() if v]
        into = None
        for key in keys:
            if key in owner and owner[key] != rid:
                into = owner[key]
        if into is not None:
            absorbed[rid] = into
            for key in keys:  # the merged record carries these identifiers from now on
                owner.setdefault(key, into)
            continue
        if rid in indexed:
            continue  # a duplicate id: the first record is kept
        indexed.append(rid)
        for key in keys:
            owner.setdefault(key, rid)
    return set(indexed), absorbed


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=os.environ.get("EVIDENCE_SHARED_DATA") or os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--questions", default=os.path.join(HERE, "questions.json"))
    args = ap.parse_args()

    with open(args.questions, encoding="utf-8") as f:
        questions = json.load(f)
    errors = []

    # Fields.
    seen_ids, seen_q = set(), set()
    for i, q in enumerate(questions):
        where = q.get("id", "#%d" % (i + 1))
        if set(q) != {"id", "type", "q", "relevant", "note"}:
            errors.append("%s: fields must be id, type, q, relevant, note (got %s)" % (where, sorted(q)))
        if not re.fullmatch(r"R[0-9]{3}", str(q.get("id", ""))) or q.get("id") in seen_ids:
            errors.append("%s: id must be R followed by 3 digits and unique" % where)
        seen_ids.add(q.get("id"))
        if q.get("type") not in TYPES:
            errors.append("%s: unknown type %r" % (where, q.get("type")))
        if not str(q.get("q", "")).strip() or q.get("q") in seen_q:
            errors.append("%s: question text empty or repeated" % where)
        seen_q.add(q.get("q"))
        rel = q.get("relevant")
        if not isinstance(rel, dict) or not any(v in (1, 2) for v in rel.values()):
            errors.append("%s: needs at least one record graded 1 or 2" % where)
        elif any(v not in (0, 1, 2) or isinstance(v, bool) for v in rel.values()):
            errors.append("%s: grades must be 0, 1 or 2" % where)
        if not str(q.get("note", "")).strip():
            errors.append("%s: empty note" % where)

    # Document set.
    records = curated_records()
    shared_ok = os.path.isdir(args.shared) and all(os.path.isfile(os.path.join(args.shared, p)) for p in PUBMED_FILES + CTGOV_FILES)
    if shared_ok:
        records += pubmed_records(args.shared) + ctgov_records(args.shared)
    indexed, absorbed = merge(records)
    unchecked = set()
    for q in questions:
        for rid in (q.get("relevant") or {}):
            if rid in absorbed:
                errors.append("%s: %s is merged into %s by the indexer; judge %s" % (q["id"], rid, absorbed[rid], absorbed[rid]))
            elif rid in indexed:
                continue
            elif not shared_ok and (rid.startswith("pubmed-") or rid.startswith("ctgov-")):
                unchecked.add(rid)
            else:
                errors.append("%s: %s is not a record of the document set" % (q["id"], rid))

    # Counts.
    by_type = collections.Counter(q.get("type") for q in questions)
    grades = collections.Counter()
    judged = set()
    for q in questions:
        for rid, g in (q.get("relevant") or {}).items():
            grades[(q.get("type"), g)] += 1
            judged.add(rid)
    print("document set: %d records read, %d indexed, %d merged%s" % (
        len(records), len(indexed), len(absorbed), "" if shared_ok else " (corpus/ only: shared data not found at %s)" % args.shared))
    print("questions: %d" % len(questions))
    print("%-18s %9s %9s %9s" % ("type", "questions", "grade 2", "grade 1"))
    for t in TYPES:
        print("%-18s %9d %9d %9d" % (t, by_type[t], grades[(t, 2)], grades[(t, 1)]))
        if by_type[t] < MIN_PER_TYPE:
            errors.append("type %s has %d questions; at least %d wanted" % (t, by_type[t], MIN_PER_TYPE))
    if len(questions) < MIN_QUESTIONS:
        errors.append("%d questions; at least %d wanted" % (len(questions), MIN_QUESTIONS))
    print("distinct judged records: %d" % len(judged))
    if unchecked:
        print("UNCHECKED: %d shared ids (no shared data)" % len(unchecked))
    for e in errors:
        print("ERROR: " + e)
    print("FAIL" if errors else "OK")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
