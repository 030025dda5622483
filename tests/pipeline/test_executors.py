"""Executors (serial, spawned processes, Dask), chunked Parquet parts, error records, crashes and resume."""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from compare.pipeline.build import BuildError, build
from compare.pipeline.chunks import CRASH_TEST_ENV
from compare.pipeline.executors import (
    LOCAL_DASK_CONFIG,
    LOCAL_SCHEDULER_KWARGS,
    Chunk,
    chunk_size_for,
    failure_records,
)
from tests.conftest import RAW

DICT_TERMS = ("县管校聘", "高品质示范高中")
CITIES = ("无锡", "苏州", "南通", "扬州", "镇江", "盐城")


def _plan(city: str, n: int) -> str:
    return (
        f"{city}市教育高质量发展行动方案（2024—2026年）\n"
        "一、总体要求\n"
        f"深化县管校聘管理改革，到2026年建设高品质示范高中{n}所。\n"
        "二、主要任务\n"
        f"（一）推进集团化办学，普惠性幼儿园覆盖率达到9{n}%以上。\n"
        "（二）加强教师队伍建设，完善教师交流轮岗制度。\n"
    )


def _small_corpus(folder: Path, cities=CITIES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n, city in enumerate(cities, start=1):
        (folder / f"plan_{n}.txt").write_text(_plan(city, n), encoding="utf-8")
    return folder


def _done_summaries(out: Path) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((out / ".parts").glob("*/_done.json"))]


def _assert_same_tables(left: dict, right: dict) -> None:
    assert set(left) == set(right)
    for name in left:
        # same values; a missing string may be None (object column) or NaN (pandas string column)
        pd.testing.assert_frame_equal(
            left[name].reset_index(drop=True).convert_dtypes(),
            right[name].reset_index(drop=True).convert_dtypes(),
            check_dtype=False,
            obj=name,
        )


@pytest.fixture(scope="module")
def local_cluster():
    """A running Dask cluster that the build reaches by address only (as a remote one would be)."""
    import dask
    import distributed

    with dask.config.set(LOCAL_DASK_CONFIG):  # as a cluster operator would configure it
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
            scheduler_kwargs=LOCAL_SCHEDULER_KWARGS,
            silence_logs=logging.ERROR,
        )
    yield cluster
    cluster.close()


def test_chunk_sizes():
    assert chunk_size_for(5, n_workers=2) == 1
    assert chunk_size_for(2000, n_workers=2) == 25
    assert chunk_size_for(60, n_workers=2) == 8
    assert chunk_size_for(0, n_workers=4) == 1


def test_executors_give_identical_outputs_on_seeds(tables, tmp_path, local_cluster):
    # serial is the session build (default chunking); process and Dask use other chunk sizes
    proc = build(RAW, tmp_path / "proc", executor="process", workers=2, chunk_size=2, use_cache=False)
    dask = build(
        RAW, tmp_path / "dask", executor="dask", address=local_cluster.scheduler_address, use_cache=False
    )
    _assert_same_tables(proc.tables, tables)
    _assert_same_tables(dask.tables, tables)
    # every chunk ran in a worker process, not in the driver
    pids = {s["pid"] for s in _done_summaries(tmp_path / "proc")}
    assert len(_done_summaries(tmp_path / "proc")) == 3 and os.getpid() not in pids
    # the chunk parts read back as one dataset, equal to the consolidated table
    for name in ("passages", "tokens"):
        back = pd.read_parquet(tmp_path / "proc" / "parts" / name)
        assert len(list((tmp_path / "proc" / "parts" / name).glob("part-*.parquet"))) == 3
        whole = pd.read_parquet(tmp_path / "proc" / f"{name}.parquet")
        pd.testing.assert_frame_equal(back, whole)
        assert len(back) == len(tables[name])


def test_local_dask_cluster_matches_serial(tmp_path, recwarn):
    """``executor="dask"`` without an address starts (and stops) its own local cluster, with no dashboard
    and no fixed port (a second cluster on the machine, or a port in use, changes nothing)."""
    import socket

    raw = _small_corpus(tmp_path / "raw", CITIES[:3])
    serial = build(raw, tmp_path / "serial", use_cache=False)
    with socket.socket() as taken:  # the scheduler's default HTTP port is in use
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            taken.bind(("127.0.0.1", 8787))
            taken.listen()
        except OSError:
            pass  # something else holds it already: the same situation
        dask = build(raw, tmp_path / "dask", executor="dask", workers=2, chunk_size=1, use_cache=False)
    ports = [str(w.message) for w in recwarn if "Port" in str(w.message) and "in use" in str(w.message)]
    assert ports == [], ports
    _assert_same_tables(serial.tables, dask.tables)
    info = json.loads((tmp_path / "dask" / "build_info.json").read_text(encoding="utf-8"))
    assert info["run"]["executor"] == "dask" and info["run"]["chunks"] == 3


def _bad_corpus(folder: Path) -> Path:
    _small_corpus(folder, CITIES[:4])
    (folder / "gbk_plan.txt").write_bytes(_plan("常熟", 7).encode("gbk"))
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 20)
    return folder


@pytest.mark.parametrize("executor", ["process", "dask"])
def test_bad_documents_become_records_and_dictionary_survives_in_workers(executor, tmp_path, local_cluster):
    raw = _bad_corpus(tmp_path / "raw")
    address = local_cluster.scheduler_address if executor == "dask" else None
    out = tmp_path / "out"
    result = build(
        raw,
        out,
        executor=executor,
        workers=2,
        address=address,
        chunk_size=2,
        keep_going=True,
        use_cache=False,
    )
    # GBK is decoded (gb18030); empty and binary files are error records naming file and stage
    assert set(result.errors["file"].map(lambda f: Path(f).name)) == {"empty.txt", "binary.txt"}
    assert set(result.errors["stage"]) == {"read"}
    assert result.n_documents == 5
    docs = result.tables["documents"].set_index("file")
    assert docs.loc["gbk_plan.txt", "encoding"] == "gb18030"
    errors = pd.read_parquet(out / "errors.parquet")
    assert len(errors) == 2 and list(errors.columns) == ["doc_id", "file", "stage", "message"]
    # the education dictionary was loaded inside the workers: its terms are single tokens there
    summaries = _done_summaries(out)
    assert summaries and os.getpid() not in {s["pid"] for s in summaries}
    tokens = pd.read_parquet(out / "parts" / "tokens")
    for term in DICT_TERMS:
        assert (tokens["token"] == term).sum() == 5, term


def test_plain_jieba_splits_the_dictionary_terms():
    """Guard for the test above: without the dictionary these terms are not single tokens."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    plain = jieba.Tokenizer()
    for term in DICT_TERMS:
        assert term not in plain.lcut(f"深化{term}改革")


@pytest.mark.parametrize("executor", ["process", "dask"])
def test_crashing_worker_costs_only_its_chunk(executor, tmp_path, monkeypatch):
    raw = _small_corpus(tmp_path / "raw", CITIES[:4])
    (raw / "plan_3.txt").rename(raw / "plan_3_crash.txt")
    monkeypatch.setenv(CRASH_TEST_ENV, "_crash")  # test-only hook: that document calls os._exit(137)
    # (set before the workers start: they inherit it; Dask starts its own local cluster here)
    result = build(
        raw, tmp_path / "out", executor=executor, workers=2, chunk_size=2, keep_going=True, use_cache=False
    )
    # chunk 1 = plan_3_crash + plan_4: both reported (stage "worker"), chunk 0 built
    lost = result.errors.set_index("doc_id")
    assert set(lost.index) == {"plan_3_crash", "plan_4"} and set(lost["stage"]) == {"worker"}
    assert lost["message"].str.contains("chunk 1").all()
    assert sorted(result.tables["documents"]["doc_id"]) == ["plan_1", "plan_2"]
    assert len(list((tmp_path / "out" / "parts" / "documents").glob("*.parquet"))) == 1


def test_lost_chunk_stops_build_without_keep_going(tmp_path, monkeypatch):
    builder = importlib.import_module(
        "compare.pipeline.build"
    )  # the module (``compare.pipeline.build`` is the function)
    raw = _small_corpus(tmp_path / "raw", CITIES[:3])
    real = builder.run_chunk

    def dies_on_chunk_1(chunk, **options):
        if chunk.index == 1:
            raise OSError("simulated loss of the chunk")
        return real(chunk, **options)

    monkeypatch.setattr(builder, "run_chunk", dies_on_chunk_1)
    with pytest.raises(BuildError, match=r"plan_2\.txt \[worker\].*chunk 1") as err:
        build(raw, tmp_path / "out", chunk_size=1, use_cache=False)
    assert "plan_1.txt" not in str(err.value) and not (tmp_path / "out" / "documents.parquet").exists()
    result = build(raw, tmp_path / "out", chunk_size=1, keep_going=True, use_cache=False)
    assert list(result.errors["doc_id"]) == ["plan_2"] and result.n_documents == 2


def test_crash_hook_never_exits_the_driver(tmp_path, monkeypatch):
    raw = _small_corpus(tmp_path / "raw", CITIES[:2])
    monkeypatch.setenv(CRASH_TEST_ENV, "plan_2")
    result = build(raw, tmp_path / "out", keep_going=True, use_cache=False)
    assert list(result.errors["doc_id"]) == ["plan_2"] and "driver" in result.errors["message"][0]


def test_failure_records_name_every_document():
    from compare.text.ingest import DocSpec

    specs = (DocSpec("a", Path("a.txt")), DocSpec("b", Path("b.txt")))
    chunk = Chunk(index=7, key="k", specs=specs, doc_keys=("1", "2"), work_dir="w")
    records = failure_records(chunk, RuntimeError("boom"))
    assert [r["doc_id"] for r in records] == ["a", "b"]
    assert all(
        r["stage"] == "worker" and "chunk 7" in r["message"] and "boom" in r["message"] for r in records
    )


def test_resume_skips_completed_chunks(tmp_path):
    raw = _small_corpus(tmp_path / "raw")
    out = tmp_path / "out"
    first = build(raw, out, chunk_size=2)
    parts = sorted((out / "parts" / "tokens").glob("*.parquet"))
    assert len(parts) == 3 and first.n_cached == 0
    stamp = (out / "build_info.json").stat().st_mtime_ns
    second = build(raw, out, chunk_size=2)
    # nothing changed: every chunk is reused and the previous outputs are returned without rewriting them
    assert second.n_cached == 6 and (out / "build_info.json").stat().st_mtime_ns == stamp
    _assert_same_tables(first.tables, second.tables)
    # a changed document re-runs only its chunk; the rest of the chunk comes from the per-document cache
    (raw / "plan_4.txt").write_text(
        _plan("泰兴", 4) + "三、附则\n本方案自印发之日起施行。\n", encoding="utf-8"
    )
    third = build(raw, out, chunk_size=2)
    info = json.loads((out / "build_info.json").read_text(encoding="utf-8"))
    assert info["run"]["chunks_reused"] == 2 and third.n_cached == 5
    assert third.tables["passages"]["text"].str.contains("本方案自印发之日起施行").any()
    back = pd.read_parquet(out / "parts" / "passages")
    assert back["text"].str.contains("本方案自印发之日起施行").sum() == 1
    assert len(list((out / ".parts").iterdir())) == 3  # the replaced chunk's work folder was pruned


def test_large_corpus_mode_streams_only_what_corpus_stages_need(tmp_path, built):
    import pyarrow as pa

    out = tmp_path / "out"
    shutil.copytree(built.out_dir, out)  # reuse the session build's chunks: only the corpus stages run
    pool = pa.default_memory_pool().backend_name
    result = build(RAW, out, gather=False, write_csv=False)
    assert pa.default_memory_pool().backend_name == pool  # the system allocator was only used inside
    assert json.loads((out / "build_info.json").read_text(encoding="utf-8"))["run"]["chunks_reused"] >= 1
    held = set(result.tables.in_memory)
    assert held == {"documents", "errors"} and "text" not in result.tables["documents"].columns
    # per-document tables are streamed from the chunk parts, never gathered; the cross-document tables are
    # written piece by piece, never held: the driver holds the documents (without texts) only
    corpus = set(result.rows) - {"documents", "passages", "sentences", "tokens", "repairs", "errors"}
    corpus -= {"theme_tags_sentence", "theme_tags_passage", "instrument_tags", "strength"}
    assert corpus >= {"coverage", "similarity", "targets", "aligned_indicators"}
    assert [p.name for p in (out / ".parts").iterdir() if p.name.startswith("corpus")] == []
    # the cross-document tables are the same as with every table in memory
    for name in corpus:
        back = pd.read_parquet(out / f"{name}.parquet")
        pd.testing.assert_frame_equal(
            back, pd.read_parquet(built.out_dir / f"{name}.parquet"), check_dtype=False, obj=name
        )
    # per-document tables are still consolidated (streamed part by part)
    whole = pd.read_parquet(out / "tokens.parquet")
    assert len(whole) == len(built.tables["tokens"])


def test_no_consolidation_keeps_only_parts(tmp_path):
    raw = _small_corpus(tmp_path / "raw", CITIES[:2])
    result = build(raw, tmp_path / "out", consolidate=False, write_csv=False, use_cache=False)
    assert not (tmp_path / "out" / "tokens.parquet").exists()
    assert len(pd.read_parquet(result.parts_dir / "tokens")) == result.rows["tokens"]


def test_address_needs_dask():
    with pytest.raises(ValueError, match="dask"):
        build(RAW, "unused", executor="process", address="tcp://127.0.0.1:1")


def test_cli_address_runs_on_the_cluster(tmp_path, local_cluster):
    from compare.cli import main

    raw = _small_corpus(tmp_path / "raw", CITIES[:2])
    out = tmp_path / "out"
    code = main(["build", "--raw", str(raw), "--out", str(out), "--address", local_cluster.scheduler_address])
    assert code == 0
    info = json.loads((out / "build_info.json").read_text(encoding="utf-8"))
    assert info["run"]["executor"] == "dask" and info["run"]["address"] == local_cluster.scheduler_address
    assert os.getpid() not in {s["pid"] for s in _done_summaries(out)}


def _csv_files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.csv"))}


def test_builds_publish_per_document_tables_early_with_the_same_files(tmp_path, monkeypatch):
    """The per-document tables no corpus step rewrites are published in the background while the corpus steps
    run (a process with the process executor, a thread with the serial one); every CSV and Parquet table is the
    same, byte for byte, as a build's that publishes everything after the corpus steps."""
    import compare.pipeline.build as build_module

    raw = _small_corpus(tmp_path / "raw", CITIES[:3])
    serial = build(raw, tmp_path / "serial", use_cache=False, chunk_size=1)
    proc = build(raw, tmp_path / "proc", executor="process", workers=2, chunk_size=1, use_cache=False)

    @contextlib.contextmanager
    def no_early(*args, **kwargs):
        yield None

    monkeypatch.setattr(build_module, "_early_publish", no_early)
    late = build(raw, tmp_path / "late", use_cache=False)
    infos = {
        k: json.loads((tmp_path / k / "build_info.json").read_text(encoding="utf-8"))["run"][
            "published_early"
        ]
        for k in ("serial", "proc", "late")
    }
    early = infos["proc"]
    assert "tokens" in early and "sentences" in early
    assert "targets" not in early and "timeline" not in early  # rewritten by the targets stage's corpus step
    assert infos["serial"] == early and infos["late"] == []
    assert _csv_files(tmp_path / "proc") == _csv_files(tmp_path / "late") == _csv_files(tmp_path / "serial")
    assert proc.rows == serial.rows == late.rows
    for name in early:
        reference = pd.read_parquet(tmp_path / "late" / f"{name}.parquet")
        for run in ("proc", "serial"):
            pd.testing.assert_frame_equal(
                pd.read_parquet(tmp_path / run / f"{name}.parquet"), reference, obj=f"{run} {name}"
            )


@pytest.mark.parametrize("executor", ["process", "serial"])
def test_a_build_failing_in_a_corpus_step_leaves_the_previous_outputs(tmp_path, monkeypatch, executor):
    """A corpus step that fails while the background publisher writes (a process, or the serial build's
    thread): the previous outputs stay as they were and no staging folder is left behind."""
    import compare.pipeline.build as build_module

    raw = _small_corpus(tmp_path / "raw", CITIES[:2])
    out = tmp_path / "out"
    build(raw, out, executor=executor, workers=2, use_cache=False)
    before = {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}

    def broken(*args, **kwargs):
        raise RuntimeError("corpus step broke")

    monkeypatch.setattr(build_module, "_run_corpus_stages", broken)
    (raw / "plan_1.txt").write_text(_plan(CITIES[0], 7), encoding="utf-8")  # something to rebuild
    with pytest.raises(RuntimeError, match="corpus step broke"):
        build(raw, out, executor=executor, workers=2, use_cache=False, chunk_size=1)
    assert {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()} == before
    assert not [p for p in out.iterdir() if p.name.startswith(".staging-")]
