"""Filters by region and theme, as people type them: case, accents and punctuation aside.

A cluster matches a region if the name matches one its sources stated or the current
(post-2016) region those map to; a theme if it matches a stated theme, a theme code or
that code's label (the current regions and codes are an editorial mapping:
``infrastructure.history.vocabulary``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

import msgspec

from domain.records import ClusterRecord
from infrastructure.history.vocabulary import EDITORIAL_NOTE, Vocabulary, vocabulary

_SEPARATORS = re.compile(r"[^0-9a-z]+")


def folded(text: str) -> str:
    """``Île-de-France`` and ``ile de france`` alike: no accents, case or punctuation."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SEPARATORS.sub(" ", bare).strip()


def region_names(record: ClusterRecord, words: Vocabulary) -> tuple[str, ...]:
    stated = record.cluster.regions
    return tuple(dict.fromkeys((*stated, *words.current_regions(stated))))


def theme_names(record: ClusterRecord, words: Vocabulary) -> tuple[str, ...]:
    codes = words.theme_codes(record.slug)
    labels = tuple(words.labels.get(code, code) for code in codes)
    return tuple(dict.fromkeys((*record.cluster.themes, *codes, *labels)))


def matching(
    records: Iterable[ClusterRecord], *, region: str | None = None, theme: str | None = None
) -> list[ClusterRecord]:
    words = vocabulary()
    wanted_region = None if region is None else folded(region)
    wanted_theme = None if theme is None else folded(theme)
    return [
        r
        for r in records
        if (wanted_region is None or wanted_region in map(folded, region_names(r, words)))
        and (wanted_theme is None or wanted_theme in map(folded, theme_names(r, words)))
    ]


class Name(msgspec.Struct, frozen=True, kw_only=True):
    """A region or theme a filter accepts, and how many clusters it names."""

    name: str
    clusters: int
    kind: str
    """``stated`` (as sources give it), ``current`` (post-2016 region), ``code`` or ``label``
    (of the theme vocabulary): the last three are editorial."""


class Names(msgspec.Struct, frozen=True, kw_only=True):
    names: tuple[Name, ...]
    note: str = EDITORIAL_NOTE


def regions(records: Sequence[ClusterRecord]) -> Names:
    words = vocabulary()
    stated = Counter(name for r in records for name in r.cluster.regions)
    current = Counter(name for r in records for name in words.current_regions(r.cluster.regions))
    return Names(names=_names(("current", current), ("stated", stated)))


def themes(records: Sequence[ClusterRecord]) -> Names:
    words = vocabulary()
    codes = Counter(code for r in records for code in words.theme_codes(r.slug))
    labels = Counter({words.labels.get(code, code): n for code, n in codes.items()})
    stated = Counter(name for r in records for name in r.cluster.themes)
    return Names(names=_names(("code", codes), ("label", labels), ("stated", stated)))


def _names(*kinds: tuple[str, Counter[str]]) -> tuple[Name, ...]:
    seen: set[str] = set()
    found: list[Name] = []
    for kind, counts in kinds:
        for name, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            if name not in seen:
                seen.add(name)
                found.append(Name(name=name, clusters=n, kind=kind))
    return tuple(found)
