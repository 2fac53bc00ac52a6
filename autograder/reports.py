"""What the grading command writes: grades.csv and one feedback page per student."""

from __future__ import annotations

import csv
import html
from pathlib import Path

from autograder.course import Assignment
from autograder.sandbox import mode_name

_VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'
# Scoped to .bbh, so that it holds inside nbgrader's page (whose own CSS squeezes tables).
_CSS = """<style>
.bbh{font-family:system-ui,sans-serif;line-height:1.45;max-width:60em;margin:0 auto;
 padding:1em;box-sizing:border-box}
.bbh .scroll{overflow-x:auto;max-width:100%}
.bbh table{border-collapse:collapse;margin:.5em 0;min-width:20em}
.bbh th,.bbh td{border:1px solid #bbb;padding:.35em .7em;text-align:left;vertical-align:top}
.bbh th{background:#f0f0f0}
.bbh td.num{text-align:right;white-space:nowrap}
.bbh .lost{background:#fdecea}.bbh .full{background:#e9f7ef}
.bbh img{max-width:100%;height:auto}
.bbh code,.bbh .why{overflow-wrap:anywhere}
@media (max-width:40em){.bbh{padding:.5em}.bbh th,.bbh td{padding:.3em .4em}}
</style>"""

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">{viewport}<title>{title}</title>{css}</head>
<body><div class="bbh">{body}</div></body></html>
"""


def _page(title: str, body: str) -> str:
    return _PAGE.format(viewport=_VIEWPORT, title=html.escape(title), css=_CSS, body=body)


def _fmt(points: float) -> str:
    return f"{points:g}"


# The checker's hint categories (gradcheck._diagnose), the hidden tests' properties and the
# grader's limits: (category, what to look at, pattern in the reason), first match wins.
MISTAKES: list[tuple[str, str, str]] = [
    ("time limit", "a cell ran longer than the time limit: look for a slow loop, or a "
     "gradient estimated numerically", r"time limit"),
    ("memory limit", "the code used more memory than allowed", r"memory limit"),
    ("other limit", "the code hit a process, disk or output limit", r"process limit|disk "
     r"limit|output limit|CPU-time limit"),
    ("not implemented", "replace the raise NotImplementedError() line under YOUR CODE HERE "
     "with your code",
     r"NotImplementedError|not implemented"),
    ("transposed", "the gradient is the transpose of the right one: check the order of a "
     "matrix product", r"transpose"),
    ("bias not summed over the batch", "a parameter shared by every example gets the SUM of "
     "the per-example gradients (db = dout.sum(axis=0))", r"extra batch axis|summed over the "
     r"batch|keeps the batch axis"),
    ("finite differences instead of the chain rule", "the backward pass calls the forward "
     "pass or is only close to the exact gradient: derive it with the chain rule",
     r"called \w+_forward|called \w+:|finite difference"),
    ("wrong shape", "a gradient has exactly the shape of its variable", r"wrong shape|has "
     r"shape|expected shape|shapes? \(|broadcast"),
    ("wrong sign", "check a subtraction or the loss's sign", r"wrong sign"),
    ("constant factor", "a missing 1/N, a factor 2 from a square, or a slope",
     r"constant factor"),
    ("special case", "a tie, a boundary, a kink at zero or an edge of the array",
     r"special case|ties?\b|kink"),
    ("all zeros", "the backward pass returns zeros: is it implemented and returned?",
     r"all zeros"),
    ("modifies its input", "a function changed an array it was given", r"must not "
     r"modif|modified its input|must not change"),
    ("not finite (overflow)", "subtract the maximum before exp, or use a stable formula",
     r"not finite|overflow|\bnan\b|\binf\b"),
    ("name not defined", "a name used but defined in no cell: Restart & Run All",
     r"NameError"),
    ("a chain-rule term is wrong", "local gradient times upstream gradient: check each "
     "activation's derivative", r"activation's derivative"),
    ("wrong values", "compare with the chain rule term by term", r"AssertionError|"
     r"GradientCheckError|wrong|not exactly|expected"),
]


def mistake(reason: str) -> tuple[str, str]:
    """(category, hint) for a reason why a part lost its points."""
    import re

    hint = re.search(r"hint: (.*?)(?:$|\n)", reason)
    # Close to the exact gradient but not exact: the signature of a numeric estimate.
    error = re.search(r"(?:off by a relative|is) (\d(?:\.\d+)?e-\d+)(?: away)? from the exact",
                      reason)
    if error and float(error.group(1)) < 1e-5:
        return ("finite differences instead of the chain rule",
                "the result is close to the exact gradient but not exact, as a numeric "
                "estimate is: derive the gradient with the chain rule")
    for category, advice, pattern in MISTAKES:
        if re.search(pattern, reason, re.IGNORECASE):
            return category, hint.group(1).strip() if hint else advice
    kind = reason.split(":", 1)[0].strip() or "error"
    if re.fullmatch(r"[A-Za-z]+(Error|Exception)", kind):
        return f"{kind} in the student's code", "the code raised an error: see the output"
    return "other", hint.group(1).strip() if hint else "see the reason"


def summary_html(assignment: Assignment, result) -> str:
    """The head of every feedback page: each part, its points, the result and what to look at."""
    rows = []
    for part in assignment.graded_parts():
        got = result.scores.get(part.grade_id, 0.0)
        if result.reason:
            why, hint = "not graded (see above)", ""
        elif got >= part.points:
            why, hint = "passed", ""
        else:
            why = result.lost.get(part.grade_id, "") or "failed"
            hint = mistake(why)[1]
        cls = "full" if got >= part.points else "lost"
        rows.append(f'<tr class="{cls}"><td><code>{html.escape(part.grade_id)}</code></td>'
                    f'<td class="num">{_fmt(got)} / {_fmt(part.points)}</td>'
                    f'<td class="why">{html.escape(why)}</td>'
                    f'<td class="why">{html.escape(hint)}</td></tr>')
    head = (f"<h1>{html.escape(assignment.name)}: feedback for {html.escape(result.student)}</h1>"
            f"<p><strong>Score: {_fmt(result.total)} / {_fmt(assignment.max_score)}</strong></p>")
    if result.reason:
        head += ("<p><strong>Your submission could not be graded:</strong> "
                 f"{html.escape(result.reason)}</p>")
    if result.limits:
        head += ("<p><strong>Your code hit a limit:</strong> "
                 f"{html.escape(', '.join(result.limits))}. The part running at the time lost "
                 "its points.</p>")
    return (head + '<div class="scroll"><table class="parts"><thead><tr><th scope="col">part'
            '</th><th scope="col">points</th><th scope="col">result</th><th scope="col">what '
            "to look at</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>")


# MathJax 3 from the sphinx-mathjax-offline package (the book's): its full TeX component and
# the CommonHTML fonts, copied beside the feedback pages, so formulas render offline.
_MATHJAX_CONFIG = ("<script>window.MathJax={tex:{inlineMath:[['$','$'],['\\\\(','\\\\)']],"
                   "displayMath:[['$$','$$'],['\\\\[','\\\\]']],processEscapes:true},"
                   "options:{ignoreHtmlClass:'tex2jax_ignore',processHtmlClass:'tex2jax_process'}};"
                   "</script>")


def mathjax_source() -> Path | None:
    """The bundled MathJax folder of the environment, or None when it is not installed."""
    import importlib.util

    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0]) / "static" / "mathjax"
    return folder if (folder / "tex-chtml-full.js").is_file() else None


def copy_mathjax(dest: Path) -> bool:
    """Copy MathJax's TeX component and fonts to dest/mathjax; False when not installed."""
    import shutil

    source = mathjax_source()
    if source is None:
        return False
    target = dest / "mathjax"
    try:
        (target / "output" / "chtml" / "fonts").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / "tex-chtml-full.js", target / "tex-chtml-full.js")
        fonts = source / "output" / "chtml" / "fonts" / "woff-v2"
        shutil.copytree(fonts, target / "output" / "chtml" / "fonts" / "woff-v2",
                        dirs_exist_ok=True)
    except OSError:   # an environment this user cannot read: pages without typeset math
        return False
    return True


def feedback_page(nbgrader_html: str | None, summary: str, title: str,
                  mathjax: str | None) -> str:
    """A student's feedback page: our summary, then nbgrader's annotated notebook if any.

    Pure: `mathjax` is the (relative) URL of MathJax's tex-chtml-full.js, or None for no math.
    nbgrader's page loads MathJax 2 from a CDN: that script and its configuration are replaced
    by the local MathJax 3, and the page gets a viewport for phones.
    """
    import re

    if nbgrader_html is None:
        return _page(title, summary)
    page = nbgrader_html
    page = re.sub(r"<script[^>]*>\s*MathJax\.Hub\.Config\(.*?</script>", "", page, flags=re.S)
    page = re.sub(r"<script[^>]*(?:src|href)=[\"']https?://[^\"']*[^>]*>\s*</script>", "",
                  page)
    page = re.sub(r"<script[^>]*>[^<]*(?:init_mathjax|mathjax)[^<]*</script>", "", page,
                  flags=re.I)
    local = (_MATHJAX_CONFIG + f'<script defer src="{html.escape(mathjax)}"></script>'
             if mathjax else "")
    head_end = page.find("</head>")
    extra = _VIEWPORT + _CSS + local
    page = page[:head_end] + extra + page[head_end:] if head_end >= 0 else extra + page
    marker = page.find("<body")
    insert_at = page.find(">", marker) + 1 if marker >= 0 else 0
    banner = f'<div class="bbh" style="border-bottom:2px solid #888">{summary}</div>'
    return page[:insert_at] + banner + page[insert_at:]


def write_feedback(assignment: Assignment, results, course, dest: Path,
                   with_mathjax: bool = True) -> None:
    """One page per student: our summary, then nbgrader's annotated notebook when there is one.

    The pages load MathJax from dest/mathjax, which is copied there unless `with_mathjax` is
    False (a Dask worker renders one page at a time; the coordinator copies MathJax once).
    """
    dest.mkdir(parents=True, exist_ok=True)
    available = copy_mathjax(dest) if with_mathjax else mathjax_source() is not None
    mathjax = "mathjax/tex-chtml-full.js" if available else None
    for result in results:
        summary = summary_html(assignment, result)
        nbgrader_page = course.feedback_page(result.student)
        original = (nbgrader_page.read_text(encoding="utf-8")
                    if not result.reason and nbgrader_page.is_file() else None)
        page = feedback_page(original, summary, f"{assignment.name} feedback", mathjax)
        (dest / f"{result.student}.html").write_text(page, encoding="utf-8")


def write_grades_csv(assignment: Assignment, results, path: Path) -> None:
    """grades.csv: student_id, status, score, max_score, one column per part, reason."""
    parts = assignment.graded_parts()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student_id", "status", "score", "max_score",
                         *[p.grade_id for p in parts], "limits", "reason"])
        for r in results:
            reason = r.reason or "; ".join(f"{gid}: {why}" for gid, why in r.lost.items())
            writer.writerow([r.student, r.status, _fmt(r.total), _fmt(assignment.max_score),
                             *[_fmt(r.scores.get(p.grade_id, 0.0)) for p in parts],
                             "; ".join(r.limits), " ".join(reason.split())])


def results_data(assignment: Assignment, results) -> dict:
    """Everything grades.csv says and more, as plain data: per part the points, why any were
    lost, and the verdict of the visible tests alone (what the student's `check` reports)."""
    from autograder import __version__

    return {"assignment": assignment.name, "max_score": assignment.max_score,
            "grader_version": __version__,
            "parts": [{"grade_id": p.grade_id, "points": p.points}
                      for p in assignment.graded_parts()],
            "students": [{"student": r.student, "status": r.status, "score": r.total,
                          "scores": r.scores, "lost": r.lost, "reason": r.reason,
                          "limits": r.limits, "seconds": round(r.seconds, 2),
                          "visible": getattr(r, "visible", {})} for r in results]}


def write_results_json(assignment: Assignment, results, path: Path) -> None:
    """results.json: results_data, for scripts and for the test that compares `check`."""
    import json

    path.write_text(json.dumps(results_data(assignment, results), indent=1), encoding="utf-8")


def _figure_png(fig) -> str:
    import base64
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode()


def common_mistakes(assignment: Assignment, results) -> dict[str, list[tuple[str, int, str]]]:
    """Per part: (mistake category, number of students, one example student), most common
    first. Pure: a function of the results, so it can run wherever they are."""
    from collections import Counter

    table: dict[str, list[tuple[str, int, str]]] = {}
    for part in assignment.graded_parts():
        counts: Counter[str] = Counter()
        example: dict[str, str] = {}
        for r in results:
            if r.status != "graded" or r.scores.get(part.grade_id, 0.0) >= part.points:
                continue
            category = mistake(r.lost.get(part.grade_id, ""))[0]
            counts[category] += 1
            example.setdefault(category, r.student)
        table[part.grade_id] = [(c, n, example[c]) for c, n in
                                sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    return table


def mistakes_html(assignment: Assignment, results) -> str:
    rows = []
    for gid, found in common_mistakes(assignment, results).items():
        for index, (category, count, student) in enumerate(found):
            part = (f'<td rowspan="{len(found)}"><code>{html.escape(gid)}</code></td>'
                    if index == 0 else "")
            rows.append(f"<tr>{part}<td>{html.escape(category)}</td>"
                        f'<td class="num">{count}</td><td>{html.escape(student)}</td></tr>')
    if not rows:
        rows = ['<tr><td colspan="4">no part lost points</td></tr>']
    return ('<div class="scroll"><table class="mistakes"><thead><tr><th scope="col">part</th>'
            '<th scope="col">mistake</th><th scope="col">students</th><th scope="col">for '
            "example</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>")


def _students_html(assignment: Assignment, results) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(r.student)}</td><td>{html.escape(r.status)}</td>"
        f'<td class="num">{_fmt(r.total)} / {_fmt(assignment.max_score)}</td>'
        f'<td class="num">{r.seconds:.1f}</td><td>{html.escape(", ".join(r.limits))}</td>'
        f'<td class="why">{html.escape(r.reason)}</td></tr>' for r in results)
    return ('<div class="scroll"><table class="students"><thead><tr><th scope="col">student'
            '</th><th scope="col">status</th><th scope="col">score</th><th scope="col">seconds'
            '</th><th scope="col">limits hit</th><th scope="col">not graded because</th></tr>'
            f"</thead><tbody>{rows}</tbody></table></div>")


def pyplot():
    """matplotlib.pyplot on the Agg backend (no screen). The grading command calls it early, in
    a thread of its own, so the library loads while the class is graded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write_class_summary(assignment: Assignment, results, path: Path, sandbox: bool,
                        limits=None) -> None:
    """summary.html: the distribution of scores, per part and in total, and every problem."""
    from matplotlib.ticker import MaxNLocator

    plt = pyplot()

    parts = assignment.graded_parts()
    graded = [r for r in results if r.status == "graded"]
    n = len(results)
    cols = min(3, len(parts) + 1)
    rows = -(-(len(parts) + 1) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
    totals = [r.total for r in results]
    ax = axes[0][0]
    ax.hist(totals, bins=min(20, max(5, int(assignment.max_score) + 1)),
            range=(0, assignment.max_score), color="#4472c4")
    ax.set_title(f"total (max {_fmt(assignment.max_score)})")
    ax.set_xlabel("points")
    ax.set_ylabel("students")
    for i, part in enumerate(parts, start=1):
        ax = axes[i // cols][i % cols]
        full = sum(1 for r in results if r.scores.get(part.grade_id, 0) >= part.points)
        ax.bar(["full", "zero"], [full, n - full], color=["#70ad47", "#c00000"])
        ax.set_title(f"{part.grade_id} ({_fmt(part.points)} pt)", fontsize=9)
    for j in range(len(parts) + 1, rows * cols):
        axes[j // cols][j % cols].axis("off")
    for ax in axes.flat:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))   # students come whole
    fig.tight_layout()
    image = _figure_png(fig)
    plt.close(fig)

    mean = sum(totals) / n if n else 0.0
    table = "".join(
        f"<tr><td>{html.escape(p.grade_id)}</td><td>{_fmt(p.points)}</td>"
        f"<td>{sum(1 for r in results if r.scores.get(p.grade_id, 0) >= p.points)} / {n}</td></tr>"
        for p in parts)
    problems = [r for r in results if r.status != "graded" or r.limits]
    problem_rows = "".join(
        f"<tr><td>{html.escape(r.student)}</td><td>{html.escape(r.status)}</td>"
        f"<td>{html.escape(', '.join(r.limits))}</td><td>{html.escape(r.reason)}</td></tr>"
        for r in problems) or '<tr><td colspan="4">none</td></tr>'
    mode = (f"Student code ran in a {mode_name(sandbox)} (own user, PID, network and mount "
            "namespaces, read-only system, a small private /tmp) under resource limits"
            if sandbox else
            f"WARNING: student code ran with {mode_name(sandbox)}: resource limits only, "
            "with the grader's user, file system and network")
    body = (f"<h1>{html.escape(assignment.name)}: class summary</h1>"
            f"<p>{n} submissions, {len(graded)} graded, mean score {mean:.2f} / "
            f"{_fmt(assignment.max_score)}.</p>"
            f"<p><strong>Mode:</strong> {html.escape(mode)}.</p>"
            f'<img alt="score distributions" src="data:image/png;base64,{image}">'
            '<h2>Parts</h2><div class="scroll"><table><thead><tr><th scope="col">part</th>'
            '<th scope="col">points</th><th scope="col">full marks</th></tr></thead><tbody>'
            f"{table}</tbody></table></div>"
            "<h2>Submissions that hit a limit or could not be graded</h2>"
            '<div class="scroll"><table><thead><tr><th scope="col">student</th><th scope="col">'
            'status</th><th scope="col">limits hit</th><th scope="col">reason</th></tr></thead>'
            f"<tbody>{problem_rows}</tbody></table></div>")
    from autograder import __version__

    settings = ""
    if limits is not None:
        settings = (f" Limits: {limits.cell_timeout:g} s per cell, {limits.notebook_timeout:g} s "
                    f"per notebook, {limits.memory_mb} MB of memory, {limits.max_processes} "
                    f"processes, {limits.disk_mb} MB of disk, {limits.output_kb} KB of output "
                    "per cell.")
    body += (f"<p>Graded by the Backprop by Hand autograder, version {html.escape(__version__)}."
             f"{html.escape(settings)}</p>"
             "<h2>Common mistakes, per part</h2>"
             "<p>Why students lost each part, grouped by the gradient checker's hints and the "
             "tests' messages, with one student to look at for each.</p>"
             + mistakes_html(assignment, results)
             + "<h2>Every student</h2>" + _students_html(assignment, results))
    path.write_text(_page(f"{assignment.name} class summary", body), encoding="utf-8")


# ------------------------------------------------------------------------------ LMS files

LMS_FORMATS = ("canvas", "moodle")


def lms_rows(assignment: Assignment, results, lms: str,
             column: str | None = None) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of a grades file in `lms`'s gradebook-import CSV format.

    canvas: the Gradebook export/import layout: Student, ID, SIS User ID, SIS Login ID,
        Section, then one column per assignment, headed "Name (assignment id)" for an existing
        Canvas assignment (`column`, e.g. "Assignment 2 (4567)") or just a name (Canvas then
        creates the assignment), and a first data row "Points Possible" that Canvas reads as
        the assignment's points. The student id goes to SIS Login ID, or to ID when numeric
        (Canvas user ids are).
    moodle: Grades > Import > CSV file: a header row, one identifier column ("Username",
        mapped to the user field "username" at import) and one grade column named after the
        grade item (`column` or the assignment name), plus a feedback column.
    """
    title = column or f"{assignment.name}"
    if lms == "canvas":
        header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", title]
        rows = [["    Points Possible", "", "", "", "", _fmt(assignment.max_score)]]
        for r in results:
            numeric = r.student.isdigit()
            rows.append(["", r.student if numeric else "", "", "" if numeric else r.student,
                         "", _fmt(r.total)])
        return header, rows
    if lms == "moodle":
        header = ["Username", title, f"{title} feedback"]
        rows = []
        for r in results:
            why = r.reason or "; ".join(f"{gid}: {mistake(w)[0]}" for gid, w in r.lost.items())
            rows.append([r.student, _fmt(r.total),
                         f"{_fmt(r.total)} / {_fmt(assignment.max_score)}"
                         + (f". Lost: {why}" if why else "")])
        return header, rows
    raise ValueError(f"unknown LMS {lms!r}: choose one of {', '.join(LMS_FORMATS)}")


def write_lms_grades(assignment: Assignment, results, path: Path, lms: str,
                     column: str | None = None) -> None:
    """Write lms_rows as UTF-8 CSV (comma separated, RFC 4180 quoting)."""
    header, rows = lms_rows(assignment, results, lms, column)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
