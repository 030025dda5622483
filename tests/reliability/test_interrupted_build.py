"""Issue 15, interrupted and concurrent builds: the real CLI killed (SIGKILL) at seeded random points of a
build, also in the middle of swapping the new outputs in, always leaves one build's complete outputs; the
next run resumes and ends equal to a clean build; a second build on the same output folder is refused while
the first holds the lock, and a lock left by a killed build does not block."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from compare.core.store import load_corpus, read_as_built
from compare.pipeline import journal
from compare.pipeline.build import build
from compare.pipeline.lock import LOCK_NAME, BuildLockedError, build_lock
from tests.conftest import RAW, ROOT, SEED_FILES

TOGGLED = RAW / SEED_FILES["ningbo_2023"]
EXTRA = "\n三、附则\n本要点自印发之日起施行，到2026年新增学位3000个。\n"
N_KILLS = 5


def _cli(raw: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "compare", "build", "--raw", str(raw), "--out", str(out), "--no-progress"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _set_state(raw: Path, state: str) -> None:
    text = TOGGLED.read_text(encoding="utf-8")
    (raw / TOGGLED.name).write_text(text + EXTRA if state == "B" else text, encoding="utf-8")


def _info(out: Path) -> dict:
    return json.loads((out / "build_info.json").read_text(encoding="utf-8"))


def _tables(out: Path) -> dict[str, pd.DataFrame]:
    return {name: read_as_built(out / f"{name}.parquet", name) for name in _info(out)["rows"]}


def _assert_same_tables(out: Path, reference: dict[str, pd.DataFrame]) -> None:
    tables = _tables(out)
    assert sorted(tables) == sorted(reference)
    for name, df in reference.items():
        pd.testing.assert_frame_equal(tables[name], df, obj=name)


def _assert_one_build(out: Path) -> None:
    """Every output listed in build_info.json is there with the recorded hash, and nothing else is."""
    assert journal.verify(out) == []
    info = _info(out)
    docs = read_as_built(out / "documents.parquet", "documents")
    assert dict(zip(docs["doc_id"], docs["source_sha256"], strict=True)) == {
        d: f["sha256"] for d, f in info["files"].items()
    }
    assert set(load_corpus(out)) >= set(info["rows"])  # readable through the public API


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The seeds in two states (A: as they are, B: one plan with an extra item) and a clean build of each;
    A's build is the real CLI's (its output folder then carries the cache the interrupted runs resume from)."""
    root = tmp_path_factory.mktemp("interrupted")
    raws = {}
    for state in ("A", "B"):
        raws[state] = root / f"raw_{state}"
        shutil.copytree(RAW, raws[state])
        _set_state(raws[state], state)
    out_a = root / "clean_A"
    t0 = time.perf_counter()
    proc = _cli(raws["A"], out_a)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    seconds = time.perf_counter() - t0
    build(raws["B"], root / "clean_B", use_cache=False)
    return {
        "root": root,
        "raw": raws,
        "out_A": out_a,
        "ref": {"A": _tables(out_a), "B": _tables(root / "clean_B")},
        "seconds": seconds,
    }


def _working_copy(corpus, name: str, state: str) -> tuple[Path, Path]:
    """A raw folder in ``state`` and an output folder holding the clean build of A (with its cache)."""
    raw, out = corpus["root"] / f"{name}_raw", corpus["root"] / f"{name}_out"
    shutil.copytree(corpus["raw"]["A"], raw)
    _set_state(raw, state)
    shutil.copytree(corpus["out_A"], out, symlinks=True)
    return raw, out


def test_sigkill_at_random_points_never_breaks_the_outputs_and_the_next_run_resumes(corpus):
    raw, out = _working_copy(corpus, "kills", "A")
    rng = random.Random(15)
    span = corpus["seconds"]  # a cold build; the interrupted (warm) runs are a little shorter
    state, landed = "A", []
    for i in range(N_KILLS):
        previous_id, previous_state = _info(out)["build_id"], state
        state = "B" if state == "A" else "A"
        _set_state(raw, state)  # every run has a plan to rebuild and the corpus stages to run again
        proc = _cli(raw, out)
        time.sleep(0.2 + 0.8 * span * (i + rng.random()) / N_KILLS)  # spread over the whole (warm) run
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        landed.append(proc.returncode)
        # the folder holds exactly one build: the previous one, or the new one if the kill came after it
        problems = journal.verify(out)
        if any("interrupted publish" in p for p in problems):  # killed mid-swap: the next build finishes it
            journal.recover(out)
        _assert_one_build(out)
        finished = _info(out)["build_id"] != previous_id
        _assert_same_tables(out, corpus["ref"][state if finished else previous_state])
        # the next run resumes (chunks and documents already done are reused) and equals a clean build
        result = build(raw, out)
        _assert_one_build(out)
        _assert_same_tables(out, corpus["ref"][state])
        assert result.errors.empty
    assert any(code == -signal.SIGKILL for code in landed), landed  # at least one kill hit a running build
    assert not [p for p in out.iterdir() if p.name.startswith((".staging-", ".old-"))]


#: The CLI build, SIGKILLed at the n-th rename into the output folder (``swap``: the swap of the new outputs)
#: or into the staging folder (``staging``: while the new outputs are being written).
KILL_AT_RENAME = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    raw, out, where, nth = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    real, seen = os.replace, []
    def replace(src, dst, *a, **k):
        into = Path(dst).parent
        if (into == out and ".staging-" in str(src)) if where == "swap" else into.name.startswith(".staging-"):
            seen.append(dst)
            if len(seen) == nth:
                os.kill(os.getpid(), signal.SIGKILL)  # the machine dies right there
        return real(src, dst, *a, **k)
    os.replace = replace
    from compare.cli import main
    sys.exit(main(["build", "--raw", raw, "--out", str(out), "--no-progress"]))
    """
)


def _killed_at_rename(raw: Path, out: Path, where: str, nth: int) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", KILL_AT_RENAME, str(raw), str(out), where, str(nth)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr


def test_sigkill_in_the_middle_of_the_swap_is_finished_by_the_next_build(corpus):
    raw, out = _working_copy(corpus, "midswap", "B")
    before = _info(out)["build_id"]
    _killed_at_rename(raw, out, "swap", 7)
    problems = journal.verify(out)
    assert problems and any("interrupted publish" in p for p in problems)  # a mix, and it says so
    assert _info(out)["build_id"] == before  # build_info.json moves last: still the old build's
    [staging] = [p for p in out.iterdir() if p.name.startswith(".staging-")]
    sealed_id = json.loads((staging / journal.SEALED_NAME).read_text(encoding="utf-8"))["build_id"]
    assert journal.recover(out)  # what the next build does first: finish the swap
    assert _info(out)["build_id"] == sealed_id
    _assert_one_build(out)
    _assert_same_tables(out, corpus["ref"]["B"])
    result = build(raw, out)
    assert result.errors.empty
    _assert_one_build(out)
    _assert_same_tables(out, corpus["ref"]["B"])


HOLD_LOCK = textwrap.dedent(
    """
    import sys, time
    from compare.pipeline.lock import build_lock
    with build_lock(sys.argv[1]):
        print("locked", flush=True)
        time.sleep(120)
    """
)


def test_a_second_build_is_refused_while_the_lock_is_held_and_a_killed_holder_does_not_block(corpus):
    raw, out = _working_copy(corpus, "locked", "A")
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.suffix == ".parquet"}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(out)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        refused = _cli(raw, out)
        _, err = refused.communicate(timeout=120)
        assert refused.returncode == 2
        assert f"error: {out}: another build (pid {holder.pid}) is writing this output folder" in err
        with pytest.raises(BuildLockedError, match=str(holder.pid)):
            build(raw, out)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.suffix == ".parquet"} == before
    assert (out / LOCK_NAME).exists()  # the killed holder's lock file is still there …
    result = build(raw, out)  # … and does not block: the lock died with its process
    assert result.errors.empty
    _assert_one_build(out)


def test_the_lock_is_held_for_the_build_and_released_after(tmp_path):
    out = tmp_path / "out"
    refused = pytest.raises(BuildLockedError, match=f"{out}: another build \\(pid {os.getpid()}\\)")
    with build_lock(out), refused:
        build(RAW, out)  # the same process, another open of the lock file: refused too
    with build_lock(out):  # released after the refusal
        pass


def test_two_builds_started_at_once_on_one_folder(corpus):
    raw, out = _working_copy(corpus, "twice", "B")
    procs = [_cli(raw, out), _cli(raw, out)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    for proc in procs:
        proc.stdout.close()
        proc.stderr.close()
    codes = sorted(code for code, _ in results)
    assert codes in ([0, 0], [0, 2]), results
    for code, err in results:
        if code == 2:
            assert "another build (pid" in err and str(out) in err
    _assert_one_build(out)
    _assert_same_tables(out, corpus["ref"]["B"])


def test_sigkill_while_writing_the_new_outputs_leaves_the_old_ones_whole(corpus):
    raw, out = _working_copy(corpus, "midstaging", "B")
    before = _info(out)["build_id"]
    _killed_at_rename(raw, out, "staging", 5)
    assert [p for p in out.iterdir() if p.name.startswith(".staging-")]  # half-written, not sealed
    assert _info(out)["build_id"] == before
    _assert_one_build(out)
    _assert_same_tables(out, corpus["ref"]["A"])
    result = build(raw, out)  # removes the half-written folder and builds B
    assert result.errors.empty
    assert not [p for p in out.iterdir() if p.name.startswith(".staging-")]
    _assert_one_build(out)
    _assert_same_tables(out, corpus["ref"]["B"])
