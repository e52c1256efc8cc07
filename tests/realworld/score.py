#!/usr/bin/env python3
"""Precision and recall of the audit's errors and warnings on the real-world corpus.

Reads snapshot.tsv (what the audit reports; `cargo test --test realworld` keeps it equal to the
audit's output) and judged.tsv (a verdict by hand for every error and warning: true or false,
plus `missed` lines for true problems the audit does not report). Prints the totals and a line
per rule. Usage: python3 tests/realworld/score.py
"""
import collections
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))


def rows(name):
    with open(os.path.join(here, name), encoding="utf-8") as f:
        return [l.rstrip("\n").split("\t") for l in f if l.strip() and not l.startswith("#")]


judged = {}
missed = collections.Counter()
info_only = collections.Counter()
for verdict, rule, obj, file, *_ in rows("judged.tsv"):
    if verdict == "missed":
        missed[rule] += 1
    elif verdict == "info":
        info_only[rule] += 1
    else:
        judged[(rule, obj, file)] = verdict

counts = collections.defaultdict(collections.Counter)
for severity, rule, obj, where in rows("snapshot.tsv"):
    if severity == "info":
        counts[rule]["info"] += 1
        continue
    verdict = judged.get((rule, obj, where.rsplit(":", 1)[0]))
    if verdict is None:
        sys.exit(f"not judged in judged.tsv: {severity} {rule} {obj} {where}")
    counts[rule][verdict] += 1

true = sum(c["true"] for c in counts.values())
false = sum(c["false"] for c in counts.values())
miss = sum(missed.values())
only = sum(info_only.values())
print(f"{'rule':<24} {'true':>5} {'false':>6} {'info-only':>10} {'missed':>7} {'infos':>6}")
for rule in sorted(set(counts) | set(missed) | set(info_only)):
    c = counts[rule]
    print(f"{rule:<24} {c['true']:>5} {c['false']:>6} {info_only[rule]:>10} {missed[rule]:>7} {c['info']:>6}")
precision = true / (true + false) if true + false else 0.0
problems = true + only + miss
print(f"errors and warnings: {true} true, {false} false: precision {precision:.1%}")
print(f"true problems: {problems}; reported {(true + only) / problems:.1%} "
      f"({true / problems:.1%} at warning or above, {only} at info only, {miss} missed)")
