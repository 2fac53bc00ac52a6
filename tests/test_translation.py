"""The Korean edition cannot fall behind the English one, and its translation stays true.

- Every catalog in locale/ko holds exactly the blocks of prose its English page has now: a
  changed English paragraph is a new message (and its old translation obsolete or fuzzy).
- Every message is translated, none is fuzzy.
- Every formula, code span, reference target, directive line, heading level and number of a
  message is in its translation unchanged; lists and tables keep their length.
- The glossary is law: a glossary term in an English message brings its Korean term into the
  translation, except where a translator excused it (a `glossary-exception` comment, listed by
  `python -m tools.i18n exceptions`).
- The Korean assignment notebooks (exercises/ko) are what the catalogs make of the English
  ones, with the same cells, ids, code and tests.

The strict Korean build and its site checks are in test_site.py; the grading of Korean
notebooks in test_differential.py.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import polib
import pytest

from autograder.course import all_assignments
from tools import i18n

NAMES = i18n.catalog_names()
PAGES = {p.catalog: p for p in i18n.pages()}


def _live(name: str) -> list[polib.POEntry]:
    return [e for e in i18n.load(i18n.LOCALE / f"{name}.po") if not e.obsolete and e.msgid]


def _short(text: str, n: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n] + "…"


# theme.po is kept by hand and figures.po by tools.i18n_figures (its test is below).
@pytest.mark.parametrize("name", [n for n in NAMES
                                  if n not in (i18n.THEME_CATALOG, i18n.FIGURES_CATALOG)])
def test_catalog_holds_the_english_text_of_today(name):
    expected = [m for m, _ in i18n.catalogs()[name]]
    held = [e.msgid for e in _live(name)]
    new = [m for m in expected if m not in set(held)]
    gone = [m for m in held if m not in set(expected)]
    assert not new and not gone, (
        f"{name}.po is behind its English page: {len(new)} new or changed blocks, e.g. "
        f"{_short(new[0]) if new else '-'!r}; {len(gone)} blocks no longer in the page. Run "
        f"`.venv/bin/python -m tools.i18n update`, then translate (see CONTRIBUTING.md).")


@pytest.mark.parametrize("name", NAMES)
def test_every_message_is_translated_and_none_is_fuzzy(name):
    entries = _live(name)
    assert entries, f"{name}.po is empty"
    untranslated = [e.msgid for e in entries if not e.msgstr]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert not untranslated and not fuzzy, (
        f"{name}.po: {len(untranslated)} untranslated, {len(fuzzy)} fuzzy of {len(entries)}; "
        f"first: {_short((untranslated or fuzzy)[0])!r}. "
        f"`.venv/bin/python -m tools.i18n todo {name}` lists them.")


@pytest.mark.parametrize("name", NAMES)
def test_translations_keep_formulas_code_numbers_and_glossary_terms(name):
    found = []
    for n, e in enumerate(_live(name)):
        if not e.msgstr:
            continue        # reported by the test above
        issues = [i for i in i18n.entry_problems(e, name) if not i.startswith("fuzzy")]
        found += [f"#{n} {_short(e.msgid, 60)!r}: {issue}" for issue in issues]
    assert not found, f"{name}.po:\n" + "\n".join(found[:30])


def test_glossary_exceptions_are_few_and_explained():
    rows = []
    for name in NAMES:
        for e in _live(name):
            for term, why in i18n.excused(e).items():
                assert term in {k.lower() for k in i18n.glossary()}, \
                    f"{name}.po excuses {term!r}, which is not a glossary term"
                assert len(why) >= 10, f"{name}.po: the exception for {term!r} gives no reason"
                assert term in {t.lower() for t, _ in i18n.glossary_terms(e.msgid)}, \
                    f"{name}.po excuses {term!r} in a message that does not use it"
                rows.append((name, term, why))
    total = sum(len(_live(n)) for n in NAMES)
    print(f"{len(rows)} glossary exceptions in {total} messages:")
    for row in rows:
        print("  " + " | ".join(row))
    assert len(rows) <= total // 20, f"{len(rows)} glossary exceptions: too many to be exceptions"


# -- the checks themselves can fail ------------------------------------------------------------

def test_the_checks_catch_a_changed_formula_code_number_or_term():
    english = ("The **chain rule** (연쇄 법칙) gives $\\partial E/\\partial x = 2x$ for `x` "
               "in {numref}`Figure %s <fig-x>`, 3 times.")
    good = ("**연쇄 법칙**(chain rule)에 따라 {numref}`그림 %s <fig-x>`의 `x`에 대해 "
            "$\\partial E/\\partial x = 2x$입니다. 3번 씁니다.")
    assert i18n.problems(english, good) == []
    assert i18n.glossary_problems(english, good) == []
    assert i18n.problems(english, good.replace("2x", "2 x")) == []          # spacing only
    assert any("math" in p for p in i18n.problems(english, good.replace("= 2x", "= 3x")))
    assert any("code" in p for p in i18n.problems(english, good.replace("`x`", "`y`")))
    assert any("target" in p for p in i18n.problems(english, good.replace("fig-x", "fig-y")))
    assert any("numbers" in p for p in i18n.problems(english, good.replace("3번", "세 번")))
    assert i18n.glossary_problems(english, good.replace("연쇄 법칙", "체인 룰"))
    heading = "## Summary of chapter 3"
    assert i18n.problems(heading, "## 3장 요약") == []
    assert i18n.problems(heading, "### 3장 요약")


def test_a_changed_english_paragraph_becomes_fuzzy(tmp_path):
    po = tmp_path / "page.po"
    i18n.update_catalog(po, [("The loss is small.", "p:1"), ("A second block.", "p:2")])
    cat = polib.pofile(str(po))
    for e in cat:
        e.msgstr = {"The loss is small.": "손실이 작습니다.", "A second block.": "둘째 블록입니다."}[e.msgid]
    cat.save()
    i18n.update_catalog(po, [("The loss is very small.", "p:1"), ("A second block.", "p:2")])
    live = {e.msgid: e for e in polib.pofile(str(po)) if not e.obsolete}
    changed = live["The loss is very small."]
    assert "fuzzy" in changed.flags and changed.previous_msgid == "The loss is small."
    assert live["A second block."].msgstr == "둘째 블록입니다." and not live["A second block."].flags


def test_cutting_a_page_into_blocks_loses_nothing():
    for page in PAGES.values():
        for where, kind, text in page._texts():
            if kind == "markdown":
                assert "".join(p.text for p in i18n.cut(text)) == text, where


# -- the Korean assignment notebooks ---------------------------------------------------------

def _code_without_docstrings(source: str) -> str:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                body[0].value.value = ""
    return ast.dump(tree)


@pytest.mark.parametrize("assignment", [a.name for a in all_assignments()])
def test_korean_notebook_is_the_english_one_translated(assignment):
    page = PAGES[f"exercises/{assignment}"]
    path = i18n.exercise_path(page)
    assert path.is_file(), f"{path} is missing: run `make release`"
    expected, _ = i18n.korean_page(page)
    assert path.read_text(encoding="utf-8") == expected, \
        f"{path} is not what the catalogs make of the English notebook: run `make release`"
    english = json.loads((Path(i18n.REPO_ROOT) / page.source).read_text(encoding="utf-8"))
    korean = json.loads(expected)
    assert len(korean["cells"]) == len(english["cells"])
    translated = 0
    for en, ko in zip(english["cells"], korean["cells"], strict=True):
        assert (ko["cell_type"], ko.get("id"), ko["metadata"]) == \
            (en["cell_type"], en.get("id"), en["metadata"])
        src_en, src_ko = "".join(en["source"]), "".join(ko["source"])
        if en["cell_type"] == "code":
            assert _code_without_docstrings(src_ko) == _code_without_docstrings(src_en), \
                f"{assignment}: a code cell differs beyond its docstrings"
        translated += src_en != src_ko
    assert translated >= len(english["cells"]) // 3, f"{assignment}: few cells are in Korean"


# -- the Korean figures ----------------------------------------------------------------------

def test_every_figure_has_a_current_korean_version():
    from tools import i18n_figures
    left = i18n_figures.stale()
    assert not left, (
        f"{len(left)} figures have no Korean version made from today's code and translations, "
        f"e.g. {left[0]}: translate figures.po, then run `.venv/bin/python -m tools.i18n_figures`")


def test_a_changed_figure_cell_loses_its_korean_figure():
    from tools import i18n_figures
    manifest = json.loads(i18n_figures.MANIFEST.read_text(encoding="utf-8"))
    key = next(iter(manifest))
    source, cell_id = key.split("#")
    nb = json.loads((Path(i18n.REPO_ROOT) / source).read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c.get("id") == cell_id)
    assert i18n_figures.korean_outputs(source, cell) is not None
    cell["source"] = "".join(cell["source"]) + "\nplt.title('changed')"
    assert i18n_figures.korean_outputs(source, cell) is None
