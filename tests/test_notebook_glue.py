"""course_lib.notebook.glue where MyST-NB is missing (Colab, plain Jupyter): every glued value is shown.

The test runs in a fresh interpreter in which ``import myst_nb`` fails, as on Colab.
"""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import sys
    sys.modules["myst_nb"] = None          # makes `import myst_nb` raise ImportError, as on Colab
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import IPython.display
    shown = []
    IPython.display.display = lambda obj: shown.append(obj)
    from course_lib.notebook import glue
    assert glue.__module__ == "course_lib.notebook", glue.__module__
    fig, ax = plt.subplots()
    glue("fig_a", fig, display=False)      # a glue:figure places it in the book; here glue shows it
    glue("acc", 0.975, display=False)      # a glue:text quotes it in the book; here glue prints it
    glue("n", 3)
    assert shown == [fig], shown
""")


def test_glue_without_myst_nb_shows_figures_and_prints_numbers():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["acc = 0.975", "n = 3"]
