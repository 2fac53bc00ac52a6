"""The glossary is the law of the Korean terms: the book spells every pair the way it does.

Every key term the text introduces in bold with its Korean term beside it, **term** (한국어),
must be a glossary entry with exactly that Korean term; regularisation is 규제 and
normalisation is 정규화, never the other way round.
"""

from __future__ import annotations

import re

import nbformat

from autograder.course import REPO_ROOT, all_assignments
from tools import i18n

GLOSSARY = REPO_ROOT / "book" / "glossary.md"
_PAIR = re.compile(r"\*\*([^*\n]+?)\*\*\s*\(([^)\n]*[\uac00-\ud7a3][^)\n]*)\)")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def glossary() -> dict[str, str]:
    """The glossary's table (the one tools.i18n reads too), English terms in lower case."""
    return {english.lower(): korean for english, korean in i18n.glossary().items()}


def _names(entry: str) -> set[str]:
    """The names an entry goes by: "stacked (multi-layer) RNN" is also "multi-layer rnn"."""
    return i18n._names(entry, abbreviation=True)


def _key(term: str, entries: dict[str, str]) -> str | None:
    """The glossary entry a bold term names (plural and capitalised forms included)."""
    term = " ".join(term.lower().split())
    forms = {term, term.removesuffix("s"), term.removesuffix("es"), re.sub(r"ies$", "y", term),
             re.sub(r"ices$", "ix", term)}
    for entry in entries:
        if forms & _names(entry):
            return entry
    return None


def _korean(parenthesis: str) -> str:
    """The Korean term in '(한국어)' or '(한국어, English abbreviation)'."""
    for piece in re.split(r"[,;]", parenthesis):
        if _HANGUL.search(piece):
            return " ".join(piece.split())
    return parenthesis.strip()


def _texts():
    for path in sorted((REPO_ROOT / "book").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        yield path.name, "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for path in sorted((REPO_ROOT / "book").glob("*.md")):
        if path != GLOSSARY:
            yield path.name, path.read_text(encoding="utf-8")
    for a in all_assignments():
        nb = nbformat.read(a.release_dir / a.notebook_name, as_version=4)
        yield f"{a.name}.ipynb", "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def test_regularisation_and_normalisation_are_not_confused():
    entries = glossary()
    assert entries.get("regularisation") == "규제"
    assert entries.get("normalisation") == "정규화"


def test_every_korean_pair_in_the_text_is_the_glossary_pair():
    entries = glossary()
    problems = []
    for name, text in _texts():
        for m in _PAIR.finditer(text):
            term, korean = m.group(1).strip(), _korean(m.group(2))
            key = _key(term, entries)
            if key is None:
                problems.append(f"{name}: **{term}** ({korean}) is not in the glossary")
            elif korean != entries[key]:
                problems.append(f"{name}: **{term}** ({korean}), but the glossary says "
                                f"{key} = {entries[key]}")
    assert not problems, "\n".join(problems)
