"""nbgrader course configuration: the repository root is the course directory.

Assignments are authored in solutions/<aN>/ (nbgrader's "source") and the student versions are
generated into exercises/<aN>/ (nbgrader's "release") by `python -m autograder release aN`.
"""

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", ".DS_Store"]
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
