# Backprop by Hand: `make book` builds the site, `make test` runs every check.
# Both create .venv from requirements.txt when it is missing or out of date.

# The system's Python 3.11+ comes first where there is one: it is readable by every user, so the
# grader can run as an unprivileged user (a pyenv Python under /root is not).
PYTHON ?= $(shell for p in /usr/bin/python3 python3.13 python3.12 python3.11 python3; do \
	  command -v $$p >/dev/null 2>&1 && $$p -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' \
	  2>/dev/null && command -v $$p && break; done)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?= 2

.PHONY: book test check-site lint release venv clean

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

## Build the HTML book into _build/html and its Korean edition into _build/html/ko (made from
## the catalogs in locale/ko); every Sphinx warning is an error.
book: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going
	$(BIN)/python -m tools.i18n book

## Run the whole test suite: checker, assignments, grading pipeline, chapters (nbval), site.
test: $(STAMP)
	$(BIN)/ruff check autograder tests tools benchmarks
	$(BIN)/python -m pytest -n $(JOBS) --dist loadscope tests book \
		--nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

## Open every built page in headless Chromium; fail on a console or MathJax error.
## Needs Debian's chromium: apt-get install -y chromium fonts-noto-cjk
SAMPLE := _build/grading-sample
check-site: book
	rm -rf $(SAMPLE)
	$(BIN)/python -m autograder samples a3 $(SAMPLE)/submissions
	$(BIN)/python -m autograder grade a3 $(SAMPLE)/submissions --out $(SAMPLE)/out --no-progress
	$(BIN)/python -m tools.check_site _build/html $(SAMPLE)/out/feedback $(SAMPLE)/out/summary.html

## Regenerate exercises/ from solutions/ (run after editing a solution notebook), and the
## Korean notebooks exercises/ko/ from those and the catalogs.
release: $(STAMP)
	$(BIN)/python -m autograder release --all
	$(BIN)/python -m tools.i18n exercises

lint: $(STAMP)
	$(BIN)/ruff check autograder tests tools benchmarks

clean:
	rm -rf _build
