"""Writes a run's table, machine and profiles between markers of docs/benchmarks.md."""

from __future__ import annotations

from pathlib import Path

from bench.report import Results, markdown_table

START = "<!-- bench:results:start -->"
END = "<!-- bench:results:end -->"


def results_markdown(results: Results) -> str:
    machine = "\n".join(f"- {key}: {value}" for key, value in results.machine.items())
    lines = [
        f"Run of {results.started_at} (`{results.command}`, {results.seconds / 60:.1f} min).",
        "",
        "Machine:",
        "",
        machine,
        "",
        markdown_table(results.rows),
    ]
    if results.missing:
        lines += ["", "Not measured or skipped:", ""]
        lines += [f"- {item}" for item in results.missing]
    return "\n".join(lines)


def update_docs(path: Path, results: Results) -> None:
    text = path.read_text() if path.exists() else f"{START}\n{END}\n"
    if START not in text or END not in text:
        text += f"\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{START}\n{results_markdown(results)}\n{END}{tail}")
