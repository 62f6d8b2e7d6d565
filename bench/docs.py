"""Writes runs' tables, machine and profiles between markers of docs/benchmarks.md.

``python -m bench.docs docs/benchmarks.md sqlite.json postgresql.json`` merges the
results files of separate runs (one per store) into one table.
"""

from __future__ import annotations

import sys
from pathlib import Path

import msgspec

from bench.report import Results, markdown_table

RESULTS = ("<!-- bench:results:start -->", "<!-- bench:results:end -->")
PROFILES = ("<!-- bench:profiles:start -->", "<!-- bench:profiles:end -->")


def results_markdown(runs: list[Results]) -> str:
    first = runs[0]
    machine = "\n".join(f"- {key}: {value}" for key, value in first.machine.items())
    commands = "\n".join(
        f"- `{run.command}` — started {run.started_at}, {run.seconds / 60:.1f} min" for run in runs
    )
    lines = [commands, "", "Machine (of the first run):", "", machine, ""]
    lines.append(markdown_table([row for run in runs for row in run.rows]))
    missing = [item for run in runs for item in run.missing]
    if missing:
        lines += ["", "Not measured or skipped:", ""]
        lines += [f"- {item}" for item in missing]
    return "\n".join(lines)


def profiles_markdown(runs: list[Results]) -> str:
    sections = []
    for run in runs:
        for name, text in run.profiles.items():
            sections.append(f"#### {name}\n\n```text\n{text}\n```")
    return "\n\n".join(sections) or "(no profile in these runs: add `--profile 200000`)"


def replace_between(text: str, markers: tuple[str, str], body: str) -> str:
    start, end = markers
    if start not in text or end not in text:
        text += f"\n{start}\n{end}\n"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body}\n{end}{tail}"


def update_docs(path: Path, *runs: Results) -> None:
    text = path.read_text() if path.exists() else ""
    text = replace_between(text, RESULTS, results_markdown(list(runs)))
    if any(run.profiles for run in runs):
        text = replace_between(text, PROFILES, profiles_markdown(list(runs)))
    path.write_text(text)


def load(path: Path) -> Results:
    return msgspec.json.decode(path.read_bytes(), type=Results)


if __name__ == "__main__":
    doc, *files = sys.argv[1:]
    update_docs(Path(doc), *(load(Path(f)) for f in files))
