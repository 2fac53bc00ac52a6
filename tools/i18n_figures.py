"""The Korean edition's figures: the chapters' plots with their titles, labels and legends in Korean.

A chapter's figures are outputs of its code, so they cannot be translated as text. Instead an
author runs

    python -m tools.i18n_figures [book/03-backprop-mlp.ipynb ...]   # default: every chapter

which executes each chapter (the English notebook, unchanged) in a kernel where matplotlib, just
before it draws a figure, collects every text of the figure (title, axis labels, legend,
annotations, tick labels that are words) and replaces each by its translation from
``locale/ko/LC_MESSAGES/figures.po``. It then

- adds the texts it found to figures.po (new ones untranslated, as `tools.i18n update` does),
- stores each Korean figure as ``locale/ko/figures/<chapter>/<cell id>-<n>.png``, and
- records in ``locale/ko/figures/manifest.json``, per figure cell, a key made of the English
  cell's code and the translations it used.

The Korean build swaps a figure for its Korean version only while that key still holds;
`make test` fails when a chapter's figure code or a figure translation changed after the Korean
figures were made (run this command again), or when a figure has no Korean version.

Korean glyphs need a CJK font when the figures are made (not when the book is built): Debian's
`fonts-noto-cjk`, or `pip install koreanize-matplotlib`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from tools import i18n

FIGURES = i18n.REPO_ROOT / "locale" / "ko" / "figures"
MANIFEST = FIGURES / "manifest.json"
CATALOG = i18n.FIGURES_CATALOG

# Runs in the chapter's kernel before its first cell (it is not stored in the notebook).
_PRELUDE = r'''
import hashlib as _h, json as _j
import matplotlib as _mpl
from matplotlib import font_manager as _fm
from matplotlib.backend_bases import FigureCanvasBase as _Canvas
from matplotlib.text import Text as _Text

_BBH_TABLE = _j.loads(open(%(table)r, encoding="utf-8").read())
_BBH_FOUND = {}
_BBH_CELL = [None]

def _bbh_font():
    for name in ("Noto Sans CJK KR", "Noto Sans CJK JP", "NanumGothic", "Noto Sans KR"):
        try:
            _fm.findfont(name, fallback_to_default=False)
            return name
        except Exception:
            pass
    try:
        import koreanize_matplotlib  # noqa: F401  (registers NanumGothic)
        return "NanumGothic"
    except ImportError:
        raise RuntimeError("no Korean font: apt-get install fonts-noto-cjk, "
                           "or pip install koreanize-matplotlib")

_BBH_KO = _bbh_font()

def _bbh_pre(info):
    _BBH_CELL[0] = _h.sha256(info.raw_cell.encode()).hexdigest()

get_ipython().events.register("pre_run_cell", _bbh_pre)

_bbh_print = _Canvas.print_figure

def _bbh_print_figure(self, *args, **kwargs):
    fig = self.figure
    fig.canvas.draw()          # tick labels are made at draw time
    found = _BBH_FOUND.setdefault(_BBH_CELL[0], [])
    for t in fig.findobj(_Text):
        s = t.get_text()
        if not s or not t.get_visible():
            continue
        if s not in found:
            found.append(s)
        if s in _BBH_TABLE:
            t.set_text(_BBH_TABLE[s])
        if any("\uac00" <= ch <= "\ud7a3" for ch in t.get_text()):
            # The Korean font first: mathtext draws the words around a formula in a text's
            # first font only (no fallback), so a label like "층 $\ell$" needs it first.
            t.set_fontfamily([_BBH_KO])
    for ax in fig.axes:        # tick labels: keep the formatter's, translate words only
        for axis in (ax.xaxis, ax.yaxis):
            labels = [l.get_text() for l in axis.get_ticklabels()]
            if any(l in _BBH_TABLE for l in labels):
                axis.set_ticks(axis.get_ticklocs(), [_BBH_TABLE.get(l, l) for l in labels])
    return _bbh_print(self, *args, **kwargs)

_Canvas.print_figure = _bbh_print_figure
'''

_EPILOGUE = r'''
open(%(out)r, "w", encoding="utf-8").write(_j.dumps(_BBH_FOUND, ensure_ascii=False))
'''


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def chapters() -> list[Path]:
    return [i18n.REPO_ROOT / p.source for p in i18n.pages()
            if p.source.startswith("book/") and p.source.endswith(".ipynb")]


def translations() -> dict[str, str]:
    return i18n.Translations(CATALOG).table


@dataclass
class FigureState:
    """The manifest and the figure translations, read once for a whole page or check."""

    manifest: dict
    table: dict[str, str]

    @classmethod
    def load(cls) -> FigureState:
        manifest = json.loads(MANIFEST.read_text(encoding="utf-8")) if MANIFEST.is_file() else {}
        return cls(manifest, translations())


def figure_key(source: str, texts: list[str], table: dict[str, str]) -> str:
    """What a Korean figure was made from: its English code and the translations it used."""
    used = sorted((t, table.get(t, "")) for t in texts if i18n.has_prose(t))
    return _sha(json.dumps([source, used], ensure_ascii=False))


def _images(cell) -> list[tuple[int, str]]:
    """(output index, base64 PNG) of a code cell's figures."""
    return [(k, out["data"]["image/png"]) for k, out in enumerate(cell.get("outputs", []))
            if "data" in out and "image/png" in out["data"]]


def make(paths: list[Path]) -> dict:
    """Execute each chapter with Korean figure texts; store figures, messages and manifest."""
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8")) if MANIFEST.is_file() else {}
    table = translations()
    from matplotlib import font_manager
    if not any("CJK" in f.name or "Nanum" in f.name for f in font_manager.fontManager.ttflist):
        # fonts installed after matplotlib cached its font list: rebuild the cache the kernels read
        font_manager._load_fontmanager(try_read_cache=False)
    messages: dict[str, str] = {}          # every figure text of every chapter, in order
    with tempfile.TemporaryDirectory() as tmp:
        table_file, found_file = Path(tmp) / "table.json", Path(tmp) / "found.json"
        table_file.write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
        for path in paths:
            rel = path.relative_to(i18n.REPO_ROOT).as_posix()
            nb = nbformat.read(path, as_version=4)
            run = nbformat.reads(nbformat.writes(nb), as_version=4)
            run.cells.insert(0, nbformat.v4.new_code_cell(_PRELUDE % {"table": str(table_file)}))
            run.cells.append(nbformat.v4.new_code_cell(_EPILOGUE % {"out": str(found_file)}))
            for c in run.cells:
                c.pop("id", None)
            print(f"{rel}: executing with Korean figure texts ...", flush=True)
            NotebookClient(run, timeout=900, kernel_name="python3",
                           resources={"metadata": {"path": str(path.parent)}}).execute()
            found = json.loads(found_file.read_text(encoding="utf-8"))
            folder = FIGURES / path.stem
            for old in folder.glob("*.png") if folder.is_dir() else []:
                old.unlink()
            folder.mkdir(parents=True, exist_ok=True)
            manifest = {k: v for k, v in manifest.items() if not k.startswith(f"{rel}#")}
            for cell, done in zip(nb.cells, run.cells[1:-1], strict=True):
                images = _images(done)
                if cell.cell_type != "code" or not images:
                    continue
                texts = [t for t in found.get(_sha(cell.source), []) if i18n.has_prose(t)]
                for t in texts:
                    messages.setdefault(t, f"{rel}:{cell.id}")
                files = []
                for n, (_, data) in enumerate(images):
                    name = f"{cell.id}-{n}.png"
                    (folder / name).write_bytes(base64.b64decode(data))
                    files.append(f"{path.stem}/{name}")
                manifest[f"{rel}#{cell.id}"] = {"files": files, "texts": texts,
                                                "key": figure_key(cell.source, texts, table)}
            print(f"{rel}: {sum(1 for k in manifest if k.startswith(rel + '#'))} figure cells")
    MANIFEST.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                        encoding="utf-8")
    return messages


def update_catalog(messages: dict[str, str], all_chapters: bool) -> None:
    path = i18n.LOCALE / f"{CATALOG}.po"
    if not all_chapters:           # keep the other chapters' messages
        for e in i18n.load(path):
            if not e.obsolete:
                messages.setdefault(e.msgid, e.occurrences[0][0] if e.occurrences else "")
    new, fuzzy, dropped = i18n.update_catalog(path, list(messages.items()))
    print(f"{CATALOG}.po: {len(messages)} messages, {new} new ({fuzzy} fuzzy), {dropped} obsolete")


def korean_outputs(source: str, cell, state: FigureState | None = None) -> list | None:
    """The cell's outputs with its figures in Korean, or None if there is no current version."""
    state = state or FigureState.load()
    entry = state.manifest.get(f"{source}#{cell['id']}")
    if entry is None:
        return None
    code = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    table = state.table
    if entry["key"] != figure_key(code, entry["texts"], table) \
            or any(t not in table for t in entry["texts"]):
        return None
    images = _images(cell)
    if len(images) != len(entry["files"]):
        return None
    outputs = json.loads(json.dumps(cell["outputs"]))
    for (k, _), name in zip(images, entry["files"], strict=True):
        data = (FIGURES / name).read_bytes()
        outputs[k]["data"]["image/png"] = base64.b64encode(data).decode() + "\n"
    return outputs


def stale() -> list[str]:
    """Figure cells of the chapters whose Korean figure is missing or out of date."""
    problems = []
    state = FigureState.load()
    for path in chapters():
        rel = path.relative_to(i18n.REPO_ROOT).as_posix()
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code" and _images(cell) and korean_outputs(rel, cell, state) is None:
                problems.append(f"{rel}, cell {cell['id']}")
    return problems


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    paths = [Path(a).resolve() for a in argv] or chapters()
    for p in paths:
        if not p.is_file():
            print(f"error: no such notebook: {p}", file=sys.stderr)
            return 2
    messages = make(paths)
    update_catalog(messages, all_chapters=not argv)
    left = stale()
    print(f"{len(left)} figure cells without a current Korean figure"
          + (" (translate figures.po, then run this again)" if left else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
