"""Sphinx extension: every page's Colab and notebook-download buttons offer the generated notebook.

The theme's Colab button opens the *source* notebook on the repository's branch: MyST roles that
Colab shows raw, and a notebook that may already need a newer course_lib than the release its
set-up cell installs. Here both buttons point to what ``tools/colab_publish.py`` generates:

* **Colab**: ``<colab>/github/<owner>/<repo>/blob/colab/<release>/<page>.ipynb``, the notebook of the
  release that the set-up cell installs (``repository.course_lib_release``), which the publishing
  workflow (.github/workflows/book.yml) commits to the ``colab`` branch when it cuts that release;
* **download (.ipynb)**: ``colab/<page>.ipynb`` on the site itself, the same notebook
  (``make colab-notebooks`` puts it into ``_build/html/colab/``).

Pages that are not notebooks keep their buttons as the theme made them.
"""
from __future__ import annotations

from pathlib import Path

COLAB_BRANCH = "colab"      # the branch the workflow writes; one folder per release
SITE_FOLDER = "colab"       # the generated notebooks' folder in the published site


def _tools():
    import sys

    root = Path(__file__).resolve().parents[1]
    if str(root) not in sys.path:  # Jupyter Book puts tools/ on the path, not the repository
        sys.path.insert(0, str(root))
    from tools import colab

    return root, colab


def colab_address(page: str) -> str:
    """Where Colab opens the generated notebook of ``page`` ("chapters/05_optimization") of the
    release the set-up cell installs: the ``colab`` branch, folder ``<release>``."""
    root, colab = _tools()
    url, _ = colab.read_repository(root / "_config.yml")
    release = colab.read_release(root / "_config.yml")
    return colab.colab_url(root / f"{page}.ipynb", url, f"{COLAB_BRANCH}/{release}", root=root)


def point_buttons(app, pagename, templatename, context, doctree) -> None:
    if not context.get("ipynb_source") and not str(context.get("page_source_suffix", "")).endswith("ipynb"):
        return
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []):
            if group.get("label") == "launch-buttons" and button.get("text") == "Colab":
                button["url"] = colab_address(pagename)
            elif group.get("label") == "download-buttons" and button.get("text") == ".ipynb":
                button["url"] = f"{context['pathto'](SITE_FOLDER, 1)}/{pagename}.ipynb"
                button["tooltip"] = "Download the notebook (as on Colab: the book's numbers in the text)"


def setup(app):
    # After the theme's own launch buttons (priority 501).
    app.connect("html-page-context", point_buttons, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
