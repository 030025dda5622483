"""Exceptions raised for bad input. Every message names the file and the problem."""

from __future__ import annotations

from pathlib import Path


class PolicyCompareError(Exception):
    """Base class of all errors raised by ``compare``."""


class InputError(PolicyCompareError):
    """A raw document or the manifest cannot be used.

    Args:
        path: The file at fault (or the manifest).
        problem: What is wrong, in words a researcher understands.
    """

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class ManifestError(InputError):
    """The manifest is malformed (unknown column, bad date, duplicate doc_id, missing file …)."""


class SchemaError(PolicyCompareError):
    """A table about to be written does not match its declared schema."""
