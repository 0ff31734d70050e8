"""The textbook: normalised notebooks, a strict build, and the built site in a real browser.

* Every notebook under chapters/ and solutions/ is in the normal form of tools/colab.py:
  the Colab setup cell first, no committed outputs.
* The book builds strictly (`jupyter-book build --all -W -n --keep-going .`, in place, so the
  jupyter-cache in _build/.jupyter_cache makes an unchanged rebuild execute nothing).
* Every page of the table of contents is opened in headless Chromium (Debian's
  /usr/bin/chromium, driven by Playwright) with every request outside the local server
  aborted: the maths is typeset by the MathJax the book serves itself, every image loads,
  every internal link and anchor resolves, and the Colab button opens the page's notebook.

The build and the browser tests are marked `slow`. Under pytest-xdist each worker has its own
session fixtures; a file lock makes the first worker build and the others reuse its result.
"""

from __future__ import annotations

import contextlib
import functools
import html.parser
import importlib.util
from importlib import import_module
import json
import os
import re
import subprocess
import sys
import threading
import unicodedata
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
import yaml
from tests.file_lock import file_lock

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
HTML = BUILD / "html"
MATHJAX = ROOT / "_vendor" / "mathjax" / "tex-svg.js"
CHROMIUM = Path("/usr/bin/chromium")
# TOOLCHAIN.md: without the background-networking flags Chromium keeps calling home.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
BUILD_COMMAND = [str(Path(sys.executable).with_name("jupyter-book")),
                 "build", "--all", "-W", "-n", "--keep-going", "."]
BUILD_TIMEOUT_S = 25 * 60
KERNEL_PORT_TAKEN = "zmq.error.ZMQError: Address already in use"
# Lines of the build log that contain WARNING but do not come from the build: the kernel
# (ipykernel 7) announces on its stderr that it talks to the client over local TCP.
HARMLESS_LOG_LINES = [
    re.compile(r"^\[IPKernelApp\] WARNING \| Kernel is running over TCP without encryption"),
]


colab = import_module("tools.colab")  # tools/ is a package; the repository root is on sys.path
colab_links_tool = import_module("tools.colab_links")
REPO_URL, BRANCH = colab.read_repository()
RELEASE = colab.read_release()


# --------------------------------------------------------------------------- the pages

def toc_docnames() -> list[str]:
    """Every document of _toc.yml, in order (globs expanded as sphinx-external-toc does)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    names = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                names.append(entry["file"])
            if "glob" in entry:
                matches = (p for p in ROOT.glob(entry["glob"]) if p.suffix in (".md", ".ipynb"))
                names.extend(sorted(p.relative_to(ROOT).with_suffix("").as_posix() for p in matches))
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return names


def is_notebook(docname: str) -> bool:
    return (ROOT / f"{docname}.ipynb").exists()


PAGES = toc_docnames()
# Notebooks the build executes: the student versions of the assignments are only rendered.
EXECUTED_NOTEBOOKS = [ROOT / f"{d}.ipynb" for d in PAGES
                      if is_notebook(d) and not d.startswith("chapters/assignments/")]


# --------------------------------------------------------------------------- sources (fast)

@pytest.mark.parametrize("path", colab.notebooks(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_notebook_is_normalised(path):
    """Colab setup cell first, no outputs or execution counts: what `tools/colab.py sync` writes."""
    assert colab.problems(path, REPO_URL, RELEASE) == [], (
        f"{path.relative_to(ROOT)}: run `python tools/colab.py sync`")


def test_every_chapter_notebook_is_checked():
    checked = set(colab.notebooks())
    chapters = {p for p in (ROOT / "chapters").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts}
    assert chapters and chapters <= checked


def test_repository_address_is_written_once():
    config_text = (ROOT / "_config.yml").read_text(encoding="utf-8")
    config = yaml.safe_load(config_text)
    assert (REPO_URL, BRANCH) == (config["repository"]["url"].rstrip("/"), config["repository"]["branch"])
    assert config_text.count(REPO_URL) == 1
    assert REPO_URL == "https://github.com/nn-first-principles/nn-course" and BRANCH == "main"
    assert config["launch_buttons"]["colab_url"] == "https://colab.research.google.com"


def test_colab_address_of_a_notebook():
    assert colab.colab_url(ROOT / "chapters" / "01_neural_networks.ipynb", REPO_URL, BRANCH) == (
        "https://colab.research.google.com/github/nn-first-principles/nn-course/blob/main/"
        "chapters/01_neural_networks.ipynb")


def _run_setup_cell(monkeypatch, *, on_colab: bool, installed: bool = True) -> list[list[str]]:
    """Execute the setup cell's source with subprocess.run recorded; return the commands."""
    commands = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: commands.append(cmd))
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    if on_colab:
        monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab-test")
    if not installed:  # as on a fresh Colab runtime, or a student's own Python
        real_find_spec = importlib.util.find_spec
        monkeypatch.setattr(importlib.util, "find_spec",
                            lambda name, *a: None if name == "course_lib" else real_find_spec(name, *a))
    exec(compile(colab.setup_source(REPO_URL, RELEASE), "colab-setup", "exec"), {})
    return commands


def test_setup_cell_does_nothing_where_course_lib_is_installed(monkeypatch, capsys):
    assert "google.colab" not in sys.modules
    assert _run_setup_cell(monkeypatch, on_colab=False) == []
    assert _run_setup_cell(monkeypatch, on_colab=True) == []  # a second run on Colab installs nothing
    assert capsys.readouterr().out == ""


def test_setup_cell_says_how_to_install_course_lib_outside_colab(monkeypatch, capsys):
    assert _run_setup_cell(monkeypatch, on_colab=False, installed=False) == []
    out = capsys.readouterr().out
    assert out.count("\n") == 1, "one line"
    assert f'pip install "course_lib @ git+{REPO_URL}@{RELEASE}"' in out


def test_setup_cell_installs_only_the_pinned_course_lib_on_colab(monkeypatch):
    commands = _run_setup_cell(monkeypatch, on_colab=True, installed=False)
    assert commands == [[sys.executable, "-m", "pip", "install", "--quiet",
                         f"course_lib @ git+{REPO_URL}@{RELEASE}"]]
    # The plain requirement (no [torch]/[tensorflow] extra, no --upgrade, no --force-reinstall)
    # leaves Colab's torch and tensorflow alone; the release tag, not the branch head, is installed.
    assert not any(word in " ".join(commands[0]) for word in ("torch", "tensorflow", "[", "upgrade", "force"))
    assert not commands[0][-1].endswith(f"@{BRANCH}")


def test_sync_makes_a_notebook_normal(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_code_cell("1 + 1")]
    nb.cells[1].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)]
    nb.cells[1].execution_count = 1
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    assert set(colab.problems(path, REPO_URL, RELEASE)) == {
        "the first cell is not the Colab setup cell", "committed outputs", "execution counts"}
    assert colab.sync(path, REPO_URL, RELEASE) is True
    assert colab.problems(path, REPO_URL, RELEASE) == []
    assert colab.sync(path, REPO_URL, RELEASE) is False  # idempotent
    cells = nbformat.read(path, as_version=4).cells
    assert [c.source for c in cells[1:]] == ["# Title", "1 + 1"]
    assert cells[0].source == colab.setup_source(REPO_URL, RELEASE)


# --------------------------------------------------------------------------- the build (slow)

@dataclass
class BuildResult:
    returncode: int
    log: str
    seconds: float


def _ensure_mathjax():
    """The book serves MathJax from _vendor/mathjax (npm package); make it if missing."""
    if not MATHJAX.exists():
        done = subprocess.run(["make", str(MATHJAX.relative_to(ROOT))], cwd=ROOT,
                              capture_output=True, text=True)
        assert done.returncode == 0 and MATHJAX.exists(), (
            f"could not install MathJax into _vendor/mathjax (make):\n{done.stdout}\n{done.stderr}")


@pytest.fixture(scope="session")
def book() -> BuildResult:
    """Build the book in place, strictly, once per test run (shared by xdist workers)."""
    _ensure_mathjax()
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex
    stamp = BUILD / ".test-book-result.json"
    with file_lock(BUILD / ".test-book.lock"):
        if stamp.exists():
            previous = json.loads(stamp.read_text())
            if previous.pop("run_id") == run_id:
                return BuildResult(**previous)
        start = time.perf_counter()
        done = subprocess.run(BUILD_COMMAND, cwd=ROOT, capture_output=True, text=True,
                              timeout=BUILD_TIMEOUT_S, env={**os.environ, "NO_COLOR": "1"})
        if done.returncode != 0 and KERNEL_PORT_TAKEN in done.stdout + done.stderr:
            # A kernel lost the race for a free TCP port to another process starting at the same
            # moment (the test workers start kernels too): not the book's fault. The chapters that
            # ran are in the execution cache; the rebuild executes only the rest.
            done = subprocess.run(BUILD_COMMAND, cwd=ROOT, capture_output=True, text=True,
                                  timeout=BUILD_TIMEOUT_S, env={**os.environ, "NO_COLOR": "1"})
        if done.returncode == 0:  # then, as `make book` does, the Colab notebooks into the site
            done = _with_colab_notebooks(done)
        result = BuildResult(done.returncode, done.stdout + done.stderr, time.perf_counter() - start)
        stamp.write_text(json.dumps({"run_id": run_id, **result.__dict__}))
        return result


def _with_colab_notebooks(built: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    """The Colab notebooks after a successful build, as `make book` makes them: the site holds them."""
    done = subprocess.run([sys.executable, "tools/colab_publish.py", "--html", str(HTML), "--out", str(BUILD / "colab")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    return subprocess.CompletedProcess(built.args, done.returncode, built.stdout + done.stdout,
                                       built.stderr + done.stderr)


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def build_problems(log: str) -> list[str]:
    """The lines of a build log that report a warning or an error (colour codes removed)."""
    lines = ANSI_ESCAPE.sub("", log).splitlines()
    flagged = (line for line in lines if re.search(r"\b(WARNING|ERROR|CRITICAL)\b", line))
    return [line for line in flagged if not any(p.search(line) for p in HARMLESS_LOG_LINES)]


def test_build_problems_are_found():
    log = ("reading sources... [ 50%] chapters/intro\n"
           "\x1b[91m/work/chapters/01.ipynb:5: WARNING: Executing notebook failed\x1b[39;49;00m\n"
           "[IPKernelApp] WARNING | Kernel is running over TCP without encryption. Use IPC\n")
    assert build_problems(log) == ["/work/chapters/01.ipynb:5: WARNING: Executing notebook failed"]


@pytest.mark.slow
def test_book_builds_strictly(book):
    assert book.returncode == 0, "jupyter-book build failed:\n" + (
        "\n".join(build_problems(book.log)[:50]) or book.log[-5000:])
    assert build_problems(book.log) == []
    assert "build succeeded" in book.log


@pytest.mark.slow
def test_every_page_of_the_toc_is_built(book):
    built = {p.relative_to(HTML).with_suffix("").as_posix() for p in (HTML / "chapters").rglob("*.html")}
    assert built == {d for d in PAGES if d.startswith("chapters/")}, "pages outside _toc.yml or missing"
    assert (HTML / "index.html").exists()


@pytest.mark.slow
@pytest.mark.parametrize("path", EXECUTED_NOTEBOOKS, ids=lambda p: p.stem)
def test_unchanged_rebuild_reuses_the_execution_cache(book, path):
    """The jupyter-cache holds each executed notebook as it is now: a rebuild executes nothing."""
    from jupyter_cache import get_cache

    cache = get_cache(BUILD / ".jupyter_cache")
    record = cache.match_cache_notebook(nbformat.read(path, as_version=4))  # KeyError: no match
    assert record.pk > 0


# --------------------------------------------------------------------------- the site in a browser (slow)

class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture(scope="session")
def site(book):
    """The built site, served over HTTP on 127.0.0.1; yields its origin.

    The site is checked even when the build reported problems (test_book_builds_strictly
    fails then): with --keep-going every page is still written.
    """
    assert (HTML / "index.html").exists(), f"the book did not build:\n{book.log[-3000:]}"
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(_QuietHandler, directory=str(HTML)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser(site, tmp_path_factory):
    """Headless Chromium with a fresh profile; every request outside `site` is aborted and logged.

    Yields a namespace: `context` (a Playwright BrowserContext) and `blocked` (the URLs aborted).
    """
    assert CHROMIUM.exists(), (
        f"{CHROMIUM} is missing: install Debian's Chromium with `bash .ci/install-browser.sh` "
        "(`make test` does it). The browser tests never download a browser.")
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []

    def only_local(route):
        url = route.request.url
        if url.startswith(site + "/") or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM),
            headless=True, args=CHROMIUM_ARGS)
        context.route("**/*", only_local)
        yield SimpleNamespace(context=context, blocked=blocked)
        context.close()


# Runs in the page once MathJax is done: what the tests below look at.
PAGE_REPORT_JS = """
async () => {
  // Load every image now (lazy ones too) and wait for each to finish or fail.
  await Promise.all([...document.images].map(img => {
    img.loading = 'eager';
    return img.decode().catch(() => null);
  }));
  const maths = [...document.querySelectorAll('.math')];
  // The prose of the page: the article, without code, outputs in <pre> and typeset maths.
  const article = (document.querySelector('article.bd-article') || document.body).cloneNode(true);
  article.querySelectorAll('pre, code, script, style, textarea, mjx-container, .highlight')
         .forEach(e => e.remove());
  return {
    mathCount: maths.length,
    untypeset: maths.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 120)),
    mathErrors: [...document.querySelectorAll('mjx-merror, [data-mjx-error]')]
                  .map(e => e.getAttribute('data-mjx-error') || e.textContent),
    mathjaxScripts: [...document.querySelectorAll('script[src*="mathjax"]')].map(s => s.src),
    prose: article.textContent,
    images: [...document.images].map(img => ({src: img.currentSrc || img.src,
                                               ok: img.complete && img.naturalWidth > 0})),
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  };
}
"""


@pytest.fixture(scope="session")
def rendered(browser, site):
    """docname -> report of the page as rendered in Chromium (each page is opened once)."""
    cache: dict[str, dict] = {}

    def render(docname: str) -> dict:
        if docname not in cache:
            cache[docname] = _render(browser, f"{site}/{docname}.html")
        return cache[docname]

    return render


def _render(browser, url: str) -> dict:
    page = browser.context.new_page()
    errors, bad_responses = [], []
    blocked_before = len(browser.blocked)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda r: bad_responses.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    try:
        response = page.goto(url, wait_until="load")
        assert response is not None and response.status == 200, f"{url}: {response and response.status}"
        if page.evaluate("() => document.querySelector('.math') !== null"):
            # MathJax 3 resolves startup.promise once it has typeset the page.
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                                   timeout=30_000)
            page.evaluate("() => MathJax.startup.promise.then(() => true)")
        report = page.evaluate(PAGE_REPORT_JS)
    finally:
        page.close()
    report.update(js_errors=errors, bad_responses=bad_responses,
                  blocked=browser.blocked[blocked_before:])
    return report


# Delimiters of TeX that MathJax left alone (or that never reached it).
RAW_TEX = re.compile(r"\\\(|\\\)|\\\[|\\\]|\\begin\{|\\end\{|\$\$|\$[^$\s][^$]*\$")


@pytest.mark.slow
@pytest.mark.parametrize("docname", PAGES)
def test_page_loads_offline(rendered, docname):
    report = rendered(docname)
    assert report["blocked"] == [], "the page asked for something outside the book"
    assert report["bad_responses"] == []
    assert report["js_errors"] == []


@pytest.mark.slow
@pytest.mark.parametrize("docname", PAGES)
def test_maths_is_typeset(rendered, site, docname):
    report = rendered(docname)
    assert report["mathErrors"] == [], "MathJax could not typeset some TeX"
    assert report["untypeset"] == [], "maths left untypeset"
    found = RAW_TEX.findall(report["prose"])
    assert found == [], f"raw TeX in the text: {found[:10]}"
    if report["mathCount"]:
        # The book's own copy (Sphinx appends a ?v=checksum to the address).
        assert [src.split("?")[0] for src in report["mathjaxScripts"]] == [
            f"{site}/_static/mathjax/tex-svg.js"]


@pytest.mark.slow
def test_maths_check_is_not_vacuous(rendered):
    """The introduction has maths (a numbered equation), so MathJax is really exercised."""
    report = rendered(PAGES[0])
    assert report["mathCount"] >= 3 and not report["untypeset"]


@pytest.mark.slow
@pytest.mark.parametrize("docname", PAGES)
def test_images_load(rendered, docname):
    broken = [image["src"] for image in rendered(docname)["images"] if not image["ok"]]
    assert broken == []


@pytest.mark.slow
@pytest.mark.parametrize("docname", PAGES)
def test_internal_links_resolve(rendered, site, docname):
    broken = []
    for link in sorted(set(rendered(docname)["links"])):
        if not link.startswith(site + "/"):
            continue
        target, _, anchor = link.partition("#")
        status, anchors = _fetch(target)
        if status != 200:
            broken.append(f"{link}: HTTP {status}")
        elif anchor and urllib.parse.unquote(anchor) not in anchors:
            broken.append(f"{link}: no element with id {anchor!r}")
    assert broken == []


@pytest.mark.slow
@pytest.mark.parametrize("docname", PAGES)
def test_colab_button_opens_this_notebook(rendered, docname):
    # The launch button's links; the prose may link to Colab's home page too.
    colab_links = {link for link in rendered(docname)["links"]
                   if link.startswith("https://colab.research.google.com/github/")}
    if is_notebook(docname):  # the generated notebook of the release the set-up cell installs
        assert colab_links == {colab_links_tool.colab_address(docname)} == {
            f"https://colab.research.google.com/github/nn-first-principles/nn-course/blob/colab/{RELEASE}/{docname}.ipynb"}
    else:
        assert colab_links == set(), "a Markdown page has no notebook to open"


# --------------------------------------------------------------------------- search, dark mode, PDF (slow)

# A query and the page it must find: words of each chapter's own subject (the index is stemmed).
SEARCHES = [("softmax cross-entropy", "chapters/06_classification"),
            ("universal approximation theorem", "chapters/02_universal_approximation"),
            ("dual numbers", "chapters/04_automatic_differentiation"),
            ("GradientTape", "chapters/09_keras")]


@contextlib.contextmanager
def _page(browser):
    """A new page of the test browser; `page.errors` collects its JavaScript errors."""
    page = browser.context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    try:
        yield page
    finally:
        page.close()


@pytest.mark.slow
@pytest.mark.parametrize("query, docname", SEARCHES, ids=[q for q, _ in SEARCHES])
def test_search_finds_the_chapter(browser, site, query, docname):
    """The search box of a page (Ctrl+K, as a reader would) leads to results that include the chapter."""
    with _page(browser) as page:
        page.goto(f"{site}/{PAGES[1]}.html", wait_until="load", timeout=120_000)
        page.keyboard.press("Control+k")
        field = page.locator("input[name=q]:visible").first
        field.fill(query)
        field.press("Enter")
        page.wait_for_url("**/search.html?q=*", timeout=60_000)
        page.wait_for_function("() => /Search finished/.test(document.querySelector('#search-results')"
                               "?.textContent || '')", timeout=120_000)
        found = page.eval_on_selector_all("#search-results ul.search li > a",
                                          "links => links.map(a => a.getAttribute('href'))")
        assert page.errors == []
    assert f"{docname}.html" in {link.split("#")[0] for link in found}, found


@pytest.mark.slow
def test_search_of_nonsense_finds_nothing(browser, site):
    with _page(browser) as page:
        page.goto(f"{site}/search.html?q=qwzxvbnmplk", wait_until="load", timeout=120_000)
        page.wait_for_function("() => (document.querySelector('#search-results')?.textContent || '')"
                               ".includes('did not match')", timeout=120_000)
        assert page.eval_on_selector_all("#search-results ul.search li", "items => items.length") == 0


_LOOK_JS = """() => {
  const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = c => { const [r, g, b] = rgb(c); return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255; };
  const body = getComputedStyle(document.body);
  const article = document.querySelector('article.bd-article') || document.body;
  return {mode: document.documentElement.dataset.mode, theme: document.documentElement.dataset.theme,
          background: lum(body.backgroundColor), text: lum(getComputedStyle(article).color)};
}"""


@pytest.mark.slow
def test_dark_mode_follows_the_reader_and_the_switch(browser, site):
    """Dark when the reader's system asks for it; the theme switch turns it on and off, and it sticks."""
    url = f"{site}/{PAGES[1]}.html"

    with _page(browser) as page:
        page.emulate_media(color_scheme="dark")
        page.goto(url, wait_until="load", timeout=120_000)
        look = page.evaluate(_LOOK_JS)
        assert look["theme"] == "dark" and look["background"] < 0.2 and look["text"] > 0.6, look
        page.emulate_media(color_scheme="light")
        page.evaluate("() => localStorage.setItem('mode', 'light')")
        page.reload(wait_until="load")
        look = page.evaluate(_LOOK_JS)
        assert look["theme"] == "light" and look["background"] > 0.8 and look["text"] < 0.4, look
        seen = []
        for _ in range(3):  # the switch cycles light, dark and the system's choice
            page.click("button.theme-switch-button")
            seen.append(page.evaluate(_LOOK_JS))
            if seen[-1]["theme"] == "dark":
                break
        assert seen[-1]["theme"] == "dark" and seen[-1]["background"] < 0.2, seen
        page.goto(f"{site}/{PAGES[2]}.html", wait_until="load", timeout=120_000)
        assert page.evaluate(_LOOK_JS)["theme"] == "dark", "the choice holds on the next page"
        page.evaluate("() => localStorage.removeItem('mode')")
        assert page.errors == []


PDF = BUILD / "pdf" / "book.pdf"


@pytest.fixture(scope="session")
def pdf(book) -> Path:
    """`make pdf`'s two steps, after the HTML build (whose execution cache they reuse); once per run."""
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex
    stamp = BUILD / ".test-pdf-result.json"
    with file_lock(BUILD / ".test-pdf.lock"):
        if stamp.exists() and json.loads(stamp.read_text()).get("run_id") == run_id:
            return PDF
        PDF.unlink(missing_ok=True)
        log = ""
        for command in (BUILD_COMMAND[:2] + ["-W", "-n", "--keep-going", "--builder", "singlehtml", "."],
                        [sys.executable, str(ROOT / "tools" / "pdf.py"), "--html", str(BUILD / "singlehtml"),
                         "--out", str(PDF), "--chromium", str(CHROMIUM)]):
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
                                  env={**os.environ, "NO_COLOR": "1"})
            log += done.stdout + done.stderr
            assert done.returncode == 0, f"{' '.join(command[:3])} failed:\n{log[-5000:]}"
        assert build_problems(log) == [], "\n".join(build_problems(log)[:30])
        stamp.write_text(json.dumps({"run_id": run_id}))
    return PDF


def _chapter_titles() -> list[str]:
    titles = []
    for docname in PAGES:
        path = ROOT / f"{docname}.ipynb"
        if path.exists() and docname.startswith("chapters/0"):
            for cell in nbformat.read(path, as_version=4).cells:
                if cell.cell_type == "markdown" and cell.source.startswith("# "):
                    titles.append(cell.source.splitlines()[0][2:].strip())
                    break
    return titles


@pytest.mark.slow
def test_pdf_holds_the_whole_book(pdf):
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    # NFKC: Chromium's text has ligatures (the "ffi" of "differentiation" is one glyph).
    text = unicodedata.normalize("NFKC", " ".join(page.extract_text() or "" for page in reader.pages))
    text = re.sub(r"\s+", " ", text)
    titles = _chapter_titles()
    assert len(titles) == 9
    assert len(reader.pages) >= 60, f"only {len(reader.pages)} pages"
    missing = [title for title in titles if re.sub(r"\s+", " ", title) not in text]
    assert missing == [], "chapters missing from the PDF"
    assert "Graded assignments" in text or "assignment" in text.lower()
    # The maths is typeset (MathJax SVG), not left as TeX source between its delimiters.
    assert "$$" not in text and "\\begin{align" not in text
    # Every figure of the book is in it.
    assert sum(len(page.images) for page in reader.pages) >= 20


class _AnchorParser(html.parser.HTMLParser):
    """Collects the targets of #fragments in an HTML page (id and name attributes)."""

    def __init__(self):
        super().__init__()
        self.anchors: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("id", "name") and value:
                self.anchors.add(value)


_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@functools.lru_cache(maxsize=None)
def _fetch(url: str) -> tuple[int, frozenset[str]]:
    """HTTP status of `url` on the local server, and the anchors of the page when it is HTML."""
    try:
        with _NO_PROXY.open(url, timeout=30) as response:
            body = response.read()
            status = response.status
            is_html = response.headers.get_content_type() == "text/html"
    except urllib.error.HTTPError as error:
        return error.code, frozenset()
    parser = _AnchorParser()
    if is_html:
        parser.feed(body.decode("utf-8", errors="replace"))
    return status, frozenset(parser.anchors)
