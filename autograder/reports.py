"""What the grading command writes: grades.csv and one feedback page per student."""

from __future__ import annotations

import csv
import html
from pathlib import Path

from autograder.course import Assignment

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
                         *[p.grade_id for p in parts], "reason"])
        for r in results:
            reason = r.reason or "; ".join(f"{gid}: {why}" for gid, why in r.lost.items())
            writer.writerow([r.student, r.status, _fmt(r.total), _fmt(assignment.max_score),
                             *[_fmt(r.scores.get(p.grade_id, 0.0)) for p in parts], reason])
