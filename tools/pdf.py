"""Print the whole book, built as one HTML page, to one PDF with headless Chromium.

    python tools/pdf.py [--html _build/singlehtml] [--out _build/pdf/book.pdf] [--chromium PATH]

`make pdf` first builds that page (``jupyter-book build --builder singlehtml``: the notebooks'
outputs come from the execution cache of `make book`), then runs this. The page is served on
127.0.0.1, every request elsewhere is refused (the book serves its own MathJax), lazy images are
loaded, MathJax finishes typesetting, and Chromium prints A4 pages with their backgrounds.
The browser is Debian's /usr/bin/chromium unless --chromium (or $CHROMIUM) names another
(GitHub's runners have /usr/bin/google-chrome). Playwright drives it; it downloads no browser.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# Runs in the page: every image loaded, every formula typeset, before printing.
READY_JS = """
async () => {
  await Promise.all([...document.images].map(img => {
    img.loading = 'eager';
    return img.decode().catch(() => null);
  }));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  return document.querySelectorAll('mjx-container').length;
}
"""


class _BookHandler(SimpleHTTPRequestHandler):
    """Serves the build folder, and the book's page as /book.html: the singlehtml builder writes the
    page under its document's folder (chapters/intro.html) with links relative to the root."""

    entry: Path

    def translate_path(self, path):
        if path.split("?", 1)[0] == "/book.html":
            return str(self.entry)
        return super().translate_path(path)

    def log_message(self, *args):
        pass


def _entry_page(html_dir: Path) -> str:
    """The page that holds the book: Jupyter Book's index.html only redirects to the root document."""
    index = (html_dir / "index.html").read_text(encoding="utf-8", errors="replace")
    found = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"', index, re.IGNORECASE)
    return found.group(1) if found else "index.html"


def print_pdf(html_dir: Path, out: Path, chromium: Path) -> int:
    """Print `html_dir`/index.html to `out`; return the number of typeset formulas."""
    from playwright.sync_api import sync_playwright

    if not (html_dir / "index.html").exists():
        raise SystemExit(f"{html_dir}/index.html is missing: build it with "
                         "`jupyter-book build --builder singlehtml .` (make pdf does)")
    if not chromium.exists():
        raise SystemExit(f"{chromium} is missing: install Chromium (bash .ci/install-browser.sh) or pass --chromium")
    handler = type("Handler", (_BookHandler,), {"entry": html_dir / _entry_page(html_dir)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(html_dir)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site = f"http://127.0.0.1:{server.server_address[1]}"
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
                (site + "/", "data:", "blob:")) else route.abort())
            page.goto(f"{site}/book.html", wait_until="load", timeout=300_000)
            page.set_default_timeout(300_000)
            formulas = page.evaluate(READY_JS)
            page.emulate_media(media="print")
            page.pdf(path=str(out), format="A4", print_background=True, outline=True, tagged=True,
                     margin={"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"})
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return formulas


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "singlehtml")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "pdf" / "book.pdf")
    parser.add_argument("--chromium", type=Path, default=Path(os.environ.get("CHROMIUM") or "/usr/bin/chromium"))
    args = parser.parse_args(argv)
    formulas = print_pdf(args.html, args.out, args.chromium)
    print(f"{args.out}: {args.out.stat().st_size / 1e6:.1f} MB, {formulas} formulas typeset")
    return 0


if __name__ == "__main__":
    sys.exit(main())
