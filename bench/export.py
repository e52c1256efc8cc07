#!/usr/bin/env python3
"""Turns a `kubectl get -o json` List into a directory of manifests, as a repository keeps them.

    export.py LIST.json OUTDIR DOCS

Writes OUTDIR/<namespace>/<kind>.yaml, multi-document block YAML (the shape of `kubectl get -o
yaml`), one document per object. To reach about DOCS documents, the whole set is written
ceil(DOCS / objects) times, copy c > 0 into namespaces renamed <namespace>-c<c>, so every document
is a distinct object. Needs only the standard library.
"""
import json
import math
import re
import sys
from collections import defaultdict
from pathlib import Path

PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./-]*$")
RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def scalar(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if PLAIN.match(value) and value.lower() not in RESERVED:
        return value
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def emit(value, indent, out):
    pad = "  " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                out.append(f"{pad}{scalar(key)}:\n")
                emit(item, indent + (1 if isinstance(item, dict) else 0), out)
            else:
                empty = "{}" if isinstance(item, dict) else "[]" if isinstance(item, list) else None
                out.append(f"{pad}{scalar(key)}: {empty or scalar(item)}\n")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                lines = []
                emit(item, indent + 1, lines)
                first = lines[0]
                lines[0] = pad + "- " + first[len(pad) + 2 :]
                out.extend(lines)
            elif isinstance(item, list) and item:
                out.append(f"{pad}-\n")
                emit(item, indent + 1, out)
            else:
                empty = "{}" if isinstance(item, dict) else "[]" if isinstance(item, list) else None
                out.append(f"{pad}- {empty or scalar(item)}\n")


def main():
    source, outdir, want = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    items = json.load(open(source))["items"]
    copies = max(1, math.ceil(want / max(1, len(items))))
    files = defaultdict(list)
    for c in range(copies):
        for obj in items:
            meta = obj["metadata"]
            ns = meta["namespace"] if c == 0 else f"{meta['namespace']}-c{c}"
            doc = dict(obj, metadata=dict(meta, namespace=ns))
            lines = []
            emit(doc, 0, lines)
            files[(ns, obj["kind"].lower())].append("".join(lines))
    for (ns, kind), docs in files.items():
        path = outdir / ns / f"{kind}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join("---\n" + d for d in docs))
    total = sum(len(d) for d in files.values())
    size = sum(p.stat().st_size for p in outdir.rglob("*.yaml"))
    print(f"{total} documents ({len(items)} objects × {copies}) in {len(files)} files, {size / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
