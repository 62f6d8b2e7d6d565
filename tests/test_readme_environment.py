"""The README's table of environment variables lists every one the product reads."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("domain", "infrastructure", "api")


def variables_read_by_the_code() -> set[str]:
    names: set[str] = set()
    for package in PACKAGES:
        for source in (ROOT / package).rglob("*.py"):
            names |= set(re.findall(r'"(LEDGER_[A-Z_]+)"', source.read_text(encoding="utf-8")))
    return names


def variables_in_the_readme_table() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| `(LEDGER_[A-Z_]+)` \|", readme, flags=re.MULTILINE))


def test_every_variable_the_product_reads_is_in_the_readme_table() -> None:
    read = variables_read_by_the_code()
    assert read, "no LEDGER_ variable found: the search is broken"
    assert read - variables_in_the_readme_table() == set()
