"""Command line: ``python -m autograder grade|release``.

    python -m autograder grade a1 submissions/ --out graded-a1/
    python -m autograder grade a1 submissions/ --out graded-a1/ --scheduler tcp://host:8786
    python -m autograder grade a1 submissions/ --out graded-a1/ --resume   # only what changed
    python -m autograder release a1          # regenerate exercises/a1 from solutions/a1
    python -m autograder release --all
    python -m autograder release --check     # exit 1 if exercises/ is out of date
    python -m autograder samples a1 DIR      # three sample submissions to try the grader on
    python -m autograder check exercises/a1/a1.ipynb   # a student's check before submitting
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from autograder.cluster import ClusterError
from autograder.course import CourseError, all_assignments, get_assignment
from autograder.grading import GRADED, GradingOptions, ResumeError, RunStats, grade_class
from autograder.intake import DEFAULT_ZIP_PATTERN, unpack_zip
from autograder.release import build_release, release_differences
from autograder.sandbox import Limits, SandboxUnavailable, check_sandbox, mode_name


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def cmd_grade(args: argparse.Namespace) -> int:
    assignment = get_assignment(args.assignment)
    submissions: Path = args.submissions
    is_zip = submissions.is_file() and submissions.suffix.lower() == ".zip"
    if not submissions.is_dir() and not is_zip:
        return _fail(f"{submissions} is neither a folder of submissions (one sub-folder per "
                     f"student, each holding {assignment.notebook_name}) nor an LMS .zip")
    if args.scheduler and args.jobs:
        return _fail("--workers sets the size of the local cluster; with --scheduler the "
                     "cluster's own workers grade (start more with `dask worker`)")
    if args.jobs < 0:
        return _fail(f"--workers must be 0 (one per core) or more, not {args.jobs}")
    if args.no_sandbox:
        print("warning: --no-sandbox: student code runs with resource limits only, as your "
              "user, with your files and the network", file=sys.stderr)
    elif not args.scheduler:   # on a cluster, every worker checks its own sandbox
        try:
            check_sandbox()
        except SandboxUnavailable as exc:
            return _fail(f"refusing to run student code: {exc}")
    out: Path = args.out
    if args.resume and args.force:
        return _fail("--resume keeps the results in the output folder and --force deletes "
                     "them: pass one of the two")
    if out.exists() and not out.is_dir():
        return _fail(f"output folder {out} is a file: name a folder (new, or one an earlier "
                     "run wrote, with --resume)")
    if args.resume:
        if not out.is_dir():
            return _fail(f"--resume: output folder {out} does not exist: nothing to resume, "
                         "run without --resume")
    elif out.exists() and any(out.iterdir()):
        if not args.force:
            return _fail(f"output folder {out} is not empty: choose another, pass --resume to "
                         "re-use its results for unchanged notebooks, or --force to replace "
                         "its contents")
        shutil.rmtree(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        return _fail(f"cannot write to the output folder {out}: {exc.strerror or exc}")
    if is_zip:
        unpacked = out / "unpacked"
        if unpacked.exists():
            shutil.rmtree(unpacked)
        try:
            notes = unpack_zip(submissions, unpacked, assignment, args.zip_pattern)
        except ValueError as exc:
            return _fail(str(exc))
        for note in notes:
            print(f"warning: {note}", file=sys.stderr)
        unpacked.mkdir(exist_ok=True)
        submissions = unpacked

    start = time.perf_counter()
    limits = Limits(cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout,
                    memory_mb=args.memory_mb, max_processes=args.max_processes,
                    disk_mb=args.disk_mb, output_kb=args.output_kb,
                    sandbox=not args.no_sandbox)
    options = GradingOptions(limits=limits, jobs=args.jobs, progress=not args.no_progress,
                             scheduler=args.scheduler, resume=args.resume,
                             connect_timeout=args.connect_timeout)
    stats = RunStats()
    try:
        results = grade_class(assignment, submissions, out, options, stats)
    except (ClusterError, ResumeError) as exc:
        return _fail(str(exc))
    except SandboxUnavailable as exc:
        return _fail(f"refusing to run student code: {exc}")
    elapsed = time.perf_counter() - start

    width = max([len(r.student) for r in results] + [7])
    print(f"\n{assignment.name}: {len(results)} submissions graded in {elapsed:.1f} s, "
          f"student code in: {mode_name(limits.sandbox)}")
    for r in results:
        line = f"  {r.student:<{width}}  {r.total:g} / {assignment.max_score:g}"
        if r.status != GRADED:
            line += f"  NOT GRADED: {r.reason}"
        elif r.lost:
            line += "  lost: " + ", ".join(r.lost)
        if r.limits:
            line += f"  [limit: {', '.join(r.limits)}]"
        if r.seconds:
            line += f"  ({r.seconds:.1f} s)"
        print(line)
    where = (f"the Dask cluster at {args.scheduler}" if args.scheduler
             else "a local Dask cluster")
    print(f"\n{stats.graded_here} graded on {where} ({stats.workers} workers, reached in "
          f"{stats.cluster_seconds:.1f} s, grading from {stats.ready_seconds:.1f} s), "
          f"{stats.reused} re-used from {out} (--resume); coordinator's own work: "
          f"{stats.serial_ms_per_submission:.1f} ms per submission (CPU)")
    if args.lms:
        from autograder.reports import write_lms_grades

        lms_file = out / f"grades-{args.lms}.csv"
        write_lms_grades(assignment, results, lms_file, args.lms, args.lms_column)
        print(f"\n{args.lms} gradebook import file: {lms_file} (see the README, \"Grades into "
              "Canvas or Moodle\")")
    print(f"\ngrades:    {out / 'grades.csv'}\nsummary:   {out / 'summary.html'}"
          f"\nfeedback:  {out / 'feedback'}/<student>.html"
          f"\ngradebook: {out / 'nbgrader' / 'gradebook.db'}")
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    if args.all or args.check:
        assignments = all_assignments()
    elif args.assignments:
        assignments = [get_assignment(name) for name in args.assignments]
    else:
        return _fail("name the assignments to release (e.g. a1), or pass --all")
    status = 0
    for assignment in assignments:
        if args.check:
            diffs = release_differences(assignment)
            if diffs:
                status = 1
                print(f"{assignment.name}: exercises/ is out of date: " + "; ".join(diffs))
            else:
                print(f"{assignment.name}: exercises/ is in sync with solutions/")
        else:
            dest = build_release(assignment, assignment.release_dir)
            print(f"{assignment.name}: released to {dest}")
    return status


def cmd_samples(args: argparse.Namespace) -> int:
    from autograder.samples import write_samples

    assignment = get_assignment(args.assignment)
    for path in write_samples(assignment.name, args.dest):
        print(f"wrote {path}")
    print(f"grade them with: python -m autograder grade {assignment.name} {args.dest} "
          f"--out {args.dest}-graded")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from autograder.precheck import CheckError, check_limits, format_report, run_check

    limits, mode = check_limits(sandbox=False if args.no_sandbox else None)
    try:
        report = run_check(args.notebook, args.assignment, limits=limits, mode=mode)
    except CheckError as exc:
        return _fail(str(exc))
    print(format_report(report))
    return 1 if report.failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder",
                                     description="Backprop by Hand's grading tools.")
    sub = parser.add_subparsers(dest="command", required=True)

    grade = sub.add_parser("grade", help="grade a folder of submissions",
                           description="Grade one folder per student; write grades.csv, "
                                       "feedback pages and the nbgrader gradebook under --out.")
    grade.add_argument("assignment", help="assignment name, e.g. a1")
    grade.add_argument("submissions", type=Path,
                       help="folder holding one sub-folder per student (named by student id), "
                            "or an LMS bulk-download .zip whose file names carry student ids")
    grade.add_argument("--out", type=Path, required=True, help="output folder")
    grade.add_argument("--force", action="store_true", help="replace a non-empty output folder")
    d = Limits()
    grade.add_argument("--cell-timeout", type=float, default=d.cell_timeout, metavar="S",
                       help=f"seconds one cell may run (default {d.cell_timeout:g})")
    grade.add_argument("--notebook-timeout", type=float, default=d.notebook_timeout, metavar="S",
                       help=f"seconds one notebook may run (default {d.notebook_timeout:g})")
    grade.add_argument("--memory-mb", type=int, default=d.memory_mb, metavar="MB",
                       help=f"memory of the student's process (default {d.memory_mb})")
    grade.add_argument("--max-processes", type=int, default=d.max_processes, metavar="N",
                       help=f"processes and threads it may run (default {d.max_processes})")
    grade.add_argument("--disk-mb", type=int, default=d.disk_mb, metavar="MB",
                       help=f"disk space it may write (default {d.disk_mb})")
    grade.add_argument("--output-kb", type=int, default=d.output_kb, metavar="KB",
                       help=f"output kept per cell (default {d.output_kb})")
    grade.add_argument("--zip-pattern", default=DEFAULT_ZIP_PATTERN, metavar="REGEX",
                       help="for an LMS .zip: how a file name carries the student id (a "
                            "regular expression with a (?P<student_id>...) group)")
    grade.add_argument("--workers", "--jobs", dest="jobs", type=int, default=0, metavar="N",
                       help="worker processes of the local Dask cluster, each grading one "
                            "submission at a time (default: one per core); not with --scheduler")
    grade.add_argument("--scheduler", metavar="tcp://HOST:8786",
                       help="grade on an existing Dask cluster (started with `dask scheduler` "
                            "and `dask worker`) instead of a local one")
    grade.add_argument("--connect-timeout", type=float, default=10.0, metavar="S",
                       help="seconds to wait for the --scheduler to answer (default 10)")
    grade.add_argument("--resume", action="store_true",
                       help="re-use the results already in --out for every submission whose "
                            "notebook is unchanged; grade only the others")
    grade.add_argument("--no-progress", action="store_true", help="no progress bar")
    grade.add_argument("--no-sandbox", action="store_true",
                       help="run student code WITHOUT the bubblewrap sandbox (resource limits "
                            "only, as your user, with your files and the network); without "
                            "this flag the command refuses to grade where the sandbox cannot "
                            "be set up")
    grade.add_argument("--lms", choices=["canvas", "moodle"],
                       help="also write grades-<lms>.csv in that LMS's gradebook-import format")
    grade.add_argument("--lms-column", metavar="TITLE",
                       help="the grade column's title in the LMS file: for Canvas the "
                            "assignment as its Gradebook export heads it, e.g. 'a2 (4567)'; "
                            "for Moodle the grade item's name (default: the assignment name)")
    grade.set_defaults(func=cmd_grade)

    release = sub.add_parser("release", help="regenerate exercises/ from solutions/")
    release.add_argument("assignments", nargs="*", help="assignment names, e.g. a1 a2")
    release.add_argument("--all", action="store_true", help="every assignment")
    release.add_argument("--check", action="store_true",
                         help="only compare exercises/ with a fresh release; exit 1 if they differ")
    release.set_defaults(func=cmd_release)

    samples = sub.add_parser("samples", help="write sample submissions to try the grader on",
                             description="Write DEST/complete, DEST/partial and DEST/untouched, "
                                         "each holding the assignment's notebook.")
    samples.add_argument("assignment", help="assignment name, e.g. a1")
    samples.add_argument("dest", type=Path, help="folder to write the student folders into")
    samples.set_defaults(func=cmd_samples)

    check = sub.add_parser("check", help="check your notebook before you submit it",
                           description="Run the notebook as the grader will (cells top to "
                                       "bottom, test cells restored, in the sandbox on Linux) "
                                       "with the visible tests only; print each part's "
                                       "verdict and what would cost points at grading. Exit "
                                       "status 1 when a visible test fails.")
    check.add_argument("notebook", type=Path, help="your notebook, e.g. exercises/a3/a3.ipynb")
    check.add_argument("--assignment", metavar="aN",
                       help="the assignment (default: found from the notebook's cells)")
    check.add_argument("--no-sandbox", action="store_true",
                       help="run your code without the bubblewrap sandbox")
    check.set_defaults(func=cmd_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CourseError as exc:
        return _fail(str(exc))


if __name__ == "__main__":
    sys.exit(main())
