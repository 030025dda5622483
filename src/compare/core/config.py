"""Project paths and package resource locations.

Paths are resolved relative to the repository when the package is used from a checkout (``src`` layout),
and can be overridden with the ``POLICY_COMPARE_ROOT`` environment variable.
"""

from __future__ import annotations

import functools
import os
from importlib import resources
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[1]  # src/compare
RESOURCES_DIR = PACKAGE_ROOT / "resources"
PROJ_ROOT = Path(os.environ.get("POLICY_COMPARE_ROOT", PACKAGE_ROOT.parents[1])).resolve()
DATA_DIR = PROJ_ROOT / "data"
RAW_DATA_DIR = DATA_DIR / "raw"
PROCESSED_DATA_DIR = DATA_DIR / "processed"
REPORTS_DIR = PROJ_ROOT / "reports"
NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"
MANIFEST_NAME = "manifest.csv"


@functools.cache
def resource_path(name: str) -> Path:
    """Return the path of a versioned data file shipped in ``compare/resources``.

    Args:
        name: File name inside the resources folder, e.g. ``"userdict_education.txt"``.

    Returns:
        Absolute path of the file.

    Raises:
        FileNotFoundError: If the package does not ship that file.
    """
    path = Path(str(resources.files("compare") / "resources" / name))
    if not path.exists():
        raise FileNotFoundError(f"compare resource not found: {name} (looked in {path.parent})")
    return path
