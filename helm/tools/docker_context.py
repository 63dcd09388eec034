#!/usr/bin/env python3
"""Checks that every `COPY <src>` from the build context in a Dockerfile names a path that exists
and that .dockerignore lets through, since no Docker engine is here to try the build.

Usage: docker_context.py DOCKERFILE [CONTEXT_DIR]

.dockerignore semantics follow moby/patternmatcher: patterns are relative to the context root,
`*`/`?` do not cross `/`, `**` does; a path is excluded when the last pattern matching it or one
of its parent directories is not negated (`!`).
"""

from __future__ import annotations

import os
import re
import shlex
import sys


def compile_pattern(pattern: str) -> re.Pattern[str]:
    pattern = os.path.normpath(pattern.strip().lstrip("/"))
    out = ""
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                i += 1
                out += "(.*/)?"
            else:
                out += ".*"
            continue
        out += {"*": "[^/]*", "?": "[^/]"}.get(c, re.escape(c))
        i += 1
    return re.compile(f"^{out}$")


def load_ignore(context: str) -> list[tuple[bool, re.Pattern[str]]]:
    path = os.path.join(context, ".dockerignore")
    rules = []
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            rules.append((negate, compile_pattern(line[1:] if negate else line)))
    return rules


def excluded(rel: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    parts = rel.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    result = False
    for negate, regex in rules:
        if any(regex.match(c) for c in candidates):
            result = not negate
    return result


def main(argv: list[str]) -> int:
    dockerfile = argv[1]
    context = argv[2] if len(argv) > 2 else os.path.dirname(os.path.abspath(dockerfile))
    rules = load_ignore(context)
    problems, checked = [], 0
    text = open(dockerfile, encoding="utf-8").read().replace("\\\n", " ")
    for line in text.splitlines():
        words = shlex.split(line, comments=True) if line.strip() else []
        if not words or words[0].upper() not in ("COPY", "ADD"):
            continue
        args = [w for w in words[1:] if not w.startswith("--")]
        if any(w.startswith("--from") for w in words[1:]):
            continue
        for src in args[:-1]:
            checked += 1
            rel = os.path.normpath(src).lstrip("/")
            full = os.path.join(context, rel)
            if not os.path.exists(full):
                problems.append(f"{src}: not in the build context")
            elif os.path.isfile(full) and excluded(rel, rules):
                problems.append(f"{src}: excluded by .dockerignore")
            elif os.path.isdir(full):
                kept = [
                    f for root, _, files in os.walk(full) for f in files
                    if not excluded(os.path.relpath(os.path.join(root, f), context), rules)
                ]
                if not kept:
                    problems.append(f"{src}: every file in it is excluded by .dockerignore")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    print(f"{checked} COPY sources present and not ignored")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
