"""What a grading run writes besides the scores: feedback and summary pages, LMS files, gradebook.

One sample class of a3 (complete, partial, untouched; `python -m autograder samples`) is graded
once with `--lms canvas`; the tests read what it wrote:

- the feedback and summary pages parse as HTML, load no script from another host, load the
  bundled MathJax that the run copied beside them, show TeX only inside MathJax's delimiters,
  have a viewport for phones and a table of parts with separate columns and a hint per lost part;
- the Canvas file is read as Canvas's gradebook import reads it, and the Moodle file as
  Moodle's "Import grades from CSV" does, and both carry grades.csv's totals;
- `nbgrader export` on the run's gradebook gives grades.csv's totals.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from autograder.course import REPO_ROOT, get_assignment
from autograder.grading import StudentResult
from autograder.reports import common_mistakes, lms_rows, mistake
from tests.harness import read_grades, run_grader

ASSIGNMENT = "a3"


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("reports")
    subprocess.run([sys.executable, "-m", "autograder", "samples", ASSIGNMENT,
                    str(work / "subs")], cwd=REPO_ROOT, check=True, capture_output=True)
    run_grader(ASSIGNMENT, work / "subs", work / "out", "--lms", "canvas")
    return work / "out"


class _Page(HTMLParser):
    """Scripts, table headers, meta tags and the text a reader sees (not code, not scripts)."""

    SKIP = {"script", "style", "pre", "code", "textarea"}

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.metas: list[dict] = []
        self.headers: list[list[str]] = []
        self.text: list[str] = []
        self._skip = 0
        self._in_th = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts.append(attrs.get("src") or "")
        if tag == "meta":
            self.metas.append(attrs)
        if tag == "thead":
            self.headers.append([])
        if tag == "th":
            self._in_th = True
            if self.headers:
                self.headers[-1].append("")
        if tag in self.SKIP:
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self._skip -= 1
        if tag == "th":
            self._in_th = False

    def handle_data(self, data):
        if self._in_th and self.headers:
            self.headers[-1][-1] += data
        if not self._skip:
            self.text.append(data)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


_MATH = re.compile(r"\$\$.*?\$\$|\$[^$]+\$|\\\(.*?\\\)|\\\[.*?\\\]", re.S)


def _pages(out: Path) -> list[Path]:
    return sorted((out / "feedback").glob("*.html")) + [out / "summary.html"]


def test_pages_load_nothing_remote_and_the_bundled_mathjax(graded):
    for path in _pages(graded):
        page = _parse(path)
        remote = [s for s in page.scripts if re.match(r"(https?:)?//", s)]
        assert not remote, f"{path.name} loads scripts from another host: {remote}"
        assert any(m.get("name") == "viewport" for m in page.metas), f"{path.name}: no viewport"
        for src in filter(None, page.scripts):
            assert (path.parent / src).is_file(), f"{path.name} loads {src}, which is missing"
    feedback = _parse(graded / "feedback" / "complete.html")
    assert "mathjax/tex-chtml-full.js" in feedback.scripts
    assert (graded / "feedback" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()


def test_tex_only_inside_math_delimiters(graded):
    checked = 0
    for path in _pages(graded):
        text = "".join(_parse(path).text)
        checked += len(_MATH.findall(text))
        outside = re.findall(r"\\(?:frac|partial|sum|mathbf|cdot|sigma|delta|odot|top)\b",
                             _MATH.sub("", text))
        assert not outside, f"{path.name}: TeX outside $...$: {outside[:5]}"
    assert checked, "no formula at all on the feedback pages: the check checks nothing"


def test_feedback_table_has_columns_and_hints(graded):
    a = get_assignment(ASSIGNMENT)
    rows = read_grades(graded / "grades.csv")
    partial = rows["partial"]
    page = _parse(graded / "feedback" / "partial.html")
    assert page.headers[0] == ["part", "points", "result", "what to look at"]
    html = (graded / "feedback" / "partial.html").read_text(encoding="utf-8")
    lost = [p.grade_id for p in a.graded_parts() if float(partial[p.grade_id]) < p.points]
    assert lost, "the partial sample lost nothing: nothing to check"
    for gid in lost:
        row = re.search(rf'<tr class="lost"><td><code>{gid}</code></td>.*?</tr>', html, re.S)
        assert row, f"no row for lost part {gid}"
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)
        assert len(cells) == 4 and cells[3].strip(), f"{gid}: no hint in {cells}"


def test_summary_reports_mistakes_time_mode_and_version(graded):
    from autograder import __version__

    text = (graded / "summary.html").read_text(encoding="utf-8")
    assert "Common mistakes, per part" in text
    assert "not implemented" in text        # the untouched sample's mistake, counted
    assert f"version {__version__}" in text and "bubblewrap sandbox" in text
    assert re.search(r'<td class="num">\d+\.\d</td>', text), "no per-student time"
    assert "max-width:100%" in text         # the figure grid is scaled to the page


def test_mistake_categories():
    transposed = ("GradientCheckError: Gradient check failed for 'w' (wrong shape).\n"
                  "  hint: your gradient is the transpose of the right one: check the order")
    assert mistake(transposed) == ("transposed", "your gradient is the transpose of the right "
                                   "one: check the order")
    assert mistake("AssertionError: sigmoid_backward called sigmoid_forward: ...")[0] == \
        "finite differences instead of the chain rule"
    assert mistake("time limit: the code ran longer than the per-cell limit")[0] == "time limit"
    assert mistake("it has an extra batch axis: a bias gets the SUM")[0] == \
        "bias not summed over the batch"
    a = get_assignment(ASSIGNMENT)
    gid = a.graded_parts()[0].grade_id
    results = [StudentResult(name, "graded", {gid: 0.0}, lost={gid: why})
               for name, why in [("ann", transposed), ("bob", transposed),
                                 ("cy", "time limit: the code ran longer")]]
    assert common_mistakes(a, results)[gid] == [("transposed", 2, "ann"),
                                                ("time limit", 1, "cy")]


def _results(out: Path) -> list[StudentResult]:
    rows = read_grades(out / "grades.csv")
    a = get_assignment(ASSIGNMENT)
    return [StudentResult(r["student_id"], r["status"],
                          {p.grade_id: float(r[p.grade_id]) for p in a.graded_parts()})
            for r in rows.values()]


def test_canvas_file_imports_as_canvas_reads_it(graded):
    """Canvas's Gradebook import: a header with Student, ID, SIS User ID, SIS Login ID,
    Section and the assignment columns; a 'Points Possible' row (skipped as a student, read as
    the points); students matched by ID, else SIS User ID, else SIS Login ID."""
    rows = read_grades(graded / "grades.csv")
    with (graded / "grades-canvas.csv").open(newline="", encoding="utf-8") as fh:
        table = list(csv.reader(fh))
    header, body = table[0], table[1:]
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assignments = header[5:]
    assert assignments == [ASSIGNMENT]
    points = [r for r in body if r[0].strip() == "Points Possible"]
    assert len(points) == 1 and float(points[0][5]) == get_assignment(ASSIGNMENT).max_score
    students = {}
    for r in body:
        if r[0].strip() == "Points Possible":
            continue
        key = r[1] or r[2] or r[3]
        assert key, f"a row Canvas cannot match to a student: {r}"
        students[key] = float(r[5])
    assert students == {s: float(row["score"]) for s, row in rows.items()}


def test_moodle_file_imports_as_moodle_reads_it(graded, tmp_path):
    """Moodle's Import grades from CSV: a header row names the columns; one identifier column
    is mapped to a user field (here username), one column to the grade item, grades numeric,
    identifiers unique."""
    rows = read_grades(graded / "grades.csv")
    header, body = lms_rows(get_assignment(ASSIGNMENT), _results(graded), "moodle")
    path = tmp_path / "moodle.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *body])
    with path.open(newline="", encoding="utf-8") as fh:
        records = list(csv.DictReader(fh))
    assert list(records[0]) == ["Username", ASSIGNMENT, f"{ASSIGNMENT} feedback"]
    users = [r["Username"] for r in records]
    assert len(users) == len(set(users)) and all(users)
    assert {r["Username"]: float(r[ASSIGNMENT]) for r in records} == \
        {s: float(row["score"]) for s, row in rows.items()}


def test_nbgrader_export_gives_the_same_totals(graded, tmp_path):
    db = graded / "nbgrader" / "gradebook.db"
    export = tmp_path / "export.csv"
    proc = subprocess.run([str(Path(sys.executable).parent / "nbgrader"), "export",
                           f"--CourseDirectory.root={graded / 'nbgrader'}",
                           f"--CourseDirectory.db_url=sqlite:///{db}",
                           f"--ExportPlugin.to={export}"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    with export.open(newline="", encoding="utf-8") as fh:
        exported = {r["student_id"]: float(r["score"]) for r in csv.DictReader(fh)}
    rows = read_grades(graded / "grades.csv")
    graded_rows = {s: float(r["score"]) for s, r in rows.items() if r["status"] == "graded"}
    assert graded_rows, "no graded student to compare"
    assert {s: exported.get(s) for s in graded_rows} == graded_rows
