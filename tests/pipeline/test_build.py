"""End-to-end build of the seeds, caching, atomic writes and bad input (each with a clear error)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from compare.core.errors import InputError
from compare.core.store import load_corpus
from compare.pipeline.build import BuildError, build
from tests.conftest import SEED_FILES


def _hashes(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()
    }


def test_seed_build_tables(built, tables):
    assert built.n_documents == 5 and built.errors.empty
    docs = tables["documents"].set_index("doc_id")
    assert list(docs.index) == list(SEED_FILES)
    assert docs.loc["taizhou_js_2023", "city_label"] != docs.loc["taizhou_zj_2021", "city_label"]
    assert (
        docs.loc["taizhou_js_2023", "province"] == "江苏"
        and docs.loc["taizhou_zj_2021", "province"] == "浙江"
    )
    assert docs.loc["ningbo_2023", "city"] == "宁波" and not docs.loc["ningbo_2023", "names_city"]
    assert "甬" in docs.loc["ningbo_2023", "city_evidence"]
    assert pd.isna(docs.loc["unnamed_province_2023", "city"])
    assert docs.loc["changzhou_2023", "script"] == "traditional"
    for name in ("passages", "sentences", "tokens", "repairs"):
        df = tables[name]
        assert set(df["doc_id"]) <= set(docs.index) and len(df)
        # provenance: every row carries the SHA-256 of its raw file
        sha = df["doc_id"].map(docs["source_sha256"])
        assert (df["source_sha256"] == sha).all()
    raw_sha = {
        d: hashlib.sha256((Path("data/raw") / f).read_bytes()).hexdigest() for d, f in SEED_FILES.items()
    }
    assert docs["source_sha256"].to_dict() == raw_sha


def test_table_passages_have_no_tokens(tables):
    table_ids = set(tables["passages"].query("kind == 'table'")["passage_id"])
    assert table_ids and not set(tables["tokens"]["passage_id"]) & table_ids


def test_outputs_on_disk_read_back(built):
    out = built.out_dir
    for name in ("documents", "passages", "sentences", "tokens", "repairs", "errors"):
        assert (out / f"{name}.parquet").exists() and (out / f"{name}.csv").exists()
        assert (out / f"{name}.csv").read_bytes()[:3] == b"\xef\xbb\xbf"  # BOM for Excel
    back = load_corpus(out)
    pd.testing.assert_frame_equal(
        back["passages"].convert_dtypes(), built.tables["passages"].convert_dtypes(), check_dtype=False
    )
    assert (out / "build_info.json").exists()


def test_raw_files_never_written(raw_dir, tmp_path):
    before = {
        p.name: (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest()) for p in raw_dir.iterdir()
    }
    build(raw_dir, tmp_path / "out", use_cache=False)
    after = {
        p.name: (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest()) for p in raw_dir.iterdir()
    }
    assert before == after


def test_unchanged_inputs_come_from_cache(raw_copy, tmp_path):
    out = tmp_path / "out"
    first = build(raw_copy, out)
    assert first.n_cached == 0
    n_chunks = len(list((out / ".parts").iterdir()))
    second = build(raw_copy, out)
    assert second.n_cached == 5
    pd.testing.assert_frame_equal(first.tables["tokens"], second.tables["tokens"], check_dtype=False)
    # touching one document reprocesses only that one
    path = raw_copy / SEED_FILES["ningbo_2023"]
    path.write_text(
        path.read_text(encoding="utf-8") + "\n三、附则\n本要点自印发之日起施行。", encoding="utf-8"
    )
    third = build(raw_copy, out)
    assert third.n_cached == 4
    assert third.tables["passages"]["text"].str.contains("本要点自印发之日起施行").any()
    # the four documents read back from the earlier chunk folder give the tables a clean build gives
    clean = build(raw_copy, tmp_path / "clean", use_cache=False)
    for name in ("documents", "passages", "sentences", "tokens", "theme_tags_passage", "targets", "timeline"):
        pd.testing.assert_frame_equal(third.tables[name], clean.tables[name], obj=name)
    # no per-document copies: one folder per chunk of the last run, the earlier run's folders pruned
    assert not (out / ".cache").exists()
    assert len(list((out / ".parts").iterdir())) == n_chunks


def test_folder_without_manifest_builds_with_inferred_metadata(raw_copy, tmp_path):
    (raw_copy / "manifest.csv").unlink()
    result = build(raw_copy, tmp_path / "out", use_cache=False)
    # the unnamed province's plan names no city: the build says so (and the CLI prints it)
    assert any(
        "unnamed_province_2023_action_plan.txt: could not infer city, province" in w for w in result.warnings
    )
    docs = result.tables["documents"].set_index("file")
    assert (docs["metadata_source"] == "inferred").all()
    row = docs.loc[SEED_FILES["taizhou_zj_2021"]]
    assert row["city"] == "台州" and row["province"] == "浙江" and row["period_start"] == 2021
    assert "city" in row["inferred_fields"]
    assert docs.loc[SEED_FILES["ningbo_2023"], "city"] == "宁波"


# --- bad input: a clear error naming the file and the problem, and nothing written -------------------------


def _bad(raw_copy: Path, name: str, data: bytes) -> Path:
    path = raw_copy / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "name, data, problem",
    [
        ("empty.txt", b"", "empty"),
        ("binary.txt", bytes(range(256)) * 20, "binary"),
        ("fake.docx", b"this is not a zip archive at all", "not a valid .docx"),
        ("noise.txt", bytes([0x81, 0x30, 0xFE, 0xFF, 0x80]) * 50, ""),
    ],
)
def test_bad_document_stops_build_and_writes_nothing(raw_copy, tmp_path, name, data, problem):
    out = tmp_path / "out"
    build(raw_copy, out, use_cache=False)
    before = _hashes(out)
    _bad(raw_copy, name, data)
    with pytest.raises(BuildError) as err:
        build(raw_copy, out, use_cache=False)
    assert name in str(err.value) and problem in str(err.value)
    assert _hashes(out) == before  # previous outputs intact


def test_keep_going_builds_the_good_documents(raw_copy, tmp_path):
    _bad(raw_copy, "empty.txt", b"")
    _bad(raw_copy, "binary.txt", b"\x00\x01\x02PK\x03\x04" * 100)
    result = build(raw_copy, tmp_path / "out", keep_going=True, use_cache=False)
    assert result.n_documents == 5
    assert set(result.errors["file"].map(lambda f: Path(f).name)) == {"empty.txt", "binary.txt"}
    assert (tmp_path / "out" / "errors.csv").exists()


def test_document_failing_its_schema_is_an_error_record_in_a_chunk_of_good_ones(raw_copy, tmp_path):
    # tables are validated once per chunk; a document whose own tables break the schema (here an inferred
    # plan period before 1949) is found and reported, the rest of its chunk is built
    text = "某市教育事业发展规划（1901—1905年）\n\n一、总体要求\n\n坚持立德树人，到1905年新建学校10所。\n"
    (raw_copy / "manifest.csv").unlink()
    (raw_copy / "old.txt").write_text(text, encoding="utf-8")
    result = build(raw_copy, tmp_path / "out", keep_going=True, use_cache=False, chunk_size=10)
    assert result.n_documents == 5
    [error] = result.errors.to_dict("records")
    assert error["doc_id"] == "old" and error["stage"] == "schema"
    assert "old.txt" in error["file"] and "period_start" in error["message"]
    assert "old" not in set(result.tables["passages"]["doc_id"])
    with pytest.raises(BuildError, match=r"old\.txt"):
        build(raw_copy, tmp_path / "out2", use_cache=False)


def test_pdf_without_text_layer(raw_copy, tmp_path):
    from reportlab.pdfgen import canvas  # the [dev] extra

    path = raw_copy / "scan.pdf"
    c = canvas.Canvas(str(path))
    c.rect(100, 100, 200, 200, fill=1)
    c.showPage()
    c.save()
    with pytest.raises(BuildError, match=r"scan\.pdf.*text layer"):
        build(raw_copy, tmp_path / "out", use_cache=False)


def test_manifest_problems_are_clear(raw_copy, tmp_path):
    manifest = raw_copy / "manifest.csv"
    text = manifest.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    # a duplicate doc_id
    manifest.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"manifest\.csv.*duplicate"):
        build(raw_copy, tmp_path / "out")
    # a missing file
    manifest.write_text(text.replace("ningbo_2023_work_points.txt", "missing.txt"), encoding="utf-8")
    with pytest.raises(InputError, match=r"missing\.txt"):
        build(raw_copy, tmp_path / "out")


def test_empty_raw_folder(tmp_path):
    (tmp_path / "raw").mkdir()
    with pytest.raises(InputError, match="no plan documents"):
        build(tmp_path / "raw", tmp_path / "out")


def test_other_formats_build(tmp_path):
    """A raw folder of .docx, .html and GBK .txt builds without a manifest."""
    import docx

    raw = tmp_path / "raw"
    raw.mkdir()
    d = docx.Document()
    for line in (
        "杭州市教育事业发展“十四五”规划",
        "一、总体要求",
        "到2025年，普惠性幼儿园覆盖率达到95%以上。",
    ):
        d.add_paragraph(line)
    d.save(raw / "hangzhou.docx")
    (raw / "suzhou.html").write_text(
        "<html><head><meta charset='utf-8'><script>var x=1;</script></head><body><nav>首页 > 政务公开</nav>"
        "<h1>苏州市2024年教育工作要点</h1><p>一、推进义务教育优质均衡发展。</p></body></html>",
        encoding="utf-8",
    )
    (raw / "wuxi.txt").write_bytes(
        "无锡市教育高质量发展行动方案（2024—2026年）\n一、新建学校10所。".encode("gbk")
    )
    result = build(raw, tmp_path / "out", use_cache=False)
    docs = result.tables["documents"].set_index("file")
    assert docs.loc["hangzhou.docx", "format"] == "docx" and docs.loc["hangzhou.docx", "city"] == "杭州"
    assert docs.loc["suzhou.html", "format"] == "html" and "首页" not in docs.loc["suzhou.html", "text"]
    assert docs.loc["wuxi.txt", "encoding"] == "gb18030" and docs.loc["wuxi.txt", "period_end"] == 2026


def test_cli_build_and_help(tmp_path, raw_dir):
    env_py = sys.executable
    help_text = subprocess.run(
        [env_py, "-m", "compare", "build", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "--keep-going" in help_text and "never modified" in help_text
    done = subprocess.run(
        [
            env_py,
            "-m",
            "compare",
            "build",
            "--raw",
            str(raw_dir),
            "--out",
            str(tmp_path / "o"),
            "--no-progress",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "built 5 document(s)" in done.stdout
    bad = tmp_path / "raw"
    bad.mkdir()
    (bad / "x.txt").write_bytes(b"")
    failed = subprocess.run(
        [env_py, "-m", "compare", "build", "--raw", str(bad), "--out", str(tmp_path / "o2")],
        capture_output=True,
        text=True,
    )
    assert failed.returncode == 2 and "x.txt" in failed.stderr and "empty" in failed.stderr
    assert not (tmp_path / "o2").exists() or not any((tmp_path / "o2").glob("*.parquet"))


def test_process_executor_matches_serial(raw_dir, tmp_path, tables):
    result = build(raw_dir, tmp_path / "out", executor="process", workers=2, use_cache=False)
    for name in ("passages", "sentences", "tokens"):
        pd.testing.assert_frame_equal(result.tables[name], tables[name], check_dtype=False)


def test_docx_zip_without_document(raw_copy, tmp_path):
    with zipfile.ZipFile(raw_copy / "broken.docx", "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(BuildError, match=r"broken\.docx"):
        build(raw_copy, tmp_path / "out", use_cache=False)


def test_a_chunk_of_cached_and_fresh_documents_keeps_their_order(raw_copy, tmp_path):
    # the stages run once over a chunk's fresh documents; their rows still come in the documents' order
    out = tmp_path / "out"
    build(raw_copy, out, chunk_size=10)
    for doc in ("taizhou_js_2023", "taizhou_zj_2021"):  # the first and a middle document change
        path = raw_copy / SEED_FILES[doc]
        path.write_text(path.read_text(encoding="utf-8") + "\n新建幼儿园3所。", encoding="utf-8")
    warm = build(raw_copy, out, chunk_size=10)
    assert warm.n_cached == 3
    clean = build(raw_copy, tmp_path / "clean", use_cache=False, chunk_size=10)
    for name in ("passages", "theme_tags_sentence", "instrument_tags", "strength", "targets", "timeline"):
        pd.testing.assert_frame_equal(warm.tables[name], clean.tables[name], obj=name)
    assert list(dict.fromkeys(clean.tables["targets"]["doc_id"])) == list(
        dict.fromkeys(clean.tables["passages"]["doc_id"])
    )


def test_a_stage_failing_on_one_document_of_a_batch_fails_only_that_document(raw_copy, tmp_path, monkeypatch):
    import dataclasses

    from compare.pipeline import chunks, stages

    def failing(step):
        def document_tables(tables, *, documents):
            if "changzhou_2023" in set(documents["doc_id"]):
                raise RuntimeError("a bug in this stage")
            return step.document_tables(tables, documents=documents)

        return dataclasses.replace(step, document_tables=document_tables)

    monkeypatch.setattr(chunks, "selected_stages", lambda: tuple(map(failing, stages.STAGES)))
    result = build(raw_copy, tmp_path / "out", keep_going=True, use_cache=False, chunk_size=10)
    [error] = result.errors.to_dict("records")
    assert (error["doc_id"], error["stage"]) == ("changzhou_2023", "themes")
    assert "a bug in this stage" in error["message"]
    assert set(result.tables["targets"]["doc_id"]) == set(SEED_FILES) - {"changzhou_2023"}
