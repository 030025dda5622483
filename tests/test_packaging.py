"""Project set-up: environment.yml and pyproject.toml agree; the console script and resources are declared."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
NAME_RE = re.compile(r"^\s*([A-Za-z0-9_.\-]+)")


def _name(spec: str) -> str:
    return NAME_RE.match(spec).group(1).lower().replace("_", "-")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    deps = {_name(d): d for d in _pyproject()["project"]["dependencies"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert env["channels"] == ["conda-forge"]
    conda, pip = [], []
    for item in env["dependencies"]:
        if isinstance(item, dict):
            pip.extend(item["pip"])
        else:
            conda.append(item)
    listed = [d for d in conda + pip if _name(d) not in {"python", "pip"} and not d.startswith("-e")]
    names = [_name(d) for d in listed]
    assert len(names) == len(set(names)), "a dependency is listed twice in environment.yml"
    assert set(names) == set(deps), set(names) ^ set(deps)
    # the same version constraints
    for d in listed:
        assert d.replace(" ", "") == deps[_name(d)].replace(" ", ""), d
    assert "-e ." in pip
    python = next(d for d in conda if _name(d) == "python")
    assert python.replace(" ", "") == "python>=" + _pyproject()["project"]["requires-python"].removeprefix(
        ">="
    )


def test_console_script_and_package_data():
    meta = _pyproject()
    assert meta["project"]["scripts"]["policy-compare"] == "compare.cli:main"
    assert "resources/*" in meta["tool"]["setuptools"]["package-data"]["compare"]


def test_notebooks_committed_without_outputs():
    import json

    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    for nb in notebooks:
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        assert not any(c.get("outputs") for c in cells if c["cell_type"] == "code"), nb.name
        assert not any(c.get("execution_count") for c in cells if c["cell_type"] == "code"), nb.name


def test_every_table_is_documented_in_architecture():
    import compare.pipeline.stages  # noqa: F401  (imports every stage, which registers its tables)
    from compare.core.schemas import SCHEMAS

    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [name for name in SCHEMAS if f"`{name}`" not in text]
    assert missing == [], f"add these tables to docs/architecture.md: {missing}"
