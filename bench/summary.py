#!/usr/bin/env python3
"""Summarises a bench/run.sh results directory as Markdown, against the targets of BENCHMARKS.md.

    summary.py RESULTS_DIR

Reads env.json, seed.jsonl, facts.tsv, rss.tsv, requests-*.log and hyperfine's *.json, and appends
every extra/*.md (the sections bench/extra/*.sh write) in name order.
Memory is in MB = 10^6 bytes (/usr/bin/time reports KiB).
"""
import json
import math
import re
import sys
from pathlib import Path

R = Path(sys.argv[1])
LABELS = ["1x", "4x", "16x"]


def hyperfine(name):
    path = R / f"{name}.json"
    if not path.exists():
        return []
    return json.loads(path.read_text())["results"]


def median(name, index=0):
    results = hyperfine(name)
    return results[index]["median"] if len(results) > index else None


def tsv(name):
    out = {}
    path = R / name
    if path.exists():
        for line in path.read_text().splitlines():
            *key, value = line.split("\t")
            out[tuple(key) if len(key) > 1 else key[0]] = value
    return out


RSS = {k: int(v) * 1024 / 1e6 for k, v in tsv("rss.tsv").items() if v}
FACTS = {k: int(v) for k, v in tsv("facts.tsv").items()}


def requests(label):
    """(total, lists, gets, other) from one run's request log."""
    path = R / f"requests-{label.replace(' ', '_')}.log"
    if not path.exists():
        return None
    lists = gets = other = 0
    for line in path.read_text().splitlines():
        m = re.search(r'request #\d+: (\w+) (\S+)', line) or re.search(r'verb="(\w+)" url="https?://[^/]+([^"]*)"', line)
        if not m:
            continue
        verb, path_q = m.group(1), m.group(2).split("?")[0]
        parts = [p for p in path_q.split("/") if p]
        # /api/v1/namespaces/NS/pods/NAME or /apis/G/V/namespaces/NS/KIND/NAME is a GET of one object
        named = "namespaces" in parts and len(parts) == parts.index("namespaces") + 4
        if verb == "GET" and "limit=" in m.group(2):
            lists += 1  # one page of a LIST
        elif verb == "GET" and named:
            gets += 1
        else:
            other += 1  # discovery, OpenAPI, …
    return lists + gets + other, lists, gets, other


def lease_pages(label):
    """(pages of the Lease LIST, whether every page filtered node heartbeats out on the server)."""
    path = R / f"requests-{label.replace(' ', '_')}.log"
    if not path.exists():
        return None
    urls = re.findall(r'request #\d+: GET (\S*/leases\?\S*)', path.read_text())
    filtered = all("kube-node-lease" in url for url in urls)
    return len(urls), filtered


def ms(seconds):
    if seconds is None:
        return "–"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def mb(value):
    return "–" if value is None else f"{value:.1f} MB"


def verdict(ok):
    return "**met**" if ok else "**missed**"


def ratio(a, b):
    return a / b if a is not None and b else None


env = json.loads((R / "env.json").read_text())
seeds = [json.loads(line) for line in (R / "seed.jsonl").read_text().splitlines() if line.strip()]
out = []
w = out.append

w(f"## Run of {env['date']} (scale {env['scale']})\n")
w(f"Machine: {env['nproc']} cores ({env['cpu']}), {env['memory']} memory, {env['kernel']}.  ")
w(f"Versions: {env['ours']}; Kubernetes {env['server']} control plane, kubectl {env['kubectl']}; "
  f"popeye {env['popeye']}; kube-score {env['kube_score']}; {env['hyperfine']}; {env['rustc']}; {env['go']}.\n")

w("### Seeding\n")
w("| step | scale | objects applied | apply | settle (all pods Ready, PDBs counting, node leases) |")
w("|---|---|---:|---:|---:|")
for s in seeds:
    w(f"| {s['label']} | {s['scale']} | {s['applied']:,} | {s['apply_seconds']:.0f} s | {s['settle_seconds']:.0f} s |")
total_apply = sum(s["apply_seconds"] for s in seeds)
total_settle = sum(s["settle_seconds"] for s in seeds)
w(f"| total | | {sum(s['applied'] for s in seeds):,} | {total_apply:.0f} s | {total_settle:.0f} s |\n")

w("### Cluster at each step\n")
w("| step | node leases | all leases | pods | locks shown by status | distinct holders |")
w("|---|---:|---:|---:|---:|---:|")
for label in LABELS:
    f = lambda k: FACTS.get((label, k), "–")
    w(f"| {label} | {f('node_leases')} | {f('all_leases')} | {f('pods')} | {f('locks_shown')} | {f('holder_pods')} |")
w("")

# --- head to head ---------------------------------------------------------------------------------
st, kg = median("status-16x", 0), median("status-16x", 1)
au = median("audit-16x")
pf, ps = median("popeye-16x", 0), median("popeye-16x", 1)
mf, ks = median("manifests", 0), median("manifests", 1)
sv, sh = median("startup", 0), median("startup", 1)
rf, rk = median("realworld", 0), median("realworld", 1)
kl_m, kl_r = median("linter", 0), median("linter", 1)
real_files = (R / "realworld-files.txt").read_text().strip() if (R / "realworld-files.txt").exists() else "?"
real_mb = int((R / "realworld-bytes.txt").read_text()) / 1e6 if (R / "realworld-bytes.txt").exists() else 0
kl_version = (R / "kube-linter-version.txt").read_text().strip() if (R / "kube-linter-version.txt").exists() else ""
req_st, req_kg, req_au = requests("16x status"), requests("16x kubectl-get-leases"), requests("16x audit")

w("### Head to head (full size)\n")
w("| measurement | ours | median | peak RSS | other | median | peak RSS | ours / other |")
w("|---|---|---:|---:|---|---:|---:|---:|")
rows = [
    ("(a) leader election view", "status -A", st, RSS.get("16x status"), "kubectl get leases -A", kg, RSS.get("16x kubectl-get-leases")),
    ("(b) live audit", "audit -A", au, RSS.get("16x audit"), "popeye -A (all sections)", pf, RSS.get("16x popeye")),
    ("(b) live audit", "audit -A", au, RSS.get("16x audit"), "popeye -A -s (same kinds)", ps, RSS.get("16x popeye-sections")),
    ("(c) manifests", "audit -f DIR", mf, RSS.get("manifests audit-f"), "kube-score score FILES", ks, RSS.get("manifests kube-score")),
    (f"(c) real manifests ({real_files} files, {real_mb:.1f} MB)", "audit -f DIR", rf, RSS.get("realworld audit-f"), "kube-score score FILES", rk, RSS.get("realworld kube-score")),
]
if kl_m is not None:
    rows += [
        ("(c) manifests", "audit -f DIR", mf, RSS.get("manifests audit-f"), f"kube-linter lint DIR ({kl_version})", kl_m, RSS.get("manifests kube-linter")),
        (f"(c) real manifests ({real_files} files, {real_mb:.1f} MB)", "audit -f DIR", rf, RSS.get("realworld audit-f"), f"kube-linter lint DIR ({kl_version})", kl_r, RSS.get("realworld kube-linter")),
    ]
for what, ours, t, m, other, t2, m2 in rows:
    r = ratio(t, t2)
    w(f"| {what} | `{ours}` | {ms(t)} | {mb(m)} | `{other}` | {ms(t2)} | {mb(m2)} | {'–' if r is None else f'{r:.3f}'} |")
w(f"| (e) startup | `--version` | {ms(sv)} | {mb(RSS.get('startup version'))} | `--help` | {ms(sh)} | | |\n")

if req_st and req_kg:
    w("API requests in one run (from `-v` / `-v=6` logs):\n")
    w("| command | total | lists (pages) | GETs of one object | other |")
    w("|---|---:|---:|---:|---:|")
    for name, r in (("status -A", req_st), ("kubectl get leases -A", req_kg), ("audit -A", req_au)):
        if r:
            w(f"| `{name}` | {r[0]} | {r[1]} | {r[2]} | {r[3]} |")
    w("")

# --- scaling ----------------------------------------------------------------------------------------
w("### Scaling (base = 1/16 of the full size)\n")
w("| step | node leases | status -A median | RSS | requests (lists + GETs) | audit -A median | RSS | requests |")
w("|---|---:|---:|---:|---:|---:|---:|---:|")
scal = {}
for label in LABELS:
    s = median(f"status-{label}")
    a = median(f"audit-{label}")
    rs, ra = requests(f"{label} status"), requests(f"{label} audit")
    scal[label] = (s, a, RSS.get(f"{label} status"), RSS.get(f"{label} audit"), rs, ra)
    w(f"| {label} | {FACTS.get((label, 'node_leases'), '–')} | {ms(s)} | {mb(RSS.get(f'{label} status'))} | "
      f"{'–' if not rs else f'{rs[0]} ({rs[1]} + {rs[2]})'} | {ms(a)} | {mb(RSS.get(f'{label} audit'))} | "
      f"{'–' if not ra else f'{ra[0]} ({ra[1]} + {ra[2]})'} |")


def exponent(lo, hi):
    return math.log(hi / lo) / math.log(16) if lo and hi else None


exps = {}
for i, name in enumerate(["status time", "audit time", "status RSS", "audit RSS"]):
    exps[name] = exponent(scal["1x"][i], scal["16x"][i])
w("")
w("Growth exponent k in cost ∝ size^k from 1× to 16× (1 = linear): "
  + ", ".join(f"{k} {v:.2f}" for k, v in exps.items() if v is not None) + ".\n")

# --- targets ------------------------------------------------------------------------------------------
w("### Targets\n")
w("| target | measured | |")
w("|---|---|---|")
targets = []
r = ratio(st, kg)
if r is not None:
    targets.append(("`status -A` median ≤ 0.4 × `kubectl get leases -A` (issue 21; was ≤ 0.8)", f"{r:.3f} ({ms(st)} vs {ms(kg)})", r <= 0.4))
m = RSS.get("16x status")
if m is not None:
    targets.append(("`status -A` peak RSS ≤ 40 MB", mb(m), m <= 40))
if scal["1x"][4] and scal["16x"][4]:
    # The Lease LIST pages through the locks (500 a page), never through the node heartbeats,
    # which the server filters out; every other list stays the same number of pages.
    lo, hi = scal["1x"][4], scal["16x"][4]
    holders_hi = FACTS.get(("16x", "holder_pods"), 0)
    pages_lo, filtered_lo = lease_pages("1x status") or (0, False)
    pages_hi, filtered_hi = lease_pages("16x status") or (0, False)
    locks_hi = FACTS.get(("16x", "all_leases"), 0) - FACTS.get(("16x", "node_leases"), 0)
    same_lists = lo[1] - pages_lo == hi[1] - pages_hi
    ok = same_lists and filtered_lo and filtered_hi and pages_hi <= max(1, -(-locks_hi // 500)) and hi[2] <= holders_hi
    targets.append((
        "`status -A` requests independent of node leases (beyond pagination), ≤ 1 per holder pod",
        f"lists {lo[1]} at {FACTS.get(('1x', 'node_leases'))} node leases, {hi[1]} at {FACTS.get(('16x', 'node_leases'))} "
        f"(Lease pages {pages_lo} and {pages_hi}, node heartbeats filtered on the server; {locks_hi} other leases at 500 a page); "
        f"{hi[2]} pod GETs for {holders_hi} distinct holders",
        ok,
    ))
if au is not None:
    targets.append(("`audit -A` median < 3 s", ms(au), au < 3))
m = RSS.get("16x audit")
if m is not None:
    targets.append(("`audit -A` peak RSS ≤ 200 MB", mb(m), m <= 200))
for name, other in (("popeye, all sections", pf), ("popeye -s, same kinds", ps)):
    r = ratio(other, au)
    if r is not None:
        targets.append((f"`audit -A` ≥ 5× faster than {name}", f"{r:.1f}×", r >= 5))
for what, other, ours in (
    ("the bench's manifests, kube-score", ks, mf),
    ("real CRD-heavy manifests, kube-score", rk, rf),
    ("the bench's manifests, kube-linter", kl_m, mf),
    ("real CRD-heavy manifests, kube-linter", kl_r, rf),
):
    r = ratio(other, ours)
    if r is not None:
        targets.append((f"`audit -f` ≥ 10× faster than {what}", f"{r:.1f}× ({ms(ours)} vs {ms(other)})", r >= 10))
for name, e in exps.items():
    if e is not None:
        targets.append((f"{name} grows ≤ linearly (k ≤ 1)", f"k = {e:.2f}", e <= 1.0))
for name, t in (("--version", sv), ("--help", sh)):
    if t is not None:
        targets.append((f"startup `{name}` < 10 ms", ms(t), t < 0.010))
for what, measured, ok in targets:
    w(f"| {what} | {measured} | {verdict(ok)} |")
w("")
extras = sorted((R / "extra").glob("*.md")) if (R / "extra").is_dir() else []
if extras:
    w("### Further rows (bench/extra/*.sh)\n")
    for path in extras:
        w(path.read_text().rstrip() + "\n")
w(f"Load average at the end: {(R / 'load-end.txt').read_text().strip() if (R / 'load-end.txt').exists() else '–'}")
print("\n".join(out))
