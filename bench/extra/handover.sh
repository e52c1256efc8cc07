#!/usr/bin/env bash
# Handover time (issue 21): `release --evict`, `release --to` on a coordinated lease and
# SIGKILL-the-leader-and-wait, side by side in one run of bench/handover.sh (3 client-go peers, ReleaseOnCancel off, 15s/10s/2s). It runs on
# the test control plane (tests/cluster/cluster.sh, its own namespace), not the kwok bench cluster:
# leader election needs peers that renew, and the bench cluster's pods are kwok's. Run by
# bench/run.sh with BIN exported (COMMON bench contract); HANDOVER_ROUNDS rounds (default 3).
# Writes $RESULTS/extra/handover.md (a "#### " section: table, ratio, verdict).
set -euo pipefail
: "${BIN:?BIN (our release binary) is required}"
RESULTS=${RESULTS:-$(mktemp -d)}
ROUNDS=${HANDOVER_ROUNDS:-3}
RETRY=2 # the peers' retryPeriod, seconds (bench/handover.sh)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
mkdir -p "$RESULTS/extra"
raw=$RESULTS/extra/handover.txt
out=$RESULTS/extra/handover.md
# handover.sh takes its own cluster from tests/cluster; the bench cluster's KUBECONFIG is not it.
env -u KUBECONFIG BIN="$BIN" bash "$ROOT/bench/handover.sh" "$ROUNDS" >"$raw"

python3 - "$raw" "$RETRY" >"$out" <<'PY'
import re, statistics, sys
text = open(sys.argv[1]).read()
retry = float(sys.argv[2])
evict = [(float(a), float(b)) for a, b in re.findall(r"evict: +new leader after ([0-9.]+)s \(no leader for ([0-9.]+)s\)", text)]
kill = [float(a) for a in re.findall(r"baseline: new leader after ([0-9.]+)s", text)]
to = [float(a) for a in re.findall(r"to: +new leader after ([0-9.]+)s", text)]
to_notes = re.findall(r"\(release --to exited .*\)", text)
if not evict or not kill:
    sys.exit("handover.sh printed no rounds:\n" + text)
e_total = statistics.median(t for t, _ in evict)
e_gap = statistics.median(g for _, g in evict)
k = statistics.median(kill)
print("#### Handover: `release --evict`, `release --to` (coordinated) and kill-and-wait (issue 21)\n")
print(f"bench/handover.sh, {len(kill)} rounds on the test control plane (tests/cluster), 3 client-go "
      "peers (tests/cluster/lepeer) per lease, ReleaseOnCancel off, leaseDuration/renewDeadline/"
      f"retryPeriod 15s/10s/{retry:.0f}s. *From start*: from the command (or the SIGKILL) to the "
      "lease naming another peer, polled every 0.1 s with kubectl. *Leaderless*: from the old "
      "leader stopping (for `--evict`, release's own `no leader for` figure: its pod gone and the "
      "lock freed; for kill-and-wait, the SIGKILL) to the new leader.\n")
print("| | rounds | from start (median) | leaderless (median) |")
print("|---|---|---:|---:|")
print(f"| `release --evict -y --wait 60s` | " + ", ".join(f"{t:.1f}/{g:.1f} s" for t, g in evict)
      + f" | {e_total:.1f} s | {e_gap:.1f} s |")
if to:
    t = statistics.median(to)
    print(f"| `release --to B -y --wait 60s` (coordinated: 2 LeaseCandidates, B the one the API server picks) | "
          + ", ".join(f"{x:.1f} s" for x in to) + f" | {t:.1f} s | not measured (the leader stops on its own tick) |")
print(f"| SIGKILL the leader, wait for expiry | " + ", ".join(f"{t:.1f} s" for t in kill)
      + f" | {k:.1f} s | {k:.1f} s |\n")
ok = e_gap <= 2 * retry
print(f"Ratio evict / kill-and-wait (from start): **{e_total / k:.2f}**. Target new leader within "
      f"2 × retryPeriod ({2 * retry:.0f} s) of the old leader stopping: **{'met' if ok else 'missed'}** "
      f"({e_gap:.1f} s). What bounds it: once the lock is freed, a standby takes it at its next "
      f"retry tick, at most retryPeriod × 1.2 (client-go's jitter) = {retry * 1.2:.1f} s later; "
      "before that, the eviction and the pod's graceful deletion. Kill-and-wait is bounded below by "
      "leaseDuration (15 s) plus up to one retry tick. `--to` on a coordinated lease is bounded the "
      "by the peers and the API server, not by release: release sets spec.preferredHolder in one "
      "write; the client-go leader yields at its next renew tick, and the API server's "
      "coordinated-election controller then names the candidate, at once when the lease was "
      "released, else only once it has expired (up to leaseDuration more; seen once by hand here: "
      "18.5 s)." + (" Notes: " + "; ".join(to_notes) if to_notes else ""))
PY
cat "$out"
