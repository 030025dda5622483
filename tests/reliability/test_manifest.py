"""Issue 15, manifest: missing columns, duplicate doc ids, missing files and files outside the raw folder
(``../``, absolute paths, symbolic links out of it) are refused with a clear error before anything is read;
a file outside the raw folder is never opened and never reaches the outputs."""

from __future__ import annotations

import builtins
import hashlib
import pathlib
from pathlib import Path

import pytest

from compare.core.errors import InputError, ManifestError
from compare.pipeline.build import build

PLAN = "某市教育高质量发展行动方案（2023—2025年）\n一、总体要求\n到2025年，普惠性幼儿园覆盖率达到95%以上。\n"
SECRET = "绝密外部文件SECRETOUTSIDE，到2030年新建学校99所。"
HEADER = "doc_id,file,city,title"


@pytest.fixture()
def folder(tmp_path):
    """A raw folder with two plans, and a secret plan-like file next to it (outside the raw folder)."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text(PLAN, encoding="utf-8")
    (raw / "b.txt").write_text(PLAN.replace("某市", "另一市"), encoding="utf-8")
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    return raw


@pytest.fixture()
def opened(monkeypatch):
    """Every path opened for reading through open() / Path.open() while the test runs (resolved)."""
    seen: list[Path] = []
    real_open, real_path_open = builtins.open, pathlib.Path.open

    def spy_open(file, *args, **kwargs):
        if isinstance(file, (str, Path)):
            seen.append(Path(file).resolve())
        return real_open(file, *args, **kwargs)

    def spy_path_open(self, *args, **kwargs):
        seen.append(self.resolve())
        return real_path_open(self, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(pathlib.Path, "open", spy_path_open)
    return seen


def _manifest(raw: Path, *rows: str, header: str = HEADER) -> None:
    (raw / "manifest.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def _outputs_text(out: Path) -> str:
    if not out.exists():
        return ""
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace")
        for p in out.rglob("*")
        if p.is_file() and p.suffix == ".csv"
    )


def _refused(raw: Path, out: Path, *phrases: str) -> str:
    with pytest.raises(InputError) as info:
        build(raw, out, keep_going=True, use_cache=False)
    message = str(info.value)
    for phrase in phrases:
        assert phrase in message, message
    assert "\n" not in message
    assert not (out / "documents.parquet").exists()
    return message


def test_missing_required_column(folder, tmp_path):
    _manifest(folder, "a_2023,泰州,标题", header="doc_id,city,title")
    with pytest.raises(ManifestError, match=r"manifest\.csv: line 1: missing required column\(s\) file"):
        build(folder, tmp_path / "out")


def test_duplicate_doc_id(folder, tmp_path):
    _manifest(folder, "plan_2023,a.txt,,", "plan_2023,b.txt,,")
    _refused(folder, tmp_path / "out", "manifest.csv", "line 3", "duplicate doc_id 'plan_2023'", "line 2")


def test_listed_file_missing(folder, tmp_path):
    _manifest(folder, "a_2023,a.txt,,", "c_2023,no_such_plan.txt,,")
    _refused(folder, tmp_path / "out", "line 3", "'no_such_plan.txt' does not exist")


@pytest.mark.parametrize("kind", ["dotdot", "dotdot_deep", "absolute", "symlink", "symlinked_folder"])
def test_a_file_outside_the_raw_folder_is_refused_and_never_read(folder, tmp_path, opened, kind):
    secret = tmp_path / "secret.txt"
    if kind == "dotdot":
        name = "../secret.txt"
    elif kind == "dotdot_deep":
        name = "../../../../../../etc/passwd"
    elif kind == "absolute":
        name = str(secret)
    elif kind == "symlink":
        (folder / "link.txt").symlink_to(secret)
        name = "link.txt"
    else:
        (folder / "sub").symlink_to(tmp_path, target_is_directory=True)
        name = "sub/secret.txt"
    _manifest(folder, "a_2023,a.txt,,", f"x_2023,{name},,")
    out = tmp_path / "out"
    message = _refused(folder, out, "manifest.csv", "line 3", repr(name))
    assert "outside the raw folder" in message or "inside the raw folder" in message
    assert secret.resolve() not in opened and Path("/etc/passwd") not in opened
    assert "SECRETOUTSIDE" not in message and "SECRETOUTSIDE" not in _outputs_text(out)


def test_an_unlisted_symlink_out_of_the_folder_is_refused_and_never_read(folder, tmp_path, opened):
    (folder / "planted.txt").symlink_to(tmp_path / "secret.txt")  # no manifest: every file is a document
    out = tmp_path / "out"
    message = _refused(folder, out, "planted.txt", "symbolic link", "outside the raw folder")
    assert (tmp_path / "secret.txt").resolve() not in opened
    assert "SECRETOUTSIDE" not in message and "SECRETOUTSIDE" not in _outputs_text(out)


def test_a_symlink_inside_the_folder_is_fine(folder, tmp_path):
    (folder / "same.txt").symlink_to(folder / "a.txt")
    result = build(folder, tmp_path / "out", use_cache=False)
    assert "same.txt" in set(result.tables["documents"]["file"])


def test_a_refused_manifest_leaves_the_previous_outputs_and_raw_files(folder, tmp_path):
    out = tmp_path / "out"
    build(folder, out)
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.glob("*.*") if p.is_file()}
    raw_before = {p.name: p.read_bytes() for p in folder.iterdir()}
    _manifest(folder, "a_2023,a.txt,,", "b_2023,../secret.txt,,")
    with pytest.raises(ManifestError):
        build(folder, out)
    assert {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.glob("*.*") if p.is_file()
    } == before
    raw_before["manifest.csv"] = (folder / "manifest.csv").read_bytes()
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == raw_before
