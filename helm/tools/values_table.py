#!/usr/bin/env python3
"""Renders the chart README's values table from values.schema.json (types, descriptions) and
values.yaml (defaults), between the markers <!-- values-table:start --> and :end -->.

Usage: values_table.py CHART_DIR [--write | --check]
  --write  rewrite README.md in place
  --check  exit 1 when README.md is out of date (used by scripts/check-chart.sh)
  (none)   print the table
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any

import yaml

START, END = "<!-- values-table:start -->", "<!-- values-table:end -->"
MISSING = object()


def type_of(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return " \\| ".join(f"`{json.dumps(v)}`" for v in schema["enum"])
    if "anyOf" in schema:
        return " or ".join(type_of(s) for s in schema["anyOf"])
    t = schema.get("type", "any")
    return " or ".join(t) if isinstance(t, list) else t


def fmt_default(value: Any) -> str:
    if value is MISSING:
        return ""
    text = json.dumps(value, separators=(", ", ": "))
    if len(text) > 60:
        text = text[:57] + "…"
    return "`" + text.replace("|", "\\|") + "`"


def rows(schema: dict[str, Any], values: Any, prefix: str = "") -> list[str]:
    out = []
    for key, prop in schema.get("properties", {}).items():
        path = f"{prefix}.{key}" if prefix else key
        default = values.get(key, MISSING) if isinstance(values, dict) else MISSING
        if prop.get("type") == "object" and "properties" in prop and prop.get("additionalProperties") is False:
            out.extend(rows(prop, default if default is not MISSING else {}, path))
            continue
        desc = prop.get("description", "").replace("|", "\\|").replace("\n", " ")
        out.append(f"| `{path}` | {type_of(prop)} | {fmt_default(default)} | {desc} |")
        items = prop.get("items", {})
        if prop.get("type") == "array" and items.get("additionalProperties") is False and "properties" in items:
            out.extend(rows(items, {}, f"{path}[]"))
    return out


def table(chart: str) -> str:
    schema = json.load(open(os.path.join(chart, "values.schema.json"), encoding="utf-8"))
    values = yaml.safe_load(open(os.path.join(chart, "values.yaml"), encoding="utf-8"))
    head = ["| Key | Type | Default | Description |", "| --- | --- | --- | --- |"]
    return "\n".join(head + rows(schema, values))


def main(argv: list[str]) -> int:
    chart = argv[1]
    mode = argv[2] if len(argv) > 2 else ""
    rendered = table(chart)
    if not mode:
        print(rendered)
        return 0
    readme_path = os.path.join(chart, "README.md")
    readme = open(readme_path, encoding="utf-8").read()
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    if not pattern.search(readme):
        print(f"{readme_path}: markers {START} / {END} not found", file=sys.stderr)
        return 1
    updated = pattern.sub(lambda _: f"{START}\n{rendered}\n{END}", readme)
    if mode == "--write":
        open(readme_path, "w", encoding="utf-8").write(updated)
        return 0
    if updated != readme:
        print(f"{readme_path}: values table is out of date; run: .tools/venv/bin/python helm/tools/values_table.py {chart} --write", file=sys.stderr)
        return 1
    print(f"{rendered.count(chr(10)) - 1} values documented")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
