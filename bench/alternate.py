#!/usr/bin/env python3
"""Times commands side by side in alternating rounds, for ratios on a cluster whose own load drifts.

    python3 bench/alternate.py OUT.json RUNS WARMUP COMMAND [COMMAND ...]

Each round runs every COMMAND once (split on blanks, no shell), the order rotated by one each
round, after WARMUP untimed rounds; RUNS rounds are timed. hyperfine runs all of one command's
runs before the next command's, so a busy minute of the API server lands on one command only
(seen in bench/run.sh's (a) row: 627, 412 and 349 ms in a row for `status -A` while kubectl's
runs stayed within 240-380 ms). Alternating spreads such a minute over every command.

OUT.json has hyperfine's shape (results[].command, mean, stddev, median, min, max, times,
exit_codes), so bench/summary.py reads it as it reads hyperfine's; a command that exits non-zero
fails the whole run, as hyperfine does without -i.
"""
import json
import statistics
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    out, runs, warmup, commands = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    times = {c: [] for c in commands}
    for round_no in range(warmup + runs):
        shift = round_no % len(commands)
        for command in commands[shift:] + commands[:shift]:
            started = time.perf_counter()
            done = subprocess.run(command.split(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            elapsed = time.perf_counter() - started
            if done.returncode != 0:
                sys.exit(f"alternate.py: `{command}` exited {done.returncode}: "
                         f"{done.stderr.decode(errors='replace').strip()[-300:]}")
            if round_no >= warmup:
                times[command].append(elapsed)
    results = []
    for command in commands:
        t = times[command]
        results.append({
            "command": command,
            "mean": statistics.mean(t),
            "stddev": statistics.stdev(t) if len(t) > 1 else 0.0,
            "median": statistics.median(t),
            "min": min(t),
            "max": max(t),
            "times": t,
            "exit_codes": [0] * len(t),
        })
    with open(out, "w") as f:
        json.dump({"results": results, "alternating_rounds": runs}, f, indent=1)
    base = results[-1]["median"]
    for r in results:
        print(f"  {r['command']}: median {r['median'] * 1000:.1f} ms, min {r['min'] * 1000:.1f} ms, "
              f"{r['median'] / base:.3f} x the last")


if __name__ == "__main__":
    main()
