"""The book builds strictly, shows each assignment unexecuted, and leaks no solution or hidden test.

The site is built once per test session, exactly as `make book` builds it (Sphinx warnings are
errors), into a temporary folder.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from autograder.course import REPO_ROOT, all_assignments
from tools import i18n
from tools.check_site import pages as reader_pages

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
_TAG = re.compile(r"<[^>]+>")


_GENERIC = re.compile(r"^(import |from \S+ import |_?rng = np\.random\.default_rng\(|print\()")
# Single lines that a chapter teaches on purpose, in its own code, before the assignment asks
# for the general case: not a leak of the solution (each is one line of a longer answer).
TAUGHT = {
    "db = dout.sum(axis=0)": "chapter 3 derives the bias gradient of a dense layer",
    "for t in reversed(range(T)):": "chapter 9 writes backpropagation through time as this loop",
    "h = np.zeros((N, T, H))": "chapter 11 allocates the LSTM's hidden states the same way",
}


def _cell_lines(path: Path) -> set[str]:
    if not path.is_file():
        return set()
    return {ln.strip() for c in nbformat.read(path, as_version=4).cells
            for ln in c.source.splitlines()}


def _protected_lines() -> dict[str, str]:
    """Distinctive lines of every solution region and hidden test: line -> where it comes from.

    A line that a released notebook shows anyway (a docstring, `return out, cache`) is no
    secret, and neither is a generic line (an import, seeding a generator).
    """
    assignments = all_assignments()
    public: set[str] = set()
    for a in assignments:
        public |= _cell_lines(a.release_dir / a.notebook_name)
    secret: dict[str, str] = {}
    for assignment in assignments:
        for cell in assignment.read_source().cells:
            inside = False
            for line in cell.source.splitlines():
                text = line.strip()
                if text in ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS"):
                    inside = True
                elif text in ("### END SOLUTION", "### END HIDDEN TESTS"):
                    inside = False
                elif (inside and len(text) >= 20 and text not in public
                      and not _GENERIC.match(text) and text not in TAUGHT):
                    secret[text] = f"{assignment.name}/{cell.metadata['nbgrader']['grade_id']}"
    return secret


def _texts(root: Path):
    """(path, readable text) of every text file a reader can fetch from `root`."""
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix in {".png", ".svg", ".jpg", ".woff", ".woff2",
                                                 ".ttf", ".eot", ".ico", ".gif", ".pickle",
                                                 ".doctree", ".inv"}:
            continue
        if "mathjax" in path.parts:
            continue
        raw = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".ipynb":
            try:
                nb = json.loads(raw)
                raw = "\n".join("".join(c.get("source", "")) for c in nb.get("cells", []))
            except json.JSONDecodeError:
                pass
        elif path.suffix == ".html":
            raw = html.unescape(_TAG.sub("", raw))
        yield path, raw


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", ".",
                           "--path-output", str(out), "-W", "-n", "--keep-going"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, f"book build failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-4000:]}"
    html = out / "_build" / "html"
    # The Korean edition, built as `make book` builds it: strict, into ko/ below the English.
    proc = i18n.build_book(html, out / "ko-src", str(Path(sys.executable).parent / "jupyter-book"),
                           strict=True, capture=True)
    assert proc.returncode == 0, \
        f"Korean book build failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-4000:]}"
    return html


def test_every_chapter_and_assignment_has_a_page(site):
    toc = (REPO_ROOT / "_toc.yml").read_text()
    files = re.findall(r"file:\s*(\S+)", toc)
    assert files, "the table of contents lists no files"
    for name in files:
        assert (site / f"{name}.html").is_file(), f"no page for {name}"
        assert (site / "ko" / f"{name}.html").is_file(), f"no Korean page for {name}"
    for assignment in all_assignments():
        assert f"exercises/{assignment.name}/{assignment.name}" in files, \
            f"assignment {assignment.name} is not in _toc.yml"


def test_assignment_pages_are_not_executed(site):
    for assignment, edition in [(a, e) for a in all_assignments() for e in ("", "ko/")]:
        page = (site / f"{edition}exercises" / assignment.name
                / f"{assignment.name}.html").read_text()
        assert 'class="cell_output' not in page, \
            f"{assignment.name}'s page shows executed output"
        assert "YOUR CODE HERE" in page
        assert "NotImplementedError" in page


def test_every_page_links_to_the_same_page_in_the_other_language(site):
    """The language switch: English page <-> Korean page, both ways, and the pages say their language."""
    english = [p for p in reader_pages(site) if "ko" not in p.relative_to(site).parts]
    korean = [p for p in reader_pages(site / "ko")]
    assert len(english) == len(korean) > 20, (len(english), len(korean))
    problems = []
    for page in english + korean:
        text = page.read_text(encoding="utf-8")
        m = re.search(r'<a class="bbh-lang-link" href="([^"]+)" hreflang="(\w+)"', text)
        lang = re.search(r'<html lang="(\w+)"', text)
        if not m or not lang:
            if "http-equiv=\"Refresh\"" not in text and 'http-equiv="refresh"' not in text:
                problems.append(f"{page.relative_to(site)}: no language switch or lang attribute")
            continue
        target = (page.parent / m.group(1)).resolve()
        other = "ko" if lang.group(1) == "en" else "en"
        expected = (site / "ko" / page.relative_to(site)) if other == "ko" else \
            (site / page.relative_to(site / "ko"))
        if m.group(2) != other or target != expected.resolve() or not target.is_file():
            problems.append(f"{page.relative_to(site)} -> {m.group(1)} ({m.group(2)})")
    assert not problems, "\n".join(problems[:20])


def test_the_korean_pages_are_in_korean(site):
    """Every Korean page reads in Korean: most of its visible words are Hangul (the references
    page is a list of English titles and names, with Korean headings)."""
    hangul = re.compile(r"[\uac00-\ud7a3]+")
    latin = re.compile(r"\b[A-Za-z]{3,}\b")
    thin = []
    for page in reader_pages(site / "ko"):
        if page.name == "references.html":
            continue
        text = " ".join(_parsed(page).text)
        if len(hangul.findall(text)) < 0.5 * len(latin.findall(text)):
            thin.append(f"{page.relative_to(site)}: {len(hangul.findall(text))} Korean words, "
                        f"{len(latin.findall(text))} Latin")
    assert not thin, "Korean pages that are mostly not Korean:\n" + "\n".join(thin)


def test_no_solution_or_hidden_test_in_the_site(site):
    secret = _protected_lines()
    assert len(secret) > 20, "found too few solution lines: is the detector broken?"
    leaks = []
    for path, text in _texts(site):
        leaks += [f"{path.relative_to(site)}: marker {m!r}" for m in MARKERS if m in text]
        leaks += [f"{path.relative_to(site)}: {line!r} (from {origin})"
                  for line, origin in secret.items() if line in text]
    assert not leaks, "solution text reached the built site:\n" + "\n".join(leaks[:20])


def test_no_solution_or_hidden_test_in_exercises():
    secret = _protected_lines()
    leaks = []
    for path, text in _texts(REPO_ROOT / "exercises"):
        leaks += [f"{path}: marker {m!r}" for m in MARKERS if m in text]
        leaks += [f"{path}: {line!r} (from {origin})"
                  for line, origin in secret.items() if line in text]
    assert not leaks, "solution text reached exercises/:\n" + "\n".join(leaks[:20])


def test_the_site_needs_no_network(site):
    """Scripts, styles and MathJax are served from the site itself: it works offline."""
    remote = re.compile(r"""<(?:script|link|img)[^>]+(?:src|href)=["'](?:https?:)?//""")
    offenders = []
    for page in site.rglob("*.html"):
        offenders += [f"{page.relative_to(site)}: {m.group(0)[:120]}"
                      for m in remote.finditer(page.read_text(encoding="utf-8"))]
    assert not offenders, "pages load resources from the network:\n" + "\n".join(offenders[:10])
    assert list(site.rglob("mathjax/tex-chtml.js")) or list(site.rglob("tex-chtml*.js")), \
        "MathJax is not bundled with the site"


def test_exercise_notebooks_have_no_outputs():
    for assignment in all_assignments():
        nb = nbformat.read(assignment.release_dir / assignment.notebook_name, as_version=4)
        executed = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.outputs]
        assert not executed, f"{assignment.name}: cells {executed} have stored outputs"


class _PageText(HTMLParser):
    """The text a reader sees outside math, code and scripts, and the scripts a page loads."""

    _SKIP = {"script", "style", "pre", "code", "textarea", "math", "svg"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []     # per open element: does it hide its text?
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._script: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        hidden = tag in self._SKIP or "math" in classes or (self.stack and self.stack[-1])
        if tag not in _VOID:
            self.stack.append(bool(hidden))
        if tag == "script":
            if attrs.get("src"):
                self.scripts.append("src:" + attrs["src"].split("?")[0])
            elif (attrs.get("type") or "text/javascript") in ("text/javascript", "module"):
                self._script = []

    def handle_endtag(self, tag):
        if tag in _VOID:
            return
        if self.stack:
            self.stack.pop()
        if tag == "script" and self._script is not None:
            body = "".join(self._script).strip()
            if body:
                self.scripts.append("inline:" + body)
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self._script.append(data)
        elif not (self.stack and self.stack[-1]):
            self.text.append(data)


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}
# TeX that escaped its math delimiters: a control word, a $$, or a \( \[ delimiter in plain text.
_RAW_TEX = re.compile(r"\$\$|\\(?:frac|sigma|sum|partial|delta|eta|mathbf|left|right|cdot|"
                      r"sqrt|alpha|beta|theta|lambda|odot|top|quad|text|mathrm|hat|bar)\b|"
                      r"\\[(\[]")


def _parsed(page: Path) -> _PageText:
    parser = _PageText()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def test_no_raw_tex_outside_math(site):
    """Every formula is inside MathJax's delimiters: no TeX leaks into the running text."""
    offenders = []
    for page in reader_pages(site):
        text = " ".join(_parsed(page).text)
        for m in _RAW_TEX.finditer(text):
            offenders.append(f"{page.relative_to(site)}: …{text[max(0, m.start() - 60):m.end() + 40]!r}…")
    assert not offenders, "raw TeX in the text of pages:\n" + "\n".join(offenders[:15])


def test_no_script_is_included_twice(site):
    """A script loaded or declared twice breaks the page (e.g. 'identifier already declared')."""
    offenders = []
    for page in reader_pages(site):
        scripts = _parsed(page).scripts
        twice = {s for s in scripts if scripts.count(s) > 1}
        offenders += [f"{page.relative_to(site)}: {s[:100]!r}" for s in sorted(twice)]
    assert not offenders, "scripts included twice:\n" + "\n".join(offenders[:15])


def test_raw_tex_check_catches_text_after_display_math(tmp_path):
    """The check above would have caught a2's Part 3: text after a closing $$ on its line."""
    page = tmp_path / "p.html"
    page.write_text('<p><span class="math">\\(x\\)</span> uses \\sigma(x) = e^{x}</p>'
                    '<pre>\\frac{1}{2}</pre>', encoding="utf-8")
    assert _RAW_TEX.findall(" ".join(_parsed(page).text)) == ["\\sigma"]
