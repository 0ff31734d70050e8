"""The Colab notebooks read like the book: numbers in the prose, references as text, solutions folded.

* Every MyST construct the chapters use is turned into Markdown or HTML that Colab renders, checked
  on small pieces against a stand-in for the built book (fast).
* The real thing (slow): every notebook page of the built book, generated and rendered with a
  CommonMark renderer (markdown-it-py, as Colab renders Markdown), has no MyST syntax left, no
  ``{glue`` text, and every solution of an exercise inside a ``<details>`` element; the glued
  numbers are the ones the book's page shows.
"""
from __future__ import annotations

import json
import re
from importlib import import_module

import nbformat
import pytest
from bs4 import BeautifulSoup
from markdown_it import MarkdownIt

from tests.test_book import BUILD, HTML, ROOT, book  # noqa: F401 - the session's book build

publish = import_module("tools.colab_publish")

MYST_LEFT = [
    (re.compile(r"\{[A-Za-z][\w:+-]*\}`"), "a MyST role"),
    (re.compile(r"^\s*\([^()\s]+\)=\s*$", re.M), "a (label)= target"),
    (re.compile(r"^\s*(`{3,}|:{3,})\{", re.M), "a MyST directive fence"),
    (re.compile(r"^\s*:(class|name|alt|header-rows):", re.M), "a directive option"),
    (re.compile(r"\$\$[ \t]*\([\w:.-]+\)[ \t]*$", re.M), "an equation label"),
    (re.compile(r"\{glue"), "glue"),
]


def _book() -> publish.Book:
    fake = publish.Book(base="https://example.org/book/")
    fake.targets = {
        "eq-gd": publish.Target("(5.2)", "https://example.org/book/chapters/05.html#equation-eq-gd"),
        "fig-ch5-gd": publish.Target("Fig. 5.1", "https://example.org/book/chapters/05.html#fig-ch5-gd"),
        "ch05-rate": publish.Target("5.3. How much faster", "https://example.org/book/chapters/05.html#ch05-rate"),
    }
    fake.pages = {"chapters/03_backpropagation": publish.Target("3. Back-propagation", "https://example.org/book/chapters/03.html")}
    fake.citations = {"kingma2015": ("Kingma and Ba", "2015"), "he2016": ("He et al.", "2016")}
    return fake


def _convert(text: str, glue: dict | None = None) -> str:
    return publish.Convert(_book(), glue or {}, "chapters/05_optimization").convert(text)


def test_glued_values_are_written_as_the_page_shows_them():
    glue = {"loss": {"text/plain": "0.0064987"}, "name": {"text/plain": "'Adam'"}, "n": {"text/plain": "1436"}}
    out = _convert("SGD ends at {glue:text}`loss:.1e`, {glue:text}`name` at {glue:}`n` and {glue:text}`n:,`.", glue)
    assert out == "SGD ends at 6.5e-03, Adam at 1436 and 1,436."
    with pytest.raises(KeyError, match="glue key 'missing'"):
        _convert("{glue:text}`missing`")


def test_references_become_text_with_a_link_to_the_book():
    out = _convert("By {eq}`eq-gd` and {numref}`fig-ch5-gd`, see {ref}`ch05-rate` and {doc}`03_backpropagation`; "
                   "{numref}`Figure {number} <fig-ch5-gd>` and {ref}`that section <ch05-rate>`.")
    assert out == ("By [(5.2)](https://example.org/book/chapters/05.html#equation-eq-gd) and "
                   "[Fig. 5.1](https://example.org/book/chapters/05.html#fig-ch5-gd), see "
                   "[5.3. How much faster](https://example.org/book/chapters/05.html#ch05-rate) and "
                   "[3. Back-propagation](https://example.org/book/chapters/03.html); "
                   "[Figure 5.1](https://example.org/book/chapters/05.html#fig-ch5-gd) and "
                   "[that section](https://example.org/book/chapters/05.html#ch05-rate).")


def test_citations_in_author_year_form():
    assert _convert("Adam {cite}`kingma2015`; {cite:t}`he2016` showed it.") == (
        "Adam ([Kingma and Ba, 2015](https://example.org/book/chapters/bibliography.html)); "
        "He et al. ([2016](https://example.org/book/chapters/bibliography.html)) showed it.")


def test_solutions_fold_and_admonitions_quote():
    text = ("(ex-5-1)=\n**Exercise 5.1.** Why?\n\n```{admonition} Hint\n:class: dropdown\nLook at {eq}`eq-gd`.\n```\n\n"
            "````{admonition} Solution\n:class: dropdown\nBecause.\n\n```python\nx = {1: 2}  # {eq}`not-a-role`\n```\n````\n\n"
            ":::{note}\nA note.\n:::")
    out = _convert(text)
    assert "(ex-5-1)=" not in out
    assert ("<details><summary><b>Hint</b></summary>\n\nLook at [(5.2)](https://example.org/book/chapters/05.html"
            "#equation-eq-gd).\n\n</details>") in out
    assert "<details><summary><b>Solution</b></summary>\n\nBecause.\n\n```python\nx = {1: 2}  # {eq}`not-a-role`\n```" in out
    assert "> **Note.**\n>\n> A note." in out


def test_labelled_equations_and_glued_figures():
    out = _convert("$$\nx_{t+1} = x_t - \\eta g_t\n$$ (eq-gd)\n\n```{glue:figure} fig_gd\n:name: fig-ch5-gd\n"
                   ":alt: dots\n\nGradient descent {eq}`eq-gd`.\n```")
    assert "$$\nx_{t+1} = x_t - \\eta g_t\n\\tag{5.2}\n$$" in out
    assert "**Fig. 5.1.** Gradient descent [(5.2)]" in out and "glues `fig_gd`" in out
    assert "<strong>Fig. 5.1.</strong> Gradient descent" in MarkdownIt("commonmark").render(out)


def test_list_table_becomes_a_table():
    out = _convert("```{list-table} Modes\n:header-rows: 1\n\n* - framework\n  - mode\n* - NumPy\n  - `train=`\n```")
    html = MarkdownIt("commonmark").enable("table").render(out)
    assert "<th>framework</th>" in html and "<td>NumPy</td>" in html


def test_an_unknown_construct_is_an_error_not_raw_text():
    with pytest.raises(KeyError, match="no Colab form"):
        _convert("{unknownrole}`x`")


def _rendered(markdown: str) -> BeautifulSoup:
    return BeautifulSoup(MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown), "html.parser")


def test_text_after_a_nested_admonition_stays_outside_it():
    """CommonMark's laziness: '> > body' then '> after' puts 'after' in the inner quote."""
    out = _convert("::::{admonition} Exercise\n:::{hint} Inner\nbody\n:::\nafter\n::::\nnext")
    outer = _rendered(out).find("blockquote")
    inner = outer.find("blockquote")
    assert "body" in inner.get_text() and "after" not in inner.get_text() and "after" in outer.get_text()
    assert "next" not in outer.get_text()


def test_a_dropdown_title_with_a_role_is_a_link_and_its_text_escaped():
    """A <summary> is an HTML block: Markdown there is shown as written, so the link must be <a>."""
    out = _convert(":::{admonition} Solution to {eq}`eq-gd` if a<b & c\n:class: dropdown\nBecause.\n:::")
    summary = _rendered(out).find("summary")
    assert summary.find("a")["href"].endswith("#equation-eq-gd") and summary.find("a").get_text() == "(5.2)"
    assert summary.get_text() == "Solution to (5.2) if a<b & c"


def test_a_role_inside_double_backtick_code_is_code_and_the_next_role_converts():
    out = _convert("Write ``a `{eq}`eq-gd` b`` here and {eq}`eq-gd`.")
    assert out == ("Write ``a `{eq}`eq-gd` b`` here and "
                   "[(5.2)](https://example.org/book/chapters/05.html#equation-eq-gd).")


def test_numref_text_with_percent_s_and_a_one_line_labelled_equation():
    assert _convert("{numref}`Figure %s <fig-ch5-gd>`") == (
        "[Figure 5.1](https://example.org/book/chapters/05.html#fig-ch5-gd)")
    out = _convert("$$ x = 1 $$ (eq-gd)")
    assert "\\tag{5.2}" in out and "(eq-gd)" not in out
    assert _convert(":::{admonition} Why?\nBecause.\n:::").startswith("> **Why?**\n")


@pytest.mark.slow
def test_every_generated_notebook_reads_like_the_book(book):  # noqa: F811
    assert book.returncode == 0, "the book did not build: see test_book_builds_strictly"
    out = BUILD / "colab"
    pages = publish.chapters()
    problems = []
    for source in pages:
        rel = source.relative_to(ROOT)
        generated = nbformat.read(str(out / rel), as_version=4)
        site_copy = HTML / "colab" / rel
        if not site_copy.exists() or json.loads(site_copy.read_text()) != json.loads((out / rel).read_text()):
            problems.append(f"{rel}: the site's download copy differs from the generated notebook")
        original = nbformat.read(str(source), as_version=4)
        if [c.source for c in generated.cells if c.cell_type == "code"] != [
                c.source for c in original.cells if c.cell_type == "code"]:
            problems.append(f"{rel}: code cells changed")
        if any(c.get("outputs") for c in generated.cells if c.cell_type == "code"):
            problems.append(f"{rel}: outputs left in")
        if "colab-setup" not in generated.cells[0].metadata.get("tags", []):
            problems.append(f"{rel}: the Colab set-up cell is not first")
        markdown = "\n\n".join(c.source for c in generated.cells if c.cell_type == "markdown")
        for pattern, what in MYST_LEFT:
            for m in pattern.finditer(markdown):
                problems.append(f"{rel}: {what} left: {markdown[max(0, m.start() - 40):m.end() + 40]!r}")
        solutions_in_source = sum(len(re.findall(r"\{admonition\}\s*Solution", c.source))
                                  for c in original.cells if c.cell_type == "markdown")
        soup = _rendered(markdown)
        folded = [d for d in soup.find_all("details") if d.summary and "Solution" in d.summary.get_text()]
        if len(folded) != solutions_in_source:
            problems.append(f"{rel}: {len(folded)} solutions folded of {solutions_in_source}")
        for d in soup.find_all("details"):
            d.decompose()
        if re.search(r"\bSolution\b\s*$", soup.get_text(), re.M):
            problems.append(f"{rel}: a solution outside <details>")
    assert not problems, "\n".join(problems[:40])


@pytest.mark.slow
def test_glued_numbers_are_the_pages_numbers(book):  # noqa: F811
    """The first glued number of chapter 5's prose is in its page's text and in the generated notebook."""
    assert book.returncode == 0
    source = ROOT / "chapters" / "05_optimization.ipynb"
    glue = publish.glue_of(HTML, source)
    role = next(m for c in nbformat.read(str(source), as_version=4).cells if c.cell_type == "markdown"
                for m in publish.ROLE.finditer(c.source) if m.group(1) == "glue:text")
    key, _, fmt = role.group(2).partition(":")
    value = publish.format_plain_text(glue[key]["text/plain"], fmt)
    page = BeautifulSoup((HTML / "chapters" / "05_optimization.html").read_text(), "html.parser").get_text()
    generated = (BUILD / "colab" / "chapters" / "05_optimization.ipynb").read_text()
    assert value in page and value in generated


def test_a_release_is_named_in_one_step(tmp_path):
    """`make release VERSION=...`'s first step: both places that name the release agree afterwards."""
    import shutil
    import tomllib

    colab = import_module("tools.colab")
    for name in ("pyproject.toml", "_config.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    assert colab.set_release("0.3.1", tmp_path / "pyproject.toml", tmp_path / "_config.yml") == "v0.3.1"
    assert tomllib.loads((tmp_path / "pyproject.toml").read_text())["project"]["version"] == "0.3.1"
    assert colab.read_release(tmp_path / "_config.yml") == "v0.3.1"
    with pytest.raises(ValueError, match="not a version"):
        colab.set_release("next", tmp_path / "pyproject.toml", tmp_path / "_config.yml")
