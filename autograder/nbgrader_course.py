"""A throw-away nbgrader course directory, driven in-process through nbgrader's API.

Both the release command and the grading command copy ``solutions/<aN>/`` into a fresh course
directory with its own SQLite gradebook and run nbgrader there, so nbgrader never writes into the
repository. nbgrader is driven through ``NbGraderAPI`` in this process: importing nbgrader costs
seconds, which a subprocess per student would pay again and again.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from autograder.course import Assignment


class NbgraderError(RuntimeError):
    """nbgrader failed on the course files; its log is in the message."""


def _config(root: Path):
    from traitlets.config import Config

    c = Config()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
    c.CourseDirectory.source_directory = "source"
    c.CourseDirectory.release_directory = "release"
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", ".DS_Store"]
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
    # Restore test cells that a student deleted, not only those they edited.
    c.OverwriteCells.add_missing_cells = True
    # Submissions are executed by autograder.execute (student code in a sandboxed worker, tests
    # in the grader) before nbgrader sees them; nbgrader then only records the scores the
    # outputs imply, in its gradebook. So: no clearing, no overwriting, no executing here.
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        ClearHiddenTests,
        DeduplicateIds,
        GetGrades,
        LimitOutput,
        OverwriteKernelspec,
        SaveAutoGrades,
    )

    c.Autograde.sanitize_preprocessors = [DeduplicateIds, OverwriteKernelspec, CheckCellMetadata]
    c.Autograde.autograde_preprocessors = [LimitOutput, SaveAutoGrades, AssignLatePenalties,
                                           CheckCellMetadata]
    # Students see why a test failed, never the hidden tests' code.
    c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
    c.GenerateFeedback.exporter_class = feedback_exporter()
    return c


_IMG_WITHOUT_ALT = re.compile(r"<img(?![^>]*\balt=)")
_FOCUSABLE = re.compile(r'<div class="([^"]*\b(?:jp-Cell-inputWrapper|jp-OutputArea-output)\b'
                        r'[^"]*)"(?![^>]*\btabindex=)')


def feedback_exporter():
    """nbconvert's HTML exporter for the feedback pages, without its last step.

    That step parses the whole rendered page with BeautifulSoup only to give images without
    one an alt text and make cells focusable (tabindex), and writes it out again: more than
    half the time of a feedback page. The same two edits are made here on the text.
    """
    from nbconvert.exporters import HTMLExporter, TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class FeedbackHTMLExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            highlight_code = self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
            resources = self._init_resources(resources)
            filter_data_type = WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources)
            self.register_filter("highlight_code", highlight_code)
            self.register_filter("filter_data_type", filter_data_type)
            html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            html = _IMG_WITHOUT_ALT.sub(
                '<img alt="No description has been provided for this image"', html)
            html = _FOCUSABLE.sub(r'<div class="\1" tabindex="0"', html)
            return html, resources

    return FeedbackHTMLExporter


def _alembic_head() -> str:
    """nbgrader.api.get_alembic_version without a subprocess: the schema's head revision."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from nbgrader.api import _temp_alembic_ini

    with _temp_alembic_ini("sqlite:////tmp/gradebook.db") as alembic_ini:
        return ScriptDirectory.from_config(Config(alembic_ini)).get_current_head()


@dataclass
class Course:
    """An nbgrader course at `root` whose only source assignment is `assignment`."""

    root: Path
    assignment: Assignment

    def __post_init__(self) -> None:
        import warnings

        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory
        from sqlalchemy.exc import SAWarning

        # nbgrader's own gradebook code trips SQLAlchemy's autoflush warnings: noise to a user.
        warnings.filterwarnings("ignore", category=SAWarning)

        # nbgrader asks the `alembic` command for the gradebook schema's version; its script
        # starts by an absolute path to this environment's python, which another user may not
        # be able to reach (a grader run as nobody from root's clone): ask alembic in-process.
        import nbgrader.api
        nbgrader.api.get_alembic_version = _alembic_head
        # nbgrader runs Jupyter kernels from PATH: put this environment's bin/ first, so the
        # commands work without an activated virtual environment.
        bindir = os.path.dirname(sys.executable)
        if not os.environ.get("PATH", "").startswith(bindir + os.pathsep):
            os.environ["PATH"] = os.pathsep.join([bindir, os.environ.get("PATH", "")])
        self.root.mkdir(parents=True, exist_ok=True)
        source = self.root / "source" / self.assignment.name
        if source.exists():
            shutil.rmtree(source)
        shutil.copytree(self.assignment.source_dir, source,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        config = _config(self.root)
        self.api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.root / 'gradebook.db'}"

    def _check(self, result: dict, what: str) -> dict:
        if not result.get("success"):
            raise NbgraderError(f"nbgrader {what} failed:\n{result.get('log', '')[-3000:]}"
                                f"\n{result.get('error', '')[-3000:]}")
        return result

    def generate_release(self) -> Path:
        """generate_assignment: records every cell (hidden tests too), writes the release."""
        self._check(self.api.generate_assignment(self.assignment.name, force=True),
                    f"generate_assignment {self.assignment.name}")
        return self.root / "release" / self.assignment.name

    def submitted_dir(self, student: str) -> Path:
        return self.root / "submitted" / student / self.assignment.name

    def autograde(self, student: str) -> dict:
        """Autograde one submitted student; returns nbgrader's result (success, log, error)."""
        return self.api.autograde(self.assignment.name, student, force=True, create=True)

    def generate_feedback(self) -> dict:
        return self.api.generate_feedback(self.assignment.name, force=True)

    def feedback_page(self, student: str) -> Path:
        return (self.root / "feedback" / student / self.assignment.name
                / f"{self.assignment.name}.html")
