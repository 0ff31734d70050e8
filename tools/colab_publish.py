"""Colab notebooks made from the executed book: the prose as the book's page reads it.

    python tools/colab_publish.py [--html _build/html] [--out _build/colab] [NOTEBOOK ...]

Colab renders Markdown and HTML, not MyST. A chapter's source notebook shows raw roles there
(``{glue:text}`key:.2f```, ``{eq}`eq-gd```, ``{cite}`kingma2015```) and its exercises' solutions open
under the question. This tool writes, for every chapter, the notebook a student should open instead:

* every glued value written into the prose as the page shows it (myst-nb's own formatting), read
  from the executed notebook the book build keeps (``_build/html/_sources``, ``jupyter_execute``);
* every reference as its text with a link to the book's page: ``(5.4)``, ``Fig. 5.2``, a section's
  title, a chapter's title, with the numbers Sphinx gave them (read from the built HTML, never
  counted again here); citations as ``(Kingma and Ba, 2015)`` linked to the bibliography;
* MyST fences as Markdown and HTML Colab renders: admonitions as quoted blocks, hints and
  solutions inside ``<details>`` (folded, as in the book), glued figures as a pointer to the cell
  that draws them, tables as tables, equation labels as ``\\tag{5.4}``; targets ``(label)=`` removed;
* code cells unchanged, outputs stripped, the Colab set-up cell first (as in the sources).

The generated notebooks go under ``--out`` (``_build/colab/chapters/*.ipynb``) and into the built site
(``_build/html/colab/``, where every page's download button points); ``make book`` runs this after the
build. The publishing workflow commits them where the Colab buttons point (``tools/colab_links.py``).
"""
from __future__ import annotations

import argparse
import ast
import copy
import html
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.colab import CONFIG, read_repository  # noqa: E402
from tools.colab_links import SITE_FOLDER  # noqa: E402

CHAPTERS = "chapters"
ROLE = re.compile(r"\{([A-Za-z][\w:+-]*)\}`([^`]*)`")
# inline code as CommonMark reads it: a run of N backticks up to the next run of exactly N (so
# ``a `{eq}`x` b`` is code, backticks and all, and nothing in it is a role)
INLINE = re.compile(ROLE.pattern + r"|(?P<ticks>`+)(?!`).+?(?<!`)(?P=ticks)(?!`)")
TARGET = re.compile(r"^\s*\(([^()\s]+)\)=\s*$")
FENCE = re.compile(r"^(?P<indent>\s*)(?P<mark>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}\s*(?P<arg>.*?)\s*$")
PLAIN_FENCE = re.compile(r"^(?P<indent>\s*)(?P<mark>`{3,}|~{3,})(?P<info>[^`]*)$")
OPTION = re.compile(r"^\s*:(?P<key>[\w-]+):\s*(?P<value>.*)$")
LABELLED_MATH_LINE = re.compile(r"^(?P<indent>\s*)\$\$(?P<math>.+?)\$\$\s*\((?P<label>[^)]+)\)\s*$")
LABELLED_MATH_END = re.compile(r"^(?P<indent>\s*)\$\$\s*\((?P<label>[^)]+)\)\s*$")
ADMONITIONS = {"note", "tip", "hint", "important", "warning", "caution", "attention", "danger", "error",
               "seealso", "admonition"}


def book_url(repository_url: str) -> str:
    """The address GitHub Pages gives the book of ``https://github.com/<owner>/<repo>``."""
    owner, repo = repository_url.rstrip("/").split("/")[-2:]
    return f"https://{owner.lower()}.github.io/{repo}/"


# --------------------------------------------------------------------------- what the book knows


@dataclass
class Target:
    text: str       # "(5.4)", "Fig. 5.2", "5.3. How much faster: ..." as the page shows it
    url: str        # the page and anchor in the published book


@dataclass
class Book:
    """What the built book knows that a notebook does not: numbers, titles, citations, glue."""

    base: str                                               # the published book's address
    targets: dict[str, Target] = field(default_factory=dict)  # label -> its text and address
    pages: dict[str, Target] = field(default_factory=dict)    # docname ("chapters/05_...") -> title
    citations: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (authors, year)
    bibliography: str = "chapters/bibliography.html"

    def cite(self, keys: str, textual: bool = False) -> str:
        parts = []
        for key in (k.strip() for k in keys.split(",") if k.strip()):
            authors, year = self.citations.get(key, (key, ""))
            link = self.base + self.bibliography
            parts.append(f"{authors} ([{year}]({link}))" if textual else f"[{authors}, {year}]({link})")
        return "; ".join(parts) if textual else "(" + "; ".join(parts) + ")"


def _text(node) -> str:
    """An element's text without Sphinx's permalink marks."""
    node = copy.copy(node)
    for a in node.select("a.headerlink"):
        a.decompose()
    return " ".join(node.get_text(" ", strip=True).split())


def read_book(html_dir: Path, base: str) -> Book:
    """Numbers, titles and anchors from the built HTML pages: exactly what a reader sees."""
    from bs4 import BeautifulSoup

    book = Book(base=base)
    for page in sorted(html_dir.rglob("*.html")):
        rel = page.relative_to(html_dir).as_posix()
        if rel.startswith(("_", "genindex", "search")):
            continue
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        url = base + rel
        title = soup.find("h1")
        if title:
            book.pages[rel.removesuffix(".html")] = Target(_text(title), url)
        for node in soup.find_all(id=True):
            ident = node["id"]
            if ident.startswith("equation-"):
                number = node.find(class_="eqno")
                if number:
                    book.targets[ident.removeprefix("equation-")] = Target(_text(number), f"{url}#{ident}")
            elif node.name in ("figure", "table", "div") and node.find(class_="caption-number"):
                book.targets.setdefault(ident, Target(_text(node.find(class_="caption-number")).rstrip(". "),
                                                      f"{url}#{ident}"))
            elif node.name == "section" or (node.name == "span" and node.parent and node.parent.name == "section"):
                section = node if node.name == "section" else node.parent
                heading = section.find(re.compile(r"^h[1-6]$"))
                if heading:
                    book.targets.setdefault(ident, Target(_text(heading), f"{url}#{section.get('id', ident)}"))
    return book


def read_citations(bib: Path) -> dict[str, tuple[str, str]]:
    """``key -> ("Kingma and Ba", "2015")`` from the bibliography, as author_year shows them."""
    from pybtex.database import parse_file

    out = {}
    for key, entry in parse_file(str(bib)).entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [" ".join(p.last_names).replace("{", "").replace("}", "") for p in people]
        authors = (names[0] if len(names) == 1 else f"{names[0]} and {names[1]}" if len(names) == 2
                   else f"{names[0]} et al." if names else key)
        out[key] = (authors, entry.fields.get("year", ""))
    return out


def read_glue(executed: dict, glue_file: Path | None = None) -> dict[str, dict]:
    """``key -> mime bundle`` of every glued value of an executed notebook: myst-nb keeps them in
    ``<name>.glue.json`` beside it (and older versions in outputs marked ``scrapbook``)."""
    found = {}
    for cell in executed.get("cells", []):
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("scrapbook", {})
            if meta.get("name"):
                found[meta["name"]] = output.get("data", {})
    if glue_file is not None and glue_file.exists():
        for key, output in json.loads(glue_file.read_text(encoding="utf-8")).items():
            found[key] = output.get("data", {}) if isinstance(output, dict) else {}
    return found


def glue_of(html_dir: Path, source: Path) -> dict[str, dict]:
    """The glued values of one page of the book (none for a page the book does not execute)."""
    rel = source.relative_to(ROOT)
    executed = html_dir.parent / "jupyter_execute" / rel
    return read_glue(executed_notebook(html_dir, source), executed.with_suffix(".glue.json"))


def format_plain_text(text: str, fmt_spec: str) -> str:
    """A glued text/plain value formatted as myst-nb formats it (``myst_nb.core.variables``)."""
    try:
        value = ast.literal_eval(text)
    except (SyntaxError, ValueError):
        value = text
    if fmt_spec == "":
        return str(value)
    kind = fmt_spec[-1]
    if kind == "s":
        value = str(value)
    elif kind in "bcdoxX":
        value = int(value)
    elif kind in "eEfFgGn%":
        value = float(value)
    return format(value, fmt_spec)


# --------------------------------------------------------------------------- the conversion


class Convert:
    """MyST Markdown of one chapter -> Markdown and HTML that Colab renders."""

    def __init__(self, book: Book, glue: dict[str, dict], page: str):
        self.book, self.glue, self.page = book, glue, page

    # roles ----------------------------------------------------------------------------------
    def _ref(self, content: str, kind: str) -> str:
        m = re.match(r"^(?P<text>.*?)\s*<(?P<label>[^<>]+)>$", content)
        text, label = (m["text"], m["label"]) if m else (None, content.strip())
        if kind == "doc":
            page = (Path(self.page).parent / label).as_posix() if not label.startswith("/") else label[1:]
            page = re.sub(r"[^/]+/\.\./", "", page).removesuffix(".ipynb").removesuffix(".md")
            target = self.book.pages.get(page)
        else:
            target = self.book.targets.get(label)
        if target is None:
            raise KeyError(f"{self.page}: no target {label!r} in the built book (build it first: make book)")
        if text and ("{number}" in text or "%s" in text):  # Sphinx's numref takes either
            number = re.search(r"[\d.]*\d", target.text)
            text = text.replace("{number}", number.group() if number else target.text)
            text = text.replace("%s", number.group() if number else target.text)
        return f"[{text or target.text}]({target.url})"

    def role(self, m: re.Match) -> str:
        name, content = m.group(1), m.group(2)
        if name in ("glue", "glue:", "glue:text", "glue:any"):
            key, _, fmt = content.partition(":")
            data = self.glue.get(key.strip())
            if data is None or "text/plain" not in data:
                raise KeyError(f"{self.page}: glue key {key!r} not found in the executed notebook")
            return html.escape(format_plain_text(data["text/plain"], fmt), quote=False)
        if name in ("eq", "numref", "ref", "doc"):
            return self._ref(content, name)
        if name in ("cite", "cite:p", "cite:ps", "cite:alp"):
            return self.book.cite(content)
        if name in ("cite:t", "cite:ts"):
            return self.book.cite(content, textual=True)
        if name == "math":
            return f"${content}$"
        if name in ("sub", "sup"):
            return f"<{name}>{html.escape(content)}</{name}>"
        if name in ("abbr", "term", "code", "samp", "kbd", "file"):
            return f"`{re.sub(r' <[^>]+>$', '', content)}`" if name != "abbr" else re.sub(r" \(.*\)$", "", content)
        raise KeyError(f"{self.page}: the role {{{name}}} has no Colab form yet (tools/colab_publish.py)")

    def inline(self, line: str) -> str:
        # One pass from the left: a role, or inline code (whose text is literal: the book shows a
        # role written inside code as code too).
        return INLINE.sub(lambda m: self.role(m) if m.group(1) else m.group(0), line)

    # blocks ---------------------------------------------------------------------------------
    def convert(self, text: str) -> str:
        return "\n".join(self._block(text.split("\n")))

    def _block(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(lines):
            line = lines[i]
            if TARGET.match(line):
                i += 1
                continue
            m = FENCE.match(line)
            if m:
                end = self._closing(lines, i, m["mark"])
                body = lines[i + 1:end]
                options = {}
                while body and OPTION.match(body[0]):
                    o = OPTION.match(body[0])
                    options[o["key"]] = o["value"]
                    body = body[1:]
                out += [m["indent"] + x if x else x for x in self._directive(m["name"], m["arg"], options, body)]
                i = end + 1
                if i < len(lines) and lines[i].strip():
                    out.append("")  # else the next line continues the quote (CommonMark's laziness)
                continue
            m = PLAIN_FENCE.match(line)
            if m:  # code shown as code: nothing inside is MyST
                end = self._closing(lines, i, m["mark"])
                out += lines[i:end + 1]
                i = end + 1
                continue
            m = LABELLED_MATH_LINE.match(line)
            if m:  # $$ x = 1 $$ (label): one line, as MyST's dollarmath allows
                out += [f"{m['indent']}$$", m["math"]]
                line = f"{m['indent']}$$ ({m['label']})"
            m = LABELLED_MATH_END.match(line)
            if m:
                target = self.book.targets.get(m["label"])
                if target is None:
                    raise KeyError(f"{self.page}: equation label {m['label']!r} not in the built book")
                out += [f"{m['indent']}\\tag{{{target.text.strip('()')}}}", f"{m['indent']}$$"]
                i += 1
                continue
            out.append(self.inline(line))
            i += 1
        return out

    @staticmethod
    def _closing(lines: list[str], start: int, mark: str) -> int:
        char, n = mark[0], len(mark)
        closing = re.compile(rf"^\s*{re.escape(char)}{{{n},}}\s*$")
        for j in range(start + 1, len(lines)):
            if closing.match(lines[j]):
                return j
        return len(lines)  # unclosed: to the end of the cell, as MyST reads it

    def _directive(self, name: str, arg: str, options: dict, body: list[str]) -> list[str]:
        content = self._block(body)
        title = self.inline(arg)
        if name == "dropdown" or (name in ADMONITIONS and "dropdown" in options.get("class", "")):
            summary = _html_of(title) if title else name.capitalize()
            return [f"<details><summary><b>{summary}</b></summary>", "", *content, "", "</details>"]
        if name in ADMONITIONS:
            title = title or name.capitalize()
            head = f"**{title}**" if title.endswith(("?", "!", ".", ":")) else f"**{title}.**"
            return [f"> {head}", ">", *(f"> {x}" if x else ">" for x in content)]
        if name in ("glue:figure", "glue", "figure"):
            label = options.get("name")
            caption = " ".join(x.strip() for x in content if x.strip())
            if label in self.book.targets:
                caption = f"**{self.book.targets[label].text}.** {caption}"
            if name == "figure":
                return [f"![{options.get('alt', '')}]({arg})", "", caption]
            return [caption, "", f"*(The figure is drawn by the code cell above that glues `{arg}`: run it to see it.)*"]
        if name == "list-table":
            return self._table(title, options, content)
        if name in ("math", "amsmath"):
            return ["$$", *body, "$$"]
        if name in ("code-cell", "code-block", "code", "sourcecode"):
            return [f"```{arg}", *body, "```"]
        raise KeyError(f"{self.page}: the directive {{{name}}} has no Colab form yet (tools/colab_publish.py)")

    @staticmethod
    def _table(title: str, options: dict, content: list[str]) -> list[str]:
        rows: list[list[str]] = []
        for line in content:
            if re.match(r"^\*\s+-\s*", line):
                rows.append([re.sub(r"^\*\s+-\s*", "", line).strip()])
            elif re.match(r"^\s+-\s*", line) and rows:
                rows[-1].append(re.sub(r"^\s+-\s*", "", line).strip())
            elif line.strip() and rows:
                rows[-1][-1] += " " + line.strip()
        if not rows:
            return []
        width = max(len(r) for r in rows)
        rows = [r + [""] * (width - len(r)) for r in rows]
        header = int(options.get("header-rows", "0") or 0)
        head, body = (rows[0], rows[1:]) if header else ([""] * width, rows)
        out = [f"**{title}**", ""] if title else []
        out += ["| " + " | ".join(head) + " |", "|" + "---|" * width]
        out += ["| " + " | ".join(r) + " |" for r in body]
        return out


def _html_of(markdown: str) -> str:
    """A converted line as HTML, for where Markdown is not read: a ``<summary>`` is an HTML block,
    so a link there must be ``<a>`` and a ``<`` of the text must be escaped."""
    out, at = [], 0
    for m in re.finditer(r"\[([^\]]*)\]\(([^)\s]+)\)", markdown):
        out += [_escape(markdown[at:m.start()]), f'<a href="{html.escape(m[2])}">{_escape(m[1])}</a>']
        at = m.end()
    return "".join(out) + _escape(markdown[at:])


def _escape(text: str) -> str:
    return html.escape(html.unescape(text), quote=False)  # a glued value comes escaped already


# --------------------------------------------------------------------------- notebooks


def executed_notebook(html_dir: Path, source: Path) -> dict:
    """The executed chapter the book build kept (myst-nb writes it to ``jupyter_execute``); an
    empty one for a page the book renders without executing (the assignments' student versions)."""
    rel = source.relative_to(ROOT)
    if not (html_dir / rel.with_suffix(".html")).exists():
        raise FileNotFoundError(f"{rel} is not in the book under {html_dir}: run `make book` first")
    executed = html_dir.parent / "jupyter_execute" / rel
    return json.loads(executed.read_text(encoding="utf-8")) if executed.exists() else {}


def colab_notebook(source: Path, book: Book, html_dir: Path):
    """The Colab notebook of one chapter."""
    nb = nbformat.read(str(source), as_version=4)
    page = source.relative_to(ROOT).with_suffix("").as_posix()
    convert = Convert(book, glue_of(html_dir, source), page)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = convert.convert(cell.source)
        elif cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata.setdefault("colab", {})["provenance"] = []
    return nb


def publish(html_dir: Path, out_dir: Path, sources: list[Path]) -> list[Path]:
    url, _ = read_repository(CONFIG)
    base = book_url(url)
    book = read_book(html_dir, base)
    book.citations = read_citations(ROOT / CHAPTERS / "references.bib")
    written = []
    for source in sources:
        nb = colab_notebook(source, book, html_dir)
        for folder in (out_dir, html_dir / SITE_FOLDER):  # and into the site: the download buttons
            target = folder / source.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, str(target))
        written.append(out_dir / source.relative_to(ROOT))
    return written


def chapters() -> list[Path]:
    """Every notebook page of the book: the chapters and the assignments' student versions."""
    return sorted((ROOT / CHAPTERS).glob("[0-9][0-9]_*.ipynb")) + sorted((ROOT / CHAPTERS / "assignments").glob("*.ipynb"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html", help="the built book")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "colab", help="where the notebooks go")
    parser.add_argument("notebooks", nargs="*", type=Path, help="chapters (default: all)")
    args = parser.parse_args(argv)
    sources = [p.resolve() for p in args.notebooks] or chapters()
    try:
        written = publish(args.html, args.out, sources)
    except (KeyError, FileNotFoundError) as exc:
        print(f"error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    print(f"{len(written)} Colab notebooks written under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
