"""The package metadata keeps Colab's torch and tensorflow safe, and the core import stays light."""

import subprocess
import sys
from importlib.metadata import metadata, requires

from packaging.requirements import Requirement

HEAVY = {"torch", "tensorflow", "tensorflow-cpu", "keras", "jax", "torchvision"}


def test_core_requirements_never_pull_torch_or_tensorflow():
    core = [Requirement(r) for r in requires("course_lib") if "extra ==" not in r]
    names = {r.name.lower() for r in core}
    assert names == {"numpy", "scipy", "matplotlib", "seaborn", "scikit-learn", "tqdm", "pooch"}
    assert not names & HEAVY


def test_frameworks_are_extras():
    extras = {}
    for r in map(Requirement, requires("course_lib")):
        if r.marker:
            extra = str(r.marker).split("==")[1].strip().strip("\"'")
            extras.setdefault(extra, set()).add(r.name.lower())
    assert "torch" in extras["torch"]
    assert {"keras", "tensorflow"} <= extras["tensorflow"]
    assert {"jupyter-book", "nbgrader"} <= extras["dev"]
    assert set(metadata("course_lib").get_all("Provides-Extra")) >= {"torch", "tensorflow", "dev"}


def test_importing_course_lib_imports_no_framework():
    code = (
        "import sys, course_lib, course_lib.numpy, course_lib.autodiff, course_lib.gradcheck\n"
        "heavy = {'torch', 'tensorflow', 'keras', 'jax'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
