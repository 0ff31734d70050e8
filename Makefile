# The two commands of README.md, and what they need. Each target creates or
# refreshes what it depends on, so both work on a fresh machine with only Python.
#
#   make book    build the executed HTML textbook into _build/html
#   make test    run the whole test suite
#
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The virtual environment is rebuilt when the lock file or the package metadata changes.
VENV_STAMP := $(VENV)/.installed
MATHJAX    := _vendor/mathjax/tex-svg.js

.PHONY: book sync-notebooks test env student-versions bench clean

# Strict (-W: any warning or cell error fails; -n: nitpicky references). --all re-reads every
# page, so the warnings of unchanged pages are reported again (Sphinx's incremental build would
# hide them); notebook outputs still come from the jupyter-cache in _build/.jupyter_cache, so an
# unchanged rebuild executes nothing. Run `make sync-notebooks` after editing a notebook.
book: $(VENV_STAMP) $(MATHJAX)
	$(BIN)/jupyter-book build --all -W -n --keep-going .

# Write the Colab setup cell (from _config.yml) into every notebook and strip outputs.
sync-notebooks: $(VENV_STAMP)
	$(BIN)/python tools/colab.py sync

test: $(VENV_STAMP) $(MATHJAX)
	bash .ci/install-browser.sh
	# Two pytest workers already fill both cores: one BLAS/OpenMP thread each, or
	# multithreaded small matrix products fight over the cores and run many times slower.
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 --durations=15

env: $(VENV_STAMP)

$(VENV_STAMP): requirements/dev.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# MathJax 3 from the npm registry, served from the book itself: maths renders with no network.
$(MATHJAX): package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	rm -rf _vendor/mathjax && mkdir -p _vendor && cp -r node_modules/mathjax/es5 _vendor/mathjax
	touch $@

# Regenerate the student versions of the assignments from solutions/ (nbgrader).
student-versions: $(VENV_STAMP)
	$(BIN)/python -m autograder.release

clean:
	rm -rf _build _vendor node_modules

# Speed measurements (issue: performance). Each prints a table; none is a test.
bench: $(VENV_STAMP) $(MATHJAX)
	$(BIN)/python benchmarks/training.py
	$(BIN)/python benchmarks/autodiff.py
	$(BIN)/python benchmarks/book.py
	$(BIN)/python benchmarks/grading.py
