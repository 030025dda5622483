"""Shared fixtures: the real seed documents and one build of them per test session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
SEED_FILES = {
    "taizhou_js_2023": "taizhou_js_2023_action_plan.txt",
    "changzhou_2023": "changzhou_2023_action_plan.txt",
    "unnamed_province_2023": "unnamed_province_2023_action_plan.txt",
    "taizhou_zj_2021": "taizhou_zj_2021_14th_fyp.txt",
    "ningbo_2023": "ningbo_2023_work_points.txt",
}

os.environ.setdefault("POLICY_COMPARE_CACHE", str(ROOT / ".pytest_cache" / "jieba"))


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    """The project's raw folder (read-only)."""
    return RAW


@pytest.fixture(scope="session")
def seed_raw() -> dict[str, str]:
    """Decoded raw text of each seed, by doc_id."""
    return {doc_id: (RAW / name).read_text(encoding="utf-8") for doc_id, name in SEED_FILES.items()}


@pytest.fixture(scope="session")
def cleaned(seed_raw):
    """Cleaning result of each seed, by doc_id."""
    from compare.text.clean import clean_text

    return {doc_id: clean_text(text) for doc_id, text in seed_raw.items()}


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """One full build of the seeds (all stages) into a temporary folder: the BuildResult."""
    from compare.pipeline.build import build

    out = tmp_path_factory.mktemp("processed")
    return build(RAW, out, use_cache=False)


@pytest.fixture(scope="session")
def tables(built) -> dict:
    """The tables of the session build, by name."""
    return built.tables


@pytest.fixture()
def raw_copy(tmp_path) -> Path:
    """A writable copy of the raw folder (for tests that add or break documents)."""
    dst = tmp_path / "raw"
    shutil.copytree(RAW, dst)
    for p in dst.iterdir():
        p.chmod(0o644)
    return dst


def pytest_sessionfinish(session, exitstatus):
    """No test is skipped silently: a skip fails the run (a missing tool is an error naming its remedy)."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped and exitstatus == 0:
        reporter.write_line(
            f"{len(skipped)} test(s) skipped: every test must run (see the skip reasons above)"
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
