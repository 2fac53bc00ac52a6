"""Every chapter keeps the book's anatomy and the page's reading width.

Goals, a summary, exercises and a link to an assignment; at least one figure; code that fits
the theme's content column (80 characters); cells that only draw show their figure, not their
matplotlib code; and no internal source names ("seed 00x") anywhere a reader looks.
"""

from __future__ import annotations

import re

import nbformat
import pytest

from autograder.course import REPO_ROOT

CHAPTERS = sorted((REPO_ROOT / "book").glob("[0-9][0-9]-*.ipynb"))
MAX_LINE = 80


@pytest.fixture(params=CHAPTERS, ids=lambda p: p.stem)
def chapter(request):
    return nbformat.read(request.param, as_version=4)


def _headings(nb) -> list[str]:
    return [line[3:].strip() for c in nb.cells if c.cell_type == "markdown"
            for line in c.source.splitlines() if line.startswith("## ")]


def test_the_chapters_are_numbered_by_the_toc_alone():
    toc = (REPO_ROOT / "_toc.yml").read_text(encoding="utf-8")
    listed = re.findall(r"file: book/(\d\d-[\w-]+)", toc)
    assert listed == [p.stem for p in CHAPTERS], "every chapter in order, in the toc"
    for path in CHAPTERS:
        title = nbformat.read(path, as_version=4).cells[0].source.splitlines()[0]
        assert title.startswith("# ") and not re.match(r"# \d", title), \
            f"{path.name}: the toc numbers the chapters; the title must not ({title!r})"


def test_anatomy(chapter):
    headings = _headings(chapter)
    for needed in ("Goals", "Summary", "Exercises", "Assignment"):
        assert needed in headings, f"no '## {needed}' section"
    text = "\n".join(c.source for c in chapter.cells if c.cell_type == "markdown")
    assert "{exercise}" in text and "{solution}" in text and ":class: dropdown" in text
    assert re.search(r"\]\(\.\./exercises/a\d+/a\d+\.ipynb\)", text), "no assignment link"
    figures = [c for c in chapter.cells if c.cell_type == "code"
               and any("image/png" in o.get("data", {}) for o in c.outputs)]
    assert figures, "no figure"


def test_code_fits_the_content_column(chapter):
    long = [(i, line) for i, c in enumerate(chapter.cells) if c.cell_type == "code"
            for line in c.source.splitlines() if len(line) > MAX_LINE]
    assert not long, f"code lines over {MAX_LINE} characters: {long[:3]}"


def test_cells_that_only_draw_hide_their_code(chapter):
    """A cell whose output is only a figure, and whose code is mostly matplotlib."""
    offenders = []
    for i, c in enumerate(chapter.cells):
        if c.cell_type != "code" or not c.outputs:
            continue
        only_figure = all("image/png" in o.get("data", {}) for o in c.outputs)
        lines = [ln for ln in c.source.splitlines() if ln.strip() and not ln.startswith("#")]
        drawing = sum(bool(re.search(r"\b(ax\d*|axes|plt|fig|patches|mpatches)\.", ln))
                      for ln in lines)
        if only_figure and lines and drawing / len(lines) > 0.6 \
                and "hide-input" not in c.metadata.get("tags", []):
            offenders.append(i)
    assert not offenders, f"cells {offenders} only draw: tag them hide-input"


def test_no_internal_source_names():
    places = [*CHAPTERS, *(REPO_ROOT / "book").glob("*.md"),
              *(REPO_ROOT / "exercises").rglob("*.ipynb"),
              *(REPO_ROOT / "solutions").rglob("*.ipynb")]
    found = [p.name for p in places
             if re.search(r"seed 00\d", p.read_text(encoding="utf-8"), re.IGNORECASE)]
    assert not found, f"'seed 00x' (cite the source by its title instead) in {found}"
