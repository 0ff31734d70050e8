"""The published site: the GitHub Actions workflow that builds the book and deploys it to Pages.

The workflow is linted with zizmor (from the lock; offline audits only), and read as YAML for what
publishing needs: the trigger on pushes to the default branch, `make book` and `make pdf`, the Pages
artifact and deployment with the least permissions. (The built site itself, its search, dark mode and
PDF, are checked in tests/test_book.py with the rest of the browser tests.)
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"
ZIZMOR = Path(sys.executable).with_name("zizmor")


def _zizmor(*paths: Path) -> subprocess.CompletedProcess:
    assert ZIZMOR.exists(), "zizmor is missing from .venv (requirements/dev.lock): run `make env`"
    return subprocess.run([str(ZIZMOR), "--offline", "--no-progress", "--format", "plain", *map(str, paths)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def test_workflow_passes_zizmor():
    done = _zizmor(WORKFLOW)
    assert done.returncode == 0, f"zizmor found problems:\n{done.stdout}\n{done.stderr}"


def test_zizmor_check_is_not_vacuous(tmp_path):
    """The same workflow with an action pinned by a tag and credentials left in the checkout fails."""
    bad = tmp_path / ".github" / "workflows" / "book.yml"
    bad.parent.mkdir(parents=True)
    text = WORKFLOW.read_text()
    text = re.sub(r"actions/checkout@[0-9a-f]{40}.*", "actions/checkout@v4", text)
    text = text.replace("persist-credentials: false", "persist-credentials: true")
    bad.write_text(text)
    done = _zizmor(bad)
    assert done.returncode != 0, done.stdout
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  build:\n    steps: [\n")
    assert _zizmor(broken).returncode != 0


def test_workflow_publishes_on_each_push_to_the_default_branch():
    workflow = _workflow()
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on:` as True
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert triggers["push"]["branches"] == [config["repository"]["branch"]]
    assert "pull_request" not in triggers, "only the default branch publishes"
    assert workflow["permissions"] == {}, "no permission unless a job asks for it"
    assert workflow["concurrency"]["group"] == "pages"


def test_workflow_builds_with_the_readme_commands_and_deploys_to_pages():
    jobs = _workflow()["jobs"]
    build, deploy = jobs["build"], jobs["deploy"]
    runs = [step.get("run", "") for step in build["steps"]]
    assert "make book" in runs
    assert any(run.startswith("make pdf") for run in runs)
    uses = {step["uses"].split("@")[0]: step for step in build["steps"] + deploy["steps"] if "uses" in step}
    for action in ("actions/checkout", "actions/upload-pages-artifact", "actions/deploy-pages"):
        assert action in uses, action
    assert all(re.fullmatch(r"[\w./-]+@[0-9a-f]{40}", step["uses"]) for step in uses.values()), "pin by commit"
    assert uses["actions/upload-pages-artifact"]["with"]["path"] == "_build/html"
    assert build["permissions"] == {"contents": "read"}
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    # The PDF goes on the site, beside the HTML.
    assert any("_build/pdf/book.pdf _build/html/book.pdf" in run for run in runs)


def test_readme_documents_publishing():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Publishing the book", 1)[1].split("\n## ", 1)[0]
    for needed in (".github/workflows/book.yml", "GitHub Pages", "make book", "make pdf", "zizmor", "Source"):
        assert needed in section, needed
    assert "make pdf" in readme.split("## Layout", 1)[0], "make pdf is listed with the other targets"


def test_make_pdf_is_a_target():
    done = subprocess.run(["make", "-n", "pdf"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "--builder singlehtml" in done.stdout and "tools/pdf.py" in done.stdout
