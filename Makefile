# The two commands of README.md, and what they need. Each target creates or
# refreshes what it depends on, so both work on a fresh machine with only Python.
#
#   make book    build the executed HTML textbook into _build/html
#   make test    run the whole test suite (with the Colab-like run of every notebook)
#   make check   the fast loop: lint, import contracts, the tests not marked slow
#   make pdf     the whole book as one PDF, _build/pdf/book.pdf
#
# The Python that builds .venv: PYTHON if given, else python3 if it lies in the range pyproject.toml's
# requires-python claims, else the first of python3.13 ... python3.10 and pyenv's that does
# (requirements/find-python.sh, which says which it took, or names what it found and what would work).
PYTHON ?=
VENV   := .venv
BIN    := $(VENV)/bin
# The virtual environment is rebuilt when the lock file or the package metadata changes.
VENV_STAMP := $(VENV)/.installed
MATHJAX    := _vendor/mathjax/tex-svg.js
# The Colab-like environment of tests/test_colab.py: Python 3.12 as on Colab (pyenv's, or any
# python3.12 on the PATH), Colab's framework versions (requirements/colab.txt), no book toolchain.
PYENV_ROOT ?= $(HOME)/.pyenv
PYTHON312  ?= $(firstword $(wildcard $(PYENV_ROOT)/versions/3.12*/bin/python3.12) $(shell command -v python3.12))
COLAB_VENV := .venv-colab
COLAB_STAMP := $(COLAB_VENV)/.installed

.PHONY: book colab-notebooks release pdf sync-notebooks test check env lock colab-env student-versions bench clean

# Strict (-W: any warning or cell error fails; -n: nitpicky references). --all re-reads every
# page, so the warnings of unchanged pages are reported again (Sphinx's incremental build would
# hide them); notebook outputs still come from the jupyter-cache in _build/.jupyter_cache, so an
# unchanged rebuild executes nothing. Run `make sync-notebooks` after editing a notebook.
book: $(VENV_STAMP) $(MATHJAX)
	$(BIN)/jupyter-book build --all -W -n --keep-going .
	$(MAKE) --no-print-directory colab-notebooks

# Only the Colab notebooks (tools/colab_publish.py), from the book `make book` built: the glued numbers
# in the prose, references and citations as text with links, solutions folded, outputs stripped.
colab-notebooks: $(VENV_STAMP)
	$(BIN)/python tools/colab_publish.py --html _build/html --out _build/colab

# The whole book as one PDF: the book on one HTML page (the notebooks' outputs come from the
# execution cache of `make book`), printed by headless Chromium (tools/pdf.py). CHROMIUM names
# the browser (default: Debian's /usr/bin/chromium; GitHub's runners have google-chrome).
CHROMIUM ?= /usr/bin/chromium
pdf: $(VENV_STAMP) $(MATHJAX)
	$(BIN)/jupyter-book build -W -n --keep-going --builder singlehtml .
	$(BIN)/python tools/pdf.py --html _build/singlehtml --out _build/pdf/book.pdf --chromium $(CHROMIUM)

# A term's release in one step: `make release VERSION=0.3.0` names it in pyproject.toml and _config.yml,
# rewrites every notebook's set-up cell and the student versions; commit and push, and the book
# workflow cuts the tag v0.3.0 and publishes its Colab notebooks (README, "Releasing course_lib").
release: $(VENV_STAMP)
	@test -n "$(VERSION)" || { echo "make release VERSION=X.Y.Z (the new version of course_lib)"; exit 2; }
	$(BIN)/python tools/colab.py release $(VERSION)
	$(BIN)/python -m autograder.release

# Write the Colab setup cell (from _config.yml) into every notebook and strip outputs.
sync-notebooks: $(VENV_STAMP)
	$(BIN)/python tools/colab.py sync

test: $(VENV_STAMP) $(MATHJAX) $(COLAB_STAMP)
	bash .ci/install-browser.sh
	# Two pytest workers already fill both cores: one BLAS/OpenMP thread each, or
	# multithreaded small matrix products fight over the cores and run many times slower.
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 --durations=15

# The fast loop for contributors (CONTRIBUTING.md): lint, the import contracts of pyproject.toml,
# and every test not marked slow, in under 3 minutes on 2 cores. `make test` stays the full suite.
check: $(VENV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 -m "not slow" -q --durations=10

env: $(VENV_STAMP)

colab-env: $(COLAB_STAMP)

# Rebuilt from scratch when requirements/colab.txt changes. course_lib is not installed here: the
# notebooks' own set-up cell installs it, as on Colab (tests/test_colab.py). pip's cache makes a
# rebuild on the same machine quick; a first install downloads about 4 GB (a CUDA build of torch).
$(COLAB_STAMP): requirements/colab.txt
	@test -n "$(PYTHON312)" || { echo "make: Python 3.12 is needed for the Colab-like environment (pyenv install 3.12)"; exit 1; }
	rm -rf $(COLAB_VENV)
	$(PYTHON312) -m venv $(COLAB_VENV)
	@start=$$(date +%s); \
	$(COLAB_VENV)/bin/python -m pip install --quiet --upgrade pip >$(COLAB_VENV)/pip.log 2>&1 \
	&& $(COLAB_VENV)/bin/python -m pip install --quiet -r requirements/colab.txt >>$(COLAB_VENV)/pip.log 2>&1 \
	|| { grep -v "is ignored: it is neither a file nor a directory" $(COLAB_VENV)/pip.log; exit 1; }; \
	echo "Colab-like environment $(COLAB_VENV) installed in $$(( $$(date +%s) - start )) s ($$(du -sh $(COLAB_VENV) | cut -f1))"
	touch $@

$(VENV_STAMP): requirements/dev.lock pyproject.toml
	@test -x $(BIN)/python || { py=$$(sh requirements/find-python.sh $(PYTHON)) && $$py -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# Rewrite requirements/dev.lock from pyproject.toml's dev and torch extras and requirements/dev.in: one
# lock for every Python of requires-python (markers pick the versions where a release needs a newer
# Python), existing pins kept where they fit. torch's CUDA runtime is left out: pip adds it where torch's
# build needs it, and none where the CPU build is installed (this machine's, from /etc/xdg/pip's wheels).
TORCH_CUDA := triton cuda-bindings cuda-pathfinder cuda-toolkit nvidia-cublas nvidia-cuda-cupti \
	nvidia-cuda-nvrtc nvidia-cuda-runtime nvidia-cudnn-cu13 nvidia-cufft nvidia-cufile nvidia-curand \
	nvidia-cusolver nvidia-cusparse nvidia-cusparselt-cu13 nvidia-nccl-cu13 nvidia-nvjitlink \
	nvidia-nvshmem-cu13 nvidia-nvtx
lock: $(VENV_STAMP)
	$(BIN)/uv pip compile pyproject.toml requirements/dev.in --extra dev --extra torch --universal \
	  --python-version $$(sed -n 's/^requires-python *= *">=\([0-9.]*\).*/\1/p' pyproject.toml) \
	  --no-annotate --custom-compile-command "make lock" $(addprefix --no-emit-package ,$(TORCH_CUDA)) \
	  -o requirements/dev.lock

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
