#!/usr/bin/env python3
"""Write Kubernetes YAML without its CustomResourceDefinition documents.

The real-world corpus under tests/realworld/ is made with this script and
nothing else: every byte that is not part of a CRD document is kept as it is
upstream (no reformatting, no fixing).

How a file is cut: the text is split at YAML document separator lines (lines
that start with `---` at column 0, optionally followed by blanks or a comment).
A document is dropped when one of its top-level lines (no indentation) is
`kind: CustomResourceDefinition` (quoted or not). A dropped document takes its
own leading separator line with it, so the rest stays valid multi-document YAML.

Usage:
  strip-crds.py SRC [SRC ...] [-o OUT]
      SRC is a file or `-` (stdin). With several SRCs the outputs are
      concatenated, each one preceded by a `# upstream: SRC` comment line (and a
      `---` separator when the file does not start with one).
  strip-crds.py --git GITDIR --commit SHA PATH [PATH ...] [-o OUT]
      the same, reading each PATH as `git -C GITDIR show SHA:PATH`.
  strip-crds.py --sources sources.tsv [--repo-dir FMT] [--check]
      rebuild (or with --check, verify) every corpus file listed in the
      tab-separated sources.tsv beside this script: columns are corpus path
      (relative to this folder), owner/name, commit, and the upstream paths
      separated by blanks, each optionally `path@commit` to override the
      row's commit. FMT names a git directory holding that repository,
      default `/work/.mirror/{owner}+{name}/repo`; any clone with the commit
      works. Lines starting with # are comments.

Prints, on stderr, one line per output: the number of CRD documents removed.
"""

import argparse
import os
import re
import subprocess
import sys

SEPARATOR = re.compile(rb"^---(?:[ \t]+(?:#.*)?)?\r?$")
CRD_KIND = re.compile(
    rb"""^kind:[ \t]*(["']?)CustomResourceDefinition\1[ \t]*(?:#.*)?\r?$"""
)


def split_documents(data: bytes):
    """Chunks that each start with a separator line (except maybe the first)."""
    lines = data.splitlines(keepends=True)
    chunks, current = [], []
    for line in lines:
        if SEPARATOR.match(line.rstrip(b"\n")) and current:
            chunks.append(b"".join(current))
            current = []
        current.append(line)
    if current:
        chunks.append(b"".join(current))
    return chunks


def is_crd(chunk: bytes) -> bool:
    for line in chunk.splitlines():
        if CRD_KIND.match(line):
            return True
    return False


def strip(data: bytes):
    kept, removed = [], 0
    for chunk in split_documents(data):
        if is_crd(chunk):
            removed += 1
        else:
            kept.append(chunk)
    out = b"".join(kept)
    return out, removed


def starts_with_separator(data: bytes) -> bool:
    first = data.split(b"\n", 1)[0]
    return bool(SEPARATOR.match(first))


def join(parts):
    """parts: list of (label, stripped bytes). One part is written unchanged."""
    if len(parts) == 1:
        return parts[0][1]
    out = bytearray()
    for i, (label, data) in enumerate(parts):
        if out and not out.endswith(b"\n"):
            out += b"\n"
        if i > 0 and not starts_with_separator(data):
            out += b"---\n"
        out += b"# upstream: " + label.encode() + b"\n"
        out += data
    return bytes(out)


def read_git(gitdir, commit, path):
    return subprocess.run(
        ["git", "-C", gitdir, "show", f"{commit}:{path}"],
        check=True,
        stdout=subprocess.PIPE,
    ).stdout


def build(sources):
    """sources: list of (label, raw bytes) -> (output bytes, CRDs removed)."""
    parts, removed = [], 0
    for label, raw in sources:
        data, n = strip(raw)
        removed += n
        parts.append((label, data))
    return join(parts), removed


def write(out, data):
    if out in (None, "-"):
        sys.stdout.buffer.write(data)
    else:
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out, "wb") as f:
            f.write(data)


def from_manifest(args):
    here = os.path.dirname(os.path.abspath(args.sources))
    failed = 0
    with open(args.sources, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            corpus, repo, commit, paths = line.split("\t")
            owner, name = repo.split("/")
            gitdir = args.repo_dir.format(owner=owner, name=name)
            if not os.path.isdir(gitdir):
                print(f"SKIP {corpus}: no git directory {gitdir}", file=sys.stderr)
                failed += args.check
                continue
            srcs = []
            for p in paths.split():
                path, _, sha = p.partition("@")
                srcs.append((path, read_git(gitdir, sha or commit, path)))
            data, removed = build(srcs)
            target = os.path.join(here, corpus)
            if args.check:
                try:
                    with open(target, "rb") as g:
                        same = g.read() == data
                except FileNotFoundError:
                    same = False
                print(f"{'ok  ' if same else 'DIFF'} {corpus}", file=sys.stderr)
                failed += not same
            else:
                write(target, data)
                print(f"{corpus}: {removed} CRD(s) removed", file=sys.stderr)
    return 1 if failed else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("src", nargs="*")
    p.add_argument("-o", "--output")
    p.add_argument("--git")
    p.add_argument("--commit")
    p.add_argument("--sources")
    p.add_argument("--repo-dir", default="/work/.mirror/{owner}+{name}/repo")
    p.add_argument("--check", action="store_true")
    args = p.parse_args()

    if args.sources:
        return from_manifest(args)
    if not args.src:
        p.error("give at least one SRC")
    if args.git:
        if not args.commit:
            p.error("--git needs --commit")
        srcs = [(s, read_git(args.git, args.commit, s)) for s in args.src]
    else:
        srcs = []
        for s in args.src:
            if s == "-":
                srcs.append(("-", sys.stdin.buffer.read()))
            else:
                with open(s, "rb") as f:
                    srcs.append((s, f.read()))
    data, removed = build(srcs)
    write(args.output, data)
    print(f"{args.output or '-'}: {removed} CRD(s) removed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
