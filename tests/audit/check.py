#!/usr/bin/env python3
"""Validate the clinical audit set (tests/audit/questions.json) and print its counts.

Checks that the file is well formed and that everything it names exists:
  * ids unique (A001...), every required field present, no unknown fields, values from the allowed sets;
  * every record id (records_first, record_caps) is a curated record in corpus/ and every
    records_first record carries curated results (outcomes);
  * every concept id exists in schema/vocabulary.json and is of the right kind
    (intervention, comparator, outcome, condition);
  * comparator_kind and time_point come from schema/study.schema.json;
  * every source row exists in the verified sheet, and every record an expectation names
    (records_first, record_caps, or an LBP id in must_not / must_show) is among its source rows:
    an expectation is justified only by the rows it cites;
  * coverage: at least 65 questions, at least 12 of each wording, the issue's example questions
    present, and every intervention concept that has curated results in corpus/ asked about.

It does not run the engine; the properties themselves are checked by the search tests (see README.md).

Usage: python3 tests/audit/check.py [--sheet PATH] [--quiet]
Exit status 0 when the file is valid, 1 otherwise. Standard library only.
"""
import argparse
import csv
import glob
import json
import os
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DEFAULT_SHEET = "/work/shared/reference/lbp_studies.csv"

WORDINGS = ("clinician", "pico", "patient", "misspelt")
CERTAINTY = ("high", "moderate", "low", "very_low")
DIRECTIONS = ("benefit", "no_difference", "harm", "mixed")
REQUIRED_TOP = ("id", "wording", "q", "expect", "source_rows", "reason")
REQUIRED_EXPECT = ("records_first", "intervention", "comparator_kind", "outcome", "max_certainty",
                   "direction", "population")
OPTIONAL_EXPECT = ("comparator", "time_point", "record_caps", "population_also", "must_show", "must_not")
MIN_QUESTIONS = 65
MIN_PER_WORDING = 12
# The issue's examples: exact wordings, and treatments whose example is a property rather than a wording.
ISSUE_WORDINGS = ("does Pilates help back pain", "staying active for sciatica",
                  "is physio as good as an operation for spinal stenosis", "surgery for spinal stenosis",
                  "TENS vs sham")
ISSUE_TREATMENTS = {  # concept -> record the example is about
    "osteopathic_manipulative_treatment": "LBP022",
    "radiofrequency_denervation": "LBP071",
    "opioids": "LBP045",
    "yoga": "LBP011",
}


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def schema_enum(schema, name):
    """The enum of outcome.<name> in study.schema.json."""
    return tuple(schema["definitions"]["outcome"]["properties"][name]["enum"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sheet", default=os.environ.get("LBP_SHEET", DEFAULT_SHEET),
                    help="verified reference sheet (default %(default)s)")
    ap.add_argument("--questions", default=os.path.join(HERE, "questions.json"))
    ap.add_argument("--quiet", action="store_true", help="print only errors and the verdict")
    args = ap.parse_args()

    errors = []

    def err(qid, msg):
        errors.append("%s: %s" % (qid, msg))

    # ---- reference data
    vocab = load_json(os.path.join(ROOT, "schema", "vocabulary.json"))
    kinds = {c["id"]: c["kind"] for c in vocab["concepts"]}
    parents = {c["id"]: c.get("parents", []) for c in vocab["concepts"]}
    schema = load_json(os.path.join(ROOT, "schema", "study.schema.json"))
    comparator_kinds = schema_enum(schema, "comparator_kind")
    time_points = schema_enum(schema, "time_point")

    records = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "corpus", "*.json"))):
        rec = load_json(path)
        records[rec["id"]] = rec
    with open(args.sheet, newline="", encoding="utf-8") as f:
        sheet = {row["id"]: row for row in csv.DictReader(f)}

    def ancestors(cid):
        seen, todo = set(), [cid]
        while todo:
            c = todo.pop()
            for p in parents.get(c, []):
                if p not in seen:
                    seen.add(p)
                    todo.append(p)
        return seen

    # Intervention concepts with curated results, and the records that carry them.
    with_results = {}
    for rid, rec in records.items():
        for o in rec.get("outcomes", []):
            for c in o["intervention"]:
                with_results.setdefault(c, set()).add(rid)

    # ---- the questions
    try:
        questions = load_json(args.questions)
    except (OSError, ValueError) as e:
        print("cannot read %s: %s" % (args.questions, e))
        return 1
    if not isinstance(questions, list):
        print("questions.json must be a JSON array")
        return 1

    seen_ids = set()
    for i, qn in enumerate(questions):
        qid = qn.get("id", "#%d" % i) if isinstance(qn, dict) else "#%d" % i
        if not isinstance(qn, dict):
            err(qid, "entry is not an object")
            continue
        for k in REQUIRED_TOP:
            if k not in qn:
                err(qid, "missing field %r" % k)
        for k in qn:
            if k not in REQUIRED_TOP:
                err(qid, "unknown field %r" % k)
        if not re.fullmatch(r"A\d{3}", str(qn.get("id", ""))):
            err(qid, "id must look like A001")
        if qid in seen_ids:
            err(qid, "duplicate id")
        seen_ids.add(qid)
        if qn.get("wording") not in WORDINGS:
            err(qid, "wording must be one of %s" % (WORDINGS,))
        if not isinstance(qn.get("q"), str) or not qn.get("q", "").strip():
            err(qid, "q must be a non-empty string")
        if not isinstance(qn.get("reason"), str) or len(qn.get("reason", "").strip()) < 20:
            err(qid, "reason must be a sentence")

        rows = qn.get("source_rows")
        if not isinstance(rows, list) or not rows:
            err(qid, "source_rows must be a non-empty list")
            rows = []
        for r in rows:
            if r not in sheet:
                err(qid, "source row %s is not in the sheet" % r)
        if len(set(rows)) != len(rows):
            err(qid, "source_rows repeats a row")

        e = qn.get("expect")
        if not isinstance(e, dict):
            err(qid, "expect must be an object")
            continue
        for k in REQUIRED_EXPECT:
            if k not in e:
                err(qid, "expect.%s missing" % k)
        for k in e:
            if k not in REQUIRED_EXPECT and k not in OPTIONAL_EXPECT:
                err(qid, "unknown field expect.%s" % k)

        # records expected first
        first = e.get("records_first")
        if not isinstance(first, list) or not 1 <= len(first) <= 3:
            err(qid, "expect.records_first must list 1 to 3 record ids")
            first = []
        for rid in first:
            if rid not in records:
                err(qid, "record %s is not in corpus/" % rid)
            elif not records[rid].get("outcomes"):
                err(qid, "record %s has no curated results to answer with" % rid)
            if rid not in rows:
                err(qid, "record %s expected first but not among source_rows" % rid)

        # concepts
        iv = e.get("intervention")
        if kinds.get(iv) != "intervention":
            err(qid, "expect.intervention %r is not a vocabulary intervention" % iv)
        elif not any(c == iv or iv in ancestors(c) for c in with_results):
            err(qid, "expect.intervention %r has no curated results in corpus/" % iv)
        if "comparator" in e and kinds.get(e["comparator"]) not in ("comparator", "intervention"):
            err(qid, "expect.comparator %r is not a vocabulary comparator or intervention" % e["comparator"])
        ck = e.get("comparator_kind")
        if ck is not None and ck not in comparator_kinds:
            err(qid, "expect.comparator_kind %r not in %s" % (ck, comparator_kinds))
        oc = e.get("outcome")
        if oc is not None and kinds.get(oc) != "outcome":
            err(qid, "expect.outcome %r is not a vocabulary outcome" % oc)
        if "time_point" in e and e["time_point"] not in time_points:
            err(qid, "expect.time_point %r not in %s" % (e["time_point"], time_points))
        pop = e.get("population")
        if kinds.get(pop) != "condition":
            err(qid, "expect.population %r is not a vocabulary condition" % pop)
        for p in e.get("population_also", []):
            if kinds.get(p) != "condition":
                err(qid, "expect.population_also %r is not a vocabulary condition" % p)
            if p == pop:
                err(qid, "expect.population_also repeats the population")

        # certainty and direction
        if e.get("max_certainty") not in CERTAINTY:
            err(qid, "expect.max_certainty must be one of %s" % (CERTAINTY,))
        caps = e.get("record_caps", {})
        if not isinstance(caps, dict):
            err(qid, "expect.record_caps must be an object")
            caps = {}
        for rid, lvl in caps.items():
            if rid not in records:
                err(qid, "record_caps names %s, not in corpus/" % rid)
            if rid not in rows:
                err(qid, "record_caps names %s, not among source_rows" % rid)
            if lvl not in CERTAINTY:
                err(qid, "record_caps[%s] must be one of %s" % (rid, CERTAINTY))
            elif e.get("max_certainty") in CERTAINTY and CERTAINTY.index(lvl) < CERTAINTY.index(e["max_certainty"]):
                err(qid, "record_caps[%s]=%s is above max_certainty" % (rid, lvl))
        d = e.get("direction")
        if d is not None and d not in DIRECTIONS:
            err(qid, "expect.direction must be one of %s or null" % (DIRECTIONS,))

        for k in ("must_show", "must_not"):
            if k in e and (not isinstance(e[k], list) or not e[k]
                           or not all(isinstance(s, str) and s.strip() for s in e[k])):
                err(qid, "expect.%s must be a non-empty list of non-empty strings" % k)
            for s in e.get(k, []) if isinstance(e.get(k), list) else []:
                for rid in re.findall(r"\bLBP\d{3}\b", s):
                    if rid not in records and rid not in sheet:
                        err(qid, "expect.%s names %s, not in corpus/ or the sheet" % (k, rid))
                    elif rid not in rows:
                        err(qid, "expect.%s names %s, not among source_rows" % (k, rid))

    # ---- coverage
    wording_counts = Counter(qn.get("wording") for qn in questions if isinstance(qn, dict))
    if len(questions) < MIN_QUESTIONS:
        errors.append("only %d questions (at least %d)" % (len(questions), MIN_QUESTIONS))
    for w in WORDINGS:
        if wording_counts[w] < MIN_PER_WORDING:
            errors.append("only %d %s questions (at least %d)" % (wording_counts[w], w, MIN_PER_WORDING))
    texts = {qn.get("q") for qn in questions if isinstance(qn, dict)}
    for w in ISSUE_WORDINGS:
        if w not in texts:
            errors.append("issue example missing: %r" % w)
    asked = Counter(qn["expect"]["intervention"] for qn in questions
                    if isinstance(qn, dict) and isinstance(qn.get("expect"), dict) and "intervention" in qn["expect"])
    for concept, rid in ISSUE_TREATMENTS.items():
        if not any(isinstance(qn, dict) and isinstance(qn.get("expect"), dict)
                   and qn["expect"].get("intervention") == concept and rid in qn.get("source_rows", [])
                   for qn in questions):
            errors.append("issue example missing: no %s question citing %s" % (concept, rid))
    uncovered = sorted(c for c in with_results if c not in asked)
    for c in uncovered:
        errors.append("treatment with curated results not asked about: %s (%s)" % (c, ", ".join(sorted(with_results[c]))))

    # ---- report
    if not args.quiet:
        print("questions: %d" % len(questions))
        print("per wording: " + ", ".join("%s %d" % (w, wording_counts[w]) for w in WORDINGS))
        print("treatments with curated results in corpus/: %d; asked about: %d" %
              (len(with_results), len([c for c in with_results if c in asked])))
        print("intervention concepts asked about: %d" % len(asked))
        print("records expected first: %d distinct" % len({r for qn in questions if isinstance(qn, dict)
                                                            for r in qn.get("expect", {}).get("records_first", [])}))
        print("source rows cited: %d distinct" % len({r for qn in questions if isinstance(qn, dict)
                                                     for r in qn.get("source_rows", [])}))
        mc = Counter(qn["expect"].get("max_certainty") for qn in questions if isinstance(qn, dict) and "expect" in qn)
        print("max_certainty: " + ", ".join("%s %d" % (c, mc[c]) for c in CERTAINTY))
        dc = Counter(qn["expect"].get("direction") for qn in questions if isinstance(qn, dict) and "expect" in qn)
        print("direction: " + ", ".join("%s %d" % (k, dc[k]) for k in DIRECTIONS + (None,)))
    if errors:
        print("\n%d problem(s):" % len(errors))
        for m in errors:
            print("  " + m)
        print("FAIL")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
