"""Tests of compare.text.manifest on the real data/raw/manifest.csv and on malformed manifests built in tmp_path."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import opencc
import pandas as pd
import pytest

from compare.core.config import RAW_DATA_DIR
from compare.core.errors import ManifestError
from compare.text.manifest import MANIFEST_COLUMNS, raw_files, read_manifest, unlisted_files
from compare.text.readers import read_document

SEED_IDS = {"taizhou_js_2023", "changzhou_2023", "unnamed_province_2023", "taizhou_zj_2021", "ningbo_2023"}
T2S = opencc.OpenCC("t2s")
HEADER = ",".join(MANIFEST_COLUMNS)
GOOD_ROW = "a_2023,a.txt,泰州,泰州(江苏),江苏,true,,行动方案,标题,2023,2025,2023-05-29,simplified,web,,city"


@pytest.fixture(scope="module")
def manifest() -> pd.DataFrame:
    table = read_manifest(RAW_DATA_DIR)
    assert table is not None
    return table


def test_real_manifest_reads_and_matches_the_files(manifest: pd.DataFrame) -> None:
    assert tuple(manifest.columns) == MANIFEST_COLUMNS
    assert set(manifest["doc_id"]) == SEED_IDS
    present = {p.name for p in raw_files(RAW_DATA_DIR)}
    assert set(manifest["file"]) == present
    assert unlisted_files(RAW_DATA_DIR, manifest) == []
    assert manifest["period_start"].dtype == "Int64"
    assert manifest["names_city"].dtype == "boolean"


def test_real_manifest_keeps_the_two_taizhous_apart(manifest: pd.DataFrame) -> None:
    rows = manifest.set_index("doc_id")
    assert rows.loc["taizhou_js_2023", "city"] == "泰州"
    assert rows.loc["taizhou_zj_2021", "city"] == "台州"
    assert rows["city_label"].is_unique
    assert (rows.loc["taizhou_js_2023", "province"], rows.loc["taizhou_zj_2021", "province"]) == (
        "江苏",
        "浙江",
    )


def test_real_manifest_agrees_with_the_texts(manifest: pd.DataFrame) -> None:
    for row in manifest.itertuples():
        text = read_document(RAW_DATA_DIR / row.file).text
        flat = re.sub(r"\s+", "", text)
        title_core = re.sub(r"\s+", "", re.sub(r"[(（].*$", "", row.title))  # title up to the period bracket
        assert title_core in flat, row.doc_id
        if row.names_city:
            assert row.city in text, row.doc_id
        else:
            assert row.city is None or row.city not in text, row.doc_id
        assert str(row.period_end) in text or "十四五" in text, row.doc_id
        if row.issue_date:
            year, month, day = (int(part) for part in row.issue_date.split("-"))
            assert f"{year}年{month}月{day}日" in text, row.doc_id
        for phrase in re.findall(r"[\u4e00-\u9fff]*甬[\u4e00-\u9fff]*", row.city_evidence or ""):
            assert phrase in text, (row.doc_id, phrase)  # quoted evidence is really in the text
        assert row.genre in T2S.convert(text), row.doc_id  # genres are recorded in simplified characters


def test_real_manifest_scripts_and_inferred_city(manifest: pd.DataFrame) -> None:
    rows = manifest.set_index("doc_id")
    assert rows.loc["changzhou_2023", "script"] == "traditional"
    assert (rows.loc["ningbo_2023", "city"], bool(rows.loc["ningbo_2023", "names_city"])) == ("宁波", False)
    assert rows.loc["unnamed_province_2023", "city"] is None
    assert rows.loc["unnamed_province_2023", "province"] is None
    assert "unnamed" in rows.loc["unnamed_province_2023", "city_evidence"]


def test_missing_manifest_gives_none_and_every_file_is_unlisted(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("乙", encoding="utf-8")
    (tmp_path / "a.docx").write_bytes(b"")
    (tmp_path / "README.md").write_text("notes", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("x", encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    assert read_manifest(tmp_path) is None
    assert unlisted_files(tmp_path, None) == [tmp_path / "a.docx", tmp_path / "b.txt"]


# ------------------------------------------------------------------------------------------ malformed


def _folder(
    tmp_path: Path, *rows: str, header: str = HEADER, files: tuple[str, ...] = ("a.txt", "b.txt")
) -> Path:
    for name in files:
        (tmp_path / name).write_text("教育", encoding="utf-8")
    (tmp_path / "manifest.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8-sig")
    return tmp_path


def _assert_manifest_error(folder: Path, *phrases: str) -> str:
    with pytest.raises(ManifestError) as info:
        read_manifest(folder)
    message = str(info.value)
    assert str(folder / "manifest.csv") in message
    for phrase in phrases:
        assert phrase in message, message
    return message


def test_good_row_reads_with_types_and_blank_cells_as_none(tmp_path: Path) -> None:
    folder = _folder(tmp_path, GOOD_ROW, "b_2021,b.txt,,,,no,,,,,,,,,,")
    table = read_manifest(folder)
    assert table.loc[0, "period_start"] == 2023 and table.loc[0, "names_city"]
    assert pd.notna(table.loc[1, "names_city"]) and not table.loc[1, "names_city"]
    assert table.loc[1, "city"] is None and pd.isna(table.loc[1, "period_end"])
    assert unlisted_files(folder, table) == []


def test_optional_columns_may_be_left_out(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "a_2023,a.txt", header="doc_id,file")
    table = read_manifest(folder)
    assert tuple(table.columns) == MANIFEST_COLUMNS and table.loc[0, "title"] is None
    assert unlisted_files(folder, table) == [folder / "b.txt"]


def test_unknown_column(tmp_path: Path) -> None:
    _assert_manifest_error(
        _folder(tmp_path, GOOD_ROW + ",x", header=HEADER + ",city_en"), "line 1", "'city_en'"
    )


def test_missing_required_column(tmp_path: Path) -> None:
    _assert_manifest_error(_folder(tmp_path, "a.txt,泰州", header="file,city"), "line 1", "missing", "doc_id")


@pytest.mark.parametrize(
    ("change", "phrases"),
    [
        ({"issue_date": "2023/5/29"}, ("line 3", "issue_date '2023/5/29'", "yyyy-mm-dd")),
        ({"issue_date": "2023-02-30"}, ("line 3", "issue_date '2023-02-30'")),
        ({"period_start": "23"}, ("line 3", "period_start '23' is not a 4-digit year")),
        (
            {"period_start": "2026", "period_end": "2025"},
            ("line 3", "period_start 2026 is after period_end 2025"),
        ),
        ({"doc_id": "Taizhou-JS"}, ("line 3", "doc_id 'Taizhou-JS'", "lowercase")),
        ({"doc_id": "a_2023"}, ("line 3", "duplicate doc_id 'a_2023'", "line 2")),
        ({"file": "missing.txt"}, ("line 3", "'missing.txt' does not exist")),
        ({"file": "a.txt"}, ("line 3", "'a.txt' is already listed on line 2")),
        ({"file": "plan.doc"}, ("line 3", "'plan.doc' has an unsupported type")),
        ({"file": "../b.txt"}, ("line 3", "inside the raw folder")),
        ({"names_city": "maybe"}, ("line 3", "names_city 'maybe'", "true/false")),
        ({"script": "trad"}, ("line 3", "script 'trad'", "traditional")),
    ],
)
def test_malformed_row_names_manifest_line_and_problem(tmp_path: Path, change: dict, phrases: tuple) -> None:
    cells = dict(zip(MANIFEST_COLUMNS, GOOD_ROW.split(","), strict=True)) | {
        "doc_id": "b_2021",
        "file": "b.txt",
    }
    second = ",".join((cells | change)[c] for c in MANIFEST_COLUMNS)
    _assert_manifest_error(_folder(tmp_path, GOOD_ROW, second), *phrases)


def test_every_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    rows = (GOOD_ROW, "", GOOD_ROW.replace("2023-05-29", "29.5.2023"), "c_1,c.txt,,,,,,,,,,,,,,")
    message = _assert_manifest_error(
        _folder(tmp_path, *rows), "line 4", "duplicate doc_id", "29.5.2023", "line 5"
    )
    assert "line 2" in message and "'c.txt' does not exist" in message


def test_wrong_number_of_cells(tmp_path: Path) -> None:
    _assert_manifest_error(_folder(tmp_path, "a_2023,a.txt,泰州"), "line 2", "3 cells", "16 columns")


def test_manifest_that_is_not_utf8(tmp_path: Path) -> None:
    folder = _folder(tmp_path, GOOD_ROW)
    (folder / "manifest.csv").write_bytes((HEADER + "\n" + GOOD_ROW + "\n").encode("gb18030"))
    _assert_manifest_error(folder, "not UTF-8", "CSV UTF-8")


def test_quoted_multiline_cell_keeps_line_numbers(tmp_path: Path) -> None:
    first = GOOD_ROW.removesuffix(",city")[:-1] + '"第一行\n第二行",city'
    second = GOOD_ROW.replace("a_2023,a.txt", "b_2021,b.txt").replace("true", "perhaps")
    _assert_manifest_error(_folder(tmp_path, first, second), "line 4", "'perhaps'")


def test_real_manifest_copy_with_seeds_is_valid(tmp_path: Path) -> None:
    for path in [*raw_files(RAW_DATA_DIR), RAW_DATA_DIR / "manifest.csv"]:
        shutil.copy2(path, tmp_path / path.name)
    assert read_manifest(tmp_path)["doc_id"].tolist() == read_manifest(RAW_DATA_DIR)["doc_id"].tolist()
    (tmp_path / "ningbo_2023_work_points.txt").unlink()
    _assert_manifest_error(tmp_path, "line 6", "'ningbo_2023_work_points.txt' does not exist")


def test_level_is_checked(tmp_path: Path) -> None:
    assert read_manifest(_folder(tmp_path, GOOD_ROW)).loc[0, "level"] == "city"
    _assert_manifest_error(_folder(tmp_path, GOOD_ROW.replace(",city", ",nation")), "line 2", "'nation'")
