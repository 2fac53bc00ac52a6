"""Execute chapter notebooks in place, storing the outputs the book shows and nbval checks.

    python -m tools.execute book/01-loss-minimisation.ipynb [more.ipynb ...]

Runs with this environment's own kernel, in the notebook's folder, and drops per-run metadata
(execution timestamps) so that re-executing an unchanged chapter leaves git with nothing to show.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: Path, timeout: int = 600) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    for path in args.notebooks:
        if not path.is_file():
            print(f"error: no such notebook: {path}", file=sys.stderr)
            return 2
        print(f"{path}: executed in {execute(path):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
