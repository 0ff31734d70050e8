"""The layout's rules, kept: the import-linter contracts of pyproject.toml, and two rules about files.

``lint-imports`` checks the contracts on the code as it is; the second test adds one forbidden
import of each kind to the same import graph and expects the contract that forbids it to break,
so a contract that no longer matches anything (a renamed package) cannot pass silently.
CONTRIBUTING.md says what the rules are for.
"""
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
CONTRACTS = {c["name"]: c for c in CONFIG["contracts"]}


def test_the_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in out.stdout


@pytest.fixture(scope="module")
def graph():
    import grimp

    return grimp.build_graph(*CONFIG["root_packages"], include_external_packages=True, cache_dir=None)


def _check(graph, name: str, extra: tuple[str, str]) -> bool:
    """Whether contract `name` holds on the graph plus one import ``importer -> imported``."""
    import copy

    from importlinter import configuration
    from importlinter.contracts.acyclic_siblings import AcyclicSiblingsContract
    from importlinter.contracts.forbidden import ForbiddenContract
    from importlinter.contracts.layers import LayersContract

    configuration.configure()  # what the lint-imports command sets up (a timer, a file system)
    kinds = {"layers": LayersContract, "forbidden": ForbiddenContract, "acyclic_siblings": AcyclicSiblingsContract}
    options = CONTRACTS[name]
    contract = kinds[options["type"]](name=name, session_options=CONFIG, contract_options=options)
    g = copy.deepcopy(graph)
    for module in extra:
        if module not in g.modules:
            g.add_module(module, is_squashed="." not in module and module.split(".")[0] not in CONFIG["root_packages"])
    g.add_import(importer=extra[0], imported=extra[1], line_number=1, line_contents="import")
    return contract.check(g, verbose=False).kept


LAYERS = "The grader's stages import only downward"
COLLECT = "Collecting and exporting do not depend on grading, checks, the sandbox or feedback"
COURSE_LIB = "course_lib imports nothing of the grader, the tools or the tests"
ENGINE = "The engine imports no course content, tool or test"
CIRCLES = "No import circles among the modules of a package"


@pytest.mark.parametrize("name, importer, imported", [
    (LAYERS, "autograder.sandbox.box", "autograder.checks.client"),      # a stage importing upward
    (LAYERS, "autograder.course", "autograder.grading.late"),             # the old course <-> late circle
    (LAYERS, "autograder.feedback.feedback", "autograder.grading.gradebook"),  # siblings are independent
    (COLLECT, "autograder.lms.collect", "autograder.grading.gradebook"),  # the old collect <-> gradebook circle
    (COURSE_LIB, "course_lib.numpy.layers", "autograder.course"),
    (COURSE_LIB, "course_lib.plotting", "tools.colab"),
    (ENGINE, "autograder.grading.job", "solutions"),
    (ENGINE, "autograder.release", "tools.authoring"),
    (CIRCLES, "course_lib.numpy.activations", "course_lib.torch.mlp"),    # torch already imports numpy
])
def test_each_contract_breaks_on_the_import_it_forbids(graph, name, importer, imported):
    assert name in CONTRACTS, f"pyproject.toml has no contract named {name!r}"
    assert not _check(graph, name, (importer, imported)), f"{name!r} kept with {importer} -> {imported}"


def test_no_grader_module_is_over_500_lines():
    long = {str(p.relative_to(REPO)): n for p in (REPO / "autograder").rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 500}
    assert not long, f"split these along their seams: {long}"


def test_the_engine_names_no_assignment():
    """Course content lives in solutions/: the engine can grade another course without this one's names."""
    names = sorted(p.name for p in (REPO / "solutions").iterdir() if p.is_dir() and re.match(r"a\d+_", p.name))
    assert names, "no assignments found: the test would prove nothing"
    found = [f"{p.relative_to(REPO)}: {n}" for p in (REPO / "autograder").rglob("*.py") for n in names
             if n in p.read_text()]
    assert not found, found


# --------------------------------------------------------------------------- course content beside its assignment


def test_a_courses_checks_are_found_beside_its_assignments(tmp_path):
    """Outside grading, ``autograder.checks.<a>`` is ``<checks folder>/<a>/checks.py`` ($AUTOGRADER_CHECKS)."""
    (tmp_path / "b1_other").mkdir()
    (tmp_path / "b1_other" / "checks.py").write_text("ANSWER = 42\n")
    code = ("import autograder.checks.b1_other as m, autograder.checks.isolation as i; "
            "print(m.ANSWER, m.__file__, i.__file__)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60,
                         env={"AUTOGRADER_CHECKS": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    answer, checks_file, machinery = out.stdout.split()
    assert answer == "42" and checks_file == str(tmp_path / "b1_other" / "checks.py")
    assert machinery == str(REPO / "autograder" / "checks" / "isolation.py")  # the machinery is the engine's


def test_checks_in_the_old_flat_layout_get_a_one_line_error(tmp_path):
    from autograder.checks import packages
    from autograder.errors import InstructorError

    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "b1_other.py").write_text("")
    with pytest.raises(InstructorError, match=r"b1_other/checks\.py"):
        packages.build(tmp_path / "checks", "b1_other", tmp_path / "pkgs", tmp_path / "service")
