"""Honest submissions: the reference solution written with the habits real students have.

Every variant is built from the assignment's reference solution (autograder.samples), so it
stays in sync with solutions/, and every one of them earns full marks in Jupyter: stock nbgrader
gives it full marks, and so must our grader (tests/test_differential.py checks both). The habits:
magics, display(), a matplotlib plot, print debugging, warnings, scratch cells added and moved
about, a leftover line that fails after the definitions, and the notebook file as JupyterLab 4,
Notebook 6 (nbformat 4.4 without cell ids), VS Code and Colab save it, or with CRLF line endings
and Korean comments. Answer cells always stay where the release put them (they are found by
grade_id); scratch cells are the cells a student adds.

    honest_cases("a2")   # -> [Case(name, description, expected=20, lost=(), raw=writer), ...]
"""

from __future__ import annotations

import ast
import base64
import copy
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_output

from autograder.course import get_assignment
from autograder.samples import make_submission
from tests.harness import Case

# A 1 x 1 PNG (as matplotlib saves one): a saved plot output; the graders discard outputs.
_PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63f8ffffff7f0009fb03fd2a86e38a0000000049454e44ae426082")).decode()


def _gid(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _kind(cell) -> str:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if cell.cell_type != "code":
        return "markdown"
    if meta.get("solution"):
        return "answer"
    if meta.get("grade"):
        return "test"
    if meta.get("locked"):
        return "given"
    return "scratch"


def _ids(nb, kind: str) -> list[str]:
    return [_gid(c) for c in nb.cells if _kind(c) == kind]


def _cell(nb, gid: str):
    return next(c for c in nb.cells if _gid(c) == gid)


def _insert_after(nb, gid: str | None, *cells) -> None:
    """Insert cells after the cell `gid` (None: at the very top)."""
    at = 0 if gid is None else nb.cells.index(_cell(nb, gid)) + 1
    nb.cells[at:at] = list(cells)


def _defined(source: str) -> list[str]:
    """Top-level functions and classes an answer cell defines, in order."""
    tree = ast.parse(source)
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)]


def _first_function(nb) -> str:
    for gid in _ids(nb, "answer"):
        for name in _defined(_cell(nb, gid).source):
            return name
    raise ValueError("no function in the answer cells")


# --- writing the file, as each front end does ----------------------------------------------

def _stable_ids(nb, salt: str, make: Callable[[str], str] | None = None) -> None:
    """Give every cell without an id one derived from `salt` (files stay reproducible)."""
    for index, cell in enumerate(nb.cells):
        if not cell.get("id"):
            digest = hashlib.sha1(f"{salt}-{index}".encode()).hexdigest()
            cell["id"] = make(digest) if make else digest[:8]


def _dumps(nb, *, minor: int = 5, ids: bool = True, indent: int = 1) -> str:
    """The notebook as JSON text (nbformat's layout: sources as lists of lines, sorted keys)."""
    nb = copy.deepcopy(nb)
    nb.nbformat, nb.nbformat_minor = 4, minor
    if not ids:
        for cell in nb.cells:
            cell.pop("id", None)
    data = nbformat.v4.nbjson.split_lines(nb)
    return json.dumps(data, indent=indent, sort_keys=True, ensure_ascii=False) + "\n"


def _saved_outputs(nb, stale_error: bool = True) -> None:
    """Outputs of a run the student did before saving (every grader discards them)."""
    count = 0
    first_test = True
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        count += 1
        cell.execution_count = count
        kind = _kind(cell)
        if kind == "test" and first_test and stale_error:
            first_test = False   # the run from before the answer was written
            cell.outputs = [new_output("error", ename="NotImplementedError", evalue="",
                                       traceback=["NotImplementedError", "  (stale output)"])]
        elif kind == "test":
            cell.outputs = [new_output("stream", name="stdout", text="relative error 1.2e-16\n")]
        elif kind == "scratch":
            cell.outputs = [new_output("display_data", data={"image/png": _PNG,
                                                             "text/plain": "<Figure>"})]


# --- the habits -------------------------------------------------------------------------------

def _cell_magic_time(a: str):
    nb = make_submission(a)
    first = _cell(nb, _ids(nb, "answer")[0])
    first.source = "%%time\n" + first.source
    return nb


def _line_magics(a: str):
    nb = make_submission(a)
    _insert_after(nb, None, new_code_cell("%load_ext autoreload\n%autoreload 2"))
    _insert_after(nb, _ids(nb, "test")[0], new_code_cell(
        "%who\n"
        "%timeit -n1 -r1 sum(range(1000))\n"
        f"%time _ = {_first_function(nb)}\n"
        "!echo checked part 1"))
    return nb


def _display_calls(a: str):
    nb = make_submission(a)
    answers = _ids(nb, "answer")
    for gid in answers:
        cell = _cell(nb, gid)
        names = _defined(cell.source)
        cell.source += "\n\n\n" + "\n".join(f"display({n})" for n in names)
    first = _cell(nb, answers[0])
    first.source = "from IPython.display import Markdown, display\n\n" + first.source
    _cell(nb, answers[-1]).source += '\ndisplay(Markdown("**All parts done.**"))'
    _insert_after(nb, _ids(nb, "test")[0], new_code_cell(
        "from IPython.display import display\n\ndisplay(np.arange(6).reshape(2, 3))"))
    return nb


def _matplotlib_plot(a: str):
    nb = make_submission(a)
    _insert_after(nb, _ids(nb, "test")[0], new_code_cell(
        "%matplotlib inline\n"
        "import matplotlib.pyplot as plt\n"
        "import numpy as np\n\n"
        "xs = np.linspace(-4, 4, 101)\n"
        "fig, ax = plt.subplots(figsize=(4, 3))\n"
        "ax.plot(xs, np.tanh(xs), label='tanh')\n"
        "ax.plot(xs, 1 - np.tanh(xs) ** 2, label=\"tanh'\")\n"
        "ax.legend()\n"
        "plt.show()"))
    return nb


def _with_prints(source: str) -> str:
    """Print the argument types and shapes at the start of every function (after docstrings)."""
    lines = source.split("\n")
    inserts = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef):
            continue
        body = node.body
        first = body[1] if (len(body) > 1 and isinstance(body[0], ast.Expr)
                            and isinstance(body[0].value, ast.Constant)
                            and isinstance(body[0].value.value, str)) else body[0]
        args = [arg.arg for arg in node.args.args if arg.arg != "self"][:2]
        shown = ", ".join(f"type({n}).__name__, getattr({n}, 'shape', '')" for n in args)
        inserts.append((first.lineno - 1, " " * first.col_offset
                        + f"debug({node.name!r}{', ' if shown else ''}{shown})"))
    for lineno, text in sorted(inserts, reverse=True):
        lines.insert(lineno, text)
    return "\n".join(lines)


def _print_debugging(a: str):
    nb = make_submission(a)
    for gid in _ids(nb, "answer"):
        cell = _cell(nb, gid)
        cell.source = _with_prints(cell.source) + (
            f"\n\n\nprint('cell {gid} ran: defined', {', '.join(map(repr, _defined(cell.source)))})")
    # the helper lives in a cell the student added above the first answer
    _insert_after(nb, _ids(nb, "given")[0], new_code_cell(
        "DEBUG = True\n\n\n"
        "def debug(*args):\n"
        "    if DEBUG:\n"
        "        print('[debug]', *args)"))
    return nb


def _warnings_in_added_cells(a: str):
    nb = make_submission(a)
    answers = _ids(nb, "answer")
    _insert_after(nb, answers[0], new_code_cell(
        "import warnings\n\n"
        f"warnings.warn('TODO: vectorise {_first_function(nb)} later')"))
    _insert_after(nb, answers[-1], new_code_cell(
        "np.log(np.array([0.0, 1.0]))   # RuntimeWarning: divide by zero"))
    return nb


def _extra_scratch_cells(a: str):
    nb = make_submission(a)
    fn = _first_function(nb)
    for n, gid in enumerate(_ids(nb, "answer") + _ids(nb, "test")):
        _insert_after(nb, gid, new_code_cell(f"# scratch {n}\nscratch_{n} = np.arange({n + 2})\n"
                                             f"print(scratch_{n}.sum())"))
    _insert_after(nb, _ids(nb, "answer")[0],
                  new_markdown_cell("My notes: the shapes are (N, D) in and (N, M) out."),
                  new_code_cell(""),
                  new_code_cell(f"help({fn})"),
                  new_code_cell(f"{fn}()   # what happens without arguments? (TypeError)"))
    nb.cells.append(new_code_cell("print('all done')"))
    return nb


def _reordered_scratch_cells(a: str):
    nb = make_submission(a)
    fn = _first_function(nb)
    scratch = [c for c in nb.cells if _kind(c) == "scratch"]
    for cell in scratch:            # the release's scratch cells moved to the top
        nb.cells.remove(cell)
    nb.cells[0:0] = scratch
    given, answers, tests = _ids(nb, "given"), _ids(nb, "answer"), _ids(nb, "test")
    _insert_after(nb, None, new_code_cell("print('before the setup: np is not imported yet')\n"
                                          "np.zeros(2)"))
    _insert_after(nb, given[0], new_code_cell(f"rng_scratch = np.random.default_rng(3)\n"
                                              f"print({fn}.__name__)"))
    # between an answer cell and its test, and a later experiment moved above an earlier one
    _insert_after(nb, answers[-1], new_code_cell(f"# first experiment\nprint({fn})"))
    _insert_after(nb, tests[0], new_code_cell("# second experiment, written later\n"
                                              "print(rng_scratch.standard_normal(2))"))
    return nb


def _leftover_error(a: str):
    nb = make_submission(a)
    last = _cell(nb, _ids(nb, "answer")[-1])
    last.source += "\n\n\nprint(debug_value)   # left over from debugging"
    return nb


def _korean_comments(nb):
    for gid in _ids(nb, "answer"):
        cell = _cell(nb, gid)
        cell.source = ("# 역전파 (backpropagation): 연쇄 법칙으로 기울기를 구한다\n" + cell.source
                       + "\n\n\nprint('완료: " + gid + "')")


# --- the files, as each front end saves them (nb: the student's notebook, a: the assignment) ---

def _released_format(nb, a: str) -> bytes:
    """nbformat 4.5 with cell ids, as the release and JupyterLab 3 / nbformat 5 write it."""
    _stable_ids(nb, a)
    return _dumps(nb).encode()


def _jupyterlab4(nb, a: str) -> bytes:
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                       "name": "python3"},
        "language_info": {"codemirror_mode": {"name": "ipython", "version": 3},
                          "file_extension": ".py", "mimetype": "text/x-python", "name": "python",
                          "nbconvert_exporter": "python", "pygments_lexer": "ipython3",
                          "version": "3.12.7"},
        "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {},
                                                                    "version_major": 2,
                                                                    "version_minor": 0}},
    }
    for cell in nb.cells:
        cell.pop("id", None)
        if _kind(cell) == "answer":
            cell.metadata["tags"] = []
            cell.metadata["execution"] = {"iopub.execute_input": "2026-03-02T10:15:01.112Z",
                                          "shell.execute_reply": "2026-03-02T10:15:01.120Z"}
    _saved_outputs(nb)
    _stable_ids(nb, f"{a}-lab4", lambda h: f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}")
    return _dumps(nb).encode()


def _notebook6(nb, a: str) -> bytes:
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"codemirror_mode": {"name": "ipython", "version": 3},
                          "file_extension": ".py", "mimetype": "text/x-python", "name": "python",
                          "nbconvert_exporter": "python", "pygments_lexer": "ipython3",
                          "version": "3.8.10"},
        "toc": {"base_numbering": 1, "nav_menu": {}, "number_sections": True,
                "sideBar": True, "skip_h1_title": False, "title_cell": "Table of Contents",
                "title_sidebar": "Contents", "toc_cell": False, "toc_position": {},
                "toc_section_display": True, "toc_window_display": False},
    }
    _saved_outputs(nb)
    return _dumps(nb, minor=4, ids=False).encode()


def _vscode(nb, a: str) -> bytes:
    nb.metadata = {
        "kernelspec": {"display_name": ".venv", "language": "python", "name": "python3"},
        "language_info": {"codemirror_mode": {"name": "ipython", "version": 3},
                          "file_extension": ".py", "mimetype": "text/x-python", "name": "python",
                          "nbconvert_exporter": "python", "pygments_lexer": "ipython3",
                          "version": "3.11.4"},
        "vscode": {"interpreter": {"hash": hashlib.sha256(b"/home/me/.venv").hexdigest()}},
    }
    _insert_after(nb, _ids(nb, "answer")[0], new_code_cell(f"{_first_function(nb)}"))
    _saved_outputs(nb, stale_error=False)
    _stable_ids(nb, f"{a}-vscode")
    return _dumps(nb).encode()


def _colab(nb, a: str) -> bytes:
    nb.metadata = {"colab": {"provenance": [], "collapsed_sections": [], "toc_visible": True},
                   "kernelspec": {"name": "python3", "display_name": "Python 3"},
                   "language_info": {"name": "python"}}
    _insert_after(nb, _ids(nb, "test")[0], new_code_cell("!ls -a\n!python --version"))
    _saved_outputs(nb)
    for index, cell in enumerate(nb.cells):
        cell.pop("id", None)
        digest = hashlib.sha1(f"{a}-colab-{index}".encode()).hexdigest()
        cell.metadata["id"] = base64.b64encode(bytes.fromhex(digest[:18])).decode()[:12]
        if cell.cell_type == "code" and cell.outputs:
            cell.metadata["colab"] = {"base_uri": "https://localhost:8080/"}
            cell.metadata["outputId"] = (f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-"
                                         f"{digest[16:20]}-{digest[20:32]}")
    return _dumps(nb, minor=0, ids=False, indent=2).encode()


def _crlf_korean(nb, a: str) -> bytes:
    """Korean comments and prints in every answer, saved with CRLF line endings (Windows)."""
    _korean_comments(nb)
    _stable_ids(nb, a)
    return _dumps(nb).replace("\n", "\r\n").encode()


# Every habit, and every front end's file format, on every assignment, in nine submissions: a
# format rides along with a habit that already passes, so each grading run stays short.
# name -> (description, habit: assignment -> notebook, format: (notebook, assignment) -> bytes)
HABITS: dict[str, tuple[str, Callable, Callable]] = {
    "cell_magic_time": ("%%time as the first line of the first answer cell",
                        _cell_magic_time, _released_format),
    "line_magics_colab": ("%load_ext autoreload at the top, %who / %timeit / %time / !echo in an "
                          "added cell; saved by Colab: nbformat 4.0, colab metadata, ids in cell "
                          "metadata, outputIds, two-space indent, !ls", _line_magics, _colab),
    "display_calls_jupyterlab4": ("IPython.display.display() of every function and of a "
                                  "Markdown note; saved by JupyterLab 4: full language_info, "
                                  "widgets metadata, tags, execution timings, UUID cell ids, "
                                  "stale outputs", _display_calls, _jupyterlab4),
    "matplotlib_plot": ("an added cell: %matplotlib inline, a plot, plt.show()",
                        _matplotlib_plot, _released_format),
    "print_debugging_vscode": ("debug prints at the start of every function, through a helper "
                               "defined in an added cell; saved by VS Code: vscode interpreter "
                               "metadata, a .venv kernelspec name, outputs",
                               _print_debugging, _vscode),
    "warnings_in_added_cells": ("warnings.warn(...) and a NumPy RuntimeWarning in added cells",
                                _warnings_in_added_cells, _released_format),
    "extra_scratch_cells_notebook6": ("scratch cells after every answer and test, help(), a "
                                      "markdown note, an empty cell, a cell that raises "
                                      "TypeError; saved by Notebook 6: nbformat 4.4 without "
                                      "cell ids, toc metadata, outputs",
                                      _extra_scratch_cells, _notebook6),
    "reordered_scratch_crlf_korean": ("the release's scratch cell moved to the top, scratch "
                                      "cells before the setup and in reverse order; Korean "
                                      "comments and prints in every answer; CRLF line endings",
                                      _reordered_scratch_cells, _crlf_korean),
    "leftover_error": ("the last answer cell ends with print(debug_value): NameError after the "
                       "definitions", _leftover_error, _released_format),
}

# Until the worker runs student cells under IPython's InteractiveShell (issue 10, item 1), our
# grader fails these; stock nbgrader (Jupyter) gives them full marks.


def notebook_bytes(assignment: str, habit: str) -> bytes:
    """The file a student with this habit hands in."""
    _, make, save = HABITS[habit]
    return save(make(assignment), assignment)


def honest_cases(assignment: str) -> list[Case]:
    """One full-marks Case per habit, named honest_<habit>."""
    a = get_assignment(assignment)

    def writer(habit):
        def write(folder: Path) -> None:
            (folder / a.notebook_name).write_bytes(notebook_bytes(assignment, habit))
        return write

    return [Case(f"honest_{habit}", description, expected=a.max_score, lost=(),
                 raw=writer(habit))
            for habit, (description, *_) in HABITS.items()]
