"""A small Sphinx extension of the book: every <script> appears once per page.

sphinx-thebe 0.3.1 (loaded by Jupyter Book 1.x) registers its inline configuration script,
``const THEBE_JS_URL = ...``, from an event that runs after the HTML builder has copied the
registered scripts, so with Sphinx 7.4 the script is written twice into every page and the
browser reports "Identifier 'THEBE_JS_URL' has already been declared". This extension drops
exact duplicates from the page's script list (same file or same inline body, same attributes).
"""


def _script_key(script) -> tuple:
    """What makes two <script> tags the same: the file (None and "" both mean an inline
    script; the two copies of the thebe script differ just so) and the attributes (body)."""
    filename = getattr(script, "filename", script) or ""
    attributes = getattr(script, "attributes", {}) or {}
    return str(filename), tuple(sorted((k, str(v)) for k, v in attributes.items()))


def unique_scripts(app, pagename, templatename, context, doctree):
    seen, unique = set(), []
    for script in context.get("script_files", []):
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", unique_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
