"""What the grading command writes: grades.csv and one feedback page per student."""

from __future__ import annotations

import csv
import html
from pathlib import Path

from autograder.course import Assignment
from autograder.sandbox import mode_name

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}}
table{{border-collapse:collapse}}td,th{{border:1px solid #bbb;padding:.3em .6em;text-align:left}}
.lost{{background:#fdecea}}.full{{background:#e9f7ef}}</style></head>
<body>{body}</body></html>
"""


def _fmt(points: float) -> str:
    return f"{points:g}"


def summary_html(assignment: Assignment, result) -> str:
    """The table at the top of every feedback page: each part, its points, and why any were lost."""
    parts = assignment.graded_parts()
    rows = []
    for part in parts:
        got = result.scores.get(part.grade_id, 0.0)
        why = result.lost.get(part.grade_id, "") if got < part.points else "passed"
        if result.reason:
            why = "not graded (see above)"
        cls = "full" if got >= part.points else "lost"
        rows.append(f'<tr class="{cls}"><td>{html.escape(part.grade_id)}</td>'
                    f"<td>{_fmt(got)} / {_fmt(part.points)}</td><td>{html.escape(why)}</td></tr>")
    head = (f"<h1>{html.escape(assignment.name)}: feedback for {html.escape(result.student)}</h1>"
            f"<p><strong>Score: {_fmt(result.total)} / {_fmt(assignment.max_score)}</strong></p>")
    if result.reason:
        head += ("<p><strong>Your submission could not be graded:</strong> "
                 f"{html.escape(result.reason)}</p>")
    if result.limits:
        head += ("<p><strong>Your code hit a limit:</strong> "
                 f"{html.escape(', '.join(result.limits))}. The part running at the time lost "
                 "its points.</p>")
    return (head + "<table><tr><th>part</th><th>points</th><th>why</th></tr>"
            + "".join(rows) + "</table>")


def write_feedback(assignment: Assignment, results, course, dest: Path) -> None:
    """One page per student: our summary, then nbgrader's annotated notebook when there is one."""
    dest.mkdir(parents=True, exist_ok=True)
    for result in results:
        summary = summary_html(assignment, result)
        nbgrader_page = course.feedback_page(result.student)
        page = dest / f"{result.student}.html"
        if not result.reason and nbgrader_page.is_file():
            original = nbgrader_page.read_text(encoding="utf-8")
            marker = original.find("<body")
            insert_at = original.find(">", marker) + 1 if marker >= 0 else 0
            banner = f'<div style="padding:1em 2em;border-bottom:2px solid #888">{summary}</div>'
            page.write_text(original[:insert_at] + banner + original[insert_at:],
                            encoding="utf-8")
        else:
            page.write_text(_PAGE.format(title=f"{assignment.name} feedback", body=summary),
                            encoding="utf-8")


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


def _figure_png(fig) -> str:
    import base64
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode()


def write_class_summary(assignment: Assignment, results, path: Path, sandbox: bool) -> None:
    """summary.html: the distribution of scores, per part and in total, and every problem."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    parts = assignment.graded_parts()
    graded = [r for r in results if r.status == "graded"]
    n = len(results)
    cols = min(4, len(parts) + 1)
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
            "<h2>Parts</h2><table><tr><th>part</th><th>points</th><th>full marks</th></tr>"
            f"{table}</table>"
            "<h2>Submissions that hit a limit or could not be graded</h2>"
            "<table><tr><th>student</th><th>status</th><th>limits hit</th><th>reason</th></tr>"
            f"{problem_rows}</table>")
    path.write_text(_PAGE.format(title=f"{assignment.name} class summary", body=body),
                    encoding="utf-8")
