"""Helpers for the course's notebooks, wherever they run: the book build, Colab, plain Jupyter.

The chapters quote numbers from executed cells with MyST-NB's ``glue``. MyST-NB is part of the
book's toolchain only: Colab and a student's own Jupyter do not have it, and a chapter must still
run there top to bottom. So a chapter imports ``glue`` from here, never from ``myst_nb``.
"""

from __future__ import annotations

try:  # the book build: the value is stored under `name` and the text quotes it
    from myst_nb import glue
except ImportError:  # Colab, plain Jupyter: show the value, as the book's page would
    def glue(name: str, variable, display: bool = True) -> None:
        """Stand-in for ``myst_nb.glue`` where MyST-NB is not installed: show `variable` if asked.

        A figure or other rich object is displayed; a number or text is printed with its name,
        so the student sees which quantity the book's text quotes.
        """
        if not display:
            return
        rich = any(hasattr(variable, attr) for attr in ("_repr_png_", "_repr_html_", "savefig"))
        if rich:
            try:
                from IPython.display import display as show
            except ImportError:  # a plain Python script
                pass
            else:
                show(variable)
                return
        print(f"{name} = {variable}")

__all__ = ["glue"]
